package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// TestServeCollectsAndShutsDownCleanly runs `campaignwall serve` with a real
// config file whose Mastodon source is a test server speaking the documented
// tag-timeline format: posts arrive as pending on the source's schedule, and
// when the context ends, serve returns with no goroutine left behind.
func TestServeCollectsAndShutsDownCleanly(t *testing.T) {
	statuses, err := os.ReadFile("../../collectors/mastodon/testdata/statuses_regions.json")
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	mastodon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/timelines/tag/cohesionalliance" {
			http.NotFound(w, r)
			return
		}
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Query().Get("min_id") != "" {
			w.Write([]byte("[]")) // nothing newer than what it has
			return
		}
		w.Write(statuses)
	}))
	defer mastodon.Close()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "campaignwall.toml")
	err = os.WriteFile(cfgPath, []byte(fmt.Sprintf(`[campaign]
name = "Cohesion Alliance"
hashtags = ["CohesionAlliance"]
[server]
addr = "127.0.0.1:0"
[store]
path = "wall.db"
[[sources]]
name = "regions"
kind = "mastodon"
url = %q
schedule = "@every 1s"
allow_private_network = true
`, mastodon.URL)), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out, errOut syncBuffer
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfgPath}, environment{
			stdout: &out, stderr: &errOut,
			lookup: func(string) (string, bool) { return "", false },
			ready:  func(addr string) { ready <- addr },
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "moderation: http://") {
		t.Errorf("serve did not print its URLs:\n%s", out.String())
	}

	// The source runs on its own schedule; wait for its first run to land.
	st, err := store.Open(context.Background(), filepath.Join(dir, "wall.db"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	var pending []model.Post
	for time.Now().Before(deadline) {
		if pending, err = st.Posts(context.Background(), store.PostFilter{Status: model.StatusPending}); err == nil && len(pending) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, not standing in for one
	}
	if len(pending) != 2 {
		t.Fatalf("pending posts after the first scheduled run: %d, want 2 (requests %d)\n%s", len(pending), requests.Load(), errOut.String())
	}
	src, err := st.SourceState(context.Background(), "regions")
	if err != nil || src.Cursor == "" || src.LastError != "" {
		t.Errorf("source state %+v (%v): want a cursor and no error", src, err)
	}
	st.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return within 15 s of shutdown")
	}
	mastodon.CloseClientConnections()
	http.DefaultClient.CloseIdleConnections()
	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left behind after shutdown (before: %d):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
	}
}
