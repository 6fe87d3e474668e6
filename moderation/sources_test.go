package moderation

import (
	"context"
	"errors"
	"net/http"
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

var sourcesNow = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// fakeRunner stands in for the scheduler: it records the runs asked for and
// reads run history from the store, where the scheduler keeps it.
type fakeRunner struct {
	st    *store.Store
	ran   []string
	err   error
	onRun func(name string)
}

func (f *fakeRunner) RunSource(ctx context.Context, name string) error {
	f.ran = append(f.ran, name)
	if f.onRun != nil {
		f.onRun(name)
	}
	return f.err
}

func (f *fakeRunner) NextSourceRun(name string) time.Time {
	if name == "cor news/fr" {
		return time.Time{}
	}
	return sourcesNow.Add(time.Minute)
}

func (f *fakeRunner) SourceRuns(ctx context.Context, name string, limit int) ([]model.Run, error) {
	return f.st.Runs(ctx, "collect:"+name, limit)
}

var configuredSources = []model.Source{
	{Name: "eupolis", Kind: "mastodon", URL: "https://eupolis.social", Schedule: "@every 1m"},
	{Name: "x-campaign", Kind: "x", Schedule: "@every 15m"},
	{Name: "cor news/fr", Kind: "webpage", URL: "https://example.org/news?key=s3cret", Schedule: "@hourly"},
}

// passwordHash hashes the test password once: hashing is slow on purpose.
var passwordHash = sync.OnceValues(func() (string, error) { return auth.HashPassword(password) })

type sourcesServer struct {
	*server
	runner *fakeRunner
}

func newSourcesServer(t *testing.T) *sourcesServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sources.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]model.Role{"anna": model.RoleModerator, "ada": model.RoleAdmin} {
		if _, err := st.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: hash, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SyncSources(ctx, configuredSources); err != nil {
		t.Fatal(err)
	}
	s := &sourcesServer{server: &server{st: st, mux: http.NewServeMux(), notifier: &recordingNotifier{}}, runner: &fakeRunner{st: st}}
	NewHandler(st, auth.New(st, auth.Options{}), s.notifier, nil, Options{
		CampaignName: "#CohesionAlliance",
		Sources: SourcesOptions{
			Sources: configuredSources,
			Runner:  s.runner,
			Budget: func(src model.Source, cursor string) (Budget, bool) {
				if src.Kind != "x" {
					return Budget{}, false
				}
				return Budget{Used: 7250, Limit: 10000, Unit: "reads", Resets: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, true
			},
			Now: func() time.Time { return sourcesNow },
		},
	}).Routes(s.mux)

	// What the scheduler would have recorded.
	record := func(name string, r model.SourceRun) {
		if err := st.RecordCollection(ctx, name, r); err != nil {
			t.Fatal(err)
		}
	}
	record("eupolis", model.SourceRun{At: sourcesNow.Add(-2 * time.Minute), Duration: 2400 * time.Millisecond, New: 0,
		Error:     "collect eupolis: https://eupolis.social/api/v1/timelines/tag/cohesionalliance: HTTP 429 Too Many Requests (retry after 5m0s)",
		Problem:   "Rate limited by the server until 14:05 UTC.",
		WaitUntil: sourcesNow.Add(5 * time.Minute), WaitReason: model.WaitRateLimit})
	record("x-campaign", model.SourceRun{At: sourcesNow.Add(-10 * time.Minute), Duration: 850 * time.Millisecond, New: 12})
	record("cor news/fr", model.SourceRun{At: sourcesNow.Add(-time.Hour), Duration: 3 * time.Second,
		Error:   "collect cor news/fr: selector `li.story` matched nothing on https://example.org/news?key=s3cret",
		Problem: "The selector li.story matched nothing on the page: the site's layout may have changed."})
	if _, err := st.SavePosts(ctx, "x-campaign", []model.Post{{Network: model.NetworkX, URI: "https://x.com/i/status/1", Text: "hi"}}, ""); err != nil {
		t.Fatal(err)
	}
	run := func(job string, started time.Time, items int, errMsg string) {
		id, err := st.StartRun(ctx, job, started)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(ctx, id, started.Add(time.Second), items, errMsg); err != nil {
			t.Fatal(err)
		}
	}
	run("collect:eupolis", sourcesNow.Add(-3*time.Minute), 4, "")
	run("collect:eupolis", sourcesNow.Add(-2*time.Minute), 0, "collect eupolis: HTTP 429")
	run("collect:eupolis", sourcesNow.Add(-time.Minute), 0, "collect eupolis: waiting for rate limit until 2026-11-21 14:05:00 UTC")
	return s
}

func sourceSection(t *testing.T, doc *goquery.Document, name string) *goquery.Selection {
	t.Helper()
	var found *goquery.Selection
	doc.Find(`[data-testid="source"]`).Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("data-source", "") == name {
			found = s
		}
	})
	if found == nil {
		t.Fatalf("no source section for %q", name)
	}
	return found
}

func text(s *goquery.Selection, testid string) string {
	return strings.Join(strings.Fields(s.Find(`[data-testid="`+testid+`"]`).Text()), " ")
}

func TestSourcesPageNeedsLogin(t *testing.T) {
	s := newSourcesServer(t)
	anna := s.login(t, "anna")
	tests := []struct {
		name, method, target, cookie string
		headers                      map[string]string
		wantStatus                   int
		wantLocation                 string
	}{
		{"page without login", "GET", "/admin/sources", "", nil, 303, "/login?next=%2Fadmin%2Fsources"},
		{"run without login", "POST", "/admin/sources/eupolis/run", "", sameOrigin(), 401, ""},
		{"run by a moderator who is no admin", "POST", "/admin/sources/eupolis/run", anna, sameOrigin(), 403, ""},
		{"run from another site", "POST", "/admin/sources/eupolis/run", s.login(t, "ada"), map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: tt.method, target: tt.target, cookie: tt.cookie, form: url.Values{}, headers: tt.headers})
			if rec.Code != tt.wantStatus || rec.Header().Get("Location") != tt.wantLocation {
				t.Errorf("got %d Location %q, want %d Location %q", rec.Code, rec.Header().Get("Location"), tt.wantStatus, tt.wantLocation)
			}
		})
	}
	if len(s.runner.ran) != 0 {
		t.Errorf("runs started: %v, want none", s.runner.ran)
	}
}

func TestSourcesPageShowsStatusInPlainWords(t *testing.T) {
	s := newSourcesServer(t)
	rec := s.do(t, request{method: "GET", target: "/admin/sources", cookie: s.login(t, "anna")})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q, want the strict policy", csp)
	}
	body := rec.Body.String()
	for _, secret := range []string{"s3cret", "HTTP 429 Too Many Requests", "api/v1/timelines"} {
		if strings.Contains(body, secret) {
			t.Errorf("page contains %q from an error's full text or a source URL; it must show plain words only", secret)
		}
	}
	doc := parse(t, rec)
	if n := doc.Find(`[data-testid="source"]`).Length(); n != len(configuredSources) {
		t.Fatalf("%d source sections, want %d", n, len(configuredSources))
	}
	if n := doc.Find(`[data-testid="run-now-button"]`).Length(); n != 0 {
		t.Errorf("a moderator sees %d run-now buttons, want 0 (admins only)", n)
	}

	eu := sourceSection(t, doc, "eupolis")
	for testid, want := range map[string]string{
		"source-kind":     "mastodon",
		"source-problem":  "Rate limited by the server until 14:05 UTC.",
		"source-wait":     "Waiting for the network's rate limit: not called before 14:05:00 UTC.",
		"source-last-run": "13:58:00 UTC",
		"source-duration": "2.4 s",
		"source-new":      "0",
		"source-total":    "0",
		"source-next-run": "14:01:00 UTC (@every 1m)",
	} {
		if got := text(eu, testid); got != want {
			t.Errorf("eupolis %s = %q, want %q", testid, got, want)
		}
	}
	var results []string
	eu.Find(`[data-testid="source-run-result"]`).Each(func(_ int, r *goquery.Selection) { results = append(results, r.Text()) })
	if got, want := strings.Join(results, " | "), "skipped: rate limit | failed | ok, 4 new posts"; got != want {
		t.Errorf("eupolis runs = %q, want %q", got, want)
	}
	if n := eu.Find(`[data-testid="source-budget"]`).Length(); n != 0 {
		t.Errorf("mastodon source shows %d budgets, want none", n)
	}

	x := sourceSection(t, doc, "x-campaign")
	for testid, want := range map[string]string{
		"source-ok":       "The last run went through.",
		"source-duration": "850 ms",
		"source-new":      "12",
		"source-total":    "1",
		"source-budget":   "2,750 of 10,000 reads left this month; resets on 1 December",
	} {
		if got := text(x, testid); got != want {
			t.Errorf("x-campaign %s = %q, want %q", testid, got, want)
		}
	}
	if n := x.Find(`[data-testid="source-problem"], [data-testid="source-wait"], [data-testid="source-runs"]`).Length(); n != 0 {
		t.Errorf("x-campaign shows %d problem/wait/runs elements, want none", n)
	}

	news := sourceSection(t, doc, "cor news/fr")
	if got, want := text(news, "source-problem"), "The selector li.story matched nothing on the page: the site's layout may have changed."; got != want {
		t.Errorf("cor news/fr problem = %q, want %q", got, want)
	}
	if got := text(news, "source-next-run"); got != "Not scheduled" {
		t.Errorf("cor news/fr next run = %q, want %q", got, "Not scheduled")
	}
}

func TestRunNow(t *testing.T) {
	tests := []struct {
		name       string
		source     string
		target     string
		err        error
		wantRan    bool
		wantStatus int
		wantTo     string
		wantNotice string
	}{
		{"done", "x-campaign", "/admin/sources/x-campaign/run", nil, true, 303,
			"/admin/sources?ran=x-campaign&result=done#source-1", "x-campaign collected just now: 12 new posts."},
		{"rate limited", "eupolis", "/admin/sources/eupolis/run", errors.New("collect eupolis: waiting for rate limit"), true, 303,
			"/admin/sources?ran=eupolis&result=failed#source-0", "eupolis was not called: it waits for its rate limit until 14:05:00 UTC."},
		{"failed", "cor news/fr", "/admin/sources/" + url.PathEscape("cor news/fr") + "/run", errors.New("boom"), true, 303,
			"/admin/sources?ran=cor+news%2Ffr&result=failed#source-2", "cor news/fr: the run did not go through (or another run of it was still going). Its latest problem is shown below."},
		{"unknown source", "", "/admin/sources/nope/run", nil, false, 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSourcesServer(t)
			s.runner.err = tt.err
			ada := s.login(t, "ada")
			rec := s.do(t, request{method: "POST", target: tt.target, cookie: ada, form: url.Values{}, headers: sameOrigin()})
			if rec.Code != tt.wantStatus || rec.Header().Get("Location") != tt.wantTo {
				t.Fatalf("got %d Location %q, want %d Location %q", rec.Code, rec.Header().Get("Location"), tt.wantStatus, tt.wantTo)
			}
			if ran := len(s.runner.ran) == 1 && s.runner.ran[0] == tt.source; ran != tt.wantRan {
				t.Errorf("runs started %q, want one of %q: %v", s.runner.ran, tt.source, tt.wantRan)
			}
			if tt.wantTo == "" {
				return
			}
			target, _, _ := strings.Cut(tt.wantTo, "#") // browsers keep the fragment to themselves
			page := s.do(t, request{method: "GET", target: target, cookie: ada})
			doc := parse(t, page)
			if got := text(doc.Selection, "sources-notice"); got != tt.wantNotice {
				t.Errorf("notice = %q, want %q", got, tt.wantNotice)
			}
			form := sourceSection(t, doc, tt.source).Find(`[data-testid="run-now-button"]`).Closest("form")
			if got := form.AttrOr("action", ""); got != tt.target || form.AttrOr("method", "") != "post" {
				t.Errorf("run-now form posts to %q, want %q", got, tt.target)
			}
		})
	}
}

func TestRunNoticeIgnoresUnknownSources(t *testing.T) {
	s := newSourcesServer(t)
	rec := s.do(t, request{method: "GET", target: "/admin/sources?ran=" + url.QueryEscape("<b>pwned</b>") + "&result=done", cookie: s.login(t, "anna")})
	if n := parse(t, rec).Find(`[data-testid="sources-notice"]`).Length(); n != 0 {
		t.Errorf("a crafted ran= shows %d notices, want none", n)
	}
}

func TestRemoveUpstream(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	posts := s.savePosts(t, 2)
	approved := posts[0]
	if _, err := s.st.Decide(ctx, model.Decision{PostID: approved.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	h := NewHandler(s.st, auth.New(s.st, auth.Options{}), s.notifier, nil, Options{})

	removed, err := h.RemoveUpstream(ctx, approved.ID, "deleted upstream")
	if err != nil || !removed {
		t.Fatalf("RemoveUpstream = %v, %v; want removed", removed, err)
	}
	ds, _ := s.st.Decisions(ctx, store.DecisionFilter{PostID: approved.ID})
	if len(ds) != 2 || ds[0].Action != model.ActionRemove || ds[0].Actor != NetworkActor || ds[0].Reason != "deleted upstream" {
		t.Errorf("audit log = %+v, want the removal by %q on top", ds, NetworkActor)
	}
	if got := s.notifier.got(); len(got) != 1 || got[0].ID != approved.ID || got[0].Status != model.StatusRemoved {
		t.Errorf("notified %+v, want the removed post once", got)
	}
	// Told again (the stream and the re-check both saw it): nothing more.
	if removed, err := h.RemoveUpstream(ctx, approved.ID, "deleted upstream"); err != nil || removed {
		t.Errorf("second RemoveUpstream = %v, %v; want false, nil", removed, err)
	}
	if n := len(s.notifier.got()); n != 1 {
		t.Errorf("notified %d times, want once", n)
	}
	if _, err := h.RemoveUpstream(ctx, 9999, "deleted upstream"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoveUpstream of an unknown post = %v, want ErrNotFound", err)
	}
}

func TestUpdateUpstream(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	posts := s.savePosts(t, 2)
	if _, err := s.st.Decide(ctx, model.Decision{PostID: posts[0].ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	h := NewHandler(s.st, auth.New(s.st, auth.Options{}), s.notifier, nil, Options{})
	tests := []struct {
		name        string
		post        model.Post
		html        string
		wantChanged bool
		wantNotify  int
		wantStatus  model.Status
	}{
		{"approved post edited: off the screens, back to the queue", posts[0], "<p>edited</p>", true, 1, model.StatusPending},
		{"the same edit again", posts[0], "<p>edited</p>", false, 0, model.StatusPending},
		{"pending post edited: not on screens", posts[1], "<p>edited too</p>", true, 0, model.StatusPending},
		{"never collected", model.Post{Network: model.NetworkMastodon, URI: "https://example.social/unknown"}, "<p>x</p>", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.notifier.got())
			old, _ := s.st.PostByID(ctx, tt.post.ID)
			p := tt.post
			p.HTML = tt.html
			changed, err := h.UpdateUpstream(ctx, p)
			if err != nil || changed != tt.wantChanged {
				t.Errorf("UpdateUpstream = %v, %v; want %v", changed, err, tt.wantChanged)
			}
			if got := len(s.notifier.got()) - before; got != tt.wantNotify {
				t.Errorf("notified %d times, want %d", got, tt.wantNotify)
			}
			if tt.wantChanged {
				stored, _ := s.st.PostByID(ctx, p.ID)
				if stored.HTML != tt.html || stored.Status != tt.wantStatus {
					t.Errorf("stored HTML %q status %s, want %q and %s", stored.HTML, stored.Status, tt.html, tt.wantStatus)
				}
				if old.Status == model.StatusApproved {
					ds, _ := s.st.Decisions(ctx, store.DecisionFilter{PostID: p.ID, Action: model.ActionEdited})
					if len(ds) != 1 || ds[0].Actor != "network" {
						t.Errorf("audit rows for the edit = %+v, want one by network", ds)
					}
					if got := s.notifier.got(); got[len(got)-1].Status != model.StatusPending {
						t.Errorf("wall told status %s, want pending (off the screens)", got[len(got)-1].Status)
					}
				}
			}
		})
	}
}
