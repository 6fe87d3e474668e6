// Package auth owns moderator authentication for campaignwall: password
// hashing, login with rate limiting, server-side sessions carried by a
// cookie, the middleware that guards moderator pages, and the HTTP security
// headers and cross-origin (CSRF) protection every page gets.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// CookieName is the session cookie's name.
const CookieName = "cw_session"

// Login limits: after this many failures inside LoginWindow, further attempts
// are refused until the oldest failure leaves the window.
const (
	LoginWindow          = 15 * time.Minute
	MaxFailuresPerName   = 5
	MaxFailuresPerClient = 20
)

var (
	// ErrBadCredentials is returned for an unknown name and for a wrong
	// password alike, so a login form cannot be used to find account names.
	ErrBadCredentials = errors.New("wrong name or password")
	// ErrTooManyAttempts is matched (errors.Is) by the *LimitError Login
	// returns once an account or client has failed too often.
	ErrTooManyAttempts = errors.New("too many login attempts")
	// ErrNoSession is returned by Authenticate when the token names no live
	// session or the session's moderator no longer exists.
	ErrNoSession = errors.New("no valid session")
)

// LimitError says a login was refused by the rate limit and when to retry.
type LimitError struct {
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("too many login attempts: retry in %s", e.RetryAfter.Round(time.Second))
}

func (e *LimitError) Unwrap() error { return ErrTooManyAttempts }

// Options configure a Service. The zero value is usable.
type Options struct {
	SessionTTL   time.Duration    // how long a login lasts; 0 means 12h
	CookieSecure bool             // set the cookie's Secure flag (serve over HTTPS)
	Now          func() time.Time // clock, for tests; nil means time.Now
	Log          *slog.Logger     // nil discards
}

// Service logs moderators in and out and checks their sessions.
type Service struct {
	st      *store.Store
	ttl     time.Duration
	secure  bool
	now     func() time.Time
	log     *slog.Logger
	limiter *limiter
}

// New returns a Service over st.
func New(st *store.Store, opts Options) *Service {
	s := &Service{st: st, ttl: opts.SessionTTL, secure: opts.CookieSecure, now: opts.Now, log: opts.Log}
	if s.ttl <= 0 {
		s.ttl = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.limiter = newLimiter(LoginWindow, MaxFailuresPerName, MaxFailuresPerClient)
	// Compute the dummy hash now, not on the first unknown name, whose slower
	// answer would otherwise stand out.
	dummyHash()
	return s
}

// Login checks a moderator's name and password and starts a session. ip is
// the client's address, for the per-client limit. It returns the session
// token to put in the cookie (see SetSessionCookie); only its hash is stored.
// Errors: ErrBadCredentials, a *LimitError (errors.Is ErrTooManyAttempts),
// or a store failure.
func (s *Service) Login(ctx context.Context, ip, name, password string) (string, model.Moderator, error) {
	now := s.now()
	name = strings.TrimSpace(name)
	if retry, ok := s.limiter.reserve(now, ip, name); !ok {
		s.log.Warn("login refused by rate limit", slog.String("client_ip", ip))
		return "", model.Moderator{}, &LimitError{RetryAfter: retry}
	}
	m, err := s.st.ModeratorByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		CheckPassword(dummyHash(), password)
		// The attempted name is not logged: people type their password into the name field.
		s.log.Info("login failed", slog.String("client_ip", ip), slog.String("reason", "unknown name"))
		return "", model.Moderator{}, ErrBadCredentials
	case err != nil:
		return "", model.Moderator{}, fmt.Errorf("auth: login: %w", err)
	}
	if !CheckPassword(m.PasswordHash, password) {
		s.log.Info("login failed", slog.String("moderator", m.Name), slog.String("client_ip", ip), slog.String("reason", "wrong password"))
		return "", model.Moderator{}, ErrBadCredentials
	}
	token, hash := newToken()
	if err := s.st.CreateSession(ctx, model.Session{TokenHash: hash, ModeratorID: m.ID, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}); err != nil {
		return "", model.Moderator{}, fmt.Errorf("auth: login: %w", err)
	}
	s.limiter.succeeded(now, ip, name)
	s.log.Info("login", slog.String("moderator", m.Name), slog.String("client_ip", ip))
	return token, m, nil
}

// Logout ends the session the token belongs to. An unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.st.DeleteSession(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}

// LogoutEverywhere ends every session of a moderator, for a lost laptop or a
// departing staff member.
func (s *Service) LogoutEverywhere(ctx context.Context, moderatorID int64) error {
	if err := s.st.DeleteSessionsOf(ctx, moderatorID); err != nil {
		return fmt.Errorf("auth: logout everywhere: %w", err)
	}
	return nil
}

// Authenticate returns the moderator whose live session the token names, or
// ErrNoSession.
func (s *Service) Authenticate(ctx context.Context, token string) (model.Moderator, error) {
	if token == "" {
		return model.Moderator{}, ErrNoSession
	}
	sess, err := s.st.SessionByTokenHash(ctx, hashToken(token), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return model.Moderator{}, ErrNoSession
	}
	if err != nil {
		return model.Moderator{}, fmt.Errorf("auth: session: %w", err)
	}
	m, err := s.st.ModeratorByID(ctx, sess.ModeratorID)
	if errors.Is(err, store.ErrNotFound) {
		return model.Moderator{}, ErrNoSession
	}
	if err != nil {
		return model.Moderator{}, fmt.Errorf("auth: session: %w", err)
	}
	return m, nil
}

// SessionToken returns the session token the request's cookie carries, or "".
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// SetSessionCookie puts a token returned by Login in the response's cookie.
func (s *Service) SetSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, s.cookie(token, int(s.ttl/time.Second)))
}

// ClearSessionCookie tells the browser to forget its session cookie.
func (s *Service) ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie("", -1))
}

func (s *Service) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

type ctxKey struct{}

// ModeratorFromContext returns the moderator Require put in the request's context.
func ModeratorFromContext(ctx context.Context) (model.Moderator, bool) {
	m, ok := ctx.Value(ctxKey{}).(model.Moderator)
	return m, ok
}

// WithModerator returns ctx carrying m, as Require does. Handlers' tests use it.
func WithModerator(ctx context.Context, m model.Moderator) context.Context {
	return context.WithValue(ctx, ctxKey{}, m)
}

// Require lets a request through only with a valid session, with the
// moderator in its context. Without one, a page load (GET, HEAD) is
// redirected to the login page, which sends the moderator back afterwards;
// anything else gets 401, since replaying a form after login would surprise.
func (s *Service) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(WithModerator(r.Context(), m)))
	})
}

// RequireAdmin is Require for admins only: other moderators get 403.
func (s *Service) RequireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if m.Role != model.RoleAdmin {
			s.log.Warn("admin page refused", slog.String("moderator", m.Name), slog.String("path", r.URL.Path))
			http.Error(w, "This page is for admins.", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithModerator(r.Context(), m)))
	})
}

// authenticate answers the request itself and returns false when it carries
// no valid session.
func (s *Service) authenticate(w http.ResponseWriter, r *http.Request) (model.Moderator, bool) {
	token := SessionToken(r)
	m, err := s.Authenticate(r.Context(), token)
	if err == nil {
		return m, true
	}
	if !errors.Is(err, ErrNoSession) {
		s.log.Error("checking session", slog.String("path", r.URL.Path), slog.Any("error", err))
		http.Error(w, "Something went wrong checking your login. Please try again.", http.StatusInternalServerError)
		return model.Moderator{}, false
	}
	if token != "" {
		s.ClearSessionCookie(w) // expired or ended elsewhere: stop sending it
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(LocalPath(r.URL.RequestURI(), "/")), http.StatusSeeOther)
		return model.Moderator{}, false
	}
	http.Error(w, "Please log in.", http.StatusUnauthorized)
	return model.Moderator{}, false
}

// LocalPath returns p if it is a path on this site ("/moderate?status=x"),
// and fallback otherwise. Redirect targets taken from a request go through
// it, so a crafted link cannot send a moderator to another site after login.
func LocalPath(p, fallback string) string {
	// "//host" and "/\host" are read by browsers as another host.
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) {
		return fallback
	}
	if strings.ContainsAny(p, "\r\n\t\x00") {
		return fallback
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return p
}

// newToken returns a fresh session token and the hash the store keeps of it.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24 (it crashes the program instead)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is what the store keeps of a token, so a leaked database does
// not hand out live sessions. SHA-256 is enough: tokens are 256 random bits,
// nothing to brute-force.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
