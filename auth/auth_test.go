package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// clock is an injectable time source tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const annaPassword = "correct horse battery"

type fixture struct {
	st    *store.Store
	svc   *Service
	clock *clock
	anna  model.Moderator // a moderator
	admin model.Moderator // an admin
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	// The store sweeps sessions by the real clock, so the test clock starts at it.
	c := &clock{now: time.Now()}
	opts.Now = c.Now
	f := &fixture{st: st, svc: New(st, opts), clock: c}
	hash, err := HashPassword(annaPassword)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if f.anna, err = st.CreateModerator(ctx, model.Moderator{Name: "anna", PasswordHash: hash, Role: model.RoleModerator}); err != nil {
		t.Fatalf("CreateModerator: %v", err)
	}
	if f.admin, err = st.CreateModerator(ctx, model.Moderator{Name: "boss", PasswordHash: hash, Role: model.RoleAdmin}); err != nil {
		t.Fatalf("CreateModerator: %v", err)
	}
	return f
}

func (f *fixture) login(t *testing.T, name string) string {
	t.Helper()
	token, _, err := f.svc.Login(context.Background(), "192.0.2.1", name, annaPassword)
	if err != nil {
		t.Fatalf("Login(%s): %v", name, err)
	}
	return token
}

func TestHashPassword(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		wantErr error
	}{
		{"nine characters", "123456789", ErrPasswordTooShort},
		{"nine multibyte characters count as nine", "ééééééééé", ErrPasswordTooShort},
		{"empty", "", ErrPasswordTooShort},
		{"ten characters", "1234567890", nil},
		{"73 bytes", strings.Repeat("x", 73), ErrPasswordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := HashPassword(tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("HashPassword(%q) error = %v, want %v", tt.pw, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if hash == tt.pw || !strings.HasPrefix(hash, "$2") {
				t.Errorf("hash = %q, want a bcrypt hash", hash)
			}
			if !CheckPassword(hash, tt.pw) {
				t.Errorf("CheckPassword(hash, %q) = false, want true", tt.pw)
			}
			if CheckPassword(hash, tt.pw+"x") {
				t.Errorf("CheckPassword(hash, %q) = true, want false", tt.pw+"x")
			}
		})
	}
	if CheckPassword("not a hash", "not a hash") {
		t.Error("CheckPassword with a malformed hash = true, want false")
	}
}

func TestGeneratePassword(t *testing.T) {
	a, b := GeneratePassword(), GeneratePassword()
	if a == b {
		t.Errorf("two generated passwords are equal: %q", a)
	}
	groups := strings.Split(a, "-")
	if len(groups) != 4 {
		t.Fatalf("GeneratePassword() = %q, want 4 dash-separated groups", a)
	}
	for _, g := range groups {
		if len(g) != 5 || strings.Trim(g, passwordAlphabet) != "" {
			t.Errorf("group %q of %q: want 5 characters from %q", g, a, passwordAlphabet)
		}
	}
	if _, err := HashPassword(a); err != nil {
		t.Errorf("HashPassword(GeneratePassword()) error = %v, want nil", err)
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()

	t.Run("right password starts a session", func(t *testing.T) {
		token, m, err := f.svc.Login(ctx, "192.0.2.1", "Anna", annaPassword)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		if m.ID != f.anna.ID {
			t.Errorf("moderator ID = %d, want %d", m.ID, f.anna.ID)
		}
		if len(token) != 43 { // 32 bytes, base64url without padding
			t.Errorf("token %q has %d characters, want 43", token, len(token))
		}
		got, err := f.svc.Authenticate(ctx, token)
		if err != nil || got.Name != "anna" {
			t.Errorf("Authenticate(token) = %q, %v; want anna, nil", got.Name, err)
		}
		// Only the token's hash is stored.
		if _, err := f.st.SessionByTokenHash(ctx, token, f.clock.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session found by the raw token (err %v): the token itself is stored", err)
		}
		if _, err := f.st.SessionByTokenHash(ctx, hashToken(token), f.clock.Now()); err != nil {
			t.Errorf("session by token hash: %v", err)
		}
	})

	wrongPw := func() error {
		_, _, err := f.svc.Login(ctx, "192.0.2.2", "anna", "wrong password!")
		return err
	}
	unknown := func() error {
		_, _, err := f.svc.Login(ctx, "192.0.2.2", "nobody", annaPassword)
		return err
	}
	errWrong, errUnknown := wrongPw(), unknown()
	for name, err := range map[string]error{"wrong password": errWrong, "unknown name": errUnknown} {
		t.Run(name, func(t *testing.T) {
			if !errors.Is(err, ErrBadCredentials) {
				t.Errorf("Login error = %v, want ErrBadCredentials", err)
			}
		})
	}
	if errWrong != errUnknown {
		t.Errorf("wrong password gives %v, unknown name %v: they must be indistinguishable", errWrong, errUnknown)
	}
}

func TestLoginRateLimit(t *testing.T) {
	ctx := context.Background()

	t.Run("per account", func(t *testing.T) {
		f := newFixture(t, Options{})
		for i := range MaxFailuresPerName {
			// Each failure from another address: the account limit must hold on its own.
			ip := "198.51.100." + string(rune('1'+i))
			if _, _, err := f.svc.Login(ctx, ip, "anna", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: error = %v, want ErrBadCredentials", i+1, err)
			}
			f.clock.Advance(time.Minute)
		}
		_, _, err := f.svc.Login(ctx, "203.0.113.9", "ANNA", annaPassword)
		var le *LimitError
		if !errors.Is(err, ErrTooManyAttempts) || !errors.As(err, &le) {
			t.Fatalf("login after %d failures: error = %v, want a *LimitError matching ErrTooManyAttempts", MaxFailuresPerName, err)
		}
		// The first failure was 5 minutes ago: it leaves the window in 10.
		if want := LoginWindow - time.Duration(MaxFailuresPerName)*time.Minute; le.RetryAfter != want {
			t.Errorf("RetryAfter = %v, want %v", le.RetryAfter, want)
		}
		if !strings.Contains(err.Error(), "too many login attempts") {
			t.Errorf("error text %q does not say what happened", err)
		}
		// Another account is not affected.
		if _, _, err := f.svc.Login(ctx, "203.0.113.9", "boss", annaPassword); err != nil {
			t.Errorf("login to another account: %v, want nil", err)
		}
		f.clock.Advance(le.RetryAfter + time.Second)
		if _, _, err := f.svc.Login(ctx, "203.0.113.9", "anna", annaPassword); err != nil {
			t.Errorf("login once the window passed: %v, want nil", err)
		}
	})

	t.Run("per client address", func(t *testing.T) {
		f := newFixture(t, Options{})
		for i := range MaxFailuresPerClient {
			name := "guess" + string(rune('a'+i))
			if _, _, err := f.svc.Login(ctx, "198.51.100.7", name, "whatever123"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("failure %d: error = %v, want ErrBadCredentials", i+1, err)
			}
		}
		if _, _, err := f.svc.Login(ctx, "198.51.100.7", "anna", annaPassword); !errors.Is(err, ErrTooManyAttempts) {
			t.Errorf("login from the address after %d failures: error = %v, want ErrTooManyAttempts", MaxFailuresPerClient, err)
		}
		if _, _, err := f.svc.Login(ctx, "198.51.100.8", "anna", annaPassword); err != nil {
			t.Errorf("login from another address: %v, want nil", err)
		}
	})

	t.Run("success clears the account's failures", func(t *testing.T) {
		f := newFixture(t, Options{})
		fail := func(n int) {
			for range n {
				if _, _, err := f.svc.Login(ctx, "198.51.100.1", "anna", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("error = %v, want ErrBadCredentials", err)
				}
			}
		}
		fail(MaxFailuresPerName - 1)
		f.login(t, "anna")
		fail(MaxFailuresPerName - 1)
		f.login(t, "anna")
	})
}

func TestLogout(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	a1, a2, b := f.login(t, "anna"), f.login(t, "anna"), f.login(t, "boss")

	if err := f.svc.Logout(ctx, a1); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, a1); !errors.Is(err, ErrNoSession) {
		t.Errorf("after Logout, Authenticate = %v, want ErrNoSession", err)
	}
	if _, err := f.svc.Authenticate(ctx, a2); err != nil {
		t.Errorf("Logout ended anna's other session too: %v", err)
	}
	if err := f.svc.LogoutEverywhere(ctx, f.anna.ID); err != nil {
		t.Fatalf("LogoutEverywhere: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, a2); !errors.Is(err, ErrNoSession) {
		t.Errorf("after LogoutEverywhere, Authenticate = %v, want ErrNoSession", err)
	}
	if _, err := f.svc.Authenticate(ctx, b); err != nil {
		t.Errorf("LogoutEverywhere(anna) ended boss's session: %v", err)
	}
	if err := f.svc.Logout(ctx, "never-issued"); err != nil {
		t.Errorf("Logout of an unknown token = %v, want nil", err)
	}
}

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		f := newFixture(t, Options{CookieSecure: secure, SessionTTL: time.Hour})
		rec := httptest.NewRecorder()
		f.svc.SetSessionCookie(rec, "tok")
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("got %d cookies, want 1", len(cookies))
		}
		c := cookies[0]
		if c.Name != "cw_session" || c.Value != "tok" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
			c.Path != "/" || c.Secure != secure || c.MaxAge != 3600 {
			t.Errorf("cookie = %+v, want cw_session=tok HttpOnly SameSite=Lax Path=/ Secure=%v MaxAge=3600", c, secure)
		}
	}
}

// echoModerator answers with the name of the moderator in the context.
var echoModerator = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	m, ok := ModeratorFromContext(r.Context())
	if !ok {
		http.Error(w, "no moderator in context", http.StatusTeapot)
		return
	}
	w.Write([]byte(m.Name))
})

func TestRequire(t *testing.T) {
	f := newFixture(t, Options{SessionTTL: time.Hour})
	expired := f.login(t, "anna")
	// Age the clock so "expired" is past its TTL, then log in afresh for the live ones.
	f.clock.Advance(2 * time.Hour)
	anna, boss := f.login(t, "anna"), f.login(t, "boss")

	tests := []struct {
		name         string
		admin        bool
		method       string
		target       string
		token        string
		wantStatus   int
		wantLocation string
		wantBody     string
	}{
		{"GET without session redirects to login", false, "GET", "/moderate?status=approved", "", 303, "/login?next=%2Fmoderate%3Fstatus%3Dapproved", ""},
		{"HEAD without session redirects", false, "HEAD", "/moderate", "", 303, "/login?next=%2Fmoderate", ""},
		{"POST without session is 401", false, "POST", "/moderate/posts/1/approve", "", 401, "", ""},
		{"unknown token redirects", false, "GET", "/moderate", "forged", 303, "/login?next=%2Fmoderate", ""},
		{"expired session redirects", false, "GET", "/moderate", expired, 303, "/login?next=%2Fmoderate", ""},
		{"expired session POST is 401", false, "POST", "/moderate/posts/1/approve", expired, 401, "", ""},
		{"valid session passes with the moderator", false, "GET", "/moderate", anna, 200, "", "anna"},
		{"admin page refuses a moderator", true, "GET", "/admin", anna, 403, "", ""},
		{"admin page lets an admin in", true, "GET", "/admin", boss, 200, "", "boss"},
		{"admin page without session redirects", true, "GET", "/admin", "", 303, "/login?next=%2Fadmin", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := f.svc.Require(echoModerator)
			if tt.admin {
				h = f.svc.RequireAdmin(echoModerator)
			}
			req := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.token != "" {
				req.AddCookie(&http.Cookie{Name: CookieName, Value: tt.token})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
			if tt.token == expired {
				// A dead cookie is cleared so the browser stops sending it.
				cs := rec.Result().Cookies()
				if len(cs) != 1 || cs[0].Name != CookieName || cs[0].MaxAge >= 0 {
					t.Errorf("cookies = %+v, want %s cleared", cs, CookieName)
				}
			}
		})
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/moderate", "/moderate"},
		{"/moderate?status=approved&before=12", "/moderate?status=approved&before=12"},
		{"", "/fallback"},
		{"moderate", "/fallback"},
		{"//evil.example/x", "/fallback"},
		{`/\evil.example`, "/fallback"},
		{"https://evil.example/", "/fallback"},
		{"javascript:alert(1)", "/fallback"},
		{"/x\r\nSet-Cookie: a=b", "/fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := LocalPath(tt.in, "/fallback"); got != tt.want {
				t.Errorf("LocalPath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCrossOrigin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("done")) })
	h := CrossOrigin(ok)
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		want    int
	}{
		{"POST from a cross-site page", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST from a same-site sibling", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"POST with a foreign Origin", "POST", map[string]string{"Origin": "https://evil.example"}, 403},
		{"POST from our own page", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"POST with our Origin", "POST", map[string]string{"Origin": "http://example.com"}, 200},
		{"POST typed in the address bar / non-browser", "POST", nil, 200},
		{"GET from a cross-site page", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://example.com/moderate/posts/1/approve", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 403 && strings.Contains(rec.Body.String(), "done") {
				t.Error("refused request reached the handler")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	embedCSP := strings.Replace(DefaultCSP, "frame-ancestors 'none'", "frame-ancestors https://partner.example", 1)
	tests := []struct {
		name string
		h    http.Handler
		want map[string]string
	}{
		{"default", SecurityHeaders(ok), map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "same-origin",
			"X-Content-Type-Options":  "nosniff",
		}},
		{"framable embed", SecurityHeadersCSP(embedCSP, ok), map[string]string{
			"Content-Security-Policy": embedCSP,
			"X-Frame-Options":         "",
			"Referrer-Policy":         "same-origin",
			"X-Content-Type-Options":  "nosniff",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			for k, want := range tt.want {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
