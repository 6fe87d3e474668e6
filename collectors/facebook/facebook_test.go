package facebook

import (
	"context"
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

const (
	pageID      = "104958162837"
	accessToken = "EAAGpage-token-never-logged"
	postsPath   = "/" + pageID + "/posts"
	wantFields  = "id,message,created_time,permalink_url,from,attachments{media,type,url,description,subattachments}"

	postAlbum  = "https://www.facebook.com/" + pageID + "_122171234567890123" // 11:50, album, #CohesionAlliance
	postShare  = "https://www.facebook.com/" + pageID + "_122171234567890124" // 11:20, link share
	postVideo  = "https://www.facebook.com/" + pageID + "_122171234567890125" // 10:30, video, #CohesionAlliance
	postPlen   = "https://www.facebook.com/" + pageID + "_122171234567890127" // 11-19 08:00, photo, #CohesionAlliance
	postLater  = "https://www.facebook.com/" + pageID + "_122171234567890128" // 12:20, text only
	coverPhoto = "https://www.facebook.com/" + pageID + "_122171234567890126" // skipped: no message, cover photo
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type fakePage struct {
	*httptest.Server
	t      *testing.T
	mu     sync.Mutex
	reqs   []url.Values
	handle func(w http.ResponseWriter, q url.Values, call int)
}

func newFakePage(t *testing.T, handle func(f *fakePage, w http.ResponseWriter, q url.Values, call int)) *fakePage {
	f := &fakePage{t: t}
	f.handle = func(w http.ResponseWriter, q url.Values, call int) { handle(f, w, q, call) }
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != postsPath {
			t.Errorf("request to %s, want %s", r.URL.Path, postsPath)
		}
		if r.Header.Get("Authorization") != "Bearer "+accessToken || r.URL.Query().Has("access_token") {
			t.Errorf("token not (only) in the Authorization header: %q %s", r.Header.Get("Authorization"), r.URL)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, r.URL.Query())
		n := len(f.reqs)
		f.mu.Unlock()
		f.handle(w, r.URL.Query(), n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakePage) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.reqs...)
}

func (f *fakePage) serve(w http.ResponseWriter, status int, file string) {
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		f.t.Fatal(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(strings.ReplaceAll(string(body), "{{BASE}}", f.URL)))
}

// twoPages serves page 1, and page 2 for its paging.next.
func twoPages(f *fakePage, w http.ResponseWriter, q url.Values, _ int) {
	if q.Has("__paging_token") {
		f.serve(w, 200, "posts_page2.json")
		return
	}
	f.serve(w, 200, "posts_page1.json")
}

func source(f *fakePage) model.Source {
	return model.Source{Name: "fb-cor", Kind: "facebook_page", URL: f.URL, Token: accessToken}
}

func newCollector(now func() time.Time, opts Options) *Collector {
	if opts.PageID == "" {
		opts.PageID = pageID
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
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCollectPagesAndMaps(t *testing.T) {
	f := newFakePage(t, twoPages)
	posts, next, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), "")
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if want := []string{postAlbum, postShare, postVideo, postPlen}; !same(uris(posts), want) {
		t.Errorf("posts\n%v\nwant (cover photo change skipped)\n%v", uris(posts), want)
	}
	if got := mustCursor(t, next); !got.Newest.Equal(time.Date(2026, 11, 20, 11, 50, 0, 0, time.UTC)) {
		t.Errorf("cursor %+v, want newest 11:50", got)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 pages", len(reqs))
	}
	first := reqs[0]
	if first.Get("fields") != wantFields || first.Get("limit") != "25" ||
		first.Get("since") != strconv.FormatInt(testNow.Add(-7*24*time.Hour).Unix(), 10) {
		t.Errorf("first request %v, want fields %s, limit 25, since a week ago", first, wantFields)
	}

	by := map[string]model.Post{}
	for _, p := range posts {
		by[p.URI] = p
	}
	album := by[postAlbum]
	if len(album.Media) != 2 || album.Media[0].AltText != "A new tram line in Lille" || album.Media[0].Width != 2048 ||
		album.Media[0].Kind != model.MediaImage || !strings.Contains(album.Media[1].URL, "467000003_n.jpg") {
		t.Errorf("album media %+v, want its two photos", album.Media)
	}
	if album.URL != "https://www.facebook.com/permalink.php?story_fbid=pfbid02xYz1&id="+pageID || album.RemoteID != pageID+"_122171234567890123" {
		t.Errorf("URL %q RemoteID %q", album.URL, album.RemoteID)
	}
	if album.Author.Handle != pageID || album.Author.DisplayName != "European Committee of the Regions" || album.Author.URL != "https://www.facebook.com/"+pageID {
		t.Errorf("author %+v", album.Author)
	}
	if strings.Join(album.Tags, " ") != "CohesionAlliance EURegionsWeek" || album.Network != model.NetworkFacebook {
		t.Errorf("tags %v network %q", album.Tags, album.Network)
	}
	if share := by[postShare]; len(share.Media) != 0 || !strings.Contains(share.HTML, `href="https://cohesionalliance.eu/joint-call"`) {
		t.Errorf("share: media %+v html %q; want no media, the link in the text", share.Media, share.HTML)
	}
	if v := by[postVideo].Media; len(v) != 1 || v[0].Kind != model.MediaVideo || !strings.HasSuffix(strings.Split(v[0].URL, "?")[0], ".mp4") ||
		!strings.Contains(v[0].PreviewURL, "467000004_n.jpg") {
		t.Errorf("video media %+v", v)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	later := false
	f := newFakePage(t, func(f *fakePage, w http.ResponseWriter, q url.Values, n int) {
		if later {
			f.serve(w, 200, "posts_newer.json")
			return
		}
		twoPages(f, w, q, n)
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
	posts, next, err = newCollector(func() time.Time { return testNow.Add(time.Hour) }, Options{}).Collect(ctx, src, stored)
	if err != nil {
		t.Fatal(err)
	}
	last := f.requests()[len(f.requests())-1]
	if want := strconv.FormatInt(time.Date(2026, 11, 20, 11, 49, 0, 0, time.UTC).Unix(), 10); last.Get("since") != want {
		t.Errorf("since = %s, want %s (a minute before the newest post read)", last.Get("since"), want)
	}
	res, err := db.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.New[0].URI != postLater || res.Known != 1 {
		t.Errorf("second run: %d new %v, %d known; want %s new and 1 known", len(res.New), uris(res.New), res.Known, postLater)
	}
	stored, _ = db.Cursor(ctx, src.Name)
	if got := mustCursor(t, stored); !got.Newest.Equal(time.Date(2026, 11, 20, 12, 20, 0, 0, time.UTC)) {
		t.Errorf("stored cursor %+v, want newest 12:20", got)
	}
}

func TestSamePostSeenTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	f := newFakePage(t, func(f *fakePage, w http.ResponseWriter, _ url.Values, _ int) { f.serve(w, 200, "posts_newer.json") })
	src := source(f)
	c := newCollector(nil, Options{})
	var news int
	cursor := ""
	for range 2 {
		posts, next, err := c.Collect(ctx, src, cursor)
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.SavePosts(ctx, src.Name, posts, next)
		if err != nil {
			t.Fatal(err)
		}
		news += len(res.New)
		cursor, _ = db.Cursor(ctx, src.Name)
	}
	all, err := db.Posts(ctx, store.PostFilter{Network: model.NetworkFacebook})
	if err != nil {
		t.Fatal(err)
	}
	if news != 2 || len(all) != 2 {
		t.Errorf("%d new over two runs, %d stored; want 2 and 2", news, len(all))
	}
}

func TestHashtagFilter(t *testing.T) {
	f := newFakePage(t, twoPages)
	src := source(f)
	src.Hashtags = []string{"#cohesionalliance"}
	posts, _, err := newCollector(nil, Options{}).Collect(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{postAlbum, postVideo, postPlen}; !same(uris(posts), want) {
		t.Errorf("posts %v, want only those tagged %v", uris(posts), want)
	}
}

func TestGraphErrorsAreClear(t *testing.T) {
	buc := `{"` + pageID + `":[{"type":"pages","call_count":100,"total_cputime":12,"total_time":15,"estimated_time_to_regain_access":7}]}`
	for _, tc := range []struct {
		name     string
		status   int
		file     string
		headers  map[string]string
		sentinel error
		wait     time.Duration
		text     string
	}{
		{"page rate limit", 403, "error_rate_limit.json", map[string]string{"X-Business-Use-Case-Usage": buc}, ErrRateLimited, 7 * time.Minute, "(#32) Page request limit reached"},
		{"invalid token", 400, "error_token_expired.json", nil, ErrTokenExpired, 0, "create a new long-lived token"},
		{"retry-after on a 429", 429, "error_plain.json", map[string]string{"Retry-After": "42"}, nil, 42 * time.Second, "HTTP 429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePage(t, func(f *fakePage, w http.ResponseWriter, _ url.Values, _ int) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				f.serve(w, tc.status, tc.file)
			})
			posts, next, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), "")
			if err == nil || (tc.sentinel != nil && !errors.Is(err, tc.sentinel)) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			var he *collectors.HTTPError
			if !errors.As(err, &he) || he.StatusCode != tc.status || he.RetryAfter != tc.wait {
				t.Errorf("HTTPError %+v, want status %d, wait %s", he, tc.status, tc.wait)
			}
			if !strings.Contains(err.Error(), tc.text) || strings.Contains(err.Error(), accessToken) || !strings.Contains(err.Error(), pageID) {
				t.Errorf("error %q: want %q and the page named, no token", err, tc.text)
			}
			if posts != nil || next != "" {
				t.Errorf("got posts or cursor")
			}
		})
	}
}

func TestFailuresKeepTheCursor(t *testing.T) {
	start := Cursor{Newest: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)}.String()
	for _, tc := range []struct {
		name      string
		failCall  int
		status    int
		file      string
		want      string
		wantPosts []string
	}{
		{"5xx first page", 1, 500, "error_internal.json", "HTTP 500", nil},
		{"malformed first page", 1, 200, "posts_malformed.json", "malformed response", nil},
		{"malformed second page", 2, 200, "posts_malformed.json", "malformed response", []string{postAlbum, postShare, postVideo}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePage(t, func(f *fakePage, w http.ResponseWriter, q url.Values, n int) {
				if n == tc.failCall {
					f.serve(w, tc.status, tc.file)
					return
				}
				twoPages(f, w, q, n)
			})
			posts, next, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), start)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if next != "" {
				t.Errorf("cursor moved to %q after a failure", next)
			}
			if !same(uris(posts), tc.wantPosts) {
				t.Errorf("posts %v, want %v", uris(posts), tc.wantPosts)
			}
		})
	}
}

func TestMorePagesThanMaxPagesKeepsTheCursor(t *testing.T) {
	f := newFakePage(t, twoPages)
	posts, next, err := newCollector(nil, Options{MaxPages: 1}).Collect(context.Background(), source(f), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 || next != "" {
		t.Errorf("%d posts, cursor %q; want page 1's 3 posts and the cursor left for the rest", len(posts), next)
	}
}

func TestBadConfigurationFailsClearly(t *testing.T) {
	f := newFakePage(t, func(*fakePage, http.ResponseWriter, url.Values, int) { t.Error("no request expected") })
	for _, tc := range []struct {
		name   string
		pageID string
		edit   func(*model.Source)
		cursor string
		want   string
	}{
		{"no page_id", "-", func(*model.Source) {}, "", "page_id"},
		{"no token", "", func(s *model.Source) { s.Token = "" }, "", "no access token"},
		{"bad hashtag", "", func(s *model.Source) { s.Hashtags = []string{"a b"} }, "", `"a b"`},
		{"unreadable cursor", "", func(*model.Source) {}, "{", "unreadable cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := source(f)
			tc.edit(&src)
			c := newCollector(nil, Options{PageID: tc.pageID})
			if tc.pageID == "-" {
				c.opts.PageID = ""
			}
			posts, next, err := c.Collect(context.Background(), src, tc.cursor)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if posts != nil || next != "" {
				t.Error("got posts or a cursor")
			}
		})
	}
}

// Usage headers follow https://developers.facebook.com/docs/graph-api/overview/rate-limiting/:
// percentages of the limit, on ordinary 200 answers.
func TestUsageNearTheLimitStopsCalling(t *testing.T) {
	start := Cursor{Newest: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)}.String()
	for _, tc := range []struct {
		name      string
		header    string
		value     string
		onCall    int // the response that carries the header
		wantCalls int
		wantWait  time.Duration
		wantPosts []string
		wantNext  bool // the cursor moves: every page was read
	}{
		{"app usage on the first page", "X-App-Usage", `{"call_count":96,"total_time":20,"total_cputime":20}`,
			1, 1, usagePause, []string{postAlbum, postShare, postVideo}, false},
		{"page usage on the last page", "X-Page-Usage", `{"call_count":10,"total_time":97,"total_cputime":12}`,
			2, 2, usagePause, []string{postAlbum, postShare, postVideo, postPlen}, true},
		{"business use case says when", "X-Business-Use-Case-Usage",
			`{"` + pageID + `":[{"type":"pages","call_count":99,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":42}]}`,
			1, 1, 42 * time.Minute, []string{postAlbum, postShare, postVideo}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePage(t, func(f *fakePage, w http.ResponseWriter, q url.Values, n int) {
				if n == tc.onCall {
					w.Header().Set(tc.header, tc.value)
				}
				twoPages(f, w, q, n)
			})
			posts, next, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), start)
			var ue *UsageError
			if !errors.As(err, &ue) || !errors.Is(err, ErrRateLimited) {
				t.Fatalf("err = %v, want a *UsageError matching ErrRateLimited", err)
			}
			if ue.Header != tc.header || ue.RetryDelay() != tc.wantWait {
				t.Errorf("usage error %+v, want header %s and wait %s", ue, tc.header, tc.wantWait)
			}
			if got := len(f.requests()); got != tc.wantCalls {
				t.Errorf("%d requests, want %d: no call after usage reached %d%%", got, tc.wantCalls, UsageCeiling)
			}
			if !same(uris(posts), tc.wantPosts) {
				t.Errorf("posts %v, want %v (what was read before stopping)", uris(posts), tc.wantPosts)
			}
			if (next != "") != tc.wantNext {
				t.Errorf("next cursor %q, want moved=%v", next, tc.wantNext)
			}
		})
	}

	t.Run("usage below the ceiling changes nothing", func(t *testing.T) {
		f := newFakePage(t, func(f *fakePage, w http.ResponseWriter, q url.Values, n int) {
			w.Header().Set("X-App-Usage", `{"call_count":94,"total_time":3,"total_cputime":3}`)
			w.Header().Set("X-Page-Usage", `not json`)
			twoPages(f, w, q, n)
		})
		posts, _, err := newCollector(nil, Options{}).Collect(context.Background(), source(f), start)
		if err != nil || len(posts) != 4 || len(f.requests()) != 2 {
			t.Errorf("err %v, %d posts, %d requests; want nil, 4, 2", err, len(posts), len(f.requests()))
		}
	})
}
