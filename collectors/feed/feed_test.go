package feed

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

func testClient() *http.Client {
	return collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true, Timeout: 10 * time.Second})
}

// serveFile serves testdata/name with the given content type.
func serveFile(t *testing.T, name, contentType string) *httptest.Server {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func collect(t *testing.T, srv *httptest.Server, category string) []model.Post {
	t.Helper()
	c := New(testClient(), Options{})
	posts, cur, err := c.Collect(context.Background(), model.Source{Name: "src", Kind: "feed", URL: srv.URL + "/feed", Category: category}, "")
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if cur == "" {
		t.Errorf("next cursor is empty after a 200, want a JSON cursor")
	}
	return posts
}

func mediaKinds(p model.Post) []model.MediaKind {
	var k []model.MediaKind
	for _, m := range p.Media {
		k = append(k, m.Kind)
	}
	return k
}

func TestFormats(t *testing.T) {
	type want struct {
		n          int
		uri        string
		url        string
		author     string
		handle     string
		lang       string
		htmlHas    []string
		htmlHasNot []string
		tags       []string
		media      []model.Media
		published  time.Time
	}
	for _, tc := range []struct {
		name, file, ctype string
		want              want
	}{
		{
			name: "rss 2.0", file: "rss2.xml", ctype: "application/rss+xml",
			want: want{
				n:          2,
				uri:        "{srv}/feed#statement-2026-017", // a bare GUID is qualified with the feed URL
				url:        "https://cohesionalliance.example/statements/regions-call-2027",
				author:     "CoR Press Office",
				handle:     "CoR Press Office@cohesionalliance.example",
				lang:       "en",
				htmlHas:    []string{"<strong>Regions call for a strong cohesion policy after 2027</strong>", "<b>Committee of the Regions</b>"},
				htmlHasNot: []string{"<script", "alert(1)"},
				tags:       []string{"cohesionpolicy", "cohesionalliance"},
				media:      []model.Media{{Kind: model.MediaImage, URL: "https://cohesionalliance.example/media/regions-call.jpg"}},
				published:  time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC),
			},
		},
		{
			name: "atom 1.0 with greek and cyrillic", file: "atom.xml", ctype: "application/atom+xml",
			want: want{
				n:         2,
				uri:       "tag:stories.example,2026:kavala-port",
				url:       "https://stories.example/el/kavala-port",
				author:    "Μαρία Παπαδοπούλου",
				handle:    "Μαρία Παπαδοπούλου@stories.example",
				lang:      "el", // from xml:lang
				htmlHas:   []string{"<strong>Ένα νέο λιμάνι για την Καβάλα</strong>", "Το έργο χρηματοδοτήθηκε από το ΕΤΠΑ."},
				published: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC),
			},
		},
		{
			name: "json feed 1.1", file: "jsonfeed.json", ctype: "application/feed+json",
			want: want{
				n:         2,
				uri:       "{srv}/feed#2",
				url:       "https://news.example/2026/03/summit",
				author:    "Ana Silva",
				handle:    "Ana Silva@news.example",
				lang:      "fr",
				htmlHas:   []string{`<a href="https://news.example/summit"`, "Summit of Regions and Cities"},
				tags:      []string{"summit", "regionsandcities"},
				media:     []model.Media{{Kind: model.MediaImage, URL: "https://news.example/img/summit.webp"}},
				published: time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC),
			},
		},
		{
			name: "podcast enclosures", file: "podcast.xml", ctype: "application/rss+xml",
			want: want{
				n:       2,
				uri:     "https://podcast.example/regio-waves/ep12",
				url:     "https://podcast.example/regio-waves/ep12",
				author:  "DG REGIO", // itunes:author, the feed's author
				handle:  "DG REGIO@podcast.example",
				lang:    "en",
				htmlHas: []string{"Episode 12: Islands and energy", "How islands go renewable."},
				media: []model.Media{{Kind: model.MediaAudio, URL: "https://podcast.example/ep12.mp3",
					PreviewURL: "https://podcast.example/ep12.jpg", AltText: "Episode 12: Islands and energy"}},
				published: time.Date(2026, 3, 5, 6, 0, 0, 0, time.UTC),
			},
		},
		{
			name: "youtube channel", file: "youtube.xml", ctype: "application/atom+xml",
			want: want{
				n:       1,
				uri:     "yt:video:AbCdEfGhIjK",
				url:     "https://www.youtube.com/watch?v=AbCdEfGhIjK",
				author:  "European Committee of the Regions",
				handle:  "European Committee of the Regions@www.youtube.com",
				htmlHas: []string{"Mayors and regional presidents explain the campaign.", `<a href="https://cohesionalliance.example/joint-call"`},
				media: []model.Media{{Kind: model.MediaVideo, URL: "https://www.youtube.com/watch?v=AbCdEfGhIjK",
					PreviewURL: "https://i2.ytimg.com/vi/AbCdEfGhIjK/hqdefault.jpg", AltText: "#CohesionAlliance: why cohesion matters",
					Width: 480, Height: 360}},
				published: time.Date(2026, 3, 2, 14, 0, 6, 0, time.UTC),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveFile(t, tc.file, tc.ctype)
			posts := collect(t, srv, "story")
			if len(posts) != tc.want.n {
				t.Fatalf("got %d posts, want %d", len(posts), tc.want.n)
			}
			p := posts[0]
			wantURI := strings.ReplaceAll(tc.want.uri, "{srv}", srv.URL)
			checks := []struct{ field, got, want string }{
				{"Network", string(p.Network), string(model.NetworkFeed)},
				{"URI", p.URI, wantURI},
				{"URL", p.URL, tc.want.url},
				{"Author.DisplayName", p.Author.DisplayName, tc.want.author},
				{"Author.Handle", p.Author.Handle, tc.want.handle},
				{"Language", p.Language, tc.want.lang},
				{"Category", p.Category, "story"},
				{"SourceName", p.SourceName, "src"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			for _, s := range tc.want.htmlHas {
				if !strings.Contains(p.HTML, s) {
					t.Errorf("HTML = %q, want it to contain %q", p.HTML, s)
				}
			}
			for _, s := range tc.want.htmlHasNot {
				if strings.Contains(p.HTML, s) {
					t.Errorf("HTML = %q, want no %q", p.HTML, s)
				}
			}
			if p.Text == "" || strings.Contains(p.Text, "<") {
				t.Errorf("Text = %q, want plain text", p.Text)
			}
			if tc.want.tags != nil && !slices.Equal(p.Tags, tc.want.tags) {
				t.Errorf("Tags = %q, want %q", p.Tags, tc.want.tags)
			}
			if tc.want.media != nil && !slices.Equal(p.Media, tc.want.media) {
				t.Errorf("Media = %+v, want %+v", p.Media, tc.want.media)
			}
			if !p.PublishedAt.Equal(tc.want.published) {
				t.Errorf("PublishedAt = %v, want %v", p.PublishedAt, tc.want.published)
			}
		})
	}
}

func TestRSSSecondItemMediaContentAndRelativeLink(t *testing.T) {
	posts := collect(t, serveFile(t, "rss2.xml", "application/rss+xml"), "statement")
	if len(posts) != 2 {
		t.Fatalf("got %d posts, want 2", len(posts))
	}
	p := posts[1]
	if p.URI != "https://cohesionalliance.example/statements/cities-sign" {
		t.Errorf("URI without GUID = %q, want the item link", p.URI)
	}
	want := []model.Media{{Kind: model.MediaImage, URL: "https://cohesionalliance.example/media/mayors.png", AltText: "Mayors holding the Joint Call"}}
	if !slices.Equal(p.Media, want) {
		t.Errorf("Media = %+v, want %+v", p.Media, want)
	}
	if p.Author.DisplayName != "Cohesion Alliance – Partner statements" {
		t.Errorf("author without item author = %q, want the feed title", p.Author.DisplayName)
	}
}

func TestAtomEntryInheritsFeedAuthor(t *testing.T) {
	posts := collect(t, serveFile(t, "atom.xml", "application/atom+xml"), "story")
	if len(posts) != 2 {
		t.Fatalf("got %d posts, want 2", len(posts))
	}
	p := posts[1]
	if p.Author.DisplayName != "Stories desk" || p.URL != "https://stories.example/bg/ruse-bridge" {
		t.Errorf("author %q, URL %q; want the feed's author \"Stories desk\" and the entry link", p.Author.DisplayName, p.URL)
	}
	if !strings.Contains(p.HTML, "<strong>Нов мост в Русе</strong>") || !strings.Contains(p.Text, "Мостът свързва двата бряга.") {
		t.Errorf("HTML %q, Text %q; want the Cyrillic title and summary intact", p.HTML, p.Text)
	}
}

func TestConditionalGet(t *testing.T) {
	body, err := os.ReadFile("testdata/rss2.xml")
	if err != nil {
		t.Fatal(err)
	}
	const etag = `"v1-abc"`
	const lastMod = "Tue, 03 Mar 2026 09:30:00 GMT"
	var gotINM, gotIMS atomic.Value
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		gotINM.Store(r.Header.Get("If-None-Match"))
		gotIMS.Store(r.Header.Get("If-Modified-Since"))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Write(body)
	}))
	defer srv.Close()
	c := New(testClient(), Options{})
	src := model.Source{Name: "statements", URL: srv.URL}

	posts, cur, err := c.Collect(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 {
		t.Fatalf("first run: %d posts, want 2", len(posts))
	}
	var decoded map[string]string
	if err := json.Unmarshal([]byte(cur), &decoded); err != nil {
		t.Fatalf("cursor %q is not JSON: %v", cur, err)
	}
	if decoded["etag"] != etag || decoded["last_modified"] != lastMod {
		t.Errorf("cursor = %v, want etag %s and last_modified %s", decoded, etag, lastMod)
	}

	posts, next, err := c.Collect(context.Background(), src, cur)
	if err != nil {
		t.Fatal(err)
	}
	if got := gotINM.Load(); got != etag {
		t.Errorf("If-None-Match = %q, want %q", got, etag)
	}
	if got := gotIMS.Load(); got != lastMod {
		t.Errorf("If-Modified-Since = %q, want %q", got, lastMod)
	}
	if len(posts) != 0 || next != "" {
		t.Errorf("after 304: %d posts, cursor %q; want none and an unchanged (empty) cursor", len(posts), next)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestUnreadableCursorFetchesUnconditionally(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			t.Errorf("conditional headers sent for an unreadable cursor")
		}
		http.ServeFile(w, r, "testdata/atom.xml")
	}))
	defer srv.Close()
	posts, _, err := New(testClient(), Options{}).Collect(context.Background(), model.Source{Name: "s", URL: srv.URL}, "not json")
	if err != nil || len(posts) != 2 {
		t.Fatalf("got %d posts, err %v; want 2 posts", len(posts), err)
	}
}

func TestBrokenFeeds(t *testing.T) {
	for _, tc := range []struct {
		name, file, ctype, msg string
	}{
		{"broken xml", "broken.xml", "application/rss+xml", "EOF"},
		{"html page instead of a feed", "", "text/html", "failed to detect feed type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			if tc.file != "" {
				srv = serveFile(t, tc.file, tc.ctype)
			} else {
				srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Write([]byte("<!doctype html><html><body><p>We moved our feed.</p></body></html>"))
				}))
				t.Cleanup(srv.Close)
			}
			posts, cur, err := New(testClient(), Options{}).Collect(context.Background(),
				model.Source{Name: "s", URL: srv.URL + "/feed.xml"}, `{"etag":"\"old\""}`)
			if !errors.Is(err, ErrInvalidFeed) {
				t.Fatalf("err = %v, want ErrInvalidFeed", err)
			}
			for _, s := range []string{srv.URL + "/feed.xml", tc.msg} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
			if posts != nil || cur != "" {
				t.Errorf("got %d posts and cursor %q, want none and no cursor advance", len(posts), cur)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	_, cur, err := New(testClient(), Options{}).Collect(context.Background(), model.Source{Name: "s", URL: srv.URL}, "")
	var he *collectors.HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want *collectors.HTTPError", err)
	}
	if he.StatusCode != 503 || he.RetryAfter != 2*time.Minute || !he.Temporary() {
		t.Errorf("HTTPError = %+v, want 503, retry after 2m, temporary", he)
	}
	if cur != "" {
		t.Errorf("cursor = %q after an error, want empty", cur)
	}
}

func TestBadSourceURL(t *testing.T) {
	for _, u := range []string{"", "ftp://example.com/feed", "feed.xml", "https://"} {
		t.Run(u, func(t *testing.T) {
			_, _, err := New(testClient(), Options{}).Collect(context.Background(), model.Source{Name: "s", URL: u}, "")
			if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
				t.Errorf("err = %v, want a clear URL error", err)
			}
		})
	}
}

func TestPrivateAddressRefused(t *testing.T) {
	srv := serveFile(t, "rss2.xml", "application/rss+xml")
	guarded := collectors.NewClient(collectors.ClientOptions{Timeout: 5 * time.Second})
	_, _, err := New(guarded, Options{}).Collect(context.Background(), model.Source{Name: "s", URL: srv.URL}, "")
	if !errors.Is(err, collectors.ErrPrivateAddress) {
		t.Errorf("err = %v, want ErrPrivateAddress", err)
	}
}

func TestMaxItemsKeepsNewest(t *testing.T) {
	srv := serveFile(t, "podcast.xml", "application/rss+xml")
	posts, _, err := New(testClient(), Options{MaxItems: 1}).Collect(context.Background(), model.Source{Name: "s", URL: srv.URL}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 || posts[0].URI != "https://podcast.example/regio-waves/ep12" {
		t.Errorf("got %d posts (first %+v), want only episode 12", len(posts), posts)
	}
}

// TestStoredTwiceIsStoredOnce runs the collector's output through the real
// store twice: the dedupe key must hold across runs.
func TestStoredTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := serveFile(t, "rss2.xml", "application/rss+xml")
	c := New(testClient(), Options{})
	src := model.Source{Name: "statements", URL: srv.URL, Category: "statement"}
	for run, wantNew := range []int{2, 0} {
		posts, cur, err := c.Collect(ctx, src, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.SavePosts(ctx, src.Name, posts, cur)
		if err != nil {
			t.Fatalf("run %d: SavePosts: %v", run, err)
		}
		if len(res.New) != wantNew || res.Known != 2-wantNew {
			t.Errorf("run %d: %d new, %d known; want %d new, %d known", run, len(res.New), res.Known, wantNew, 2-wantNew)
		}
	}
	stored, err := st.Posts(ctx, store.PostFilter{Source: "statements"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0].Category != "statement" || len(stored[0].Tags) != 2 {
		t.Errorf("stored %+v, want 2 statement posts with their tags", stored)
	}
}

// TestMovedFeedKeepsURIs: a publisher moves its feed behind a redirect; bare
// GUIDs stay qualified with the configured URL, so nothing is collected twice.
func TestMovedFeedKeepsURIs(t *testing.T) {
	srv := serveFile(t, "rss2.xml", "application/rss+xml")
	old := httptest.NewServer(http.RedirectHandler(srv.URL+"/new-feed.xml", http.StatusMovedPermanently))
	defer old.Close()
	posts, _, err := New(testClient(), Options{}).Collect(context.Background(), model.Source{Name: "s", URL: old.URL + "/feed.xml"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) == 0 {
		t.Fatal("no posts")
	}
	if want := old.URL + "/feed.xml#statement-2026-017"; posts[0].URI != want {
		t.Errorf("URI = %q, want %q", posts[0].URI, want)
	}
}
