package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

var testNow = time.Date(2024, 9, 16, 12, 0, 0, 0, time.UTC)

func newTestCollector(opts Options) *Collector {
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	return New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), opts)
}

func testSource(f *fakeServer) model.Source { return testSourceURL(f.URL) }

func testSourceURL(u string) model.Source {
	return model.Source{
		Name:     "eupolis",
		Kind:     "mastodon",
		URL:      u,
		Hashtags: []string{"#CohesionAlliance"},
		Category: "citizens",
	}
}

func uris(posts []model.Post) []string {
	var u []string
	for _, p := range posts {
		u = append(u, p.URI)
	}
	return u
}

func cursorOf(t *testing.T, cursor string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := json.Unmarshal([]byte(cursor), &m); err != nil {
		t.Fatalf("cursor %q is not a JSON object: %v", cursor, err)
	}
	return m
}

const (
	uriTram   = "https://eupolis.social/users/regio_nord/statuses/113145081234567001"
	uriMaria  = "https://ciudades.example/users/maria/statuses/112998877665544332"
	uriCoR    = "https://cor.example/users/cor/statuses/113140000000000001"
	uriGdansk = "https://eupolis.social/users/gdansk/statuses/113145081234567006"
	uriEleni  = "https://nisia.example/users/eleni/statuses/7"
	uriThanks = "https://eupolis.social/users/gdansk/statuses/113145081234567009"
)

func TestCollectMapsStatusesToPosts(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	src := testSource(f)
	posts, cursor, err := c.Collect(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	// Oldest first; the reply, the unlisted and the private status skipped;
	// the boost unwrapped to CoR's post (published before all the others).
	wantURIs := []string{uriCoR, uriTram, uriMaria, uriGdansk, uriEleni, uriThanks}
	if got := uris(posts); !slices.Equal(got, wantURIs) {
		t.Fatalf("posts =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantURIs, "\n"))
	}
	if got, want := cursorOf(t, cursor), map[string]string{"cohesionalliance": "113145081234567009"}; !reflect.DeepEqual(got, want) {
		t.Errorf("cursor = %v, want %v", got, want)
	}
	if p := f.lastRequest(); p.URL.Path != "/api/v1/timelines/tag/cohesionalliance" || p.URL.Query().Get("limit") != "40" {
		t.Errorf("requested %s, want the lowercased tag timeline with limit=40", p.URL)
	}
	if h := f.lastRequest().Header.Get("Authorization"); h != "" {
		t.Errorf("sent Authorization %q without a token", h)
	}
	byURI := map[string]model.Post{}
	for _, p := range posts {
		byURI[p.URI] = p
	}

	t.Run("local author, photo, invisible link spans", func(t *testing.T) {
		p := byURI[uriTram]
		wantAuthor := model.Author{
			Network:     model.NetworkMastodon,
			Handle:      "regio_nord@127.0.0.1", // local account: qualified with the server's host
			DisplayName: "Regionalverwaltung Nord",
			URL:         "https://eupolis.social/@regio_nord",
			AvatarURL:   "https://eupolis.social/system/accounts/avatars/109/311/000/original/regio.png",
			Bio:         "Regionalverwaltung Nord. Wir posten über #EU-Projekte in unserer Region.",
		}
		if p.Author != wantAuthor {
			t.Errorf("author =\n%+v\nwant\n%+v", p.Author, wantAuthor)
		}
		checks := []struct{ name, got, want string }{
			{"network", string(p.Network), "mastodon"},
			{"url", p.URL, "https://eupolis.social/@regio_nord/113145081234567001"},
			{"remote id", p.RemoteID, "113145081234567001"},
			{"source", p.SourceName, "eupolis"},
			{"category", p.Category, "citizens"},
			{"language", p.Language, "de"},
			{"text", p.Text, "Neue Straßenbahn dank EU-Kohäsionsmitteln! #CohesionAlliance\ncor.europa.eu/en/our-work/Page…"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if strings.Contains(p.HTML, "invisible") || strings.Contains(p.HTML, "s/CohesionAlliance.aspx<") || strings.Contains(p.HTML, ">https://") {
			t.Errorf("HTML keeps Mastodon's invisible link parts: %s", p.HTML)
		}
		if !strings.Contains(p.HTML, `href="https://cor.europa.eu/en/our-work/Pages/CohesionAlliance.aspx"`) {
			t.Errorf("HTML lost the full link: %s", p.HTML)
		}
		if !p.PublishedAt.Equal(time.Date(2024, 9, 16, 8, 0, 0, 0, time.UTC)) || !p.CollectedAt.Equal(testNow) {
			t.Errorf("published %s collected %s", p.PublishedAt, p.CollectedAt)
		}
		wantMedia := []model.Media{{
			Kind:       model.MediaImage,
			URL:        "https://eupolis.social/system/media_attachments/files/113/145/original/113145080000000101.jpeg",
			PreviewURL: "https://eupolis.social/system/media_attachments/files/113/145/small/113145080000000101.jpeg",
			AltText:    "Neue Straßenbahn an der Haltestelle Marktplatz",
			Width:      1600, Height: 1200,
		}}
		if !reflect.DeepEqual(p.Media, wantMedia) {
			t.Errorf("media =\n%+v\nwant\n%+v", p.Media, wantMedia)
		}
		if !slices.Equal(p.Tags, []string{"cohesionalliance"}) {
			t.Errorf("tags = %v", p.Tags)
		}
	})

	t.Run("remote author, content warning, video", func(t *testing.T) {
		p := byURI[uriMaria]
		if p.Author.Handle != "maria@ciudades.example" {
			t.Errorf("handle = %q, want maria@ciudades.example", p.Author.Handle)
		}
		if p.ContentWarning != "Ruido de obras" || !p.Sensitive || p.Language != "es" {
			t.Errorf("cw %q sensitive %v language %q, want Ruido de obras, true, es", p.ContentWarning, p.Sensitive, p.Language)
		}
		if len(p.Media) != 1 || p.Media[0].Kind != model.MediaVideo || p.Media[0].Width != 1280 || p.Media[0].Height != 720 ||
			p.Media[0].AltText != "Obras del nuevo carril bici en la avenida del Puerto" {
			t.Errorf("media = %+v, want one 1280x720 video with its description", p.Media)
		}
		if !slices.Equal(p.Tags, []string{"cohesionalliance", "euregions"}) {
			t.Errorf("tags = %v", p.Tags)
		}
	})

	t.Run("boost unwrapped to the original", func(t *testing.T) {
		p := byURI[uriCoR]
		if p.Author.Handle != "cor@cor.example" || p.Author.DisplayName != "European Committee of the Regions" {
			t.Errorf("author = %+v, want the boosted post's author", p.Author)
		}
		if p.RemoteID != "113145080999999999" || p.URL != "https://cor.example/@cor/113140000000000001" || p.Language != "fr" {
			t.Errorf("remote id %q url %q language %q, want the original's", p.RemoteID, p.URL, p.Language)
		}
		if !strings.Contains(p.Text, "c'est l'Europe près de chez vous") {
			t.Errorf("text = %q, want the original's", p.Text)
		}
		if len(p.Media) != 1 || p.Media[0].AltText != "" || p.Media[0].Kind != model.MediaImage {
			t.Errorf("media = %+v, want one image without alt text", p.Media)
		}
	})

	t.Run("gifv kept, unknown media dropped, text escaped", func(t *testing.T) {
		p := byURI[uriGdansk]
		if len(p.Media) != 1 || p.Media[0].Kind != model.MediaGIFV || p.Media[0].Width != 480 {
			t.Errorf("media = %+v, want only the 480px gifv", p.Media)
		}
		if !strings.Contains(p.HTML, "&lt;3") || p.Text != "Nowy most tramwajowy w Gdańsku <3 #CohesionAlliance" {
			t.Errorf("html %q text %q", p.HTML, p.Text)
		}
	})

	t.Run("audio, url null falls back to uri", func(t *testing.T) {
		p := byURI[uriEleni]
		if p.URL != uriEleni {
			t.Errorf("url = %q, want the uri", p.URL)
		}
		if len(p.Media) != 1 || p.Media[0].Kind != model.MediaAudio || p.Media[0].Width != 0 {
			t.Errorf("media = %+v, want one audio without size", p.Media)
		}
	})
}

func TestCollectPagesForwardAndResumes(t *testing.T) {
	all := loadStatuses(t, "statuses_eupolis.json") // newest first
	f := newFakeServer(t)
	f.add(all[7:]...) // ids 01 and 02 are online at first
	c := newTestCollector(Options{PageLimit: 2})
	src := testSource(f)
	ctx := context.Background()

	posts, cursor, err := c.Collect(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := uris(posts); !slices.Equal(got, []string{uriTram, uriMaria}) {
		t.Fatalf("first run: %v", got)
	}

	f.add(all[:7]...) // 03 … 09 are posted
	posts, cursor2, err := c.Collect(ctx, src, cursor)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := uris(posts), []string{uriCoR, uriGdansk, uriEleni, uriThanks}; !slices.Equal(got, want) {
		t.Errorf("second run: %v, want %v", got, want)
	}
	if got := cursorOf(t, cursor2)["cohesionalliance"]; got != "113145081234567009" {
		t.Errorf("cursor after paging = %s, want 113145081234567009", got)
	}
	var minIDs []string
	for _, q := range f.timelineQueries()[1:] {
		minIDs = append(minIDs, q.Get("min_id"))
	}
	// 03+04, 05+06, 07+08, then 09 alone: short page, caught up.
	want := []string{"113145081234567002", "113145081234567004", "113145081234567006", "113145081234567008"}
	if !slices.Equal(minIDs, want) {
		t.Errorf("min_id sent = %v, want %v", minIDs, want)
	}

	posts, cursor3, err := c.Collect(ctx, src, cursor2)
	if err != nil || len(posts) != 0 || cursor3 != "" {
		t.Errorf("caught-up run: %d posts, cursor %q, err %v; want none, unchanged", len(posts), cursor3, err)
	}
}

func TestCollectStopsAtMaxPagesAndContinuesNextRun(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{PageLimit: 2, MaxPages: 2})
	src := testSource(f)
	start := `{"cohesionalliance":"113145081234567000"}`
	posts, cursor, err := c.Collect(context.Background(), src, start)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := uris(posts), []string{uriTram, uriMaria}; !slices.Equal(got, want) {
		t.Errorf("bounded run: %v, want %v", got, want)
	}
	if got := cursorOf(t, cursor)["cohesionalliance"]; got != "113145081234567004" {
		t.Errorf("cursor = %s, want 113145081234567004 (after two pages)", got)
	}
	posts, _, err = c.Collect(context.Background(), src, cursor)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := uris(posts), []string{uriCoR, uriGdansk, uriEleni}; !slices.Equal(got, want) {
		t.Errorf("next run: %v, want %v", got, want)
	}
}

func TestCollectULIDServer(t *testing.T) {
	f := newFakeServer(t, "statuses_gts.json")
	c := newTestCollector(Options{PageLimit: 2})
	src := testSource(f)
	posts, cursor, err := c.Collect(context.Background(), src, `{"cohesionalliance":"01J7ZK0000000000000000000A"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 || posts[0].Author.Handle != "lena@127.0.0.1" {
		t.Errorf("posts = %v", uris(posts))
	}
	if got := cursorOf(t, cursor)["cohesionalliance"]; got != "01J7ZKF3N5P7Q9R1S3T5V7W9XA" {
		t.Errorf("cursor = %s, want the newest ULID", got)
	}
}

func TestCollectSeveralHashtags(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	src := testSource(f)
	src.Hashtags = []string{"CohesionAlliance", "#EURegions", "cohesionalliance"}
	posts, cursor, err := c.Collect(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 6 {
		t.Errorf("%d posts, want 6: a post with both hashtags counts once", len(posts))
	}
	want := map[string]string{"cohesionalliance": "113145081234567009", "euregions": "113145081234567009"}
	if got := cursorOf(t, cursor); !reflect.DeepEqual(got, want) {
		t.Errorf("cursor = %v, want %v", got, want)
	}
	if n := len(f.timelineQueries()); n != 2 {
		t.Errorf("%d timeline requests, want 2 (duplicate hashtag asked once)", n)
	}
}

func TestCollectSendsToken(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	src := testSource(f)
	src.Token = "s3cret-token"
	if _, _, err := c.Collect(context.Background(), src, ""); err != nil {
		t.Fatal(err)
	}
	if got := f.lastRequest().Header.Get("Authorization"); got != "Bearer s3cret-token" {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
}

func TestCollectDedupesAcrossInstances(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := newFakeServer(t, "statuses_eupolis.json")
	b := newFakeServer(t, "statuses_regions.json")
	c := newTestCollector(Options{})
	srcA, srcB := testSource(a), testSource(b)
	srcB.Name = "regions"

	postsA, curA, err := c.Collect(ctx, srcA, "")
	if err != nil {
		t.Fatal(err)
	}
	postsB, curB, err := c.Collect(ctx, srcB, "")
	if err != nil {
		t.Fatal(err)
	}
	resA, err := st.SavePosts(ctx, srcA.Name, postsA, curA)
	if err != nil {
		t.Fatal(err)
	}
	resB, err := st.SavePosts(ctx, srcB.Name, postsB, curB)
	if err != nil {
		t.Fatal(err)
	}
	if len(resA.New) != 6 || len(resB.New) != 1 || resB.Known != 1 {
		t.Errorf("saved A: %d new; B: %d new, %d known; want 6; 1, 1", len(resA.New), len(resB.New), resB.Known)
	}
	all, err := st.Posts(ctx, store.PostFilter{Network: model.NetworkMastodon})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range all {
		if p.URI == uriMaria {
			n++
			if p.SourceName != "eupolis" {
				t.Errorf("María's post belongs to %q, want the source that saw it first", p.SourceName)
			}
		}
	}
	if n != 1 || len(all) != 7 {
		t.Errorf("%d copies of María's post among %d posts; want 1 among 7", n, len(all))
	}
	// Saving a run again changes nothing.
	again, err := st.SavePosts(ctx, srcA.Name, postsA, curA)
	if err != nil || len(again.New) != 0 || again.Known != 6 {
		t.Errorf("second save: %d new, %d known, err %v; want 0, 6", len(again.New), again.Known, err)
	}
	if got, _ := st.Cursor(ctx, srcB.Name); got != curB {
		t.Errorf("stored cursor %q, want %q", got, curB)
	}
}

func TestCollectErrors(t *testing.T) {
	truncated := func(w http.ResponseWriter) {
		b, _ := json.Marshal(loadStatuses(t, "statuses_eupolis.json"))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(b[:len(b)/2])
	}
	for _, tc := range []struct {
		name    string
		token   string
		hashtag string
		serve   func(w http.ResponseWriter)
		is      []error
		status  int
		retry   time.Duration
		inMsg   string
	}{
		{
			name:  "401 without token",
			serve: func(w http.ResponseWriter) { serveFile(w, 401, "error_401.json", "application/json") },
			is:    []error{ErrNeedsToken}, status: 401, inMsg: "set token_env",
		},
		{
			name:  "401 with token",
			token: "expired",
			serve: func(w http.ResponseWriter) { serveFile(w, 401, "error_401.json", "application/json") },
			is:    []error{ErrBadToken}, status: 401, inMsg: "The access token is invalid",
		},
		{
			name: "429 rate limited",
			serve: func(w http.ResponseWriter) {
				w.Header().Set("X-RateLimit-Limit", "300")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", testNow.Add(4*time.Minute+30*time.Second).Format("2006-01-02T15:04:05.000Z"))
				serveFile(w, 429, "error_429.json", "application/json")
			},
			status: 429, retry: 4*time.Minute + 30*time.Second,
		},
		{
			name:   "500 html page",
			serve:  func(w http.ResponseWriter) { serveFile(w, 500, "error_500.html", "text/html; charset=utf-8") },
			status: 500,
		},
		{
			name:  "404 from something that is not mastodon",
			serve: func(w http.ResponseWriter) { serveFile(w, 404, "not_mastodon_404.html", "text/html") },
			is:    []error{ErrNotMastodon}, status: 404,
		},
		{
			name:  "truncated json",
			serve: truncated,
			is:    []error{ErrMalformedResponse}, inMsg: "unexpected end of JSON input",
		},
		{
			name:  "html instead of json",
			serve: func(w http.ResponseWriter) { serveFile(w, 200, "error_500.html", "text/html") },
			is:    []error{ErrMalformedResponse},
		},
		{
			name:  "json object instead of array",
			serve: func(w http.ResponseWriter) { serveFile(w, 200, "error_404.json", "application/json") },
			is:    []error{ErrMalformedResponse},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t, "statuses_eupolis.json")
			f.intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
				tc.serve(w)
				return true
			}
			c := newTestCollector(Options{})
			src := testSource(f)
			src.Token = tc.token
			start := `{"cohesionalliance":"113145081234567000"}`
			posts, cursor, err := c.Collect(context.Background(), src, start)
			if err == nil {
				t.Fatal("no error")
			}
			if len(posts) != 0 || cursor != "" {
				t.Errorf("%d posts, cursor %q; want none and the cursor unchanged", len(posts), cursor)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %q", err, target)
				}
			}
			var he *collectors.HTTPError
			if tc.status != 0 {
				if !errors.As(err, &he) || he.StatusCode != tc.status {
					t.Fatalf("error %q: want an HTTPError with status %d", err, tc.status)
				}
				if he.RetryAfter != tc.retry {
					t.Errorf("RetryAfter = %s, want %s", he.RetryAfter, tc.retry)
				}
			}
			if tc.inMsg != "" && !strings.Contains(err.Error(), tc.inMsg) {
				t.Errorf("error %q does not say %q", err, tc.inMsg)
			}
			if !strings.Contains(err.Error(), `"eupolis"`) || !strings.Contains(err.Error(), "#cohesionalliance") {
				t.Errorf("error %q does not name the source and hashtag", err)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestCollectErrorAfterCompletedPagesKeepsTheirCursor(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	f.intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 2 {
			serveFile(w, 503, "error_500.html", "text/html")
			return true
		}
		return false
	}
	c := newTestCollector(Options{PageLimit: 2})
	posts, cursor, err := c.Collect(context.Background(), testSource(f), `{"cohesionalliance":"113145081234567000"}`)
	var he *collectors.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 503 || !he.Temporary() {
		t.Fatalf("err = %v, want a temporary HTTPError 503", err)
	}
	if got := uris(posts); !slices.Equal(got, []string{uriTram, uriMaria}) {
		t.Errorf("posts = %v, want the first page's", got)
	}
	if got := cursorOf(t, cursor)["cohesionalliance"]; got != "113145081234567002" {
		t.Errorf("cursor = %s, want the first page's newest id 113145081234567002", got)
	}
}

func TestCollectUnknownHashtagIsEmpty(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	src := testSource(f)
	src.Hashtags = []string{"NeverUsed", "CohesionAlliance"}
	posts, cursor, err := c.Collect(context.Background(), src, "")
	if err != nil {
		t.Fatalf("404 for an unused hashtag: %v, want no error", err)
	}
	if len(posts) != 6 {
		t.Errorf("%d posts, want the 6 of the other hashtag", len(posts))
	}
	got := cursorOf(t, cursor)
	if _, ok := got["neverused"]; ok || got["cohesionalliance"] == "" {
		t.Errorf("cursor = %v, want only cohesionalliance", got)
	}
}

func TestCollectOddStatusIsSkippedNotFatal(t *testing.T) {
	f := newFakeServer(t)
	good := statusByID(t, "statuses_eupolis.json", "113145081234567009")
	odd := strings.Replace(string(statusByID(t, "statuses_eupolis.json", "113145081234567006")),
		`"created_at": "2024-09-16T08:25:00.000Z"`, `"created_at": 1726475100`, 1)
	if !strings.Contains(odd, "1726475100") {
		t.Fatal("fixture edit did not apply")
	}
	f.add(json.RawMessage(odd), good)
	c := newTestCollector(Options{})
	posts, cursor, err := c.Collect(context.Background(), testSource(f), `{"cohesionalliance":"113145081234567000"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := uris(posts); !slices.Equal(got, []string{uriThanks}) {
		t.Errorf("posts = %v, want only the well-formed one", got)
	}
	if got := cursorOf(t, cursor)["cohesionalliance"]; got != "113145081234567009" {
		t.Errorf("cursor = %s", got)
	}
}

func TestCollectBadConfigAndCursor(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	ctx := context.Background()

	src := testSource(f)
	src.Hashtags = []string{" # "}
	if _, _, err := c.Collect(ctx, src, ""); !errors.Is(err, ErrNoHashtags) {
		t.Errorf("no hashtags: %v, want ErrNoHashtags", err)
	}
	for _, u := range []string{"mastodon.social", "ftp://mastodon.social", "https://", "https://user:pw@mastodon.social"} {
		src := testSource(f)
		src.URL = u
		if _, _, err := c.Collect(ctx, src, ""); !errors.Is(err, ErrBadSourceURL) {
			t.Errorf("url %q: %v, want ErrBadSourceURL", u, err)
		}
	}
	// A cursor left by another kind of source starts the hashtag afresh.
	for _, foreign := range []string{"https://example.com/feed?since=42", "null", "[]", `{"cohesionalliance":113}`} {
		posts, cursor, err := c.Collect(ctx, testSource(f), foreign)
		if err != nil || len(posts) != 6 || cursorOf(t, cursor)["cohesionalliance"] != "113145081234567009" {
			t.Errorf("foreign cursor %q: %d posts, cursor %q, err %v", foreign, len(posts), cursor, err)
		}
	}
}

func TestCollectHonoursContext(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, cursor, err := c.Collect(ctx, testSource(f), ""); !errors.Is(err, context.Canceled) || cursor != "" {
		t.Errorf("cancelled: cursor %q err %v, want context.Canceled", cursor, err)
	}
}

func TestExists(t *testing.T) {
	f := newFakeServer(t, "statuses_eupolis.json")
	c := newTestCollector(Options{})
	src := testSource(f)
	ctx := context.Background()
	post := model.Post{Network: model.NetworkMastodon, URI: uriTram, RemoteID: "113145081234567001", SourceName: src.Name}

	for _, tc := range []struct {
		name    string
		post    model.Post
		serve   func(w http.ResponseWriter) bool
		want    bool
		wantErr bool
	}{
		{name: "published", post: post, want: true},
		{name: "deleted: api 404", post: func() model.Post { p := post; p.RemoteID = "1"; return p }(), want: false},
		{name: "deleted: 410", post: post, serve: func(w http.ResponseWriter) bool { w.WriteHeader(410); return true }, want: false},
		{name: "outage is not a deletion", post: post, wantErr: true,
			serve: func(w http.ResponseWriter) bool { serveFile(w, 502, "error_500.html", "text/html"); return true }},
		{name: "html 404 is not a deletion", post: post, wantErr: true,
			serve: func(w http.ResponseWriter) bool { serveFile(w, 404, "not_mastodon_404.html", "text/html"); return true }},
		{name: "token needed", post: post, wantErr: true,
			serve: func(w http.ResponseWriter) bool { serveFile(w, 401, "error_401.json", "application/json"); return true }},
		{name: "id names another status", post: func() model.Post { p := post; p.URI = "https://x.example/1"; return p }(), wantErr: true},
		{name: "collected by another source", post: func() model.Post { p := post; p.SourceName = "regions"; return p }(), wantErr: true},
		{name: "no remote id", post: func() model.Post { p := post; p.RemoteID = ""; return p }(), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.mu.Lock()
			f.intercept = nil
			if tc.serve != nil {
				f.intercept = func(w http.ResponseWriter, r *http.Request, n int) bool { return tc.serve(w) }
			}
			f.mu.Unlock()
			got, err := c.Exists(ctx, src, tc.post)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("Exists = %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
