package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

const password = "correct horse battery"

// recordingNotifier keeps every post it was told about.
type recordingNotifier struct {
	mu    sync.Mutex
	posts []model.Post
}

func (n *recordingNotifier) PostChanged(p model.Post) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.posts = append(n.posts, p)
}

func (n *recordingNotifier) got() []model.Post {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]model.Post(nil), n.posts...)
}

type server struct {
	st       *store.Store
	mux      *http.ServeMux
	notifier *recordingNotifier
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "moderation.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	for _, name := range []string{"anna", "bob"} {
		if _, err := st.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: hash}); err != nil {
			t.Fatalf("CreateModerator: %v", err)
		}
	}
	s := &server{st: st, mux: http.NewServeMux(), notifier: &recordingNotifier{}}
	NewHandler(st, auth.New(st, auth.Options{}), s.notifier, nil, Options{CampaignName: "#CohesionAlliance"}).Routes(s.mux)
	return s
}

// savePosts stores n pending posts, published a minute apart (post n newest),
// and returns them with their IDs.
func (s *server) savePosts(t *testing.T, n int) []model.Post {
	t.Helper()
	var in []model.Post
	for i := 1; i <= n; i++ {
		in = append(in, model.Post{
			Network: model.NetworkMastodon, URI: fmt.Sprintf("https://example.social/users/anna/statuses/%d", i),
			Author:      model.Author{Handle: "anna@example.social", DisplayName: "Anna"},
			HTML:        fmt.Sprintf("<p>post %d #CohesionAlliance</p>", i),
			PublishedAt: time.Date(2026, 10, 1, 12, i, 0, 0, time.UTC),
		})
	}
	res, err := s.st.SavePosts(context.Background(), "test", in, "")
	if err != nil || len(res.New) != n {
		t.Fatalf("SavePosts: %d new, %v; want %d, nil", len(res.New), err, n)
	}
	return res.New
}

type request struct {
	method, target string
	form           url.Values
	cookie         string
	headers        map[string]string
}

func (s *server) do(t *testing.T, r request) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if r.form != nil {
		req = httptest.NewRequest(r.method, r.target, strings.NewReader(r.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(r.method, r.target, nil)
	}
	req.RemoteAddr = "192.0.2.10:5000"
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: r.cookie})
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return rec
}

// login logs in through the form, as a browser would, and returns the session cookie's value.
func (s *server) login(t *testing.T, name string) string {
	t.Helper()
	rec := s.do(t, request{method: "POST", target: "/login", form: url.Values{"name": {name}, "password": {password}},
		headers: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303 (body %q)", name, rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.CookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("login %s: no %s cookie set", name, auth.CookieName)
	return ""
}

func sameOrigin() map[string]string { return map[string]string{"Sec-Fetch-Site": "same-origin"} }

func parse(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func TestRoutesNeedSession(t *testing.T) {
	s := newServer(t)
	p := s.savePosts(t, 1)[0]
	id := idString(p.ID)
	tests := []struct {
		method, target string
		wantStatus     int
		wantLocation   string
	}{
		{"GET", "/moderate", 303, "/login?next=%2Fmoderate"},
		{"GET", "/moderate?status=approved", 303, "/login?next=%2Fmoderate%3Fstatus%3Dapproved"},
		{"POST", "/moderate/posts/" + id + "/approve", 401, ""},
		{"POST", "/moderate/posts/" + id + "/reject", 401, ""},
		{"POST", "/moderate/posts/" + id + "/retract", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := s.do(t, request{method: tt.method, target: tt.target, form: url.Values{}, headers: sameOrigin()})
			if rec.Code != tt.wantStatus || rec.Header().Get("Location") != tt.wantLocation {
				t.Errorf("got %d Location %q, want %d Location %q", rec.Code, rec.Header().Get("Location"), tt.wantStatus, tt.wantLocation)
			}
		})
	}
	if got, _ := s.st.PostByID(context.Background(), p.ID); got.Status != model.StatusPending {
		t.Errorf("post status = %s after unauthenticated requests, want pending", got.Status)
	}
}

func TestLogin(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name         string
		form         url.Values
		wantStatus   int
		wantLocation string
		wantError    string
	}{
		{"right password goes to the queue", url.Values{"name": {"anna"}, "password": {password}}, 303, "/moderate", ""},
		{"right password goes to next", url.Values{"name": {"anna"}, "password": {password}, "next": {"/moderate?status=approved"}}, 303, "/moderate?status=approved", ""},
		{"next to another site is ignored", url.Values{"name": {"anna"}, "password": {password}, "next": {"//evil.example/"}}, 303, "/moderate", ""},
		{"wrong password", url.Values{"name": {"anna"}, "password": {"not the password"}}, 401, "", "Wrong name or password."},
		{"unknown name", url.Values{"name": {"nobody"}, "password": {password}}, 401, "", "Wrong name or password."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "POST", target: "/login", form: tt.form, headers: sameOrigin()})
			if rec.Code != tt.wantStatus || rec.Header().Get("Location") != tt.wantLocation {
				t.Fatalf("got %d Location %q, want %d Location %q", rec.Code, rec.Header().Get("Location"), tt.wantStatus, tt.wantLocation)
			}
			if tt.wantError == "" {
				return
			}
			doc := parse(t, rec)
			if got := doc.Find(`[data-testid="login-error"]`).Text(); got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
			if got := doc.Find(`input[name="name"]`).AttrOr("value", ""); got != tt.form.Get("name") {
				t.Errorf("name field = %q, want %q kept", got, tt.form.Get("name"))
			}
		})
	}
}

func TestLoginRateLimitMessage(t *testing.T) {
	s := newServer(t)
	wrong := url.Values{"name": {"bob"}, "password": {"not the password"}}
	for range auth.MaxFailuresPerName {
		if rec := s.do(t, request{method: "POST", target: "/login", form: wrong, headers: sameOrigin()}); rec.Code != 401 {
			t.Fatalf("failed login: status %d, want 401", rec.Code)
		}
	}
	rec := s.do(t, request{method: "POST", target: "/login", form: url.Values{"name": {"bob"}, "password": {password}}, headers: sameOrigin()})
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got == "" {
		t.Error("no Retry-After header")
	}
	want := "Too many attempts; try again in 15 minutes."
	if got := parse(t, rec).Find(`[data-testid="login-error"]`).Text(); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestLoginPageRedirectsWhenLoggedIn(t *testing.T) {
	s := newServer(t)
	cookie := s.login(t, "anna")
	rec := s.do(t, request{method: "GET", target: "/login?next=%2Fmoderate%3Fstatus%3Drejected", cookie: cookie})
	if rec.Code != 303 || rec.Header().Get("Location") != "/moderate?status=rejected" {
		t.Errorf("got %d Location %q, want 303 /moderate?status=rejected", rec.Code, rec.Header().Get("Location"))
	}
	rec = s.do(t, request{method: "GET", target: "/login?next=%2Fmoderate"})
	if rec.Code != 200 {
		t.Fatalf("login page without session: status %d, want 200", rec.Code)
	}
	if got := parse(t, rec).Find(`input[name="next"]`).AttrOr("value", ""); got != "/moderate" {
		t.Errorf("next field = %q, want /moderate", got)
	}
}

func TestApprove(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	p := s.savePosts(t, 1)[0]
	approve := "/moderate/posts/" + idString(p.ID) + "/approve"
	anna, bob := s.login(t, "anna"), s.login(t, "bob")

	rec := s.do(t, request{method: "POST", target: approve, form: url.Values{"status": {"pending"}}, cookie: anna, headers: sameOrigin()})
	if rec.Code != 303 || rec.Header().Get("Location") != "/moderate" {
		t.Fatalf("approve: got %d Location %q, want 303 /moderate", rec.Code, rec.Header().Get("Location"))
	}
	got, err := s.st.PostByID(ctx, p.ID)
	if err != nil || got.Status != model.StatusApproved || got.DecidedBy != "anna" {
		t.Fatalf("post after approve: status %s by %q (err %v), want approved by anna", got.Status, got.DecidedBy, err)
	}
	ds, err := s.st.Decisions(ctx, store.DecisionFilter{PostID: p.ID})
	if err != nil || len(ds) != 1 || ds[0].Action != model.ActionApprove || ds[0].Actor != "anna" {
		t.Fatalf("decisions = %+v (err %v), want one approve by anna", ds, err)
	}
	notified := s.notifier.got()
	if len(notified) != 1 || notified[0].ID != p.ID || notified[0].Status != model.StatusApproved {
		t.Fatalf("notifier got %+v, want post %d approved", notified, p.ID)
	}

	t.Run("second approve in a browser shows who was first", func(t *testing.T) {
		rec := s.do(t, request{method: "POST", target: approve, form: url.Values{"status": {"pending"}}, cookie: bob, headers: sameOrigin()})
		wantLoc := "/moderate?conflict=" + idString(p.ID)
		if rec.Code != 303 || rec.Header().Get("Location") != wantLoc {
			t.Fatalf("got %d Location %q, want 303 %s", rec.Code, rec.Header().Get("Location"), wantLoc)
		}
		page := s.do(t, request{method: "GET", target: wantLoc, cookie: bob})
		want := fmt.Sprintf("Already approved by anna at %s.", got.DecidedAt.UTC().Format("15:04"))
		if notice := parse(t, page).Find(`[data-testid="notice"]`).Text(); notice != want {
			t.Errorf("notice = %q, want %q", notice, want)
		}
	})
	t.Run("second approve as JSON is 409 naming who was first", func(t *testing.T) {
		h := sameOrigin()
		h["Accept"] = "application/json"
		rec := s.do(t, request{method: "POST", target: approve, form: url.Values{}, cookie: bob, headers: h})
		if rec.Code != http.StatusConflict {
			t.Fatalf("status = %d, want 409", rec.Code)
		}
		var body decisionJSON
		if err := json.NewDecoder(rec.Body).Decode(&body); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if body.Error != "conflict" || body.Post == nil || body.Post.DecidedBy != "anna" || body.Post.Status != model.StatusApproved {
			t.Errorf("body = %+v (post %+v), want conflict, approved by anna", body, body.Post)
		}
	})
	if n := len(s.notifier.got()); n != 1 {
		t.Errorf("notifier called %d times, want 1 (refused decisions change nothing)", n)
	}
	if ds, _ := s.st.Decisions(ctx, store.DecisionFilter{PostID: p.ID}); len(ds) != 1 {
		t.Errorf("%d decision rows, want 1", len(ds))
	}
}

func TestRejectAndRetract(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	ps := s.savePosts(t, 2)
	anna := s.login(t, "anna")
	steps := []struct {
		name         string
		post         model.Post
		action       string
		form         url.Values
		wantLocation string
		wantStatus   model.Status
	}{
		{"reject", ps[0], "reject", url.Values{"status": {"pending"}, "reason": {"off topic"}}, "/moderate", model.StatusRejected},
		{"approve on page two", ps[1], "approve", url.Values{"status": {"pending"}, "before": {"99"}}, "/moderate?before=99", model.StatusApproved},
		{"retract from the approved tab", ps[1], "retract", url.Values{"status": {"approved"}}, "/moderate?status=approved", model.StatusRejected},
		{"unknown return page falls back", ps[0], "retract", url.Values{"status": {"<b>"}}, "/moderate?conflict=" + idString(ps[0].ID), model.StatusRejected},
	}
	for i, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "POST", target: "/moderate/posts/" + idString(tt.post.ID) + "/" + tt.action, form: tt.form, cookie: anna, headers: sameOrigin()})
			if rec.Code != 303 || rec.Header().Get("Location") != tt.wantLocation {
				t.Fatalf("got %d Location %q, want 303 %q", rec.Code, rec.Header().Get("Location"), tt.wantLocation)
			}
			got, err := s.st.PostByID(ctx, tt.post.ID)
			if err != nil || got.Status != tt.wantStatus {
				t.Errorf("status = %s (err %v), want %s", got.Status, err, tt.wantStatus)
			}
			if n := len(s.notifier.got()); n != min(i+1, 3) {
				t.Errorf("notifier called %d times, want %d", n, min(i+1, 3))
			}
		})
	}
	ds, err := s.st.Decisions(ctx, store.DecisionFilter{PostID: ps[0].ID})
	if err != nil || len(ds) != 1 || ds[0].Reason != "off topic" {
		t.Errorf("decisions of rejected post = %+v (err %v), want one with reason %q", ds, err, "off topic")
	}
}

func TestDecideBadRequests(t *testing.T) {
	s := newServer(t)
	anna := s.login(t, "anna")
	tests := []struct {
		name, target string
		want         int
	}{
		{"post ID is not a number", "/moderate/posts/abc/approve", 400},
		{"post ID is zero", "/moderate/posts/0/approve", 400},
		{"no such post", "/moderate/posts/12345/approve", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "POST", target: tt.target, form: url.Values{}, cookie: anna, headers: sameOrigin()})
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestCrossOriginDecisionRefused(t *testing.T) {
	s := newServer(t)
	p := s.savePosts(t, 1)[0]
	anna := s.login(t, "anna")
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"Origin of another site", map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range []string{"/moderate/posts/" + idString(p.ID) + "/approve", "/logout", "/login"} {
				rec := s.do(t, request{method: "POST", target: target, form: url.Values{}, cookie: anna, headers: tt.headers})
				if rec.Code != http.StatusForbidden {
					t.Errorf("POST %s: status %d, want 403", target, rec.Code)
				}
			}
		})
	}
	if got, _ := s.st.PostByID(context.Background(), p.ID); got.Status != model.StatusPending {
		t.Errorf("post status = %s, want pending", got.Status)
	}
	if n := len(s.notifier.got()); n != 0 {
		t.Errorf("notifier called %d times, want 0", n)
	}
	// The refused /logout must not have ended the session.
	if rec := s.do(t, request{method: "GET", target: "/moderate", cookie: anna}); rec.Code != 200 {
		t.Errorf("GET /moderate after refused logout: status %d, want 200", rec.Code)
	}
}

func TestSecurityHeadersOnPages(t *testing.T) {
	s := newServer(t)
	anna := s.login(t, "anna")
	for target, cookie := range map[string]string{"/login": "", "/moderate": anna, "/static/moderation/moderation.css": ""} {
		t.Run(target, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: target, cookie: cookie})
			if rec.Code != 200 {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != auth.DefaultCSP {
				t.Errorf("CSP = %q, want %q", got, auth.DefaultCSP)
			}
			if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q, want DENY", got)
			}
		})
	}
	if rec := s.do(t, request{method: "GET", target: "/moderate"}); rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("login redirect has no CSP header")
	}
}

func TestQueuePage(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	ps := s.savePosts(t, pageSize+2)
	anna := s.login(t, "anna")
	if _, err := s.st.Decide(ctx, model.Decision{PostID: ps[0].ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}

	rec := s.do(t, request{method: "GET", target: "/moderate", cookie: anna})
	if rec.Code != 200 {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	doc := parse(t, rec)
	cards := doc.Find(`[data-testid="queue-post"]`)
	if cards.Length() != pageSize {
		t.Fatalf("first page has %d posts, want %d", cards.Length(), pageSize)
	}
	// Newest first: the last saved post leads.
	if got, want := cards.First().AttrOr("data-post-id", ""), idString(ps[len(ps)-1].ID); got != want {
		t.Errorf("first post = %s, want %s (newest)", got, want)
	}
	counts := map[string]string{}
	doc.Find(`[data-testid="status-tab"]`).Each(func(_ int, s *goquery.Selection) {
		counts[s.AttrOr("data-status", "")] = s.Find(`[data-testid="status-count"]`).Text()
	})
	wantCounts := map[string]string{"pending": idString(pageSize + 1), "approved": "1", "rejected": "0", "removed": "0"}
	for st, want := range wantCounts {
		if counts[st] != want {
			t.Errorf("count %s = %q, want %q", st, counts[st], want)
		}
	}
	older := doc.Find(`[data-testid="older-link"]`).AttrOr("href", "")
	wantOlder := "/moderate?before=" + cards.Last().AttrOr("data-post-id", "")
	if older != wantOlder {
		t.Fatalf("older link = %q, want %q", older, wantOlder)
	}

	page2 := parse(t, s.do(t, request{method: "GET", target: older, cookie: anna}))
	if n := page2.Find(`[data-testid="queue-post"]`).Length(); n != 1 {
		t.Errorf("second page has %d posts, want 1 (the 51st pending)", n)
	}
	if n := page2.Find(`[data-testid="older-link"]`).Length(); n != 0 {
		t.Errorf("last page has an older link")
	}
	if got := page2.Find(`[data-testid="approve-button"]`).Closest("form").Find(`input[name="before"]`).AttrOr("value", ""); got == "" {
		t.Error("decision forms on page two do not keep the page")
	}

	approved := parse(t, s.do(t, request{method: "GET", target: "/moderate?status=approved", cookie: anna}))
	if ids := approved.Find(`[data-testid="queue-post"]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-post-id", "") }); len(ids) != 1 || ids[0] != idString(ps[0].ID) {
		t.Errorf("approved tab shows %v, want [%d]", ids, ps[0].ID)
	}
	if n := approved.Find(`[data-testid="retract-button"]`).Length(); n != 1 {
		t.Errorf("approved tab has %d retract buttons, want 1", n)
	}

	for _, target := range []string{"/moderate?status=bogus", "/moderate?before=-1", "/moderate?before=x"} {
		if rec := s.do(t, request{method: "GET", target: target, cookie: anna}); rec.Code != 400 {
			t.Errorf("GET %s: status %d, want 400", target, rec.Code)
		}
	}
}

func TestLogout(t *testing.T) {
	s := newServer(t)
	anna := s.login(t, "anna")
	rec := s.do(t, request{method: "POST", target: "/logout", form: url.Values{}, cookie: anna, headers: sameOrigin()})
	if rec.Code != 303 || rec.Header().Get("Location") != "/login" {
		t.Fatalf("logout: got %d Location %q, want 303 /login", rec.Code, rec.Header().Get("Location"))
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != auth.CookieName || cs[0].MaxAge >= 0 {
		t.Errorf("cookies = %+v, want %s cleared", cs, auth.CookieName)
	}
	if rec := s.do(t, request{method: "GET", target: "/moderate", cookie: anna}); rec.Code != 303 {
		t.Errorf("GET /moderate with the old cookie: status %d, want 303 to login", rec.Code)
	}
}

func TestStylesheet(t *testing.T) {
	s := newServer(t)
	rec := s.do(t, request{method: "GET", target: "/static/moderation/moderation.css"})
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") || !strings.Contains(rec.Body.String(), ":focus-visible") {
		t.Fatalf("got %d %q (%d bytes), want 200 text/css with focus styles", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	etag := rec.Header().Get("ETag")
	again := s.do(t, request{method: "GET", target: "/static/moderation/moderation.css", headers: map[string]string{"If-None-Match": etag}})
	if etag == "" || again.Code != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: status %d, want 304", etag, again.Code)
	}
}
