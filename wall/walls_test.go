package wall

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/mmcdole/gofeed"
)

// twoWalls are wall "pl" (Polish posts only, the default) and wall "news"
// (feed posts only), with one post for each and one for neither.
type twoWalls struct {
	*testWall
	polish, news, other model.Post
}

func newTwoWalls(t *testing.T, opts Options) *twoWalls {
	t.Helper()
	opts.CampaignName = "Cohesion Alliance"
	opts.Walls = []model.Wall{
		{Slug: "pl", Title: "Polska", Mode: model.ModeMasonry, Theme: "dark", Default: true, Filter: model.WallFilter{Languages: []string{"pl"}}},
		{Slug: "news", Title: "News", Mode: model.ModeList, Theme: "light", Filter: model.WallFilter{Networks: []model.Network{model.NetworkFeed}},
			FrameAncestors: []string{"'self'", "https://cor.europa.eu"}},
	}
	w := &twoWalls{testWall: newTestWall(t, opts)}
	w.polish = savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	w.news = savePost(t, w.st, variant("plain_text_only", 2), model.StatusApproved, false)
	other := variant("pinned_highlighted", 3)
	other.Language = "fr"
	w.other = savePost(t, w.st, other, model.StatusApproved, true) // pinned: still only on walls it matches
	return w
}

func parseHTML(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestWallsShowOnlyTheirPosts(t *testing.T) {
	w := newTwoWalls(t, Options{})
	tests := []struct {
		path string
		want []model.Post
	}{
		{"/", []model.Post{w.polish}},
		{"/w/pl", []model.Post{w.polish}},
		{"/w/pl?mode=spotlight", []model.Post{w.polish}},
		{"/w/pl/text", []model.Post{w.polish}},
		{"/w/pl?mode=text", []model.Post{w.polish}},
		{"/w/news", []model.Post{w.news}},
		{"/w/news?mode=photos", nil}, // the news post has no photo
		{"/embed/news", []model.Post{w.news}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := w.get(t, tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			var got []string
			parseHTML(t, rec.Body.String()).Find(`[data-testid="wall-post"]`).Each(func(_ int, s *goquery.Selection) {
				got = append(got, s.AttrOr("data-post-id", ""))
			})
			var want []string
			for _, p := range tt.want {
				want = append(want, id(p))
			}
			if !slices.Equal(got, want) {
				t.Errorf("posts = %v, want %v", got, want)
			}
		})
	}

	t.Run("api", func(t *testing.T) {
		for slug, want := range map[string]model.Post{"pl": w.polish, "news": w.news} {
			rec := w.get(t, "/w/"+slug+"/api/posts")
			var resp apiPostsResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("%s: %v: %s", slug, err, rec.Body)
			}
			if len(resp.Posts) != 1 || resp.Posts[0].ID != want.ID {
				t.Errorf("%s: api posts = %+v, want only post %d", slug, resp.Posts, want.ID)
			}
		}
	})

	t.Run("feed", func(t *testing.T) {
		for slug, want := range map[string]model.Post{"pl": w.polish, "news": w.news} {
			feed := parseFeed(t, w.get(t, "/w/"+slug+"/feed.atom"))
			if len(feed.Items) != 1 || !strings.Contains(feed.Items[0].Title, authorName(want.Author)) {
				t.Errorf("%s: feed items = %d (%v), want only %q's post", slug, len(feed.Items), feed.Items, authorName(want.Author))
			}
		}
	})
}

func TestWallUnknownSlugIs404(t *testing.T) {
	w := newTwoWalls(t, Options{})
	for _, path := range []string{"/w/nope", "/w/nope/text", "/w/nope/events", "/w/nope/api/posts", "/w/nope/feed.atom", "/embed/nope", "/embed/nope.js"} {
		rec := w.get(t, path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: status = %d, want 404", path, rec.Code)
		}
		if path == "/w/nope" && !strings.Contains(rec.Body.String(), "No such wall") {
			t.Errorf("%s: body = %q, want the no-such-wall page", path, rec.Body)
		}
	}

	t.Run("styled like the wall at /, with a link to it", func(t *testing.T) {
		doc := parseHTML(t, w.get(t, "/w/nope").Body.String())
		var sheets []string
		doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) {
			sheets = append(sheets, s.AttrOr("href", ""))
		})
		for _, want := range []string{"/static/wall/wall.css", "/static/wall/modes.css"} {
			if !slices.ContainsFunc(sheets, func(h string) bool { return strings.HasPrefix(h, want) }) {
				t.Errorf("stylesheets = %v, want %s", sheets, want)
			}
		}
		for _, h := range sheets {
			if rec := w.get(t, h); rec.Code != http.StatusOK {
				t.Errorf("stylesheet %s: status = %d, want 200", h, rec.Code)
			}
		}
		if got := doc.Find("body").AttrOr("class", ""); got != "wall-page theme-dark" {
			t.Errorf("body class = %q, want the default wall's theme (wall-page theme-dark)", got)
		}
		if got := doc.Find(`[data-testid="not-found-home"]`).AttrOr("href", ""); got != "/" {
			t.Errorf("home link = %q, want /", got)
		}
	})
}

func TestWallsWithoutConfigKeepThePlainWall(t *testing.T) {
	w := newTestWall(t, Options{CampaignName: "Cohesion Alliance"})
	p := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	doc := parseHTML(t, w.get(t, "/").Body.String())
	if got := doc.Find("#wall").AttrOr("data-events-url", ""); got != "/wall/events" {
		t.Errorf("events URL = %q, want /wall/events", got)
	}
	if got := doc.Find("body").AttrOr("class", ""); got != "wall-page" {
		t.Errorf("body class = %q, want the plain wall's", got)
	}
	if ids := cardIDs(doc); !slices.Equal(ids, []string{id(p)}) {
		t.Errorf("cards = %v, want %s", ids, id(p))
	}
	if rec := w.get(t, "/w/main"); rec.Code != http.StatusNotFound {
		t.Errorf("/w/main without walls: status = %d, want 404", rec.Code)
	}
}

// TestWallStreamsAreFiltered connects a screen of each wall and of the plain
// stream, and announces one post of each wall: a screen gets only its own
// wall's posts, and removals for the others. Events that are not about a
// post (the signature count) reach every screen.
func TestWallStreamsAreFiltered(t *testing.T) {
	w := newTwoWalls(t, Options{})
	srv := httptest.NewServer(w.mux)
	t.Cleanup(srv.Close)
	t.Cleanup(w.hub.Close)
	pl := connect(t, srv.URL+"/w/pl/events", nil)
	news := connect(t, srv.URL+"/w/news/events", nil)
	all := connect(t, srv.URL+"/wall/events", nil)
	w.hub.PostChanged(w.polish)
	w.hub.PostChanged(w.news)
	w.hub.ReloadWall("news")
	w.hub.SignatureCountChanged(1234)

	summary := func(s *sseStream, n int) []string {
		t.Helper()
		var out []string
		for range n {
			f := s.nextEvent()
			var d struct {
				ID   int64  `json:"id"`
				HTML string `json:"html"`
			}
			_ = json.Unmarshal([]byte(f.Data), &d)
			if f.Event == "reload" || f.Event == "counter" {
				out = append(out, f.Event)
				continue
			}
			if f.Event == "post" && !strings.Contains(d.HTML, `data-post-id="`+itoa(d.ID)+`"`) {
				t.Errorf("post event without the card of post %d", d.ID)
			}
			out = append(out, f.Event+" "+itoa(d.ID))
		}
		return out
	}
	if got, want := summary(pl, 3), []string{"post " + id(w.polish), "remove " + id(w.news), "counter"}; !slices.Equal(got, want) {
		t.Errorf("wall pl got %v, want %v", got, want)
	}
	if got, want := summary(news, 4), []string{"remove " + id(w.polish), "post " + id(w.news), "reload", "counter"}; !slices.Equal(got, want) {
		t.Errorf("wall news got %v, want %v", got, want)
	}
	if got, want := summary(all, 3), []string{"post " + id(w.polish), "post " + id(w.news), "counter"}; !slices.Equal(got, want) {
		t.Errorf("plain stream got %v, want %v (and no other wall's reload)", got, want)
	}

	// A screen of wall pl resuming from before the events replays them
	// filtered the same way.
	resumed := connect(t, srv.URL+"/w/pl/events?lastEventId=0", nil)
	if got, want := summary(resumed, 3), []string{"post " + id(w.polish), "remove " + id(w.news), "counter"}; !slices.Equal(got, want) {
		t.Errorf("wall pl replay got %v, want %v", got, want)
	}
}

func itoa(n int64) string { return id(model.Post{ID: n}) }

func TestWallSettingsChangeReloadsOnlyThatWall(t *testing.T) {
	w := newTwoWalls(t, Options{})
	ctx := context.Background()
	if err := w.st.SaveWallSettings(ctx, model.WallSettings{Slug: "pl", Mode: model.ModeTicker, UpdatedBy: "anna",
		Filter: model.WallFilter{Networks: []model.Network{model.NetworkFeed}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.h.WallSettingsChanged(ctx, "pl"); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, w.get(t, "/w/pl").Body.String())
	if got := doc.Find("#wall").AttrOr("data-mode", ""); got != "ticker" {
		t.Errorf("mode after the change = %q, want ticker", got)
	}
	if ids := cardIDs(doc); !slices.Equal(ids, []string{id(w.news)}) {
		t.Errorf("posts after the change = %v, want the news post %s", ids, id(w.news))
	}
	for _, s := range w.h.Walls() {
		if s.Wall.Slug == "pl" && s.ChangedBy != "anna" {
			t.Errorf("Walls() says pl was changed by %q, want anna", s.ChangedBy)
		}
	}
}

func TestWallPageUsesAnAdminsLook(t *testing.T) {
	w := newTwoWalls(t, Options{})
	ctx := context.Background()
	look := model.WallLook{Title: "Plenary <hall>", Theme: "light", Accent: "#0a4fa8", Background: "#ffffff", SpotlightSeconds: 25, Language: "de"}
	if err := w.st.SaveWallSettings(ctx, model.WallSettings{Slug: "pl", Mode: model.ModeSpotlight, UpdatedBy: "ada",
		Filter: model.WallFilter{Languages: []string{"pl"}}, Look: &look}); err != nil {
		t.Fatal(err)
	}
	if err := w.h.WallSettingsChanged(ctx, "pl"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/w/pl", "/"} {
		t.Run(path, func(t *testing.T) {
			doc := parseHTML(t, w.get(t, path).Body.String())
			if got := doc.Find(`[data-testid="campaign-name"]`).Text(); got != look.Title {
				t.Errorf("title = %q, want %q", got, look.Title)
			}
			if got := doc.Find("title").Text(); got != look.Title {
				t.Errorf("<title> = %q, want %q", got, look.Title)
			}
			if got := doc.Find("body").AttrOr("class", ""); !strings.Contains(got, "theme-light") || strings.Contains(got, "theme-dark") {
				t.Errorf("body class = %q, want theme-light", got)
			}
			if got := doc.Find("html").AttrOr("lang", ""); got != "de" {
				t.Errorf("lang = %q, want de", got)
			}
			if got := doc.Find("#wall").AttrOr("data-spotlight-ms", ""); got != "25000" {
				t.Errorf("spotlight ms = %q, want 25000", got)
			}
			href := doc.Find(`link[href^="/w/pl/theme.css"]`).AttrOr("href", "")
			if href == "" {
				t.Fatal("no theme.css link for the admin's colours")
			}
			css := w.get(t, href).Body.String()
			for _, want := range []string{"--accent: #0a4fa8;", "--bg: #ffffff;"} {
				if !strings.Contains(css, want) {
					t.Errorf("theme.css = %q, want %q", css, want)
				}
			}
		})
	}
	t.Run("text view", func(t *testing.T) {
		doc := parseHTML(t, w.get(t, "/w/pl/text").Body.String())
		if got := doc.Find(`[data-testid="campaign-name"]`).Text(); got != look.Title {
			t.Errorf("title = %q, want %q", got, look.Title)
		}
		if got := doc.Find("html").AttrOr("lang", ""); got != "de" {
			t.Errorf("lang = %q, want de", got)
		}
	})
	t.Run("?lang= still wins", func(t *testing.T) {
		if got := parseHTML(t, w.get(t, "/w/pl?lang=fr").Body.String()).Find("html").AttrOr("lang", ""); got != "fr" {
			t.Errorf("lang = %q, want fr", got)
		}
	})
	t.Run("the other wall keeps its config", func(t *testing.T) {
		doc := parseHTML(t, w.get(t, "/w/news").Body.String())
		if got := doc.Find(`[data-testid="campaign-name"]`).Text(); got != "News" {
			t.Errorf("title = %q, want News", got)
		}
	})

	t.Run("reset", func(t *testing.T) {
		if err := w.st.ResetWallSettings(ctx, "pl"); err != nil {
			t.Fatal(err)
		}
		if err := w.h.WallSettingsChanged(ctx, "pl"); err != nil {
			t.Fatal(err)
		}
		doc := parseHTML(t, w.get(t, "/w/pl").Body.String())
		if got := doc.Find(`[data-testid="campaign-name"]`).Text(); got != "Polska" {
			t.Errorf("title = %q, want the config's Polska", got)
		}
		if got := doc.Find("body").AttrOr("class", ""); !strings.Contains(got, "theme-dark") {
			t.Errorf("body class = %q, want theme-dark", got)
		}
		if n := doc.Find(`link[href^="/w/pl/theme.css"]`).Length(); n != 0 {
			t.Errorf("theme.css links = %d, want none (the config sets no colours)", n)
		}
		if got := doc.Find("html").AttrOr("lang", ""); got != "en" {
			t.Errorf("lang = %q, want en", got)
		}
	})
}

func TestEmbedHeaders(t *testing.T) {
	w := newTwoWalls(t, Options{})
	h := auth.SecurityHeaders(w.mux) // as the daemon serves it
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	tests := []struct{ path, ancestors string }{
		{"/embed/news", "frame-ancestors 'self' https://cor.europa.eu"},
		{"/embed/pl", "frame-ancestors 'self'"},
		{"/embed/pl?mode=ticker", "frame-ancestors 'self'"},
	}
	for _, tt := range tests {
		rec := get(tt.path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status = %d", tt.path, rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.HasSuffix(csp, tt.ancestors) || strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP = %q, want it to end in %q", tt.path, csp, tt.ancestors)
		}
		if v := rec.Header().Get("X-Frame-Options"); v != "" {
			t.Errorf("%s: X-Frame-Options = %q, want none", tt.path, v)
		}
		if v := rec.Header().Values("Set-Cookie"); len(v) > 0 {
			t.Errorf("%s: Set-Cookie = %q, want no cookies", tt.path, v)
		}
		if !strings.Contains(rec.Body.String(), "wall-embed") {
			t.Errorf("%s: page without the embed layout", tt.path)
		}
	}
	// The wall's own pages stay unframable.
	if v := get("/w/news").Header().Get("X-Frame-Options"); v != "DENY" {
		t.Errorf("/w/news X-Frame-Options = %q, want DENY", v)
	}

	js := get("/embed/news.js")
	if ct := js.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("snippet Content-Type = %q", ct)
	}
	if body := js.Body.String(); !strings.Contains(body, `'/embed/' + encodeURIComponent("news")`) || !strings.Contains(body, "createElement('iframe')") {
		t.Errorf("snippet = %s, want it to frame /embed/news", body)
	}
}

func parseFeed(t *testing.T, rec *httptest.ResponseRecorder) *gofeed.Feed {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("feed status = %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("feed Content-Type = %q", ct)
	}
	feed, err := gofeed.NewParser().ParseString(rec.Body.String())
	if err != nil {
		t.Fatalf("parse feed: %v\n%s", err, rec.Body)
	}
	if feed.FeedType != "atom" || feed.FeedVersion != "1.0" {
		t.Errorf("feed type = %s %s, want atom 1.0", feed.FeedType, feed.FeedVersion)
	}
	return feed
}

func TestWallFeedParsesBack(t *testing.T) {
	w := newTestWall(t, Options{CampaignName: "Cohesion Alliance", BaseURL: "https://wall.example.org",
		Walls: []model.Wall{{Slug: "all", Title: `Walls & "quotes" <b>`, Mode: model.ModeMasonry, Theme: "dark"}}})
	photo := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	hostile := savePost(t, w.st, variant("hostile", 2), model.StatusApproved, false)
	cw := savePost(t, w.st, variant("with_content_warning", 3), model.StatusApproved, false)

	rec := w.get(t, "/w/all/feed.atom")
	feed := parseFeed(t, rec)
	if feed.Title != `Walls & "quotes" <b>` {
		t.Errorf("feed title = %q", feed.Title)
	}
	if feed.FeedLink != "https://wall.example.org/w/all/feed.atom" {
		t.Errorf("self link = %q", feed.FeedLink)
	}
	items := map[int64]*gofeed.Item{} // by post
	for _, it := range feed.Items {
		for _, p := range []model.Post{photo, hostile, cw} {
			if it.GUID == entryID("https://wall.example.org", p) {
				items[p.ID] = it
			}
		}
	}
	if len(items) != 3 {
		t.Fatalf("items = %d, want 3", len(feed.Items))
	}
	p := items[photo.ID]
	if p == nil || !strings.Contains(p.Content, `alt="A new bridge over the Vistula, funded by cohesion policy"`) ||
		!strings.Contains(p.Content, `src="https://wall.example.org/media/`+bridgeKey+`/1280"`) {
		t.Errorf("photo entry = %+v, want its cached photo with alt text in the content", p)
	}
	h := items[hostile.ID]
	if h == nil {
		t.Fatal("no entry for the hostile post")
	}
	// Titles and summaries are type="text": markup in them is only text.
	// The content is HTML, and must not hold any.
	if want := `"><img src=x onerror=alert("name")><script>alert("name")</script>: Content warning: <script>alert("cw")</script>" onclick="alert(1)`; h.Title != want {
		t.Errorf("hostile title = %q, want the text as written, %q", h.Title, want)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror=alert"} {
		if strings.Contains(h.Content, bad) || slices.ContainsFunc(h.Links, func(l string) bool { return strings.Contains(l, bad) }) {
			t.Errorf("hostile entry carries %q as markup: %+v", bad, h)
		}
	}
	c := items[cw.ID]
	if c == nil || c.Content != "" || !strings.Contains(c.Description, "Content warning: flood damage") || strings.Contains(c.Description, "Flood damage photos") {
		t.Errorf("content-warning entry = %+v, want only the warning", c)
	}
	// The raw XML holds no unescaped markup from posts.
	if strings.Contains(rec.Body.String(), "<script") {
		t.Error("feed XML holds a <script element")
	}
}

func TestWallFilesAndColours(t *testing.T) {
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	css := filepath.Join(dir, "wall.css")
	os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 0o600)
	os.WriteFile(css, []byte(".card { border: 1px solid red; }"), 0o600)
	w := newTestWall(t, Options{Walls: []model.Wall{{Slug: "a", Title: "A", Mode: model.ModeMasonry, Theme: "light",
		Accent: "#0a4fa8", Background: "#ffffff", Logo: logo, CustomCSS: css}}})
	doc := parseHTML(t, w.get(t, "/w/a").Body.String())
	logoURL := doc.Find(`[data-testid="wall-logo"]`).AttrOr("src", "")
	if !strings.HasPrefix(logoURL, "/w/a/logo?v=") {
		t.Fatalf("logo src = %q", logoURL)
	}
	rec := w.get(t, logoURL)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("logo: %d %q CSP %q, want an SVG that runs no script", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Security-Policy"))
	}
	var sheets []string
	doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) { sheets = append(sheets, s.AttrOr("href", "")) })
	if len(sheets) != 4 || !strings.HasPrefix(sheets[2], "/w/a/theme.css?v=") || !strings.HasPrefix(sheets[3], "/w/a/custom.css?v=") {
		t.Fatalf("stylesheets = %v, want wall, modes, theme, then custom CSS", sheets)
	}
	if body := w.get(t, sheets[2]).Body.String(); !strings.Contains(body, "--accent: #0a4fa8;") || !strings.Contains(body, "--bg: #ffffff;") {
		t.Errorf("theme.css = %q", body)
	}
	if body := w.get(t, sheets[3]).Body.String(); body != ".card { border: 1px solid red; }" {
		t.Errorf("custom.css = %q", body)
	}
	if got := doc.Find("body").AttrOr("class", ""); got != "wall-page mode-masonry theme-light" {
		t.Errorf("body class = %q", got)
	}
}

func TestCardUncoveredShowsTextAndPhotos(t *testing.T) {
	p := fixture(t, "with_content_warning")
	p.ShowOnScreens = true
	doc, _ := renderCard(t, p)
	if doc.Find("details").Length() != 0 {
		t.Error("uncovered post still behind <details>")
	}
	if doc.Find(`[data-testid="post-cw-uncovered"]`).Length() != 1 || doc.Find(`[data-testid="post-text"]`).Length() != 1 ||
		doc.Find(`img[alt="A flooded street"]`).Length() != 1 || doc.Find(`figcaption[data-testid="post-alt"]`).Text() != "A flooded street" {
		t.Errorf("uncovered post: want the warning as a note, the text, the photo and its caption")
	}
}

func TestWallAPIServesCachedMediaAndHidesCoveredPosts(t *testing.T) {
	w := newTestWall(t, Options{Walls: []model.Wall{{Slug: "a", Title: "A", Mode: model.ModeMasonry, Theme: "dark"}}})
	photo := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	cw := savePost(t, w.st, variant("with_content_warning", 2), model.StatusApproved, false)
	var resp apiPostsResponse
	if err := json.Unmarshal(w.get(t, "/w/a/api/posts?limit=1").Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Posts) != 1 || resp.NextBefore == nil || *resp.NextBefore != cw.ID {
		t.Fatalf("first page = %+v, next %v; want the newest post and a next page", resp.Posts, deref(resp.NextBefore))
	}
	if p := resp.Posts[0]; p.ID != cw.ID || p.Text != "" || p.HTML != "" || len(p.Media) != 0 || p.ContentWarning != "flood damage" {
		t.Errorf("covered post = %+v, want only its warning", p)
	}
	resp = apiPostsResponse{}
	if err := json.Unmarshal(w.get(t, "/w/a/api/posts?limit=1&before="+id(cw)).Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	want := apiMedia{Kind: "image", URL: "/media/" + bridgeKey + "/1280", PreviewURL: "/media/" + bridgeKey + "/1280",
		AltText: "A new bridge over the Vistula, funded by cohesion policy"}
	if len(resp.Posts) != 1 || resp.Posts[0].ID != photo.ID || len(resp.Posts[0].Media) != 1 || resp.Posts[0].Media[0] != want {
		t.Errorf("second page = %+v, want the photo post with its cached photo %+v", resp.Posts, want)
	}
	if resp.Posts[0].Author.AvatarURL != "" {
		t.Errorf("avatar = %q, want no remote avatar", resp.Posts[0].Author.AvatarURL)
	}
	if rec := w.get(t, "/w/a/api/posts?limit=0"); rec.Code != http.StatusBadRequest {
		t.Errorf("limit=0: status = %d, want 400", rec.Code)
	}
}

func TestWallModeQuery(t *testing.T) {
	w := newTestWall(t, Options{Walls: []model.Wall{{Slug: "a", Title: "A", Mode: model.ModeSpotlight, Theme: "dark", SpotlightSeconds: 7}}})
	for query, want := range map[string]string{"": "spotlight", "?mode=ticker": "ticker", "?mode=LIST": "list", "?mode=bogus": "spotlight"} {
		doc := parseHTML(t, w.get(t, "/w/a"+query).Body.String())
		main := doc.Find("#wall")
		if got := main.AttrOr("data-mode", ""); got != want {
			t.Errorf("%q: mode = %q, want %q", query, got, want)
		}
		if got := main.AttrOr("data-spotlight-ms", ""); got != "7000" {
			t.Errorf("%q: spotlight ms = %q, want 7000", query, got)
		}
		if got := main.AttrOr("data-events-url", ""); got != "/w/a/events" {
			t.Errorf("%q: events URL = %q", query, got)
		}
	}
}

// TestWallLanguage: a wall's pages speak ?lang=, else the wall's own
// language, else the campaign's; the text view and the embed too. The
// call-to-action panel is on screens and in the text view, not in embeds.
func TestWallLanguage(t *testing.T) {
	w := newTestWall(t, Options{CampaignName: "Cohesion Alliance", Language: "de",
		CTA: CTAOptions{SigningURL: "https://sign.example/joint-call", Message: "Sign now", Messages: map[string]string{"pl": "Podpisz teraz"}},
		Walls: []model.Wall{
			{Slug: "pl", Title: "Polska", Mode: model.ModeMasonry, Theme: "dark", Default: true, Language: "pl"},
			{Slug: "news", Title: "News", Mode: model.ModeTicker, Theme: "light"},
		}})
	tests := []struct {
		path, lang string
		cta        bool
	}{
		{"/", "pl", true},
		{"/w/pl", "pl", true},
		{"/w/pl?lang=fr", "fr", true},
		{"/w/pl?lang=xx", "pl", true},
		{"/w/pl/text", "pl", true},
		{"/w/pl/text?lang=sv", "sv", true},
		{"/w/pl?mode=text", "pl", true},
		{"/embed/pl", "pl", false},
		{"/embed/pl?lang=el", "el", false},
		{"/w/news", "de", true},
		{"/w/news?lang=it", "it", true},
		{"/embed/news", "de", false},
		{"/w/nope", "de", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			doc := parseHTML(t, w.get(t, tt.path).Body.String())
			html := doc.Find("html")
			if got := html.AttrOr("lang", ""); got != tt.lang {
				t.Errorf("html lang = %q, want %q", got, tt.lang)
			}
			if got := html.AttrOr("dir", ""); got != "ltr" {
				t.Errorf("html dir = %q, want ltr", got)
			}
			if got := doc.Find(`[data-testid="cta"]`).Length() > 0; got != tt.cta {
				t.Errorf("call to action shown = %v, want %v", got, tt.cta)
			}
			if c := doc.Find("#wall").AttrOr("data-catalog", ""); c != "" && !strings.Contains(c, `"lang":"`+tt.lang+`"`) {
				t.Errorf("data-catalog is not the %s one: %.60s…", tt.lang, c)
			}
		})
	}

	// The words are the language's, not English.
	text := w.get(t, "/w/pl/text").Body.String()
	for _, want := range []string{"Pokaż najnowsze wpisy", "(tylko tekst)", "Podpisz teraz", "sign.example/joint-call"} {
		if !strings.Contains(text, want) {
			t.Errorf("Polish text view lacks %q", want)
		}
	}
	if body := w.get(t, "/w/pl?lang=fr").Body.String(); !strings.Contains(body, "Version texte") || !strings.Contains(body, `href="/w/pl/text?lang=fr"`) {
		t.Errorf("French wall: no French link to the text view that keeps ?lang=fr")
	}
	if body := w.get(t, "/w/nope").Body.String(); !strings.Contains(body, "Diese Wall gibt es nicht") {
		t.Errorf("unknown wall is not in the campaign's language (German): %.200s", body)
	}
}
