package bluesky

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// Post URIs of testdata (see README.md).
const (
	uriP1 = "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbxq2vhk5k2a" // 11:50 images, link facet
	uriP2 = "at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3lbxq1zzz2k2b" // 11:45 reply
	uriP3 = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbxpzab2lk2c" // 11:40 recordWithMedia
	uriP4 = "at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3lbxpwqs3mk2d" // 11:30 video, nudity label
	uriP5 = "at://did:plc:4gow3ys7ys6nqeqtcbwxydz5/app.bsky.feed.post/3lbxozhl7ak2e" // 11:00 handle.invalid
	uriP6 = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbxoakxdwk2f" // 10:30 link card
	uriP7 = "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbxn6g4c2k2g" // 10:00
	uriP8 = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbxs5d2qck2h" // 12:30

	identifier  = "wall.cohesionalliance.eu"
	appPassword = "abcd-efgh-ijkl-mnop"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock    { return &clock{t: t} }
func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// at is a time of the test day, 2026-11-20, in UTC.
func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-11-20 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func readFile(t *testing.T, n string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type searchCall struct {
	query url.Values
	auth  string
}

// fakeBsky is a PDS/entryway with sessions and app.bsky.feed.searchPosts,
// answering with testdata. Access tokens expire by the shared clock; tests can
// also revoke tokens to make the server refuse them early.
type fakeBsky struct {
	*httptest.Server
	t     *testing.T
	clock *clock

	mu         sync.Mutex
	creates    int
	refreshes  int
	searches   []searchCall
	access     map[string]time.Time // token → expiry
	refresh    map[string]bool
	tokenCount int
	anonymous  bool
	createHook func(w http.ResponseWriter) bool // true: handled (a failure)
	search     func(w http.ResponseWriter, q url.Values, call int)
}

func newFakeBsky(t *testing.T, clk *clock, search func(w http.ResponseWriter, q url.Values, call int)) *fakeBsky {
	f := &fakeBsky{t: t, clock: clk, access: map[string]time.Time{}, refresh: map[string]bool{}, search: search}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func jwt(sub string, exp time.Time, n int) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"scope": "com.atproto.appPass", "sub": sub, "iat": exp.Add(-2 * time.Hour).Unix(),
		"exp": exp.Unix(), "aud": "did:web:morel.us-east.host.bsky.network"})
	return enc([]byte(`{"typ":"at+jwt","alg":"ES256K"}`)) + "." + enc(payload) + ".sig" + strconv.Itoa(n)
}

// issue fills a session template with new tokens; f.mu is held.
func (f *fakeBsky) issue(template string) []byte {
	f.tokenCount++
	access := jwt("did:plc:campaignwallbot1234567890", f.clock.Now().Add(2*time.Hour), f.tokenCount)
	ref := "refresh-" + strconv.Itoa(f.tokenCount)
	f.access[access] = f.clock.Now().Add(2 * time.Hour)
	f.refresh[ref] = true
	body := strings.NewReplacer("{{ACCESS}}", access, "{{REFRESH}}", ref, "{{PDS}}", f.URL).Replace(string(readFile(f.t, template)))
	return []byte(body)
}

func (f *fakeBsky) revokeAll(refreshToo bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.access)
	if refreshToo {
		clear(f.refresh)
	}
}

func (f *fakeBsky) counts() (creates, refreshes, searches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates, f.refreshes, len(f.searches)
}

func (f *fakeBsky) calls() []searchCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]searchCall(nil), f.searches...)
}

func (f *fakeBsky) serve(w http.ResponseWriter, r *http.Request) {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch r.URL.Path {
	case "/xrpc/com.atproto.server.createSession":
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			f.t.Errorf("createSession: %s with %q, want a JSON POST", r.Method, r.Header.Get("Content-Type"))
		}
		var in struct{ Identifier, Password string }
		json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.creates++
		if f.createHook != nil && f.createHook(w) {
			return
		}
		if in.Identifier != identifier || in.Password != appPassword {
			writeJSON(w, 401, readFile(f.t, "error_auth.json"))
			return
		}
		writeJSON(w, 200, f.issue("create_session.json"))
	case "/xrpc/com.atproto.server.refreshSession":
		f.mu.Lock()
		defer f.mu.Unlock()
		f.refreshes++
		if r.Method != http.MethodPost || !f.refresh[bearer] {
			writeJSON(w, 400, readFile(f.t, "error_expired_token.json"))
			return
		}
		delete(f.refresh, bearer) // refresh tokens rotate
		writeJSON(w, 200, f.issue("refresh_session.json"))
	case "/xrpc/app.bsky.feed.searchPosts":
		f.mu.Lock()
		exp, ok := f.access[bearer]
		if !f.anonymous && (!ok || !f.clock.Now().Before(exp)) {
			f.mu.Unlock()
			writeJSON(w, 400, readFile(f.t, "error_expired_token.json"))
			return
		}
		f.searches = append(f.searches, searchCall{r.URL.Query(), r.Header.Get("Authorization")})
		n := len(f.searches)
		f.mu.Unlock()
		f.search(w, r.URL.Query(), n)
	case "/xrpc/app.bsky.feed.getPosts":
		f.mu.Lock()
		exp, ok := f.access[bearer]
		f.mu.Unlock()
		if !f.anonymous && (!ok || !f.clock.Now().Before(exp)) {
			writeJSON(w, 400, readFile(f.t, "error_expired_token.json"))
			return
		}
		// get_posts.json holds the views the AppView still has; the
		// others are left out, as for a deleted post.
		var all struct {
			Posts []json.RawMessage `json:"posts"`
		}
		json.Unmarshal(readFile(f.t, "get_posts.json"), &all)
		found := []json.RawMessage{}
		for _, raw := range all.Posts {
			var v struct{ URI string }
			json.Unmarshal(raw, &v)
			for _, u := range r.URL.Query()["uris"] {
				if u == v.URI {
					found = append(found, raw)
				}
			}
		}
		body, _ := json.Marshal(map[string]any{"posts": found})
		writeJSON(w, 200, body)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

// pages serves the three-page search of testdata, following the cursor.
func pages(t *testing.T) func(http.ResponseWriter, url.Values, int) {
	return func(w http.ResponseWriter, q url.Values, _ int) {
		switch q.Get("cursor") {
		case "":
			writeJSON(w, 200, readFile(t, "search_page1.json"))
		case "25":
			writeJSON(w, 200, readFile(t, "search_page2.json"))
		case "50":
			writeJSON(w, 200, readFile(t, "search_page3.json"))
		default:
			t.Errorf("unexpected cursor %q", q.Get("cursor"))
			writeJSON(w, 400, []byte(`{"error":"InvalidRequest","message":"bad cursor"}`))
		}
	}
}

func testSource(f *fakeBsky) model.Source {
	return model.Source{Name: "bsky-cohesion", Kind: "bluesky", URL: f.URL, Token: appPassword, Hashtags: []string{"#CohesionAlliance"}}
}

func newCollector(clk *clock, opts Options) *Collector {
	if opts.Identifier == "" {
		opts.Identifier = identifier
	}
	opts.Now = clk.Now
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
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bsky.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCollectPagesThroughOneSearch(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, pages(t))
	posts, next, err := newCollector(clk, Options{}).Collect(context.Background(), testSource(f), "")
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if want := []string{uriP1, uriP3, uriP4, uriP5, uriP6, uriP7}; !same(uris(posts), want) {
		t.Errorf("posts\n%v\nwant (reply %s skipped)\n%v", uris(posts), uriP2, want)
	}
	st := mustCursor(t, next).Tags["cohesionalliance"]
	if want := (TagState{Newest: at("11:50")}); st != want {
		t.Errorf("tag state %+v, want %+v", st, want)
	}
	calls := f.calls()
	var cursors []string
	for _, c := range calls {
		cursors = append(cursors, c.query.Get("cursor"))
		for param, want := range map[string]string{"q": "#CohesionAlliance", "tag": "CohesionAlliance", "sort": "latest", "limit": "100"} {
			if got := c.query.Get(param); got != want {
				t.Errorf("%s = %q, want %q", param, got, want)
			}
		}
		if !strings.HasPrefix(c.auth, "Bearer ") {
			t.Errorf("search without the access token: %q", c.auth)
		}
	}
	if want := []string{"", "25", "50"}; !same(cursors, want) {
		t.Errorf("cursors %q, want %q", cursors, want)
	}
	if creates, _, _ := f.counts(); creates != 1 {
		t.Errorf("%d sessions created, want 1", creates)
	}
}

func TestCollectMapsPosts(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, pages(t))
	posts, _, err := newCollector(clk, Options{}).Collect(context.Background(), testSource(f), "")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]model.Post{}
	for _, p := range posts {
		by[p.URI] = p
	}

	t.Run("images and a shortened link", func(t *testing.T) {
		p := by[uriP1]
		for _, c := range []struct{ name, got, want string }{
			{"URL", p.URL, "https://bsky.app/profile/lille.fr/post/3lbxq2vhk5k2a"},
			{"CID", p.CID, "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"},
			{"Text", p.Text, "Le nouveau tram de Lille, financé par l'UE 🚋 #CohesionAlliance https://cohesionalliance.eu/joint-call"},
			{"Language", p.Language, "fr"},
			{"Author.Handle", p.Author.Handle, "lille.fr"},
			{"Author.URL", p.Author.URL, "https://bsky.app/profile/lille.fr"},
			{"Author.DisplayName", p.Author.DisplayName, "Ville de Lille"},
			{"Tags", strings.Join(p.Tags, " "), "CohesionAlliance"},
			{"PublishedAt", p.PublishedAt.Format(time.RFC3339), "2026-11-20T11:50:00Z"},
		} {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if !strings.Contains(p.HTML, `<a href="https://cohesionalliance.eu/joint-call"`) {
			t.Errorf("HTML %q lacks the facet's full link", p.HTML)
		}
		if p.Sensitive || p.ContentWarning != "" {
			t.Errorf("unlabeled post marked sensitive: %q", p.ContentWarning)
		}
		if len(p.Media) != 2 {
			t.Fatalf("%d media, want 2", len(p.Media))
		}
		want := model.Media{Kind: model.MediaImage,
			URL:        "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:z72i7hdynmk6r22z27h6tvur/bafkreiaa1111tramimage1111@jpeg",
			PreviewURL: "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:z72i7hdynmk6r22z27h6tvur/bafkreiaa1111tramimage1111@jpeg",
			AltText:    "Le tram à l'arrêt Gare Lille Flandres", Width: 2000, Height: 1333}
		if p.Media[0] != want {
			t.Errorf("media[0] %+v\nwant %+v", p.Media[0], want)
		}
	})

	t.Run("quote with media", func(t *testing.T) {
		p := by[uriP3]
		if len(p.Media) != 1 || p.Media[0].AltText != "A rebuilt bridge" || !strings.Contains(p.Media[0].URL, "feed_fullsize") {
			t.Errorf("media %+v, want the recordWithMedia image only", p.Media)
		}
	})

	t.Run("labeled video", func(t *testing.T) {
		p := by[uriP4]
		if !p.Sensitive || p.ContentWarning != "Adult content" {
			t.Errorf("Sensitive=%v ContentWarning=%q, want the nudity label honoured", p.Sensitive, p.ContentWarning)
		}
		if len(p.Media) != 1 || p.Media[0].Kind != model.MediaVideo || !strings.HasSuffix(p.Media[0].URL, "playlist.m3u8") ||
			!strings.HasSuffix(p.Media[0].PreviewURL, "thumbnail.jpg") {
			t.Errorf("media %+v, want the video playlist and thumbnail", p.Media)
		}
	})

	t.Run("invalid handle and multi-byte text", func(t *testing.T) {
		p := by[uriP5]
		if p.URL != "https://bsky.app/profile/did:plc:4gow3ys7ys6nqeqtcbwxydz5/post/3lbxozhl7ak2e" || p.Author.Handle != "did:plc:4gow3ys7ys6nqeqtcbwxydz5" {
			t.Errorf("URL %q handle %q, want the DID in place of handle.invalid", p.URL, p.Author.Handle)
		}
		if want := "🇪🇺 Regions 🤝 cities: read our report https://europa.eu/cohesion-report-2026 #CohesionAlliance"; p.Text != want {
			t.Errorf("Text = %q, want %q", p.Text, want)
		}
	})

	t.Run("link card carries no media", func(t *testing.T) {
		if m := by[uriP6].Media; len(m) != 0 {
			t.Errorf("media %+v, want none", m)
		}
	})
}

func TestLaterRunStopsAtPostsAlreadyRead(t *testing.T) {
	clk := newClock(testNow.Add(40 * time.Minute))
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, q url.Values, _ int) {
		if q.Get("cursor") != "" {
			t.Errorf("asked for page %q: the first page already reached posts read before", q.Get("cursor"))
		}
		writeJSON(w, 200, readFile(t, "search_newer.json"))
	})
	start := Cursor{Tags: map[string]TagState{"cohesionalliance": {Newest: at("11:50")}}}.String()
	posts, next, err := newCollector(clk, Options{}).Collect(context.Background(), testSource(f), start)
	if err != nil {
		t.Fatal(err)
	}
	// P1 lies in the overlap window and comes again (the store drops it); P3 is older.
	if want := []string{uriP8, uriP1}; !same(uris(posts), want) {
		t.Errorf("posts %v, want %v", uris(posts), want)
	}
	if st := mustCursor(t, next).Tags["cohesionalliance"]; st != (TagState{Newest: at("12:30")}) {
		t.Errorf("tag state %+v, want newest 12:30", st)
	}
	if _, _, n := f.counts(); n != 1 {
		t.Errorf("%d searches, want 1", n)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, q url.Values, call int) {
		switch u := q.Get("until"); {
		case u == "":
			pages(t)(w, q, call)
		case q.Get("cursor") == "":
			if u != "2026-11-20T11:30:00.001Z" {
				t.Errorf("until = %q, want just above the oldest post read (11:30)", u)
			}
			writeJSON(w, 200, readFile(t, "search_page2.json"))
		default:
			pages(t)(w, q, call)
		}
	})
	src := testSource(f)

	posts, next, err := newCollector(clk, Options{MaxPages: 1}).Collect(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{uriP1, uriP3, uriP4}; !same(uris(posts), want) {
		t.Errorf("first run %v, want %v", uris(posts), want)
	}
	if _, err := st.SavePosts(ctx, src.Name, posts, next); err != nil {
		t.Fatal(err)
	}

	stored, err := st.Cursor(ctx, src.Name)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Minute)
	posts, next, err = newCollector(clk, Options{MaxPages: 2}).Collect(ctx, src, stored)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{uriP5, uriP6, uriP7}; !same(uris(posts), want) {
		t.Errorf("after restart %v, want the older rest %v", uris(posts), want)
	}
	res, err := st.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 3 || res.Known != 0 {
		t.Errorf("saved %d new, %d known; want 3 and 0", len(res.New), res.Known)
	}
	stored, _ = st.Cursor(ctx, src.Name)
	if tag := mustCursor(t, stored).Tags["cohesionalliance"]; tag != (TagState{Newest: at("11:50")}) {
		t.Errorf("stored state %+v, want the sweep closed at 11:50", tag)
	}
}

func TestSamePostSeenTwiceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clk := newClock(testNow)
	// Every search, for either hashtag, finds P7.
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, _ url.Values, _ int) { writeJSON(w, 200, readFile(t, "search_page3.json")) })
	src := testSource(f)
	src.Hashtags = []string{"CohesionAlliance", "EURegionsWeek"}
	c := newCollector(clk, Options{})

	posts, next, err := c.Collect(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{uriP7}; !same(uris(posts), want) {
		t.Errorf("one run over two hashtags gave %v, want %v once", uris(posts), want)
	}
	res1, err := st.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	cursor, _ := st.Cursor(ctx, src.Name)
	clk.Add(time.Minute)
	posts, next, err = c.Collect(ctx, src, cursor)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := st.SavePosts(ctx, src.Name, posts, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(res1.New) != 1 || len(res2.New) != 0 {
		t.Errorf("new posts per run %d, %d; want 1, 0", len(res1.New), len(res2.New))
	}
	all, err := st.Posts(ctx, store.PostFilter{Network: model.NetworkBluesky})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("%d posts stored, want 1", len(all))
	}
	if next != "" {
		t.Errorf("second run moved the cursor to %q although it found nothing new", next)
	}
	if tags := mustCursor(t, cursor).Tags; len(tags) != 2 {
		t.Errorf("cursor tracks %d hashtags, want 2: %v", len(tags), tags)
	}
}

func TestSessionIsReusedRefreshedAndRecreated(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, _ url.Values, _ int) { writeJSON(w, 200, readFile(t, "search_page3.json")) })
	c := newCollector(clk, Options{})
	src := testSource(f)
	run := func(step string) {
		t.Helper()
		if _, _, err := c.Collect(ctx, src, ""); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	expect := func(step string, creates, refreshes int) {
		t.Helper()
		if gc, gr, _ := f.counts(); gc != creates || gr != refreshes {
			t.Errorf("%s: %d creates, %d refreshes; want %d and %d", step, gc, gr, creates, refreshes)
		}
	}

	run("first run")
	run("second run")
	expect("two runs", 1, 0)

	clk.Add(2*time.Hour + time.Minute) // past the access JWT's exp claim
	run("after expiry")
	expect("expired by the clock", 1, 1)

	f.revokeAll(false) // the server refuses the access token before its exp
	run("after revocation")
	expect("400 ExpiredToken", 1, 2)

	f.revokeAll(true) // and the refresh token too
	run("after refresh revocation")
	expect("refresh refused", 2, 3)

	for _, call := range f.calls() {
		if strings.Contains(call.auth, "refresh-") {
			t.Errorf("search sent a refresh token: %q", call.auth)
		}
	}
}

func TestLoginRefusedSaysSo(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, _ url.Values, _ int) { t.Error("searched without a session") })
	src := testSource(f)
	src.Token = "wrong-app-password"
	posts, next, err := newCollector(clk, Options{}).Collect(context.Background(), src, "")
	if !errors.Is(err, ErrLogin) {
		t.Fatalf("err = %v, want ErrLogin", err)
	}
	if !strings.Contains(err.Error(), identifier) || strings.Contains(err.Error(), "wrong-app-password") {
		t.Errorf("error %q: want the identifier named and the password kept out", err)
	}
	if posts != nil || next != "" {
		t.Errorf("got posts or a cursor from a refused login")
	}
}

func TestRateLimitWaitIsReported(t *testing.T) {
	reset := strconv.FormatInt(testNow.Add(5*time.Minute).Unix(), 10)
	limited := func(w http.ResponseWriter) {
		w.Header().Set("RateLimit-Limit", "3000")
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", reset)
		w.Header().Set("RateLimit-Policy", "3000;w=300")
		writeJSON(w, 429, readFile(t, "error_rate_limit.json"))
	}
	for _, tc := range []struct {
		name       string
		onCreate   bool
		wantMethod string
	}{
		{"search", false, "app.bsky.feed.searchPosts"},
		{"createSession", true, "com.atproto.server.createSession"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(testNow)
			f := newFakeBsky(t, clk, func(w http.ResponseWriter, _ url.Values, _ int) { limited(w) })
			if tc.onCreate {
				f.createHook = func(w http.ResponseWriter) bool { limited(w); return true }
			}
			posts, next, err := newCollector(clk, Options{}).Collect(context.Background(), testSource(f), "")
			var he *collectors.HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want *collectors.HTTPError", err)
			}
			if he.StatusCode != 429 || he.RetryAfter != 5*time.Minute || !strings.HasSuffix(he.URL, tc.wantMethod) {
				t.Errorf("got %d, wait %s at %s; want 429, 5m0s at %s", he.StatusCode, he.RetryAfter, he.URL, tc.wantMethod)
			}
			if !strings.Contains(he.Message, "RateLimitExceeded") || errors.Is(err, ErrLogin) {
				t.Errorf("error %q: want the XRPC error name, not a login failure", err)
			}
			if posts != nil || next != "" {
				t.Errorf("got %d posts and cursor %q, want none", len(posts), next)
			}
		})
	}
}

func TestFailuresKeepTheCursor(t *testing.T) {
	start := Cursor{Tags: map[string]TagState{"cohesionalliance": {Newest: at("09:00")}}}.String()
	for _, tc := range []struct {
		name      string
		failCall  int
		status    int
		file      string
		wantErr   string
		wantPosts []string
		wantState *TagState
	}{
		{"5xx first page", 1, 500, "error_internal.json", "HTTP 500", nil, nil},
		{"malformed first page", 1, 200, "search_malformed.json", "malformed response", nil, nil},
		{"5xx second page", 2, 502, "error_internal.json", "HTTP 502", []string{uriP1, uriP3, uriP4},
			&TagState{Newest: at("09:00"), Until: at("11:30").Add(time.Millisecond), SweepNewest: at("11:50"), Floor: at("08:58")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(testNow)
			f := newFakeBsky(t, clk, func(w http.ResponseWriter, q url.Values, call int) {
				if call == tc.failCall {
					writeJSON(w, tc.status, readFile(t, tc.file))
					return
				}
				pages(t)(w, q, call)
			})
			posts, next, err := newCollector(clk, Options{}).Collect(context.Background(), testSource(f), start)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "#CohesionAlliance") {
				t.Fatalf("err = %v, want %q naming the hashtag", err, tc.wantErr)
			}
			if !same(uris(posts), tc.wantPosts) {
				t.Errorf("posts %v, want %v", uris(posts), tc.wantPosts)
			}
			if tc.wantState == nil {
				if next != "" {
					t.Errorf("cursor %q, want unchanged", next)
				}
				return
			}
			if got := mustCursor(t, next).Tags["cohesionalliance"]; got != *tc.wantState {
				t.Errorf("state %+v\nwant  %+v", got, *tc.wantState)
			}
		})
	}
}

func TestAnonymousSearch(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, _ url.Values, _ int) { writeJSON(w, 200, readFile(t, "search_page3.json")) })
	f.anonymous = true
	src := testSource(f)
	src.Token = ""
	c := New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), Options{Now: clk.Now})
	posts, _, err := c.Collect(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 {
		t.Errorf("%d posts, want 1", len(posts))
	}
	creates, _, searches := f.counts()
	if creates != 0 || searches != 1 || f.calls()[0].auth != "" {
		t.Errorf("%d sessions, %d searches, auth %q; want an anonymous search", creates, searches, f.calls()[0].auth)
	}
}

func TestBadConfigurationFailsClearly(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, func(w http.ResponseWriter, _ url.Values, _ int) { t.Error("no search expected") })
	for _, tc := range []struct {
		name       string
		identifier string
		edit       func(*model.Source)
		cursor     string
		want       string
	}{
		{"app password without identifier", "-", func(s *model.Source) {}, "", "no identifier"},
		{"identifier without app password", identifier, func(s *model.Source) { s.Token = "" }, "", "no app password"},
		{"no hashtags", identifier, func(s *model.Source) { s.Hashtags = nil }, "", "no hashtags"},
		{"query syntax in hashtag", identifier, func(s *model.Source) { s.Hashtags = []string{"a OR b"} }, "", `"a OR b"`},
		{"unreadable cursor", identifier, func(s *model.Source) {}, "[]", "unreadable cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testSource(f)
			tc.edit(&src)
			opts := Options{Identifier: tc.identifier, Now: clk.Now}
			if tc.identifier == "-" {
				opts.Identifier = ""
			}
			c := New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), opts)
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

func TestLanguageFilter(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, pages(t))
	posts, _, err := newCollector(clk, Options{Languages: []string{"fr"}}).Collect(context.Background(), testSource(f), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{uriP1}; !same(uris(posts), want) {
		t.Errorf("French only: %v, want %v", uris(posts), want)
	}
}

func TestExpandLinksIgnoresBadFacets(t *testing.T) {
	link := func(s, e int, uri string) facet {
		var f facet
		f.Index.ByteStart, f.Index.ByteEnd = s, e
		f.Features = append(f.Features, struct {
			Type string `json:"$type"`
			URI  string `json:"uri"`
			Tag  string `json:"tag"`
			DID  string `json:"did"`
		}{Type: "app.bsky.richtext.facet#link", URI: uri})
		return f
	}
	text := "é see ex.com/a..."
	for _, tc := range []struct {
		name   string
		facets []facet
		want   string
	}{
		{"valid", []facet{link(7, 18, "https://ex.com/abc")}, "é see https://ex.com/abc"},
		{"past the end", []facet{link(7, 99, "https://ex.com/abc")}, text},
		{"splits a character", []facet{link(1, 5, "https://ex.com/abc")}, text},
		{"script link", []facet{link(7, 18, "javascript:alert(1)")}, text},
		{"overlapping", []facet{link(7, 18, "https://ex.com/abc"), link(8, 12, "https://ex.com/x")}, "é see https://ex.com/abc"},
		{"reversed", []facet{link(18, 7, "https://ex.com/abc")}, text},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := expandLinks(text, tc.facets); got != tc.want {
				t.Errorf("expandLinks = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestContentWarningFromLabels(t *testing.T) {
	for _, tc := range []struct {
		labels []label
		want   string
	}{
		{nil, ""},
		{[]label{{Val: "porn"}}, "Adult content"},
		{[]label{{Val: "sexual"}, {Val: "nudity"}}, "Adult content"},
		{[]label{{Val: "graphic-media"}, {Val: "porn"}}, "Graphic media, Adult content"},
		{[]label{{Val: "nudity"}, {Val: "nudity", Neg: true}}, ""},
		{[]label{{Val: "!warn"}}, "Content warning"},
		{[]label{{Val: "bot"}}, ""},
	} {
		t.Run(fmt.Sprint(tc.labels), func(t *testing.T) {
			if got := contentWarning(tc.labels); got != tc.want {
				t.Errorf("contentWarning = %q, want %q", got, tc.want)
			}
		})
	}
}
