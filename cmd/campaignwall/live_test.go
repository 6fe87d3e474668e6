package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// liveApp is one run of the daemon on a database file that outlives it, so a
// test can stop it and start another on the same address and file.
type liveApp struct {
	*app
	URL  string
	Addr string
	stop func()
}

func liveConfig(dbPath, addr string, sources ...model.Source) *config.Config {
	return &config.Config{
		Path:     "(test)",
		Campaign: config.Campaign{Name: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance"}},
		Server:   config.Server{Addr: addr},
		Store:    config.Store{Path: dbPath},
		Sources:  sources,
	}
}

// startLive starts the daemon on cfg's address; stop (also run at cleanup)
// shuts it down as SIGTERM would and waits until it has.
func startLive(t *testing.T, cfg *config.Config) *liveApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, newLogger(io.Discard), collectorDeps{})
	if err != nil {
		cancel()
		t.Fatalf("newApp: %v", err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, cfg.Server.Addr, func(addr string) { ready <- addr }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server stopped before listening: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &liveApp{app: a, URL: "http://" + addr, Addr: addr, stop: stop}
}

// moderatorClient logs in as a moderator and decides posts over HTTP, the
// way the queue page's buttons do.
type moderatorClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func loginModerator(t *testing.T, base, name, password string) *moderatorClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.PostForm(base+"/login", url.Values{"name": {name}, "password": {password}})
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/moderate") {
		t.Fatalf("log in: %d at %s, want the queue", resp.StatusCode, resp.Request.URL)
	}
	return &moderatorClient{t: t, base: base, c: c}
}

func (m *moderatorClient) decide(p model.Post, a model.Action) {
	m.t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/moderate/posts/%d/%s", m.base, p.ID, a), nil)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := m.c.Do(req)
	if err != nil {
		m.t.Fatalf("%s post %d: %v", a, p.ID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		m.t.Fatalf("%s post %d: %d %s", a, p.ID, resp.StatusCode, body)
	}
}

// fakeTagTimeline is a Mastodon server's tag timeline (GET
// /api/v1/timelines/tag/:hashtag, https://docs.joinmastodon.org/methods/timelines/#tag)
// serving collectors/mastodon's documented fixtures, paged by min_id as
// Mastodon does. fail, when set, answers every request instead.
type fakeTagTimeline struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	fail     http.HandlerFunc
}

func newFakeTagTimeline(t *testing.T) *fakeTagTimeline {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("..", "..", "collectors", "mastodon", "testdata", "statuses_regions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var statuses []json.RawMessage
	if err := json.Unmarshal(page, &statuses); err != nil {
		t.Fatal(err)
	}
	f := &fakeTagTimeline{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.mu.Lock()
		fail := f.fail
		f.mu.Unlock()
		if fail != nil {
			fail(w, r)
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/v1/timelines/tag/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Query().Get("min_id") != "" {
			io.WriteString(w, "[]") // the fixture is all there is: nothing newer
			return
		}
		w.Write(page)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTagTimeline) setFail(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = h
}

func mastodonSource(url string) model.Source {
	return model.Source{
		Name: "regions.example", Kind: "mastodon", URL: url, Hashtags: []string{"CohesionAlliance"},
		// Never on its own during a test: runs are started with RunNow.
		Schedule: "@every 1000h", AllowPrivateNetwork: true,
	}
}

// openScreen opens the wall page and its event stream as a screen does and
// keeps the stream open until the test ends.
func openScreen(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("wall page: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/wall/events", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stream.Body.Close() })
	// The first line (retry) means the hub has the screen.
	if _, err := bufio.NewReader(stream.Body).ReadString('\n'); err != nil {
		t.Fatalf("event stream: %v", err)
	}
}

// TestUpstreamRequestsIndependentOfScreens: what the wall asks of a
// network depends on the schedule only. Screens read the store, never the
// network, so 100 open screens cost the instance what 1 does.
func TestUpstreamRequestsIndependentOfScreens(t *testing.T) {
	masto := newFakeTagTimeline(t)
	a := startLive(t, liveConfig(filepath.Join(t.TempDir(), "wall.db"), "127.0.0.1:0", mastodonSource(masto.URL)))
	const runs = 3 // scheduler ticks, as on "@every 1m" for three minutes
	collect := func() int64 {
		t.Helper()
		before := masto.requests.Load()
		for range runs {
			if err := a.sched.RunNow(context.Background(), "collect:regions.example"); err != nil {
				t.Fatalf("collect: %v", err)
			}
		}
		return masto.requests.Load() - before
	}
	// The first run pages in the hashtag's history; steady state is after.
	if n := collect(); n == 0 {
		t.Fatal("the collector made no requests: the fake server is not wired")
	}

	perScreens := map[int]int64{}
	screens := 0
	for _, n := range []int{1, 100} {
		before := masto.requests.Load()
		for ; screens < n; screens++ {
			openScreen(t, a.URL)
		}
		if got := a.hub.Clients(); got != n {
			t.Fatalf("%d screens connected, want %d", got, n)
		}
		if opened := masto.requests.Load() - before; opened != 0 {
			t.Errorf("opening screens made %d upstream requests, want 0", opened)
		}
		perScreens[n] = collect()
		t.Logf("%d open screens: %d upstream requests for %d scheduled runs", n, perScreens[n], runs)
	}
	if perScreens[1] != perScreens[100] || perScreens[1] != runs {
		t.Errorf("upstream requests for %d runs: %d with 1 screen, %d with 100; want %d for both (one per run)",
			runs, perScreens[1], perScreens[100], runs)
	}
}

// TestWallKeepsApprovedPostsWhenUpstreamFails: an outage, a quota or a broken
// answer upstream is recorded on the source and changes nothing on the wall.
func TestWallKeepsApprovedPostsWhenUpstreamFails(t *testing.T) {
	masto := newFakeTagTimeline(t)
	a := startLive(t, liveConfig(filepath.Join(t.TempDir(), "wall.db"), "127.0.0.1:0", mastodonSource(masto.URL)))
	if err := a.sched.RunNow(context.Background(), "collect:regions.example"); err != nil {
		t.Fatalf("first collection: %v", err)
	}
	pending, err := a.store.Posts(context.Background(), store.PostFilter{Status: model.StatusPending})
	if err != nil || len(pending) < 2 {
		t.Fatalf("collected %d posts (%v), want at least 2", len(pending), err)
	}
	var approved []model.Post
	for _, p := range pending[:2] {
		p, err := a.store.Decide(context.Background(), model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "tester"})
		if err != nil {
			t.Fatal(err)
		}
		a.hub.PostChanged(p)
		approved = append(approved, p)
	}
	rateLimit, err := os.ReadFile(filepath.Join("..", "..", "collectors", "mastodon", "testdata", "error_429.json"))
	if err != nil {
		t.Fatal(err)
	}
	serverError, err := os.ReadFile(filepath.Join("..", "..", "collectors", "mastodon", "testdata", "error_500.html"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		fail http.HandlerFunc
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(serverError)
		}},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("X-RateLimit-Limit", "300")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", time.Now().Add(5*time.Minute).UTC().Format("2006-01-02T15:04:05.000Z"))
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(rateLimit)
		}},
		{"truncated answer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, `[{"id": "1099`)
		}},
		{"connection dropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			masto.setFail(tt.fail)
			eventsBefore := a.hub.LastEventID()
			if err := a.sched.RunNow(context.Background(), "collect:regions.example"); err == nil {
				t.Fatal("collection succeeded, want the upstream failure")
			}
			src, err := a.store.SourceState(context.Background(), "regions.example")
			if err != nil || src.LastError == "" {
				t.Errorf("source state %+v (%v), want the failure recorded", src, err)
			}
			if got := a.hub.LastEventID(); got != eventsBefore {
				t.Errorf("the failure sent %d events to screens, want none", got-eventsBefore)
			}
			resp, err := http.Get(a.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("wall page: %d", resp.StatusCode)
			}
			for _, p := range approved {
				if !strings.Contains(string(body), fmt.Sprintf(`data-post-id="%d"`, p.ID)) {
					t.Errorf("approved post %d is not on the wall during the failure", p.ID)
				}
				now, err := a.store.PostByID(context.Background(), p.ID)
				if err != nil || now.Status != model.StatusApproved {
					t.Errorf("post %d is %s (%v) after the failure, want approved", p.ID, now.Status, err)
				}
			}
		})
	}
}
