package webpage

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// site is a test server shaped like the campaign site. It counts requests
// per path so tests can check what was (not) fetched.
type site struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	robots func(w http.ResponseWriter)
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{hits: map[string]int{}}
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pages := map[string][]byte{
		"/en/stories":        file("stories.html"),
		"/en/stories?page=2": file("stories-2.html"),
		"/en/documents":      file("documents.html"),
		"/en/redesign":       file("layout-changed.html"),
		"/en/members/list":   file("stories.html"),
		"/drafts/list":       file("stories.html"),
	}
	robots := file("robots.txt")
	s.robots = func(w http.ResponseWriter) { w.Write(robots) }
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		s.mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			s.robots(w)
			return
		case "/en/bg-1251":
			w.Header().Set("Content-Type", "text/html; charset=windows-1251")
			b, _ := charmap.Windows1251.NewEncoder().String(`<html lang="bg"><body><ul><li class="story"><a href="/bg/1">Нов мост в Русе</a></li></ul></body></html>`)
			w.Write([]byte(b))
			return
		case "/en/report.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.7"))
			return
		}
		body, ok := pages[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) count(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[uri]
}

func testClient() *http.Client {
	return collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true, Timeout: 10 * time.Second})
}

var storyOptions = Options{
	ItemSelector:    "li.story",
	TitleSelector:   "h3",
	LinkSelector:    "h3 a",
	ImageSelector:   "img",
	DateSelector:    "time",
	SummarySelector: "p.teaser",
	NextSelector:    "a[rel=next]",
	MaxPages:        3,
}

func TestStoryList(t *testing.T) {
	s := newSite(t)
	posts, cur, err := New(testClient(), storyOptions).Collect(context.Background(),
		model.Source{Name: "stories", Kind: "webpage", URL: s.URL + "/en/stories", Category: "story"}, "")
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	type want struct {
		uri, lang, title, image, alt string
		published                    time.Time
	}
	wants := []want{
		{s.URL + "/en/stories/kavala-port", "en", "A new port for Kavala", s.URL + "/img/stories/kavala-port.jpg", "The new quay in Kavala", time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)},
		{s.URL + "/el/stories/thessaloniki-metro", "el", "Το μετρό της Θεσσαλονίκης", s.URL + "/img/stories/thessaloniki.jpg", "Το μετρό της Θεσσαλονίκης", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"https://cohesion.example/bg/stories/ruse-bridge", "bg", "Нов мост в Русе", s.URL + "/img/stories/ruse-480.jpg", "Мостът при Русе", time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)},
		{s.URL + "/en/stories/tallinn-tram#top", "en", "Tallinn's new tram line", s.URL + "/img/stories/tallinn.jpg", "Tram in Tallinn", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)},
	}
	if len(posts) != len(wants) {
		for _, p := range posts {
			t.Logf("got %s", p.URI)
		}
		t.Fatalf("got %d posts, want %d (the repeated teaser deduped, page 2 read, no loop back to page 1)", len(posts), len(wants))
	}
	for i, w := range wants {
		p := posts[i]
		t.Run(w.title, func(t *testing.T) {
			if p.URI != w.uri || p.URL != w.uri {
				t.Errorf("URI %q URL %q, want %q", p.URI, p.URL, w.uri)
			}
			if p.Network != model.NetworkWebpage || p.Category != "story" || p.SourceName != "stories" {
				t.Errorf("network %q category %q source %q, want webpage/story/stories", p.Network, p.Category, p.SourceName)
			}
			if p.Language != w.lang {
				t.Errorf("Language = %q, want %q", p.Language, w.lang)
			}
			if !strings.HasPrefix(p.Text, w.title) {
				t.Errorf("Text = %q, want it to start with the title %q", p.Text, w.title)
			}
			wantMedia := []model.Media{{Kind: model.MediaImage, URL: w.image, AltText: w.alt}}
			if !slices.Equal(p.Media, wantMedia) {
				t.Errorf("Media = %+v, want %+v", p.Media, wantMedia)
			}
			if !p.PublishedAt.Equal(w.published) {
				t.Errorf("PublishedAt = %v, want %v", p.PublishedAt, w.published)
			}
			if p.Author.DisplayName != "Cohesion Alliance" && i < 3 {
				t.Errorf("Author = %+v, want the og:site_name", p.Author)
			}
		})
	}
	if h := posts[0].HTML; !strings.Contains(h, `<a href="`+s.URL+`/en/funds/erdf"`) || strings.Contains(h, "script") || strings.Contains(h, "alert") {
		t.Errorf("summary HTML = %q, want the relative link resolved and the script gone", h)
	}
	if n := s.count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times, want once per host per run", n)
	}
	var c cursor
	if err := json.Unmarshal([]byte(cur), &c); err != nil || c.Config == "" {
		t.Errorf("cursor %q: %v; want JSON with the config hash", cur, err)
	}
}

func TestMaxPagesBoundsPagination(t *testing.T) {
	s := newSite(t)
	opts := storyOptions
	opts.MaxPages = 1
	posts, _, err := New(testClient(), opts).Collect(context.Background(), model.Source{Name: "s", URL: s.URL + "/en/stories"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 || s.count("/en/stories?page=2") != 0 {
		t.Errorf("got %d posts, page 2 fetched %d times; want 3 posts and no page 2", len(posts), s.count("/en/stories?page=2"))
	}
}

func TestDocumentLanguageVariants(t *testing.T) {
	s := newSite(t)
	posts, _, err := New(testClient(), Options{
		ItemSelector:          "div.document",
		TitleSelector:         "h4",
		DateSelector:          "span.date",
		DateLayout:            "02.01.2006",
		LanguageLinksSelector: "ul.languages a",
	}).Collect(context.Background(), model.Source{Name: "docs", URL: s.URL + "/en/documents", Category: "statement"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 {
		t.Fatalf("got %d posts, want 2: one per document, not one per language", len(posts))
	}
	for _, tc := range []struct {
		name     string
		p        model.Post
		uri      string
		tags     []string
		links    []string
		title    string
		pubished time.Time
	}{
		{"joint call", posts[0], s.URL + "/docs/joint-call_EN.pdf", []string{"lang:bg", "lang:el", "lang:en", "lang:fr"},
			[]string{s.URL + "/docs/joint-call_BG.pdf", s.URL + "/docs/joint-call_EL.pdf", s.URL + "/docs/joint-call_FR.pdf"},
			"Joint Call: a renewed cohesion policy post-2027", time.Date(2025, 10, 10, 0, 0, 0, 0, time.UTC)},
		{"greek declaration with native language names", posts[1], s.URL + "/en/declaration/bg", []string{"lang:bg", "lang:el"},
			[]string{s.URL + "/en/declaration/el"}, "Δήλωση της Συμμαχίας για τη Συνοχή", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.p.URI != tc.uri {
				t.Errorf("URI = %q, want %q (the page language's version, else the first)", tc.p.URI, tc.uri)
			}
			if !slices.Equal(tc.p.Tags, tc.tags) {
				t.Errorf("Tags = %q, want %q", tc.p.Tags, tc.tags)
			}
			for _, l := range tc.links {
				if !strings.Contains(tc.p.HTML, `href="`+l+`"`) {
					t.Errorf("HTML = %q, want a link to %s", tc.p.HTML, l)
				}
			}
			if !strings.HasPrefix(tc.p.Text, tc.title) {
				t.Errorf("Text = %q, want it to start with %q", tc.p.Text, tc.title)
			}
			if !tc.p.PublishedAt.Equal(tc.pubished) {
				t.Errorf("PublishedAt = %v, want %v", tc.p.PublishedAt, tc.pubished)
			}
		})
	}
}

func TestLayoutChanged(t *testing.T) {
	s := newSite(t)
	_, cur, err := New(testClient(), storyOptions).Collect(context.Background(), model.Source{Name: "s", URL: s.URL + "/en/redesign"}, "")
	if !errors.Is(err, ErrNoMatch) {
		t.Fatalf("err = %v, want ErrNoMatch", err)
	}
	want := "selector `li.story` matched nothing on " + s.URL + "/en/redesign"
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if cur != "" {
		t.Errorf("cursor = %q, want no advance", cur)
	}
}

func TestLinkSelectorMatchesNothing(t *testing.T) {
	s := newSite(t)
	opts := storyOptions
	opts.LinkSelector = "a.read-more"
	_, _, err := New(testClient(), opts).Collect(context.Background(), model.Source{Name: "s", URL: s.URL + "/en/stories"}, "")
	want := "selector `a.read-more` matched no link in any of the 4 items on " + s.URL + "/en/stories"
	if !errors.Is(err, ErrNoMatch) || err.Error() != want {
		t.Errorf("err = %v, want ErrNoMatch %q", err, want)
	}
}

func TestRobots(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string
		robots  func(w http.ResponseWriter)
		wantErr error
	}{
		{"our group disallows the member area", "/en/members/list", nil, ErrDisallowed},
		{"the * group does not apply when ours exists", "/drafts/list", nil, nil},
		{"robots.txt missing: all allowed", "/en/members/list", func(w http.ResponseWriter) { w.WriteHeader(404) }, nil},
		{"robots.txt failing: nothing allowed", "/en/stories", func(w http.ResponseWriter) { w.WriteHeader(503) }, ErrDisallowed},
		{"disallow all for campaignwall", "/en/stories", func(w http.ResponseWriter) {
			w.Write([]byte("User-agent: Googlebot\nAllow: /\n\nUser-agent: CampaignWall/0.1\nDisallow: /\n"))
		}, ErrDisallowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			if tc.robots != nil {
				s.robots = tc.robots
			}
			opts := storyOptions
			opts.NextSelector = ""
			_, _, err := New(testClient(), opts).Collect(context.Background(), model.Source{Name: "s", URL: s.URL + tc.path}, "")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if wantHits := map[bool]int{true: 0, false: 1}[tc.wantErr != nil]; s.count(tc.path) != wantHits {
				t.Errorf("page fetched %d times, want %d", s.count(tc.path), wantHits)
			}
		})
	}
}

func TestRobotsRules(t *testing.T) {
	body := `
User-agent: *
Disallow: /

User-agent: other-bot
User-agent: campaignwall
Disallow: /private/
Allow: /private/press/
Disallow: /*.php$
Disallow: /search?
Disallow: /el/Ειδήσεις/
`
	r := parseRobots(body, robotsToken)
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/stories", true},
		{"/private/notes", false},
		{"/private/press/release", true},
		{"/index.php", false},
		{"/index.php?x=1", true},
		{"/search?q=cohesion", false},
		{"/el/%CE%95%CE%B9%CE%B4%CE%AE%CF%83%CE%B5%CE%B9%CF%82/1", false},
		{"/robots.txt", true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			u, err := parseURL("https://cohesion.example" + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.allowed(u); got != tc.want {
				t.Errorf("allowed(%s) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

func TestConditionalGetAndConfigChange(t *testing.T) {
	var mu sync.Mutex
	var conditional []bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		conditional = append(conditional, r.Header.Get("If-None-Match") != "")
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeFile(w, r, "testdata/stories.html")
	}))
	defer srv.Close()
	src := model.Source{Name: "s", URL: srv.URL + "/stories.html"}
	opts := storyOptions
	opts.NextSelector = ""

	posts, cur, err := New(testClient(), opts).Collect(context.Background(), src, "")
	if err != nil || len(posts) != 3 {
		t.Fatalf("first run: %d posts, %v; want 3", len(posts), err)
	}
	posts, next, err := New(testClient(), opts).Collect(context.Background(), src, cur)
	if err != nil || len(posts) != 0 || next != "" {
		t.Errorf("unchanged page: %d posts, cursor %q, err %v; want none, unchanged cursor", len(posts), next, err)
	}
	opts.TitleSelector = "h3 a"
	posts, _, err = New(testClient(), opts).Collect(context.Background(), src, cur)
	if err != nil || len(posts) != 3 {
		t.Errorf("after a selector change: %d posts, %v; want the page read again", len(posts), err)
	}
	if want := []bool{false, true, false}; !slices.Equal(conditional, want) {
		t.Errorf("conditional requests = %v, want %v", conditional, want)
	}
}

func TestNonUTF8Page(t *testing.T) {
	s := newSite(t)
	posts, _, err := New(testClient(), Options{ItemSelector: "li.story"}).Collect(context.Background(), model.Source{Name: "s", URL: s.URL + "/en/bg-1251"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 || !strings.Contains(posts[0].HTML, "Нов мост в Русе") || posts[0].Language != "bg" {
		t.Errorf("posts = %+v, want one Bulgarian post decoded from windows-1251", posts)
	}
}

func TestBadSources(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		name string
		url  string
		opts Options
		want string
		is   error
	}{
		{"no item selector", s.URL + "/en/stories", Options{}, "no item selector configured", nil},
		{"not http", "ftp://cohesion.example/", storyOptions, "not an http(s) URL", nil},
		{"not html", s.URL + "/en/report.pdf", storyOptions, "application/pdf", ErrNotHTML},
		{"missing page", s.URL + "/en/gone", storyOptions, "HTTP 404", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := New(testClient(), tc.opts).Collect(context.Background(), model.Source{Name: "s", URL: tc.url}, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
}

func TestPrivateAddressRefused(t *testing.T) {
	s := newSite(t)
	guarded := collectors.NewClient(collectors.ClientOptions{Timeout: 5 * time.Second})
	_, _, err := New(guarded, storyOptions).Collect(context.Background(), model.Source{Name: "s", URL: s.URL + "/en/stories"}, "")
	if !errors.Is(err, collectors.ErrPrivateAddress) {
		t.Errorf("err = %v, want ErrPrivateAddress", err)
	}
	if n := s.count("/en/stories") + s.count("/robots.txt"); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestStoredTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := newSite(t)
	c := New(testClient(), Options{ItemSelector: "div.document", TitleSelector: "h4", LanguageLinksSelector: "ul.languages a"})
	src := model.Source{Name: "docs", URL: s.URL + "/en/documents", Category: "statement"}
	for run, wantNew := range []int{2, 0} {
		posts, cur, err := c.Collect(ctx, src, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.SavePosts(ctx, src.Name, posts, cur)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.New) != wantNew {
			t.Errorf("run %d: %d new posts, want %d", run, len(res.New), wantNew)
		}
	}
	stored, err := st.Posts(ctx, store.PostFilter{Source: "docs"})
	if err != nil {
		t.Fatal(err)
	}
	var tags [][]string
	for _, p := range stored {
		tags = append(tags, p.Tags)
	}
	if len(stored) != 2 || !slices.ContainsFunc(tags, func(t []string) bool { return slices.Equal(t, []string{"lang:bg", "lang:el", "lang:en", "lang:fr"}) }) {
		t.Errorf("stored tags %q, want the Joint Call's four languages kept", tags)
	}
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

// TestLaterPageFails: the first page's posts come back with the error, and
// the cursor does not advance, as the Collector contract asks.
func TestLaterPageFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Query().Get("page") == "2":
			http.Error(w, "overloaded", http.StatusBadGateway)
		default:
			w.Header().Set("ETag", `"v1"`)
			http.ServeFile(w, r, "testdata/stories.html")
		}
	}))
	defer srv.Close()
	posts, cur, err := New(testClient(), storyOptions).Collect(context.Background(), model.Source{Name: "s", URL: srv.URL + "/stories.html"}, "")
	var he *collectors.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v, want the page-2 HTTP 502", err)
	}
	if len(posts) != 3 || cur != "" {
		t.Errorf("got %d posts and cursor %q, want page 1's 3 posts and no cursor advance", len(posts), cur)
	}
}
