package bluesky

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// authState says how a source searches: anonymously at an AppView, or with
// a session of the account named by the identifier.
type authState struct {
	anonymous  bool
	base       string // anonymous: the AppView; otherwise the PDS or entryway that issues sessions
	identifier string
	password   string
}

func (a *authState) key() string { return a.base + "\x00" + a.identifier + "\x00" + a.password }

func (c *Collector) authFor(src model.Source) (*authState, error) {
	base := strings.TrimRight(src.URL, "/")
	if c.opts.Identifier == "" {
		if src.Token != "" {
			return nil, fmt.Errorf("%w: source %q has an app password but no identifier (the account's handle)", ErrBadConfig, src.Name)
		}
		if base == "" {
			base = DefaultPublicURL
		}
		return &authState{anonymous: true, base: base}, nil
	}
	if src.Token == "" {
		return nil, fmt.Errorf("%w: source %q names account %q but has no app password", ErrBadConfig, src.Name, c.opts.Identifier)
	}
	if base == "" {
		base = DefaultAuthURL
	}
	return &authState{base: base, identifier: c.opts.Identifier, password: src.Token}, nil
}

// session is an account's login: the access JWT sent with every call, the
// refresh JWT that renews it, and the PDS that serves the account.
type session struct {
	key        string
	access     string
	refresh    string
	accessExp  time.Time // zero when the JWT does not say
	serviceURL string    // where XRPC calls go: the account's PDS, else the auth base
}

type sessionResponse struct {
	AccessJwt  string          `json:"accessJwt"`
	RefreshJwt string          `json:"refreshJwt"`
	Handle     string          `json:"handle"`
	DID        string          `json:"did"`
	DIDDoc     json.RawMessage `json:"didDoc"`
	Active     *bool           `json:"active"`
	Status     string          `json:"status"`
}

// xrpcSearch runs app.bsky.feed.searchPosts.
func (c *Collector) xrpcSearch(ctx context.Context, auth *authState, params url.Values, out *searchResponse) error {
	return c.xrpcQuery(ctx, auth, "app.bsky.feed.searchPosts", params, out)
}

// xrpcQuery runs an XRPC query (GET) named by nsid. With an account, an
// expired access token is renewed and the call repeated once.
func (c *Collector) xrpcQuery(ctx context.Context, auth *authState, nsid string, params url.Values, out any) error {
	method := "/xrpc/" + nsid + "?"
	if auth.anonymous {
		return c.call(ctx, http.MethodGet, auth.base+method+params.Encode(), "", nil, out)
	}
	sess, err := c.session(ctx, auth)
	if err != nil {
		return err
	}
	err = c.call(ctx, http.MethodGet, sess.serviceURL+method+params.Encode(), sess.access, nil, out)
	if !isExpired(err) {
		return err
	}
	c.opts.Logger.DebugContext(ctx, "bluesky access token refused, renewing session", slog.String("identifier", auth.identifier))
	if sess, err = c.renew(ctx, auth, sess); err != nil {
		return err
	}
	return c.call(ctx, http.MethodGet, sess.serviceURL+method+params.Encode(), sess.access, nil, out)
}

// session returns a usable session, creating one or renewing one whose
// access token has expired by the clock.
func (c *Collector) session(ctx context.Context, auth *authState) (*session, error) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil || s.key != auth.key() {
		return c.renew(ctx, auth, nil)
	}
	if !s.accessExp.IsZero() && !c.opts.Now().Before(s.accessExp.Add(-time.Minute)) {
		return c.renew(ctx, auth, s)
	}
	return s, nil
}

// renew replaces stale (nil: none yet) with a fresh session: refreshed when
// there is a refresh token, created anew when there is none or the refresh is
// refused.
func (c *Collector) renew(ctx context.Context, auth *authState, stale *session) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != stale && c.sess != nil && c.sess.key == auth.key() {
		return c.sess, nil // renewed by a concurrent run meanwhile
	}
	if stale != nil && stale.refresh != "" {
		var resp sessionResponse
		err := c.call(ctx, http.MethodPost, auth.base+"/xrpc/com.atproto.server.refreshSession", stale.refresh, nil, &resp)
		if err == nil {
			c.sess = c.newSession(auth, &resp)
			return c.sess, nil
		}
		if !isAuthError(err) {
			return nil, fmt.Errorf("refresh session of %q: %w", auth.identifier, err)
		}
	}
	var resp sessionResponse
	body := map[string]string{"identifier": auth.identifier, "password": auth.password}
	err := c.call(ctx, http.MethodPost, auth.base+"/xrpc/com.atproto.server.createSession", "", body, &resp)
	if isAuthError(err) {
		c.sess = nil
		return nil, fmt.Errorf("%w for %q at %s: check the identifier and the app password: %w", ErrLogin, auth.identifier, auth.base, err)
	}
	if err != nil {
		return nil, fmt.Errorf("create session of %q: %w", auth.identifier, err)
	}
	if resp.AccessJwt == "" {
		return nil, fmt.Errorf("create session of %q: response has no accessJwt", auth.identifier)
	}
	c.sess = c.newSession(auth, &resp)
	return c.sess, nil
}

func (c *Collector) newSession(auth *authState, r *sessionResponse) *session {
	s := &session{
		key:        auth.key(),
		access:     r.AccessJwt,
		refresh:    r.RefreshJwt,
		accessExp:  jwtExpiry(r.AccessJwt),
		serviceURL: auth.base,
	}
	if pds := pdsEndpoint(r.DIDDoc); pds != "" {
		s.serviceURL = pds
	}
	return s
}

// pdsEndpoint reads the account's PDS from the DID document createSession
// returns, so calls go straight to the server that holds the account.
func pdsEndpoint(doc json.RawMessage) string {
	var d struct {
		Service []struct {
			ID              string `json:"id"`
			Type            string `json:"type"`
			ServiceEndpoint string `json:"serviceEndpoint"`
		} `json:"service"`
	}
	if len(doc) == 0 || json.Unmarshal(doc, &d) != nil {
		return ""
	}
	for _, s := range d.Service {
		if strings.HasSuffix(s.ID, "#atproto_pds") && s.Type == "AtprotoPersonalDataServer" {
			u, err := url.Parse(s.ServiceEndpoint)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return ""
			}
			return strings.TrimRight(s.ServiceEndpoint, "/")
		}
	}
	return ""
}

// jwtExpiry reads the exp claim of a JWT without verifying it: it only tells
// when to renew before the server refuses the token.
func jwtExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

// isExpired reports whether a call failed because its access token is no
// longer accepted (400 ExpiredToken/InvalidToken, or 401).
func isExpired(err error) bool {
	var he *collectors.HTTPError
	if !errors.As(err, &he) {
		return false
	}
	return he.StatusCode == http.StatusUnauthorized ||
		he.StatusCode == http.StatusBadRequest && (strings.HasPrefix(he.Message, "ExpiredToken") || strings.HasPrefix(he.Message, "InvalidToken"))
}

// isAuthError reports whether the server refused the credentials themselves.
func isAuthError(err error) bool {
	var he *collectors.HTTPError
	if !errors.As(err, &he) {
		return false
	}
	return isExpired(err) || he.StatusCode == http.StatusForbidden ||
		he.StatusCode == http.StatusBadRequest && (strings.HasPrefix(he.Message, "AuthFactorTokenRequired") ||
			strings.HasPrefix(he.Message, "AccountTakedown") || strings.HasPrefix(he.Message, "AuthenticationRequired"))
}

// call makes one XRPC request with a deadline, decoding a success into out
// and any other status into *collectors.HTTPError.
func (c *Collector) call(ctx context.Context, method, u, bearer string, in, out any) error {
	ctx, cancel := collectors.WithDeadline(ctx, c.opts.RequestTimeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read response of %s: %w", stripQuery(u), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &collectors.HTTPError{
			URL:        stripQuery(u),
			StatusCode: resp.StatusCode,
			RetryAfter: collectors.RetryAfter(rateLimitHeaders(resp.Header), c.opts.Now()),
			Message:    xrpcMessage(raw),
		}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("malformed response from %s: %w", stripQuery(u), err)
	}
	return nil
}

// rateLimitHeaders presents the RateLimit-* headers atproto servers send
// (reset in epoch seconds) under the X-RateLimit-* names collectors.RetryAfter reads.
func rateLimitHeaders(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range []string{"Remaining", "Reset", "Limit"} {
		if v := h.Get("RateLimit-" + name); v != "" && h.Get("X-RateLimit-"+name) == "" {
			out.Set("X-RateLimit-"+name, v)
		}
	}
	return out
}

// xrpcMessage reads an XRPC error body: {"error": "Name", "message": "…"}.
func xrpcMessage(body []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := strings.Trim(e.Error+": "+e.Message, ": ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
