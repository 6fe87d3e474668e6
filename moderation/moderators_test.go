package moderation

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// addAdmin creates the admin "ada" and returns her ID.
func (s *server) addAdmin(t *testing.T) int64 {
	t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.st.CreateModerator(context.Background(), model.Moderator{Name: "ada", PasswordHash: hash, Role: model.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func (s *server) moderatorID(t *testing.T, name string) int64 {
	t.Helper()
	m, err := s.st.ModeratorByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestModeratorsPageAdminsOnly(t *testing.T) {
	s := newServer(t)
	s.addAdmin(t)
	anna, ada := s.login(t, "anna"), s.login(t, "ada")
	bobID := idString(s.moderatorID(t, "bob"))
	for _, r := range []request{
		{method: "GET", target: "/admin/moderators"},
		{method: "POST", target: "/admin/moderators", form: url.Values{"name": {"mallory"}}},
		{method: "POST", target: "/admin/moderators/" + bobID + "/remove", form: url.Values{}},
		{method: "POST", target: "/admin/moderators/" + bobID + "/password", form: url.Values{}},
		{method: "POST", target: "/admin/moderators/" + bobID + "/logout", form: url.Values{}},
	} {
		r.cookie, r.headers = anna, sameOrigin()
		if rec := s.do(t, r); rec.Code != http.StatusForbidden {
			t.Errorf("%s %s as a moderator: status %d, want 403", r.method, r.target, rec.Code)
		}
	}
	if _, err := s.st.ModeratorByName(context.Background(), "mallory"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a moderator added an account: %v", err)
	}
	if _, err := s.st.ModeratorByName(context.Background(), "bob"); err != nil {
		t.Errorf("a moderator removed bob: %v", err)
	}
	doc := parse(t, s.do(t, request{method: "GET", target: "/admin/moderators", cookie: ada}))
	got := doc.Find(`[data-testid="moderator"]`).Map(func(_ int, s2 *goquery.Selection) string {
		return s2.AttrOr("data-name", "") + ":" + s2.AttrOr("data-role", "")
	})
	if strings.Join(got, " ") != "ada:admin anna:moderator bob:moderator" {
		t.Errorf("moderators listed = %v, want ada:admin anna:moderator bob:moderator", got)
	}
	// Nobody is offered to remove themselves.
	if n := doc.Find(`[data-name="ada"] [data-testid="remove-moderator"]`).Length(); n != 0 {
		t.Errorf("ada is offered to remove herself (%d buttons)", n)
	}
}

func TestAddModerator(t *testing.T) {
	s := newServer(t)
	s.addAdmin(t)
	ada := s.login(t, "ada")
	add := func(form url.Values) *httptest.ResponseRecorder {
		return s.do(t, request{method: "POST", target: "/admin/moderators", cookie: ada, headers: sameOrigin(), form: form})
	}
	// Generated: shown once, and it works.
	rec := add(url.Values{"name": {"carla"}})
	if rec.Code != 200 {
		t.Fatalf("add: status %d, want 200", rec.Code)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page with a password: Cache-Control %q, want no-store", cc)
	}
	doc := parse(t, rec)
	generated := doc.Find(`[data-testid="new-password-value"]`).Text()
	if len(generated) < auth.MinPasswordLength {
		t.Fatalf("generated password %q, want one shown", generated)
	}
	if _, _, err := auth.New(s.st, auth.Options{}).Login(context.Background(), "192.0.2.1", "carla", generated); err != nil {
		t.Errorf("login with the generated password: %v", err)
	}
	if again := parse(t, s.do(t, request{method: "GET", target: "/admin/moderators", cookie: ada})); again.Find(`[data-testid="new-password"]`).Length() != 0 {
		t.Error("the password is shown again on the next visit")
	}

	tests := []struct {
		name      string
		form      url.Values
		wantCode  int
		wantError string
	}{
		{"typed password, admin", url.Values{"name": {"dora"}, "password": {"a long enough passphrase"}, "role": {"admin"}}, 200, ""},
		{"too short", url.Values{"name": {"eve"}, "password": {"short"}}, 400, "shorter than 10"},
		{"taken name", url.Values{"name": {"ANNA"}}, 400, "already a moderator"},
		{"no name", url.Values{"name": {"  "}}, 400, "Give the moderator a name"},
		{"line break", url.Values{"name": {"a\nb"}}, 400, "line breaks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := add(tt.form)
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantCode)
			}
			doc := parse(t, rec)
			if got := doc.Find(`[data-testid="moderators-error"]`).Text(); !strings.Contains(got, tt.wantError) || (tt.wantError == "" && got != "") {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
			if tt.wantError == "" && doc.Find(`[data-testid="new-password"]`).Length() != 0 {
				t.Error("a typed password is shown back")
			}
		})
	}
	if m, err := s.st.ModeratorByName(context.Background(), "dora"); err != nil || m.Role != model.RoleAdmin {
		t.Errorf("dora: %+v, %v; want an admin", m, err)
	}
}

func TestRemoveModerator(t *testing.T) {
	s := newServer(t)
	adaID := s.addAdmin(t)
	ada, bob := s.login(t, "ada"), s.login(t, "bob")
	remove := func(id int64) *httptest.ResponseRecorder {
		return s.do(t, request{method: "POST", target: "/admin/moderators/" + idString(id) + "/remove", cookie: ada, headers: sameOrigin(), form: url.Values{}})
	}
	if rec := remove(adaID); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "cannot remove your own account") {
		t.Errorf("removing herself: status %d, want 409 with a reason", rec.Code)
	}
	if rec := remove(s.moderatorID(t, "bob")); rec.Code != http.StatusSeeOther {
		t.Errorf("removing bob: status %d, want 303", rec.Code)
	}
	if rec := s.do(t, request{method: "GET", target: "/moderate", cookie: bob}); rec.Code != http.StatusSeeOther {
		t.Errorf("bob's session after removal: status %d, want 303 to login", rec.Code)
	}
	if rec := remove(9999); rec.Code != http.StatusNotFound {
		t.Errorf("removing nobody: status %d, want 404", rec.Code)
	}
}

func TestCannotRemoveLastAdmin(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	adaID := s.addAdmin(t)
	if err := s.st.RemoveModerator(ctx, adaID); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("removing the only admin: %v, want ErrLastAdmin", err)
	}
	// With a second admin, either may go, but not both.
	hash, _ := auth.HashPassword(password)
	ed, err := s.st.CreateModerator(ctx, model.Moderator{Name: "ed", PasswordHash: hash, Role: model.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	edCookie := s.login(t, "ed")
	rec := s.do(t, request{method: "POST", target: "/admin/moderators/" + idString(adaID) + "/remove", cookie: edCookie, headers: sameOrigin(), form: url.Values{}})
	if rec.Code != http.StatusSeeOther {
		t.Errorf("ed removing ada: status %d, want 303", rec.Code)
	}
	if err := s.st.RemoveModerator(ctx, ed.ID); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("removing the last admin left: %v, want ErrLastAdmin", err)
	}
}

func TestResetPassword(t *testing.T) {
	s := newServer(t)
	s.addAdmin(t)
	ada, anna := s.login(t, "ada"), s.login(t, "anna")
	rec := s.do(t, request{method: "POST", target: "/admin/moderators/" + idString(s.moderatorID(t, "anna")) + "/password", cookie: ada, headers: sameOrigin(), form: url.Values{}})
	if rec.Code != 200 {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	newPassword := parse(t, rec).Find(`[data-testid="new-password-value"]`).Text()
	a := auth.New(s.st, auth.Options{})
	if _, _, err := a.Login(context.Background(), "192.0.2.1", "anna", password); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("old password after reset: %v, want ErrBadCredentials", err)
	}
	if _, _, err := a.Login(context.Background(), "192.0.2.1", "anna", newPassword); err != nil {
		t.Errorf("new password %q: %v", newPassword, err)
	}
	if rec := s.do(t, request{method: "GET", target: "/moderate", cookie: anna}); rec.Code != http.StatusSeeOther {
		t.Errorf("anna's old session after reset: status %d, want 303", rec.Code)
	}
}

func TestLogoutEverywhere(t *testing.T) {
	s := newServer(t)
	s.addAdmin(t)
	ada := s.login(t, "ada")
	annaLaptop, annaPhone, bob := s.login(t, "anna"), s.login(t, "anna"), s.login(t, "bob")
	alive := func(cookie string) bool {
		return s.do(t, request{method: "GET", target: "/moderate", cookie: cookie}).Code == 200
	}

	// An admin ends all of anna's sessions; bob's and her own stay.
	rec := s.do(t, request{method: "POST", target: "/admin/moderators/" + idString(s.moderatorID(t, "anna")) + "/logout", cookie: ada, headers: sameOrigin(), form: url.Values{}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", rec.Code)
	}
	for name, c := range map[string]struct {
		cookie string
		want   bool
	}{"anna's laptop": {annaLaptop, false}, "anna's phone": {annaPhone, false}, "bob": {bob, true}, "ada": {ada, true}} {
		if got := alive(c.cookie); got != c.want {
			t.Errorf("%s's session alive = %v, want %v", name, got, c.want)
		}
	}

	// bob, on his own account, from one device: every device is logged out.
	bobPhone := s.login(t, "bob")
	rec = s.do(t, request{method: "POST", target: "/logout/everywhere", cookie: bob, headers: sameOrigin(), form: url.Values{}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("logout everywhere: %d to %q, want 303 to /login", rec.Code, rec.Header().Get("Location"))
	}
	if alive(bob) || alive(bobPhone) {
		t.Errorf("bob's sessions alive after logging out everywhere: %v, %v", alive(bob), alive(bobPhone))
	}
	if !alive(ada) {
		t.Error("ada's session ended by bob's logout everywhere")
	}
}

// TestNewRoutesNeedSession: every new page and form refuses requests
// without a session: pages send to the login, forms get 401.
func TestNewRoutesNeedSession(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		method, target string
		wantStatus     int
	}{
		{"GET", "/moderate?language=pt&q=x", 303},
		{"GET", "/moderate/bulk?action=approve", 303},
		{"POST", "/moderate/bulk", 401},
		{"GET", "/admin/audit", 303},
		{"GET", "/admin/audit.csv", 303},
		{"GET", "/admin/moderators", 303},
		{"POST", "/admin/moderators", 401},
		{"POST", "/admin/moderators/1/remove", 401},
		{"POST", "/admin/moderators/1/password", 401},
		{"POST", "/admin/moderators/1/logout", 401},
		{"POST", "/logout/everywhere", 401},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := s.do(t, request{method: tt.method, target: tt.target, form: url.Values{"action": {"approve"}, "ids": {"1"}, "name": {"x"}}, headers: sameOrigin()})
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == 303 && !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
				t.Errorf("Location = %q, want the login page", rec.Header().Get("Location"))
			}
		})
	}
}

func TestNewFormsRefuseCrossOrigin(t *testing.T) {
	s := newServer(t)
	ids := s.summitPosts(t)
	s.addAdmin(t)
	ada := s.login(t, "ada")
	annaID := idString(s.moderatorID(t, "anna"))
	for _, target := range []string{"/moderate/bulk", "/admin/moderators", "/admin/moderators/" + annaID + "/remove",
		"/admin/moderators/" + annaID + "/password", "/admin/moderators/" + annaID + "/logout", "/logout/everywhere"} {
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			rec := s.do(t, request{method: "POST", target: target, cookie: ada, headers: h,
				form: url.Values{"action": {"approve"}, "ids": {idList(ids["pt"])}, "name": {"mallory"}}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("cross-origin POST %s (%v): status %d, want 403", target, h, rec.Code)
			}
		}
	}
	if p, _ := s.st.PostByID(context.Background(), ids["pt"][0]); p.Status != model.StatusPending {
		t.Errorf("post after cross-origin bulk approve: %s, want pending", p.Status)
	}
	if _, err := s.st.ModeratorByName(context.Background(), "anna"); err != nil {
		t.Errorf("anna after cross-origin remove: %v", err)
	}
	if rec := s.do(t, request{method: "GET", target: "/moderate", cookie: ada}); rec.Code != 200 {
		t.Errorf("ada's session after cross-origin logouts: status %d, want 200", rec.Code)
	}
}

func TestNewPagesSecurityHeaders(t *testing.T) {
	s := newServer(t)
	s.summitPosts(t)
	s.addAdmin(t)
	ada := s.login(t, "ada")
	for _, target := range []string{"/moderate?language=pt&q=coes%C3%A3o", "/moderate/bulk?action=approve&language=pt", "/admin/audit", "/admin/audit.csv", "/admin/moderators"} {
		t.Run(target, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: target, cookie: ada})
			if rec.Code != 200 {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != auth.DefaultCSP {
				t.Errorf("CSP = %q, want %q", got, auth.DefaultCSP)
			}
			if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q, want DENY", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}
