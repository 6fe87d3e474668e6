package wall

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// screenServer serves a wall to a real browser the way a venue sees it: the
// test can take the page down, replace the event stream, and count requests.
type screenServer struct {
	*httptest.Server
	st  *store.Store
	hub *Hub

	mu     sync.Mutex
	down   bool         // the page answers 503, as during a deploy
	events http.Handler // replaces the hub's stream when set
	counts map[string]int
	bump   chan struct{} // closed and replaced on every request
}

func newScreenServer(t *testing.T, hub *Hub, opts Options) *screenServer {
	t.Helper()
	st := openStore(t)
	h := NewHandler(st, hub, discardLogger(), opts)
	mux := http.NewServeMux()
	h.Routes(mux)
	s := &screenServer{st: st, hub: hub, counts: map[string]int{}, bump: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		s.mu.Lock()
		s.counts[r.Method+" "+r.URL.Path]++
		close(s.bump)
		s.bump = make(chan struct{})
		down, events := s.down, s.events
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/wall/events" && events != nil:
			events.ServeHTTP(w, r)
		case r.URL.Path == "/" && down:
			http.Error(w, "deploying", http.StatusServiceUnavailable)
		default:
			mux.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(hub.Close) // runs first: ends the streams s.Close waits for
	return s
}

func (s *screenServer) set(f func(s *screenServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// waitCount waits until the server saw at least n requests named key
// ("HEAD /"), and returns how many it saw.
func (s *screenServer) waitCount(t *testing.T, key string, n int) int {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		got, bump := s.counts[key], s.bump
		s.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-bump:
		case <-deadline:
			t.Fatalf("saw %d %q requests, want at least %d", got, key, n)
		}
	}
}

func (s *screenServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

// silentStream answers like an event stream behind a proxy that passes
// nothing: headers, then silence until the browser gives up. With first set
// it sends that frame before going silent.
func silentStream(done <-chan struct{}, first string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, first)
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
}

// openMarked opens the wall and leaves a marker in the page; the marker is
// gone once the page reloaded.
func openMarked(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	within(t, ctx, "open the wall", chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`#wall`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__marker = 42`)); err != nil {
		t.Fatalf("set marker: %v", err)
	}
}

func marked(t *testing.T, ctx context.Context) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__marker === 42`))
	if err != nil {
		t.Fatalf("read marker: %v", err)
	}
	return v
}

// waitReloaded polls until the page reloaded (the marker is gone and the new
// page is loaded). A navigation makes single evaluations fail for a moment,
// which counts as not yet.
func waitReloaded(t *testing.T, ctx context.Context, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__marker === undefined && document.readyState === 'complete' && !!document.getElementById('wall')`))
		if err == nil && done {
			return
		}
		time.Sleep(100 * time.Millisecond) // polling a real browser, with a deadline
	}
	t.Fatalf("the page did not reload within %s", within)
}

// TestWallJSKeepsCardsBoundedAfter1000Posts: a screen that runs all day
// keeps MaxCards cards and the same number of elements, without reloading.
func TestWallJSKeepsCardsBoundedAfter1000Posts(t *testing.T) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	srv := newScreenServer(t, hub, Options{MaxCards: 100})
	ctx, _ := browser(t)
	openMarked(t, ctx, srv.URL+"/")

	elements := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementsByTagName('*').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var full int
	// In batches, each waited for: a screen's stream takes bursts, but this
	// test is about the page, not about dropping slow clients.
	for batch := range 20 {
		var last model.Post
		for i := range 50 {
			last = approved(int64(batch*50 + i + 1))
			hub.PostChanged(last)
		}
		within(t, ctx, fmt.Sprintf("batch %d arrives", batch), chromedp.WaitReady(chromedp.CSS(card(last))))
		if batch == 1 {
			full = elements()
		}
	}
	ids := strings.Split(domCardIDs(t, ctx), ",")
	if len(ids) != 100 || ids[0] != "1000" || ids[99] != "901" {
		t.Errorf("after 1,000 posts the page shows %d cards (%s … %s), want the newest 100 (1000 … 901)", len(ids), ids[0], ids[len(ids)-1])
	}
	if got := elements(); got != full {
		t.Errorf("%d elements after 1,000 posts, want %d as with the first 100", got, full)
	}
	if !marked(t, ctx) {
		t.Error("the page reloaded; live posts must not need a reload")
	}
}

func TestWallJSReloadsAfterRepeatedErrors(t *testing.T) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	srv := newScreenServer(t, hub, Options{})
	ctx, _ := browser(t)
	openMarked(t, ctx, srv.URL+"/")
	within(t, ctx, "go live", chromedp.WaitVisible(chromedp.CSS(`#wall-status[data-state="live"]`)))

	// A page whose script keeps failing (a browser bug, a bad extension, a
	// broken update) starts over.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`
		for (let i = 0; i < 5; i++) { setTimeout(() => { throw new Error('test error ' + i); }, 10 * i); }
		true`)); err != nil {
		t.Fatal(err)
	}
	waitReloaded(t, ctx, 20*time.Second)
	if got := srv.count("HEAD /"); got == 0 {
		t.Error("reloaded without checking the server answers first")
	}
}

// TestWallJSSilentStream: a stream that stays open but passes nothing (a
// venue proxy) is reconnected after a few missed pings, and a page where
// nothing arrives for twenty pings reloads.
func TestWallJSSilentStream(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	// Pings every 200 ms: a reconnect after 600 ms of silence, a reload after 4 s.
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: 200 * time.Millisecond})
	srv := newScreenServer(t, hub, Options{})
	srv.set(func(s *screenServer) { s.events = silentStream(done, "") })
	ctx, _ := browser(t)
	openMarked(t, ctx, srv.URL+"/")

	srv.waitCount(t, "GET /wall/events", 2) // the first and a reconnect
	if !marked(t, ctx) {
		t.Fatal("reloaded before reconnecting")
	}
	waitReloaded(t, ctx, 20*time.Second)
	if got := srv.count("HEAD /"); got == 0 {
		t.Error("reloaded without checking the server answers first")
	}
}

// TestWallJSReloadsOnlyWhenServerAnswers: told to reload while the server is
// down, the page keeps its cards and asks again until the server answers: a
// reload into an error page would leave the screen there for the day.
func TestWallJSReloadsOnlyWhenServerAnswers(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	srv := newScreenServer(t, hub, Options{})
	p := savePost(t, srv.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	ctx, _ := browser(t)
	openMarked(t, ctx, srv.URL+"/")

	srv.set(func(s *screenServer) {
		s.down = true
		s.events = silentStream(done, "retry: 600000\n\nid: 1\nevent: reload\ndata: {}\n\n")
	})
	// The stream open now ends, as the hub's do on shutdown; the page
	// reconnects and is told to reload.
	hub.Close()
	srv.waitCount(t, "HEAD /", 2)
	if !marked(t, ctx) {
		t.Fatal("the page reloaded while the server answered 503")
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#wall [data-post-id="`+id(p)+`"]').length`)); err != nil || n != 1 {
		t.Errorf("card of post %d while waiting: %d (%v), want still shown", p.ID, n, err)
	}

	srv.set(func(s *screenServer) { s.down = false })
	waitReloaded(t, ctx, 30*time.Second)
}

// TestWallWithoutJavaScriptRefreshesItself: with scripts off the wall is
// complete, and new posts arrive through the page's own refresh.
func TestWallWithoutJavaScriptRefreshesItself(t *testing.T) {
	st := openStore(t)
	hub, err := OpenHub(context.Background(), st, discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(st, hub, discardLogger(), Options{NoScriptRefresh: time.Second})
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close)
	first := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)

	ctx, _ := browser(t)
	noScript := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
	within(t, ctx, "open the wall without JavaScript", noScript, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.CSS(card(first))))

	type state struct {
		Status string `json:"status"`
		Time   string `json:"time"`
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({
		status: document.getElementById('wall-status').hidden ? 'hidden' : 'shown',
		time: document.querySelector('#wall time').textContent,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != "hidden" || !strings.Contains(s.Time, "UTC") {
		t.Fatalf("page state %+v: wall.js ran; want the status hidden and the server's UTC time", s)
	}

	second := savePost(t, st, variant("plain_text_only", 2), model.StatusApproved, false)
	hub.PostChanged(second)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#wall [data-post-id]')).map(e => e.getAttribute('data-post-id'))`))
		if err == nil && strings.Join(ids, ",") == id(first)+","+id(second) || err == nil && strings.Join(ids, ",") == id(second)+","+id(first) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cards %v (%v) 15 s after the approval, want both posts after the page refreshed", ids, err)
		}
		time.Sleep(100 * time.Millisecond) // polling a real browser, with a deadline
	}
}
