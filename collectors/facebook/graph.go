package facebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
)

// DefaultBaseURL is the Graph API version campaignwall speaks; Instagram's
// API for business accounts is the same Graph API.
const DefaultBaseURL = "https://graph.facebook.com/v21.0"

var (
	// ErrTokenExpired is matched (errors.Is) by Graph error 190: the access
	// token expired, was revoked or lost a permission.
	ErrTokenExpired = errors.New("graph API access token expired or invalid")
	// ErrRateLimited is matched by the Graph API's rate-limit errors
	// (codes 4, 17, 32, 613 and the business use case codes 80001, 80002).
	ErrRateLimited = errors.New("graph API rate limit reached")
)

var rateLimitCodes = []int{4, 17, 32, 613, 80001, 80002}

// When a rate-limited response names no wait, the one-hour rolling window
// the platform limits are counted in is the honest guess.
const defaultRateLimitWait = time.Hour

// GraphError is a failed Graph API request: the error object the API sent
// ({"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}) and
// the HTTP failure, which errors.As finds as *collectors.HTTPError.
type GraphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	FBTraceID string `json:"fbtrace_id"`

	HTTP *collectors.HTTPError `json:"-"`
}

func (e *GraphError) Error() string {
	msg := e.HTTP.Error()
	switch {
	case e.Code == 190:
		msg += ": the access token has expired or was revoked; create a new long-lived token and update the secret"
	case e.RateLimited():
		msg += ": rate limit reached"
	}
	if e.FBTraceID != "" {
		msg += " (fbtrace_id " + e.FBTraceID + ")"
	}
	return msg
}

func (e *GraphError) Unwrap() error { return e.HTTP }

// Is matches ErrTokenExpired and ErrRateLimited.
func (e *GraphError) Is(target error) bool {
	switch target {
	case ErrTokenExpired:
		return e.Code == 190
	case ErrRateLimited:
		return e.RateLimited()
	}
	return false
}

// RateLimited reports whether the error is one of the Graph API's rate limits.
func (e *GraphError) RateLimited() bool { return slices.Contains(rateLimitCodes, e.Code) }

// Graph is the small Graph API client the Facebook and Instagram collectors
// share. The token travels in the Authorization header, never in a URL that
// could end up in a log or an error.
type Graph struct {
	Client  *http.Client
	Base    string // e.g. DefaultBaseURL
	Token   string
	Timeout time.Duration
	Now     func() time.Time
}

// Get fetches path (relative to Base, e.g. "/ig_hashtag_search") with params
// and decodes the JSON answer into out.
func (g *Graph) Get(ctx context.Context, path string, params url.Values, out any) error {
	u := strings.TrimRight(g.Base, "/") + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	return g.get(ctx, u, out)
}

// GetNext fetches a paging.next address the API returned, after checking
// that it points at the same API (a response may not send us elsewhere) and
// dropping any access_token it carries.
func (g *Graph) GetNext(ctx context.Context, next string, out any) error {
	n, err := url.Parse(next)
	if err != nil {
		return fmt.Errorf("unusable paging.next %q: %w", next, err)
	}
	b, err := url.Parse(g.Base)
	if err != nil {
		return fmt.Errorf("unusable base URL %q: %w", g.Base, err)
	}
	if n.Scheme != b.Scheme || n.Host != b.Host {
		return fmt.Errorf("paging.next points at %s://%s, not %s://%s", n.Scheme, n.Host, b.Scheme, b.Host)
	}
	q := n.Query()
	q.Del("access_token")
	n.RawQuery = q.Encode()
	return g.get(ctx, n.String(), out)
}

func (g *Graph) get(ctx context.Context, u string, out any) error {
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	ctx, cancel := collectors.WithDeadline(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := g.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read response of %s: %w", stripQuery(u), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &collectors.HTTPError{URL: stripQuery(u), StatusCode: resp.StatusCode, RetryAfter: collectors.RetryAfter(resp.Header, now())}
		var wrapper struct {
			Error *GraphError `json:"error"`
		}
		if json.Unmarshal(body, &wrapper) != nil || wrapper.Error == nil {
			return he
		}
		ge := wrapper.Error
		ge.HTTP = he
		he.Message = fmt.Sprintf("%s (#%d", ge.Message, ge.Code)
		if ge.Subcode != 0 {
			he.Message += fmt.Sprintf(", subcode %d", ge.Subcode)
		}
		he.Message += ")"
		if ge.RateLimited() && he.RetryAfter == 0 {
			he.RetryAfter = usageWait(resp.Header)
			if he.RetryAfter == 0 {
				he.RetryAfter = defaultRateLimitWait
			}
		}
		return ge
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("malformed response from %s: %w", stripQuery(u), err)
	}
	return nil
}

// usageWait reads the longest estimated_time_to_regain_access (minutes) of
// an X-Business-Use-Case-Usage header:
// {"<business-id>": [{"type": "instagram", "call_count": 100, …, "estimated_time_to_regain_access": 19}]}.
func usageWait(h http.Header) time.Duration {
	raw := h.Get("X-Business-Use-Case-Usage")
	if raw == "" {
		return 0
	}
	var usage map[string][]struct {
		Minutes float64 `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(raw), &usage) != nil {
		return 0
	}
	var longest float64
	for _, entries := range usage {
		for _, e := range entries {
			longest = max(longest, e.Minutes)
		}
	}
	return time.Duration(longest * float64(time.Minute))
}

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// ParseTime reads the Graph API's timestamps ("2026-11-20T11:50:00+0000").
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02T15:04:05-0700", s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	return t.UTC(), err
}
