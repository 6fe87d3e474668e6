package wall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

type testWall struct {
	st  *store.Store
	hub *Hub
	h   *Handler
	mux *http.ServeMux
}

func newTestWall(t *testing.T, opts Options) *testWall {
	t.Helper()
	st := openStore(t)
	// The hub the daemon runs: events logged in the store.
	hub, err := OpenHub(context.Background(), st, discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	h := NewHandler(st, hub, discardLogger(), opts)
	mux := http.NewServeMux()
	h.Routes(mux)
	return &testWall{st: st, hub: hub, h: h, mux: mux}
}

func (w *testWall) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	w.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func variant(name string, n int) model.Post {
	p := fixtures[name]
	p.Media = slices.Clone(p.Media)
	p.URI = fmt.Sprintf("%s#%d", p.URI, n)
	p.PublishedAt = baseTime.Add(time.Duration(n) * time.Minute)
	return p
}

func cardIDs(doc *goquery.Document) []string {
	var ids []string
	doc.Find(`[data-testid="wall"] [data-testid="wall-post"]`).Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("data-post-id", ""))
	})
	return ids
}

func id(p model.Post) string { return strconv.FormatInt(p.ID, 10) }

func TestWallPageShowsOnlyApprovedPinnedFirst(t *testing.T) {
	w := newTestWall(t, Options{CampaignName: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance", "#EURegionsWeek"}})
	older := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	pinnedOld := savePost(t, w.st, variant("pinned_highlighted", 0), model.StatusApproved, true)
	newer := savePost(t, w.st, variant("plain_text_only", 3), model.StatusApproved, false)
	pending := savePost(t, w.st, variant("mastodon_with_photo", 4), model.StatusPending, false)
	rejected := savePost(t, w.st, variant("with_content_warning", 5), model.StatusRejected, false)
	removed := savePost(t, w.st, variant("hostile", 6), model.StatusRemoved, false)
	at := w.hub.LastEventID()

	rec := w.get(t, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Content-Type"), "text/html; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	body := rec.Body.String()
	// Without JavaScript the page refreshes itself.
	if want := `<noscript><meta http-equiv="refresh" content="60"></noscript>`; !strings.Contains(body, want) {
		t.Errorf("page lacks %s", want)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}

	got, want := cardIDs(doc), []string{id(pinnedOld), id(newer), id(older)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cards = %v, want %v (pinned first, then newest)", got, want)
	}
	for _, p := range []model.Post{pending, rejected, removed} {
		if n := doc.Find(`[data-post-id="` + id(p) + `"]`).Length(); n != 0 {
			t.Errorf("post %d (%s) shown %d times, want 0", p.ID, p.Status, n)
		}
	}

	checks := []struct{ name, got, want string }{
		{"title", doc.Find("title").Text(), "Cohesion Alliance"},
		{"campaign name", doc.Find(`[data-testid="campaign-name"]`).Text(), "Cohesion Alliance"},
		{"hashtags", strings.Join(doc.Find(`[data-testid="hashtags"] li`).Map(func(_ int, s *goquery.Selection) string { return s.Text() }), " "), "#CohesionAlliance #EURegionsWeek"},
		{"last event id", doc.Find("#wall").AttrOr("data-last-event-id", ""), strconv.FormatUint(at, 10)},
		{"events url", doc.Find("#wall").AttrOr("data-events-url", ""), "/wall/events"},
		{"max cards", doc.Find("#wall").AttrOr("data-max-cards", ""), "100"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	if _, hidden := doc.Find(`[data-testid="wall-empty"]`).Attr("hidden"); !hidden {
		t.Errorf("empty-wall message shown on a wall with posts")
	}
}

// TestWallPageHasNoInlineScript keeps the page working under
// Content-Security-Policy script-src 'self'.
func TestWallPageHasNoInlineScript(t *testing.T) {
	w := newTestWall(t, Options{})
	savePost(t, w.st, variant("hostile", 1), model.StatusApproved, false)
	rec := w.get(t, "/")
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	scripts := doc.Find("script")
	if scripts.Length() != 1 {
		t.Errorf("script elements = %d, want 1 (wall.js)", scripts.Length())
	}
	scripts.Each(func(_ int, s *goquery.Selection) {
		src := s.AttrOr("src", "")
		if !strings.HasPrefix(src, "/static/wall/wall.js?v=") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("script src=%q text=%q: want only the embedded wall.js", src, s.Text())
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || strings.HasPrefix(strings.ToLower(a.Val), "javascript:") {
				t.Errorf("<%s %s=%q>: inline script", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
}

func TestWallPageEmpty(t *testing.T) {
	w := newTestWall(t, Options{})
	rec := w.get(t, "/")
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ids := cardIDs(doc); len(ids) != 0 {
		t.Errorf("cards = %v, want none", ids)
	}
	if _, hidden := doc.Find(`[data-testid="wall-empty"]`).Attr("hidden"); hidden {
		t.Errorf("empty-wall message hidden on an empty wall")
	}
}

func TestWallPageSize(t *testing.T) {
	w := newTestWall(t, Options{PageSize: 2})
	var posts []model.Post
	for i := range 4 {
		posts = append(posts, savePost(t, w.st, variant("mastodon_with_photo", i), model.StatusApproved, false))
	}
	doc, err := goquery.NewDocumentFromReader(w.get(t, "/").Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cardIDs(doc), []string{id(posts[3]), id(posts[2])}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cards = %v, want the 2 newest %v", got, want)
	}
}

func TestWallPageStoreFailureIsClean500(t *testing.T) {
	w := newTestWall(t, Options{})
	w.st.Close()
	rec := w.get(t, "/")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if body := rec.Body.String(); strings.Contains(body, "sql") || strings.Contains(body, "closed") {
		t.Errorf("500 body leaks the error: %q", body)
	}
}

func TestRenderErrorIsClean500(t *testing.T) {
	w := newTestWall(t, Options{})
	failing := templ.ComponentFunc(func(ctx context.Context, out io.Writer) error {
		io.WriteString(out, "<html><body>half a page")
		return errors.New("boom in component")
	})
	rec := httptest.NewRecorder()
	w.h.render(rec, httptest.NewRequest(http.MethodGet, "/", nil), failing)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if body := rec.Body.String(); strings.Contains(body, "half a page") || strings.Contains(body, "boom") {
		t.Errorf("body = %q, want neither the partial page nor the error", body)
	}
}

func TestStaticAssets(t *testing.T) {
	w := newTestWall(t, Options{})
	tests := []struct {
		target      string
		status      int
		contentType string
		cache       string
	}{
		{w.h.assets.url("wall.js"), http.StatusOK, "text/javascript; charset=utf-8", "immutable"},
		{w.h.assets.url("wall.css"), http.StatusOK, "text/css; charset=utf-8", "immutable"},
		{"/static/wall/wall.js?v=stale", http.StatusOK, "text/javascript; charset=utf-8", "no-cache"},
		{"/static/wall/", http.StatusNotFound, "", ""},
		{"/static/wall/missing.js", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := w.get(t, tt.target)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.contentType != "" && rec.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tt.contentType)
			}
			if !strings.Contains(rec.Header().Get("Cache-Control"), tt.cache) {
				t.Errorf("Cache-Control = %q, want it to contain %q", rec.Header().Get("Cache-Control"), tt.cache)
			}
		})
	}
}

// TestWallEventsRoute checks the page's stream is wired: a post approved after
// the page was rendered reaches a client resuming at the page's event ID.
func TestWallEventsRoute(t *testing.T) {
	w := newTestWall(t, Options{})
	srv := httptest.NewServer(w.mux)
	t.Cleanup(func() { w.hub.Close(); srv.Close() })

	doc, err := goquery.NewDocumentFromReader(w.get(t, "/").Body)
	if err != nil {
		t.Fatal(err)
	}
	at := doc.Find("#wall").AttrOr("data-last-event-id", "")
	p := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	w.hub.PostChanged(p) // before the screen connects: it must be replayed

	s := connect(t, srv.URL+"/wall/events?lastEventId="+at, nil)
	f := s.nextEvent()
	if got := decode[postData](t, f); f.Event != "post" || got.ID != p.ID {
		t.Errorf("got %s %d, want post %d", f.Event, got.ID, p.ID)
	}
}

func TestAPIPostsPaging(t *testing.T) {
	w := newTestWall(t, Options{})
	var approvedPosts []model.Post // oldest first
	for i := range 5 {
		approvedPosts = append(approvedPosts, savePost(t, w.st, variant("mastodon_with_photo", i), model.StatusApproved, false))
	}
	savePost(t, w.st, variant("mastodon_with_photo", 10), model.StatusPending, false)
	savePost(t, w.st, variant("mastodon_with_photo", 11), model.StatusRejected, false)
	newestFirst := func(idx ...int) []int64 {
		var ids []int64
		for _, i := range idx {
			ids = append(ids, approvedPosts[i].ID)
		}
		return ids
	}

	pages := []struct {
		name       string
		target     string
		wantIDs    []int64
		wantBefore *int64
	}{
		{"first page", "/api/posts?limit=2", newestFirst(4, 3), &approvedPosts[3].ID},
		{"second page", "/api/posts?limit=2&before=" + id(approvedPosts[3]), newestFirst(2, 1), &approvedPosts[1].ID},
		{"last page", "/api/posts?limit=2&before=" + id(approvedPosts[1]), newestFirst(0), nil},
		{"default limit", "/api/posts", newestFirst(4, 3, 2, 1, 0), nil},
		{"unknown before", "/api/posts?before=99999", nil, nil},
	}
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			rec := w.get(t, pg.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			var resp struct {
				Posts []struct {
					ID int64 `json:"id"`
				} `json:"posts"`
				NextBefore *int64 `json:"next_before"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("decode: %v", err)
			}
			var got []int64
			for _, p := range resp.Posts {
				got = append(got, p.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(pg.wantIDs) {
				t.Errorf("ids = %v, want %v", got, pg.wantIDs)
			}
			if (resp.NextBefore == nil) != (pg.wantBefore == nil) || (resp.NextBefore != nil && *resp.NextBefore != *pg.wantBefore) {
				t.Errorf("next_before = %v, want %v", deref(resp.NextBefore), deref(pg.wantBefore))
			}
		})
	}
}

func deref(p *int64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatInt(*p, 10)
}

func TestAPIPostsShape(t *testing.T) {
	w := newTestWall(t, Options{})
	p := savePost(t, w.st, fixture(t, "mastodon_with_photo"), model.StatusApproved, false)

	rec := w.get(t, "/api/posts")
	if got, want := rec.Header().Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"posts": []any{map[string]any{
			"id":      float64(p.ID),
			"network": "mastodon",
			"url":     "https://regions.social/@anna/1",
			"author": map[string]any{
				"handle":     "anna@regions.social",
				"name":       "Anna Kowalska",
				"avatar_url": "https://regions.social/avatars/anna.png",
				"url":        "",
			},
			"html":            p.HTML,
			"text":            "Our region signed the #CohesionAlliance call!",
			"language":        "pl",
			"content_warning": "",
			"sensitive":       false,
			"published_at":    "2026-10-13T09:30:00Z",
			"media": []any{map[string]any{
				"kind":        "image",
				"url":         "https://regions.social/media/bridge.jpg",
				"preview_url": "",
				"alt_text":    "A new bridge over the Vistula, funded by cohesion policy",
			}},
		}},
		"next_before": nil,
	}
	gotJSON, _ := json.MarshalIndent(got, "", " ")
	wantJSON, _ := json.MarshalIndent(want, "", " ")
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("got\n%s\nwant\n%s", gotJSON, wantJSON)
	}
}

func TestAPIPostsEmptyIsAList(t *testing.T) {
	w := newTestWall(t, Options{})
	rec := w.get(t, "/api/posts")
	if got, want := strings.TrimSpace(rec.Body.String()), `{"posts":[],"next_before":null}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestAPIPostsBadInput(t *testing.T) {
	w := newTestWall(t, Options{})
	tests := []struct {
		query, wantError string
	}{
		{"limit=0", "limit must be a whole number from 1 to 200"},
		{"limit=-1", "limit must be a whole number from 1 to 200"},
		{"limit=201", "limit must be a whole number from 1 to 200"},
		{"limit=ten", "limit must be a whole number from 1 to 200"},
		{"limit=2.5", "limit must be a whole number from 1 to 200"},
		{"before=abc", "before must be the id of a post"},
		{"before=0", "before must be the id of a post"},
		{"before=-3", "before must be the id of a post"},
		{"before=99999999999999999999", "before must be the id of a post"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := w.get(t, "/api/posts?"+tt.query)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q, want JSON", got)
			}
			var body apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("decode %q: %v", rec.Body, err)
			}
			if body.Error != tt.wantError {
				t.Errorf("error = %q, want %q", body.Error, tt.wantError)
			}
		})
	}
}

func TestAPIPostsStoreFailure(t *testing.T) {
	w := newTestWall(t, Options{})
	w.st.Close()
	rec := w.get(t, "/api/posts")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if got, want := strings.TrimSpace(rec.Body.String()), `{"error":"posts are unavailable right now"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}
