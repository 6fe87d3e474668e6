package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/facebook"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

const (
	igUserID     = "17841405309211844"
	cohesionID   = "17843853986012965"
	regionsID    = "17841562894101784"
	accessToken  = "EAAtest-token-never-logged"
	mediaTram    = "https://www.instagram.com/p/DCxyzAbC1de/"    // 11:50 IMAGE
	mediaAlbum   = "https://www.instagram.com/p/DCxyzDeF2gh/"    // 11:20 CAROUSEL_ALBUM
	mediaPool    = "https://www.instagram.com/reel/DCxyzGhI3jk/" // 10:40 VIDEO
	mediaMusic   = "https://www.instagram.com/reel/DCxyzPqR6st/" // 10:10 VIDEO without media_url
	mediaHall    = "https://www.instagram.com/p/DCxyzJkL4mn/"    // 09:00 IMAGE
	mediaSigned  = "https://www.instagram.com/p/DCxyzMnO5pq/"    // 12:20 IMAGE, a later run
	recentPath   = "/" + cohesionID + "/recent_media"
	regionsPath  = "/" + regionsID + "/recent_media"
	searchPath   = "/ig_hashtag_search"
	wantedFields = "id,caption,media_type,media_url,permalink,timestamp,children{media_url,media_type}"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type request struct {
	path string
	q    url.Values
}

type fakeGraph struct {
	*httptest.Server
	t      *testing.T
	mu     sync.Mutex
	reqs   []request
	handle func(w http.ResponseWriter, r request, call int)
}

func newFakeGraph(t *testing.T, handle func(w http.ResponseWriter, r request, call int)) *fakeGraph {
	f := &fakeGraph{t: t, handle: handle}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+accessToken {
			t.Errorf("Authorization = %q, want the bearer token", got)
		}
		if r.URL.Query().Has("access_token") {
			t.Errorf("access_token sent in the URL %s", r.URL)
		}
		f.mu.Lock()
		req := request{r.URL.Path, r.URL.Query()}
		f.reqs = append(f.reqs, req)
		n := len(f.reqs)
		f.mu.Unlock()
		f.handle(w, req, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGraph) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

func (f *fakeGraph) count(path string) int {
	n := 0
	for _, r := range f.requests() {
		if r.path == path {
			n++
		}
	}
	return n
}

func (f *fakeGraph) serve(w http.ResponseWriter, status int, file string) {
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		f.t.Fatal(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(strings.ReplaceAll(string(body), "{{BASE}}", f.URL)))
}

// standard answers like the Graph API for both testdata hashtags.
func (f *fakeGraph) standard(w http.ResponseWriter, r request, _ int) {
	switch r.path {
	case searchPath:
		switch r.q.Get("q") {
		case "CohesionAlliance":
			f.serve(w, 200, "hashtag_search.json")
		case "EURegionsWeek":
			f.serve(w, 200, "hashtag_search_other.json")
		default:
			f.serve(w, 200, "hashtag_search_empty.json")
		}
	case recentPath, regionsPath:
		if r.q.Has("after") {
			f.serve(w, 200, "recent_media_page2.json")
		} else {
			f.serve(w, 200, "recent_media_page1.json")
		}
	default:
		f.t.Errorf("unexpected request %s", r.path)
		w.WriteHeader(404)
	}
}

func source(f *fakeGraph, tags ...string) model.Source {
	if len(tags) == 0 {
		tags = []string{"#CohesionAlliance"}
	}
	return model.Source{Name: "ig-cohesion", Kind: "instagram", URL: f.URL, Token: accessToken, Hashtags: tags}
}

func newCollector(now func() time.Time, opts Options) *Collector {
	if opts.UserID == "" {
		opts.UserID = igUserID
	}
	if now == nil {
		now = func() time.Time { return testNow }
	}
	opts.Now = now
	return New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), opts)
}

func uris(posts []model.Post) []string {
	var out []string
	for _, p := range posts {
		out = append(out, p.URI)
	}
	return out
}

func same(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") }

func mustCursor(t *testing.T, s string) Cursor {
	t.Helper()
	c, err := ParseCursor(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ig.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCollectSearchesOnceAndPages(t *testing.T) {
	var f *fakeGraph
	f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
	posts, next, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), "")
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if want := []string{mediaTram, mediaAlbum, mediaPool, mediaMusic, mediaHall}; !same(uris(posts), want) {
		t.Errorf("posts\n%v\nwant\n%v", uris(posts), want)
	}
	st := mustCursor(t, next).Hashtags["cohesionalliance"]
	if want := (HashtagState{ID: cohesionID, WindowStart: testNow, Newest: time.Date(2026, 11, 20, 11, 50, 0, 0, time.UTC)}); st != want {
		t.Errorf("state %+v, want %+v", st, want)
	}

	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want hashtag search + 2 pages: %v", len(reqs), reqs)
	}
	if s := reqs[0]; s.path != searchPath || s.q.Get("q") != "CohesionAlliance" || s.q.Get("user_id") != igUserID {
		t.Errorf("first request %v, want ig_hashtag_search for CohesionAlliance as %s", s, igUserID)
	}
	for _, r := range reqs[1:] {
		if r.path != recentPath || r.q.Get("user_id") != igUserID || r.q.Get("fields") != wantedFields {
			t.Errorf("request %s %v, want recent_media of %s with fields %s", r.path, r.q, cohesionID, wantedFields)
		}
	}
	if reqs[1].q.Get("limit") != "50" || reqs[1].q.Has("after") || !reqs[2].q.Has("after") {
		t.Errorf("paging: first %v, second %v; want limit 50, then paging.next", reqs[1].q, reqs[2].q)
	}
}

func TestCollectMapsMedia(t *testing.T) {
	var f *fakeGraph
	f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
	posts, _, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), "")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]model.Post{}
	for _, p := range posts {
		by[p.URI] = p
	}
	for _, tc := range []struct {
		uri       string
		kinds     []model.MediaKind
		tags      string
		published string
	}{
		{mediaTram, []model.MediaKind{model.MediaImage}, "CohesionAlliance EUinmyRegion", "2026-11-20T11:50:00Z"},
		{mediaAlbum, []model.MediaKind{model.MediaImage, model.MediaVideo}, "CohesionAlliance", "2026-11-20T11:20:00Z"},
		{mediaPool, []model.MediaKind{model.MediaVideo}, "cohesionalliance", "2026-11-20T10:40:00Z"},
		{mediaMusic, nil, "CohesionAlliance", "2026-11-20T10:10:00Z"},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			p, ok := by[tc.uri]
			if !ok {
				t.Fatal("not collected")
			}
			var kinds []model.MediaKind
			for _, m := range p.Media {
				kinds = append(kinds, m.Kind)
				if !strings.HasPrefix(m.URL, "https://scontent.cdninstagram.com/") {
					t.Errorf("media URL %q", m.URL)
				}
			}
			if fmt.Sprint(kinds) != fmt.Sprint(tc.kinds) {
				t.Errorf("media kinds %v, want %v", kinds, tc.kinds)
			}
			if got := strings.Join(p.Tags, " "); got != tc.tags {
				t.Errorf("tags %q, want %q", got, tc.tags)
			}
			if got := p.PublishedAt.Format(time.RFC3339); got != tc.published {
				t.Errorf("published %s, want %s", got, tc.published)
			}
			if p.Network != model.NetworkInstagram || p.URL != tc.uri || p.Author.Handle != "" {
				t.Errorf("network %q URL %q author %q: want instagram, the permalink, no invented author", p.Network, p.URL, p.Author.Handle)
			}
		})
	}
	if p := by[mediaTram]; p.Text != "Le tram de Lille, financé par l'UE 🚋 #CohesionAlliance #EUinmyRegion" ||
		!strings.Contains(p.HTML, `<span class="hashtag">#CohesionAlliance</span>`) || p.RemoteID != "18037385624098273" {
		t.Errorf("text %q html %q id %q", p.Text, p.HTML, p.RemoteID)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	later := false
	var f *fakeGraph
	f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) {
		if later && r.path == recentPath {
			if r.q.Has("after") {
				t.Error("paged on although the first page reached media read before")
			}
			f.serve(w, 200, "recent_media_newer.json")
			return
		}
		f.standard(w, r, n)
	})
	src := source(f)
	posts, next, err := newCollector(nil, Options{}).Collect(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SavePosts(ctx, src.Name, posts, next); err != nil {
		t.Fatal(err)
	}

	later = true
	stored, err := db.Cursor(ctx, src.Name)
	if err != nil {
		t.Fatal(err)
	}
	searches := f.count(searchPath)
	halfHourLater := func() time.Time { return testNow.Add(30 * time.Minute) }
	posts, next, err = newCollector(halfHourLater, Options{}).Collect(ctx, src, stored)
	if err != nil {
		t.Fatal(err)
	}
	if f.count(searchPath) != searches {
		t.Error("searched the hashtag again although its ID is in the cursor")
	}
	res, err := db.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.New[0].URI != mediaSigned || res.Known != 2 {
		t.Errorf("second run stored %d new (%v), %d known; want only %s new", len(res.New), uris(res.New), res.Known, mediaSigned)
	}
	stored, _ = db.Cursor(ctx, src.Name)
	st := mustCursor(t, stored).Hashtags["cohesionalliance"]
	if !st.WindowStart.Equal(testNow) || !st.Newest.Equal(time.Date(2026, 11, 20, 12, 20, 0, 0, time.UTC)) {
		t.Errorf("state %+v: the window keeps its first start, newest moves to 12:20", st)
	}
}

// activeTags returns a cursor with n other hashtags in their seven-day
// window, the oldest started six days ago.
func activeTags(n int) Cursor {
	c := Cursor{Hashtags: map[string]HashtagState{}}
	for i := range n {
		c.Hashtags[fmt.Sprintf("campaign%d", i)] = HashtagState{
			ID:          fmt.Sprintf("1784%013d", i),
			WindowStart: testNow.Add(-6*24*time.Hour + time.Duration(i)*time.Hour),
		}
	}
	return c
}

func TestHashtagLimit(t *testing.T) {
	ctx := context.Background()

	t.Run("a 31st hashtag is refused before any request", func(t *testing.T) {
		var f *fakeGraph
		f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { t.Errorf("request %s past the limit", r.path) })
		start := activeTags(30).String()
		posts, next, err := newCollector(nil, Options{}).Collect(ctx, source(f), start)
		if !errors.Is(err, ErrHashtagLimit) {
			t.Fatalf("err = %v, want ErrHashtagLimit", err)
		}
		for _, want := range []string{"30 unique hashtags", "#CohesionAlliance", "2026-11-21 12:00 UTC"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if posts != nil || next != "" {
			t.Errorf("got %d posts and cursor %q, want nothing", len(posts), next)
		}
	})

	t.Run("hashtags already counted are still read", func(t *testing.T) {
		var f *fakeGraph
		f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
		cur := activeTags(29)
		cur.Hashtags["cohesionalliance"] = HashtagState{ID: cohesionID, WindowStart: testNow.Add(-time.Hour)}
		posts, next, err := newCollector(nil, Options{}).Collect(ctx, source(f, "CohesionAlliance", "EURegionsWeek"), cur.String())
		if !errors.Is(err, ErrHashtagLimit) || !strings.Contains(err.Error(), "#EURegionsWeek") || strings.Contains(err.Error(), "#CohesionAlliance") {
			t.Errorf("err = %v, want ErrHashtagLimit naming only #EURegionsWeek", err)
		}
		if len(posts) != 5 {
			t.Errorf("%d posts, want the 5 of #CohesionAlliance", len(posts))
		}
		if f.count(searchPath) != 0 || f.count(regionsPath) != 0 {
			t.Error("queried the refused hashtag or searched a cached ID")
		}
		got := mustCursor(t, next)
		if _, ok := got.Hashtags["euregionsweek"]; ok {
			t.Error("the refused hashtag was counted")
		}
		if st := got.Hashtags["cohesionalliance"]; !st.WindowStart.Equal(testNow.Add(-time.Hour)) || st.Newest.IsZero() {
			t.Errorf("state %+v: window must keep its start, newest must move", st)
		}
	})

	t.Run("a window older than seven days frees its slot", func(t *testing.T) {
		var f *fakeGraph
		f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
		cur := activeTags(30)
		cur.Hashtags["campaign0"] = HashtagState{ID: "17840000000000000", WindowStart: testNow.Add(-7*24*time.Hour - time.Minute)}
		_, next, err := newCollector(nil, Options{}).Collect(ctx, source(f), cur.String())
		if err != nil {
			t.Fatalf("Collect: %v", err)
		}
		if st := mustCursor(t, next).Hashtags["cohesionalliance"]; !st.WindowStart.Equal(testNow) {
			t.Errorf("state %+v, want the window to start now", st)
		}
	})

	t.Run("a lower configured limit", func(t *testing.T) {
		var f *fakeGraph
		f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
		_, _, err := newCollector(nil, Options{HashtagLimit: 1}).Collect(ctx, source(f, "CohesionAlliance", "EURegionsWeek"), "")
		if !errors.Is(err, ErrHashtagLimit) || !strings.Contains(err.Error(), "allows 1 unique") {
			t.Errorf("err = %v, want the limit of 1 named", err)
		}
	})
}

func TestGraphErrors(t *testing.T) {
	buc := `{"` + igUserID + `":[{"type":"instagram","call_count":100,"total_cputime":4,"total_time":6,"estimated_time_to_regain_access":19}]}`
	for _, tc := range []struct {
		name     string
		status   int
		file     string
		headers  map[string]string
		sentinel error
		wait     time.Duration
		text     string
	}{
		{"app rate limit", 403, "error_rate_limit.json", map[string]string{"X-App-Usage": `{"call_count":100,"total_time":25,"total_cputime":25}`},
			facebook.ErrRateLimited, time.Hour, "(#4) Application request limit reached"},
		{"instagram account rate limit", 403, "error_buc_rate_limit.json", map[string]string{"X-Business-Use-Case-Usage": buc},
			facebook.ErrRateLimited, 19 * time.Minute, "#80002"},
		{"expired token", 400, "error_token_expired.json", nil,
			facebook.ErrTokenExpired, 0, "expired or was revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f *fakeGraph
			f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				f.serve(w, tc.status, tc.file)
			})
			posts, _, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), "")
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			var he *collectors.HTTPError
			if !errors.As(err, &he) || he.StatusCode != tc.status || he.RetryAfter != tc.wait {
				t.Errorf("HTTPError %+v, want status %d and wait %s", he, tc.status, tc.wait)
			}
			var ge *facebook.GraphError
			if !errors.As(err, &ge) || ge.FBTraceID == "" {
				t.Errorf("no *facebook.GraphError with its fbtrace_id in %v", err)
			}
			if !strings.Contains(err.Error(), tc.text) || strings.Contains(err.Error(), accessToken) {
				t.Errorf("error %q: want %q and no token", err, tc.text)
			}
			if posts != nil {
				t.Errorf("got %d posts", len(posts))
			}
		})
	}
}

func TestFailuresDoNotAdvanceNewest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      func(r request) bool
		status    int
		file      string
		wantErr   string
		wantPosts []string
		wantID    string
	}{
		{"5xx on the hashtag search", func(r request) bool { return r.path == searchPath }, 500, "error_internal.json",
			"HTTP 500", nil, ""},
		{"malformed first page", func(r request) bool { return r.path == recentPath && !r.q.Has("after") }, 200, "recent_media_malformed.json",
			"malformed response", nil, cohesionID},
		{"5xx on the second page", func(r request) bool { return r.q.Has("after") }, 503, "error_internal.json",
			"HTTP 503", []string{mediaTram, mediaAlbum, mediaPool}, cohesionID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f *fakeGraph
			f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) {
				if tc.fail(r) {
					f.serve(w, tc.status, tc.file)
					return
				}
				f.standard(w, r, n)
			})
			posts, next, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), "")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "#CohesionAlliance") {
				t.Fatalf("err = %v, want %q naming the hashtag", err, tc.wantErr)
			}
			if !same(uris(posts), tc.wantPosts) {
				t.Errorf("posts %v, want %v", uris(posts), tc.wantPosts)
			}
			// The query counts against the limit, but nothing is marked read.
			st := mustCursor(t, next).Hashtags["cohesionalliance"]
			if !st.Newest.IsZero() || st.ID != tc.wantID || !st.WindowStart.Equal(testNow) {
				t.Errorf("state %+v: want no newest, id %q, window started now", st, tc.wantID)
			}
		})
	}
}

func TestSameMediaSeenTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	var f *fakeGraph
	f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
	src := source(f, "CohesionAlliance", "EURegionsWeek") // both hashtags find the same media
	c := newCollector(nil, Options{})
	posts, next, err := c.Collect(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 5 {
		t.Errorf("%d posts from two hashtags with the same media, want 5", len(posts))
	}
	if _, err := db.SavePosts(ctx, src.Name, posts, next); err != nil {
		t.Fatal(err)
	}
	cursor, _ := db.Cursor(ctx, src.Name)
	posts, next, err = c.Collect(ctx, src, cursor)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 0 {
		t.Errorf("second run stored %d new posts, want 0", len(res.New))
	}
	all, err := db.Posts(ctx, store.PostFilter{Network: model.NetworkInstagram})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Errorf("%d posts stored, want 5", len(all))
	}
}

func TestUnknownHashtag(t *testing.T) {
	var f *fakeGraph
	f = newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { f.standard(w, r, n) })
	_, _, err := newCollector(nil, Options{}).Collect(context.Background(), source(f, "NoSuchTagAnywhere"), "")
	if !errors.Is(err, ErrHashtagNotFound) || !strings.Contains(err.Error(), "#NoSuchTagAnywhere") {
		t.Errorf("err = %v, want ErrHashtagNotFound naming the hashtag", err)
	}
}

func TestBadConfigurationFailsClearly(t *testing.T) {
	f := newFakeGraph(t, func(w http.ResponseWriter, r request, n int) { t.Error("no request expected") })
	for _, tc := range []struct {
		name   string
		opts   Options
		edit   func(*model.Source)
		cursor string
		want   string
	}{
		{"no ig_user_id", Options{UserID: "-"}, func(*model.Source) {}, "", "ig_user_id"},
		{"no token", Options{}, func(s *model.Source) { s.Token = "" }, "", "no access token"},
		{"no hashtags", Options{}, func(s *model.Source) { s.Hashtags = []string{""} }, "", "no hashtags"},
		{"emoji hashtag", Options{}, func(s *model.Source) { s.Hashtags = []string{"🇪🇺"} }, "", "emoji"},
		{"unreadable cursor", Options{}, func(*model.Source) {}, "nope", "unreadable cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := source(f)
			tc.edit(&src)
			c := newCollector(nil, tc.opts)
			if tc.opts.UserID == "-" {
				c.opts.UserID = ""
			}
			posts, next, err := c.Collect(context.Background(), src, tc.cursor)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if posts != nil || next != "" {
				t.Error("got posts or a cursor from a bad configuration")
			}
		})
	}
}
