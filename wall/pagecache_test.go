package wall

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
)

// fixedClock lets a test move the page cache's time by hand.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func pageState(t *testing.T, w *testWall) (cards string, lastEventID string) {
	t.Helper()
	rec := w.get(t, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d", rec.Code)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(cardIDs(doc)), doc.Find("#wall").AttrOr("data-last-event-id", "")
}

// TestWallPageCacheFollowsHubEvents: the page is rendered once per change,
// and every approval or retraction the hub announces is on the next page.
func TestWallPageCacheFollowsHubEvents(t *testing.T) {
	w := newTestWall(t, Options{})
	clock := &fixedClock{now: baseTime}
	w.h.pages.now = clock.Now
	first := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	second := savePost(t, w.st, variant("plain_text_only", 2), model.StatusPending, false)
	last := func() string { return strconv.FormatUint(w.hub.LastEventID(), 10) }

	steps := []struct {
		name   string
		change func()
		want   []model.Post
	}{
		{"first render", func() {}, []model.Post{first}},
		// Approved in the store but not announced: the cached page stands,
		// which is what makes it one render per change.
		{"unannounced change is not rendered", func() { decideT(t, w.st, second, model.ActionApprove) }, []model.Post{first}},
		{"announced approval is on the next page", func() { w.hub.PostChanged(second) }, []model.Post{second, first}},
		{"announced retraction is gone from the next page", func() { w.hub.PostChanged(decideT(t, w.st, second, model.ActionRetract)) }, []model.Post{first}},
		{"pin is on the next page", func() { w.hub.PostChanged(decideT(t, w.st, first, model.ActionPin)) }, []model.Post{first}},
		{"unannounced retraction", func() { decideT(t, w.st, first, model.ActionRetract) }, []model.Post{first}},
		{"shows after pageMaxAge at the latest", func() { clock.Add(pageMaxAge) }, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change()
			var want []string
			for _, p := range s.want {
				want = append(want, id(p))
			}
			cards, at := pageState(t, w)
			if cards != fmt.Sprint(want) {
				t.Errorf("cards = %s, want %v", cards, want)
			}
			if at != last() {
				t.Errorf("page starts its stream at %s, want the hub's %s", at, last())
			}
		})
	}
}

func TestWallPageCacheETag(t *testing.T) {
	w := newTestWall(t, Options{})
	savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	rec := w.get(t, "/")
	etag := rec.Header().Get("ETag")
	if etag == "" || rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
		t.Fatalf("ETag %q, Content-Length %q for %d bytes; want both", etag, rec.Header().Get("Content-Length"), rec.Body.Len())
	}
	get := func(tag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("If-None-Match", tag)
		rec := httptest.NewRecorder()
		w.mux.ServeHTTP(rec, req)
		return rec
	}
	if rec := get(etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("same ETag: %d with %d bytes, want 304 and no body", rec.Code, rec.Body.Len())
	}
	w.hub.PostChanged(savePost(t, w.st, variant("plain_text_only", 2), model.StatusApproved, false))
	if rec := get(etag); rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
		t.Errorf("after a change: %d with ETag %q, want 200 and a new ETag", rec.Code, rec.Header().Get("ETag"))
	}
}

func TestPageCacheRendersOnceForConcurrentRequests(t *testing.T) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	t.Cleanup(hub.Close)
	c := newPageCache(hub)
	clock := &fixedClock{now: baseTime}
	c.now = clock.Now
	var renders atomic.Int32
	build := func(ctx context.Context, at uint64) (templ.Component, error) {
		renders.Add(1)
		return templ.Raw(fmt.Sprintf("page at %d", at)), nil
	}
	var wg sync.WaitGroup
	bodies := make([]string, 50)
	for i := range bodies {
		wg.Go(func() {
			p, err := c.page(context.Background(), "/?", build)
			if err != nil {
				t.Error(err)
				return
			}
			bodies[i] = string(p.body)
		})
	}
	wg.Wait()
	if got := renders.Load(); got != 1 {
		t.Errorf("%d renders for 50 requests, want 1", got)
	}
	want := fmt.Sprintf("page at %d", hub.LastEventID())
	for i, b := range bodies {
		if b != want {
			t.Fatalf("request %d got %q, want %q", i, b, want)
		}
	}
}

func TestPageCacheBounded(t *testing.T) {
	w := newTestWall(t, Options{})
	for i := range 3 * pageCacheSize {
		if rec := w.get(t, fmt.Sprintf("/?junk=%d", i)); rec.Code != http.StatusOK {
			t.Fatalf("GET = %d", rec.Code)
		}
	}
	w.h.pages.mu.Lock()
	n := len(w.h.pages.entries)
	w.h.pages.mu.Unlock()
	if n > pageCacheSize {
		t.Errorf("%d cached pages, want at most %d", n, pageCacheSize)
	}
}

func TestWallPageFailureRetriesByItself(t *testing.T) {
	w := newTestWall(t, Options{})
	w.st.Close()
	rec := w.get(t, "/")
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Refresh") == "" {
		t.Errorf("got %d with Refresh %q, want 500 with a Refresh header", rec.Code, rec.Header().Get("Refresh"))
	}
}

// TestPageCacheServesOldPageDuringRender: a page that is only old (no event
// since) is served as it is while another request renders it again; a page
// an event made wrong never is.
func TestPageCacheServesOldPageDuringRender(t *testing.T) {
	st := openStore(t)
	hub, err := OpenHub(context.Background(), st, discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	c := newPageCache(hub)
	clock := &fixedClock{now: baseTime}
	c.now = clock.Now
	build := func(ctx context.Context, at uint64) (templ.Component, error) {
		return templ.Raw(fmt.Sprintf("page at %d, %s", at, clock.Now().Format(time.TimeOnly))), nil
	}
	first, err := c.page(context.Background(), "/?", build)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(pageMaxAge)

	c.renderMu.Lock() // another request is rendering
	got := make(chan *cachedPage, 1)
	go func() {
		p, err := c.page(context.Background(), "/?", build)
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	select {
	case p := <-got:
		if string(p.body) != string(first.body) {
			t.Errorf("got %q, want the old page %q", p.body, first.body)
		}
	case <-time.After(waitFor):
		t.Fatal("an old page waited for another request's render")
	}

	// An event: the next request must wait for the render and get it.
	hub.PostChanged(savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false))
	go func() {
		p, err := c.page(context.Background(), "/?", build)
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	c.renderMu.Unlock()
	p := <-got
	if want := fmt.Sprintf("page at %d, 09:30:05", hub.LastEventID()); string(p.body) != want {
		t.Errorf("after an event got %q, want %q", p.body, want)
	}
}
