package x

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// IDs of the posts in testdata (snowflakes of 2026-11-20, see README.md).
const (
	idA = "2123745671377846273" // 11:50, photo, French
	idB = "2123743154795446273" // 11:40, reply: skipped
	idC = "2123740638213046273" // 11:30, sensitive video
	idD = "2123738121630646273" // 11:20, long post (note_tweet)
	idE = "2123735605048246273" // 11:10
	idF = "2123733088465846273" // 11:00, quote
	idG = "2123730571883446273" // 10:50
	idH = "2123755737707446273" // 12:30, served after a restart
	idI = "2123744413086646273" // 11:45, author not found (partial error)

	token1 = "b26v89c19zqg8o3fpzbkk7c3fb2fqv5cvbrmgmgkucqbh"
	token2 = "b26v89c19zqg8o3fpzbkk7c3fb2fqv5cvbrmgmgkucqbh2"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// fakeX is an httptest server speaking API v2 recent search from testdata.
type fakeX struct {
	*httptest.Server
	mu    sync.Mutex
	calls []url.Values
}

func newFakeX(t *testing.T, handle func(w http.ResponseWriter, q url.Values, call int)) *fakeX {
	t.Helper()
	f := &fakeX{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/2/tweets/search/recent" {
			t.Errorf("request to %s, want /2/tweets/search/recent", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		if got := r.Header.Get("Authorization"); got != "Bearer test-bearer" {
			t.Errorf("Authorization = %q, want the bearer token", got)
		}
		f.mu.Lock()
		f.calls = append(f.calls, r.URL.Query())
		n := len(f.calls)
		f.mu.Unlock()
		handle(w, r.URL.Query(), n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeX) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls...)
}

func serve(t *testing.T, w http.ResponseWriter, status int, file string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// servePages serves the three-page sweep of testdata, following next_token.
func servePages(t *testing.T) func(http.ResponseWriter, url.Values, int) {
	return func(w http.ResponseWriter, q url.Values, _ int) {
		switch q.Get("next_token") {
		case "":
			serve(t, w, 200, "search_page1.json")
		case token1:
			serve(t, w, 200, "search_page2.json")
		case token2:
			serve(t, w, 200, "search_page3.json")
		default:
			t.Errorf("unexpected next_token %q", q.Get("next_token"))
			http.Error(w, "bad token", 400)
		}
	}
}

func source(srv *fakeX) model.Source {
	return model.Source{Name: "x-cohesion", Kind: "x", URL: srv.URL, Token: "test-bearer", Hashtags: []string{"#CohesionAlliance"}}
}

func newCollector(opts Options) *Collector {
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	return New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), opts)
}

func mustCursor(t *testing.T, s string) Cursor {
	t.Helper()
	c, err := ParseCursor(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func remoteIDs(posts []model.Post) []string {
	var ids []string
	for _, p := range posts {
		ids = append(ids, p.RemoteID)
	}
	return ids
}

func equal(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCollectReadsEveryPageOfASweep(t *testing.T) {
	srv := newFakeX(t, servePages(t))
	posts, next, err := newCollector(Options{}).Collect(context.Background(), source(srv), "")
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if want := []string{idA, idC, idD, idE, idF, idG}; !equal(remoteIDs(posts), want) {
		t.Errorf("posts %v, want %v (the reply %s skipped)", remoteIDs(posts), want, idB)
	}
	got := mustCursor(t, next)
	if want := (Cursor{SinceID: idA, Month: "2026-11", Reads: 7}); got != want {
		t.Errorf("cursor %+v, want %+v", got, want)
	}

	reqs := srv.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (one per page)", len(reqs))
	}
	first := reqs[0]
	for param, want := range map[string]string{
		"query":        "#CohesionAlliance -is:retweet -is:reply",
		"max_results":  "100",
		"expansions":   "author_id,attachments.media_keys",
		"user.fields":  "name,username,profile_image_url,description",
		"media.fields": "url,preview_image_url,alt_text,type,width,height,variants",
	} {
		if got := first.Get(param); got != want {
			t.Errorf("%s = %q, want %q", param, got, want)
		}
	}
	for _, field := range []string{"created_at", "lang", "author_id", "attachments", "entities", "possibly_sensitive",
		"conversation_id", "in_reply_to_user_id", "referenced_tweets"} {
		if !strings.Contains(","+first.Get("tweet.fields")+",", ","+field+",") {
			t.Errorf("tweet.fields %q lacks %s", first.Get("tweet.fields"), field)
		}
	}
	for i, q := range reqs {
		if q.Has("since_id") || q.Has("until_id") {
			t.Errorf("request %d of a first run has since_id/until_id: %v", i, q)
		}
	}
}

func TestCollectMapsPosts(t *testing.T) {
	srv := newFakeX(t, servePages(t))
	posts, _, err := newCollector(Options{}).Collect(context.Background(), source(srv), "")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]model.Post{}
	for _, p := range posts {
		byID[p.RemoteID] = p
	}

	t.Run("photo post with links", func(t *testing.T) {
		p := byID[idA]
		checks := []struct{ name, got, want string }{
			{"URI", p.URI, "https://x.com/lille/status/" + idA},
			{"URL", p.URL, "https://x.com/lille/status/" + idA},
			{"Text", p.Text, "Un nouveau tram financé par l'UE à Lille & ses environs ! #CohesionAlliance https://www.lille.fr/tram-2026"},
			{"Language", p.Language, "fr"},
			{"Author.Handle", p.Author.Handle, "lille"},
			{"Author.DisplayName", p.Author.DisplayName, "Ville de Lille"},
			{"Author.URL", p.Author.URL, "https://x.com/lille"},
			{"Author.Bio", p.Author.Bio, "Compte officiel de la Ville de Lille"},
			{"Tags", strings.Join(p.Tags, " "), "CohesionAlliance"},
			{"PublishedAt", p.PublishedAt.Format(time.RFC3339), "2026-11-20T11:50:00Z"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if p.Network != model.NetworkX {
			t.Errorf("Network = %q, want x", p.Network)
		}
		if strings.Contains(p.HTML, "t.co") {
			t.Errorf("HTML still has t.co links: %s", p.HTML)
		}
		if !strings.Contains(p.HTML, `href="https://www.lille.fr/tram-2026"`) || !strings.Contains(p.HTML, "&amp; ses environs") {
			t.Errorf("HTML %q lacks the expanded, escaped link", p.HTML)
		}
		if len(p.Media) != 1 {
			t.Fatalf("%d media, want 1", len(p.Media))
		}
		want := model.Media{Kind: model.MediaImage, URL: "https://pbs.twimg.com/media/GtRaMlIlLe1.jpg",
			AltText: "A new tram at a stop in Lille", Width: 2048, Height: 1365}
		if p.Media[0] != want {
			t.Errorf("media %+v, want %+v", p.Media[0], want)
		}
	})

	t.Run("sensitive video", func(t *testing.T) {
		p := byID[idC]
		if !p.Sensitive || p.ContentWarning == "" {
			t.Errorf("Sensitive=%v ContentWarning=%q, want flagged", p.Sensitive, p.ContentWarning)
		}
		if p.Text != "Watch: how cohesion funds rebuilt our bridge #CohesionAlliance" {
			t.Errorf("Text = %q: the trailing video link should be dropped", p.Text)
		}
		if len(p.Media) != 1 || p.Media[0].Kind != model.MediaVideo ||
			!strings.HasSuffix(p.Media[0].URL, "/1280x720/high.mp4") || !strings.HasSuffix(p.Media[0].PreviewURL, "bridge.jpg") {
			t.Errorf("media %+v, want the highest-bitrate mp4 with its preview", p.Media)
		}
	})

	t.Run("long post uses note_tweet", func(t *testing.T) {
		p := byID[idD]
		if !strings.HasSuffix(p.Text, "sign the Joint Call: https://cohesionalliance.eu/joint-call") || strings.Contains(p.Text, "…") {
			t.Errorf("Text = %q, want the full note_tweet text with its link expanded", p.Text)
		}
		if p.Author.Handle != "EU_CoR" {
			t.Errorf("author %q, want EU_CoR", p.Author.Handle)
		}
	})
}

func TestResumeAfterRestartReadsOnlyNewerPosts(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newFakeX(t, func(w http.ResponseWriter, q url.Values, call int) {
		if q.Get("since_id") == idA {
			serve(t, w, 200, "search_newer.json")
			return
		}
		servePages(t)(w, q, call)
	})
	src := source(srv)

	posts, next, err := newCollector(Options{}).Collect(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SavePosts(ctx, src.Name, posts, next); err != nil {
		t.Fatal(err)
	}

	// A new process: a new Collector, the cursor read back from SQLite.
	stored, err := st.Cursor(ctx, src.Name)
	if err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return testNow.Add(time.Hour) }
	posts, next, err = newCollector(Options{Now: later}).Collect(ctx, src, stored)
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	if want := []string{idH}; !equal(remoteIDs(posts), want) {
		t.Errorf("after restart got %v, want only the newer %v", remoteIDs(posts), want)
	}
	reqs := srv.requests()
	if last := reqs[len(reqs)-1]; last.Get("since_id") != idA {
		t.Errorf("since_id = %q, want %s (newest of the first run)", last.Get("since_id"), idA)
	}
	res, err := st.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.Known != 0 {
		t.Errorf("second save: %d new, %d known; want 1 new, 0 known", len(res.New), res.Known)
	}
	stored, _ = st.Cursor(ctx, src.Name)
	if got := mustCursor(t, stored); got.SinceID != idH || got.Reads != 8 {
		t.Errorf("stored cursor %+v, want since_id %s and 8 reads", got, idH)
	}
}

func TestSamePostSeenTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	// A server that ignores since_id (as a proxy cache might) serves G twice.
	srv := newFakeX(t, func(w http.ResponseWriter, _ url.Values, _ int) { serve(t, w, 200, "search_page3.json") })
	src := source(srv)
	c := newCollector(Options{})

	var cursor string
	var news, known int
	for range 2 {
		posts, next, err := c.Collect(ctx, src, cursor)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.SavePosts(ctx, src.Name, posts, next)
		if err != nil {
			t.Fatal(err)
		}
		news, known = news+len(res.New), known+res.Known
		if cursor, err = st.Cursor(ctx, src.Name); err != nil {
			t.Fatal(err)
		}
	}
	if news != 1 || known != 1 {
		t.Errorf("%d new and %d known over two runs, want 1 and 1", news, known)
	}
	stored, err := st.Posts(ctx, store.PostFilter{Network: model.NetworkX})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].URI != "https://x.com/lille/status/"+idG {
		t.Errorf("stored %d posts (%v), want one", len(stored), stored)
	}
}

func TestRateLimitWaitIsReported(t *testing.T) {
	reset := testNow.Add(90 * time.Second)
	for _, tc := range []struct {
		name      string
		status    int
		headers   map[string]string
		file      string
		wantWait  time.Duration
		wantInMsg string
	}{
		{"x-rate-limit-reset epoch", 429, map[string]string{
			"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": strconv.FormatInt(reset.Unix(), 10),
		}, "error_429.json", 90 * time.Second, "Too Many Requests"},
		{"retry-after seconds", 429, map[string]string{"Retry-After": "120"}, "error_429.json", 2 * time.Minute, "Too Many Requests"},
		{"server error without a wait", 503, nil, "error_503.json", 0, "Service Unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeX(t, func(w http.ResponseWriter, _ url.Values, _ int) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				serve(t, w, tc.status, tc.file)
			})
			posts, next, err := newCollector(Options{}).Collect(context.Background(), source(srv), "")
			var he *collectors.HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want *collectors.HTTPError", err)
			}
			if he.StatusCode != tc.status || he.RetryAfter != tc.wantWait {
				t.Errorf("status %d wait %s, want %d and %s", he.StatusCode, he.RetryAfter, tc.status, tc.wantWait)
			}
			if !he.Temporary() || !strings.Contains(he.Message, tc.wantInMsg) {
				t.Errorf("error %q: want temporary, with %q", he.Error(), tc.wantInMsg)
			}
			if strings.Contains(err.Error(), "test-bearer") {
				t.Errorf("error leaks the token: %v", err)
			}
			if posts != nil || next != "" {
				t.Errorf("got %d posts and cursor %q, want none and unchanged", len(posts), next)
			}
		})
	}
}

func TestFailuresNeverAdvancePastUnreadPosts(t *testing.T) {
	start := Cursor{SinceID: idG, Month: "2026-11", Reads: 3}.String()
	for _, tc := range []struct {
		name       string
		failPage   int // the request that fails
		file       string
		status     int
		wantPosts  []string
		wantCursor *Cursor // nil: unchanged ("")
		wantErr    string
	}{
		{"5xx on the first page", 1, "error_503.json", 503, nil, nil, "HTTP 503"},
		{"malformed first page", 1, "search_malformed.json", 200, nil, nil, "malformed response"},
		{"malformed second page", 2, "search_malformed.json", 200, []string{idA, idC, idD},
			&Cursor{SinceID: idG, UntilID: idD, SweepNewestID: idA, Month: "2026-11", Reads: 7}, "malformed response"},
		{"5xx on the third page", 3, "error_503.json", 503, []string{idA, idC, idD, idE, idF},
			&Cursor{SinceID: idG, UntilID: idF, SweepNewestID: idA, Month: "2026-11", Reads: 9}, "HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeX(t, func(w http.ResponseWriter, q url.Values, call int) {
				if call == tc.failPage {
					serve(t, w, tc.status, tc.file)
					return
				}
				servePages(t)(w, q, call)
			})
			posts, next, err := newCollector(Options{}).Collect(context.Background(), source(srv), start)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if !equal(remoteIDs(posts), tc.wantPosts) {
				t.Errorf("posts %v, want %v", remoteIDs(posts), tc.wantPosts)
			}
			if tc.wantCursor == nil {
				if next != "" {
					t.Errorf("cursor %q, want unchanged", next)
				}
				return
			}
			if got := mustCursor(t, next); got != *tc.wantCursor {
				t.Errorf("cursor %+v, want %+v", got, *tc.wantCursor)
			}
		})
	}

	t.Run("the next run continues below the last page read", func(t *testing.T) {
		srv := newFakeX(t, servePages(t))
		resume := Cursor{SinceID: idG, UntilID: idD, SweepNewestID: idA, Month: "2026-11", Reads: 7}.String()
		_, next, err := newCollector(Options{MaxPages: 1}).Collect(context.Background(), source(srv), resume)
		if err != nil {
			t.Fatal(err)
		}
		q := srv.requests()[0]
		if q.Get("since_id") != idG || q.Get("until_id") != idD {
			t.Errorf("since_id=%q until_id=%q, want %s and %s", q.Get("since_id"), q.Get("until_id"), idG, idD)
		}
		// The fake serves page 1 again (it ignores until_id), which has more
		// pages: the sweep is still open, now below D's oldest ID.
		if got := mustCursor(t, next); got.SinceID != idG || got.SweepNewestID != idA || got.UntilID != idD {
			t.Errorf("cursor %+v: the unfinished sweep must keep since_id %s and sweep_newest %s", got, idG, idA)
		}
	})
}

func TestPageBoundSplitsASweepAcrossRuns(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newFakeX(t, func(w http.ResponseWriter, q url.Values, _ int) {
		switch {
		case q.Get("until_id") == "" || q.Get("next_token") != "":
			servePages(t)(w, q, 0)
		case q.Get("until_id") == idD:
			serve(t, w, 200, "search_page2.json")
		case q.Get("until_id") == idF:
			serve(t, w, 200, "search_page3.json")
		default:
			t.Errorf("unexpected request %v", q)
		}
	})
	src := source(srv)
	c := newCollector(Options{MaxPages: 1})
	var all []string
	cursor := ""
	for run := 1; run <= 3; run++ {
		posts, next, err := c.Collect(ctx, src, cursor)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if _, err := st.SavePosts(ctx, src.Name, posts, next); err != nil {
			t.Fatal(err)
		}
		all = append(all, remoteIDs(posts)...)
		cursor, _ = st.Cursor(ctx, src.Name)
	}
	if want := []string{idA, idC, idD, idE, idF, idG}; !equal(all, want) {
		t.Errorf("three one-page runs read %v, want %v", all, want)
	}
	if got := mustCursor(t, cursor); got != (Cursor{SinceID: idA, Month: "2026-11", Reads: 7}) {
		t.Errorf("final cursor %+v, want since_id %s with the sweep closed", got, idA)
	}
}

func TestEmptyResultHasNoDataKey(t *testing.T) {
	srv := newFakeX(t, func(w http.ResponseWriter, _ url.Values, _ int) { serve(t, w, 200, "search_empty.json") })
	start := Cursor{SinceID: idA, Month: "2026-11", Reads: 5}.String()
	posts, next, err := newCollector(Options{}).Collect(context.Background(), source(srv), start)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(posts) != 0 || next != "" {
		t.Errorf("got %d posts and cursor %q, want none and unchanged", len(posts), next)
	}
	if got := srv.requests()[0].Get("since_id"); got != idA {
		t.Errorf("since_id = %q, want %s", got, idA)
	}
}

func TestPartialErrorsKeepTheData(t *testing.T) {
	srv := newFakeX(t, func(w http.ResponseWriter, _ url.Values, _ int) { serve(t, w, 200, "search_partial_errors.json") })
	posts, next, err := newCollector(Options{}).Collect(context.Background(), source(srv), "")
	var pe *PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PartialError", err)
	}
	if len(pe.Problems) != 1 || pe.Problems[0].ResourceID != "4455667788" || pe.Problems[0].Type != "https://api.x.com/2/problems/resource-not-found" {
		t.Errorf("problems %+v, want the missing user", pe.Problems)
	}
	if !strings.Contains(err.Error(), "Could not find user") {
		t.Errorf("error %q does not say what went wrong", err)
	}
	if want := []string{idI, idE}; !equal(remoteIDs(posts), want) {
		t.Errorf("posts %v, want %v", remoteIDs(posts), want)
	}
	if posts[0].URI != "https://x.com/i/web/status/"+idI || posts[0].Author.Handle != "" {
		t.Errorf("post without author: URI %q handle %q, want the i/web form", posts[0].URI, posts[0].Author.Handle)
	}
	if got := mustCursor(t, next); got.SinceID != idI || got.Reads != 2 {
		t.Errorf("cursor %+v, want since_id %s and 2 reads", got, idI)
	}
}

func TestMonthlyReadBudget(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newFakeX(t, servePages(t))
	src := source(srv)
	now := testNow
	c := newCollector(Options{MonthlyReadBudget: 15, Now: func() time.Time { return now }})

	posts, next, err := c.Collect(ctx, src, "")
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("err = %v, want ErrBudgetExhausted", err)
	}
	for _, want := range []string{"6 of 15", "2026-11", "2026-12-01"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if want := []string{idA, idC, idD, idE, idF}; !equal(remoteIDs(posts), want) {
		t.Errorf("posts %v, want %v", remoteIDs(posts), want)
	}
	var sizes []string
	for _, q := range srv.requests() {
		sizes = append(sizes, q.Get("max_results"))
	}
	if want := []string{"15", "11"}; !equal(sizes, want) {
		t.Errorf("max_results %v, want %v (never more than the budget left)", sizes, want)
	}
	if got := mustCursor(t, next); got != (Cursor{UntilID: idF, SweepNewestID: idA, Month: "2026-11", Reads: 6}) {
		t.Errorf("cursor %+v", got)
	}
	if _, err := st.SavePosts(ctx, src.Name, posts, next); err != nil {
		t.Fatal(err)
	}

	t.Run("same month: no request at all", func(t *testing.T) {
		stored, _ := st.Cursor(ctx, src.Name)
		before := len(srv.requests())
		now = testNow.Add(48 * time.Hour)
		posts, next, err := c.Collect(ctx, src, stored)
		if !errors.Is(err, ErrBudgetExhausted) || posts != nil || next != "" {
			t.Errorf("got %d posts, cursor %q, err %v; want nothing and ErrBudgetExhausted", len(posts), next, err)
		}
		if n := len(srv.requests()) - before; n != 0 {
			t.Errorf("%d requests made past the budget", n)
		}
	})

	t.Run("next month: reads start again", func(t *testing.T) {
		stored, _ := st.Cursor(ctx, src.Name)
		before := len(srv.requests())
		now = time.Date(2026, 12, 1, 0, 5, 0, 0, time.UTC)
		_, next, err := c.Collect(ctx, src, stored)
		if !errors.Is(err, ErrBudgetExhausted) {
			t.Fatalf("err = %v: 15 reads cover one page of 4 and one of 2 again", err)
		}
		got := mustCursor(t, next)
		if got.Month != "2026-12" || got.Reads != 6 {
			t.Errorf("cursor %+v, want 6 reads counted in 2026-12", got)
		}
		q := srv.requests()[before]
		// Eleven days later every stored ID is outside X's seven-day window.
		if q.Has("since_id") || q.Has("until_id") || q.Get("max_results") != "15" {
			t.Errorf("request %v: want no since_id/until_id older than the window, max_results 15", q)
		}
	})
}

func TestBudgetStatus(t *testing.T) {
	c := newCollector(Options{MonthlyReadBudget: 10000})
	for _, tc := range []struct {
		name   string
		cursor string
		read   int
	}{
		{"fresh source", "", 0},
		{"this month", Cursor{Month: "2026-11", Reads: 1234}.String(), 1234},
		{"last month's reads do not count", Cursor{Month: "2026-10", Reads: 9999}.String(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read, budget, resets, err := c.BudgetStatus(tc.cursor)
			if err != nil || read != tc.read || budget != 10000 || !resets.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("BudgetStatus = %d, %d, %v, %v; want %d, 10000, 2026-12-01", read, budget, resets, err, tc.read)
			}
		})
	}
	if _, _, _, err := c.BudgetStatus("{"); err == nil {
		t.Error("BudgetStatus of an unreadable cursor: no error")
	}
}

func TestStaleSinceIDIsDropped(t *testing.T) {
	srv := newFakeX(t, func(w http.ResponseWriter, _ url.Values, _ int) { serve(t, w, 200, "search_empty.json") })
	eightDaysLater := func() time.Time { return testNow.Add(8 * 24 * time.Hour) }
	start := Cursor{SinceID: idA, Month: "2026-11", Reads: 1}.String()
	if _, _, err := newCollector(Options{Now: eightDaysLater}).Collect(context.Background(), source(srv), start); err != nil {
		t.Fatal(err)
	}
	if q := srv.requests()[0]; q.Has("since_id") {
		t.Errorf("since_id %q sent although X refuses IDs older than 7 days", q.Get("since_id"))
	}
}

func TestBadConfigurationFailsClearly(t *testing.T) {
	srv := newFakeX(t, func(w http.ResponseWriter, _ url.Values, _ int) {
		t.Error("no request should be made")
	})
	base := source(srv)
	for _, tc := range []struct {
		name   string
		edit   func(*model.Source)
		opts   Options
		cursor string
		want   error
		text   string
	}{
		{"no token", func(s *model.Source) { s.Token = "" }, Options{}, "", ErrNoToken, "x-cohesion"},
		{"no hashtags", func(s *model.Source) { s.Hashtags = []string{" ", "#"} }, Options{}, "", ErrBadQuery, "no hashtags"},
		{"operator in hashtag", func(s *model.Source) { s.Hashtags = []string{"a OR b"} }, Options{}, "", ErrBadQuery, `"a OR b"`},
		{"bad language", func(s *model.Source) {}, Options{Languages: []string{"en lang:fr"}}, "", ErrBadQuery, "language"},
		{"unreadable cursor", func(s *model.Source) {}, Options{}, "{not json", nil, "unreadable cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := base
			tc.edit(&src)
			posts, next, err := newCollector(tc.opts).Collect(context.Background(), src, tc.cursor)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v, want %v mentioning %q", err, tc.want, tc.text)
			}
			if posts != nil || next != "" {
				t.Errorf("got posts or cursor on a configuration error")
			}
		})
	}
}

func TestBuildQuery(t *testing.T) {
	for _, tc := range []struct {
		tags, langs []string
		want        string
	}{
		{[]string{"CohesionAlliance"}, nil, "#CohesionAlliance -is:retweet -is:reply"},
		{[]string{"#CohesionAlliance", "EURegionsWeek"}, nil, "(#CohesionAlliance OR #EURegionsWeek) -is:retweet -is:reply"},
		{[]string{"CohesionAlliance"}, []string{"fr"}, "#CohesionAlliance -is:retweet -is:reply lang:fr"},
		{[]string{"CohesionAlliance"}, []string{"en", "de"}, "#CohesionAlliance -is:retweet -is:reply (lang:en OR lang:de)"},
		{[]string{"Kohäsion"}, nil, "#Kohäsion -is:retweet -is:reply"},
	} {
		got, err := buildQuery(tc.tags, tc.langs)
		if err != nil || got != tc.want {
			t.Errorf("buildQuery(%v, %v) = %q, %v; want %q", tc.tags, tc.langs, got, err, tc.want)
		}
	}
	long := make([]string, 40)
	for i := range long {
		long[i] = "VeryLongCampaignHashtag" + strconv.Itoa(i)
	}
	if _, err := buildQuery(long, nil); !errors.Is(err, ErrBadQuery) {
		t.Errorf("a %d-tag query: err %v, want ErrBadQuery", len(long), err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{SinceID: idA, UntilID: idD, SweepNewestID: idA, Month: "2026-11", Reads: 1234}
	var raw map[string]any
	if err := json.Unmarshal([]byte(c.String()), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["since_id"] != idA || raw["month"] != "2026-11" || raw["reads"] != float64(1234) {
		t.Errorf("cursor JSON %v lacks the documented keys", raw)
	}
	if back := mustCursor(t, c.String()); back != c {
		t.Errorf("round trip %+v, want %+v", back, c)
	}
}
