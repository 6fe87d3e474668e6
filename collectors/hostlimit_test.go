package collectors

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// guard bounds waits on channels so a broken limiter fails the test instead
// of hanging it; nothing waits this long when the limiter works.
const guard = 10 * time.Second

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// fakeClock is the limiter's clock in tests: waiting records the wait and
// moves the time on instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func TestHostLimiterSlots(t *testing.T) {
	l := NewHostLimiter(HostLimiterOptions{PerHost: 2, Spacing: -1})
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	relA, err := l.acquire(ctx, "mastodon.social", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(ctx, "Mastodon.Social", true); err != nil { // same host, any case
		t.Fatal(err)
	}
	// Both slots are taken: only the cancelled context can answer.
	if _, err := l.acquire(cancelled, "mastodon.social", true); !errors.Is(err, context.Canceled) {
		t.Fatalf("third request to a host with 2 in flight: err = %v, want it held until its context ended", err)
	}
	// Another host is not held up.
	other := make(chan error, 1)
	go func() {
		_, err := l.acquire(ctx, "bsky.social", true)
		other <- err
	}()
	if err := await(t, other, "a request to another host"); err != nil {
		t.Fatalf("other host: %v", err)
	}
	// Releasing frees exactly one slot, however often it is called.
	relA()
	relA()
	if _, err := l.acquire(ctx, "mastodon.social", true); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if _, err := l.acquire(cancelled, "mastodon.social", true); !errors.Is(err, context.Canceled) {
		t.Fatalf("a double release freed a second slot: err = %v, want the request held", err)
	}
}

func TestHostLimiterSpacing(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)}
	l := NewHostLimiter(HostLimiterOptions{PerHost: 10, Spacing: 200 * time.Millisecond, Now: clk.Now, Wait: clk.Wait})
	for range 3 {
		if _, err := l.acquire(t.Context(), "api.x.com", true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.acquire(t.Context(), "graph.facebook.com", true); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{200 * time.Millisecond, 200 * time.Millisecond}
	if !slices.Equal(clk.waits, want) {
		t.Errorf("waits = %v, want %v (the first request to a host starts at once, the next ones 200ms apart, other hosts unaffected)", clk.waits, want)
	}
	// After a quiet spell the next request starts at once.
	clk.now = clk.now.Add(time.Minute)
	if _, err := l.acquire(t.Context(), "api.x.com", true); err != nil {
		t.Fatal(err)
	}
	if len(clk.waits) != 2 {
		t.Errorf("waits = %v after a quiet minute, want no new wait", clk.waits)
	}
}

// TestSharedLimiterAcrossClients runs two sources' clients against one
// server: the second client's request waits while the first one's response
// is open, and goes once that body is closed.
func TestSharedLimiterAcrossClients(t *testing.T) {
	arrived := make(chan string, 4)
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.URL.Path
		if r.URL.Path == "/first" {
			<-hold
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(hold)

	limiter := NewHostLimiter(HostLimiterOptions{PerHost: 1, Spacing: -1})
	blocked := make(chan string, 4)
	limiter.blocked = func(host string) { blocked <- host }
	sourceA := NewClient(ClientOptions{AllowPrivateNetwork: true, Limiter: limiter})
	sourceB := NewClient(ClientOptions{AllowPrivateNetwork: true, Limiter: limiter})

	firstDone := make(chan error, 1)
	go func() {
		resp, err := sourceA.Get(srv.URL + "/first")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		firstDone <- err
	}()
	if got := await(t, arrived, "the first request"); got != "/first" {
		t.Fatalf("first arrival %q, want /first", got)
	}

	secondDone := make(chan error, 1)
	go func() {
		resp, err := sourceB.Get(srv.URL + "/second")
		if err == nil {
			resp.Body.Close()
		}
		secondDone <- err
	}()
	select {
	case host := <-blocked:
		if !strings.HasPrefix(srv.URL, "http://"+host) {
			t.Errorf("blocked on host %q, want the server's", host)
		}
	case p := <-arrived:
		t.Fatalf("%s reached the server while /first was in flight: the host limit was not shared", p)
	case <-time.After(guard):
		t.Fatal("the second request neither waited nor arrived")
	}

	// The same server under another name is another host: not held up.
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	thirdDone := make(chan error, 1)
	go func() {
		resp, err := sourceB.Get("http://localhost" + port + "/third")
		if err == nil {
			resp.Body.Close()
		}
		thirdDone <- err
	}()
	if got := await(t, arrived, "the request to another host"); got != "/third" {
		t.Fatalf("arrival %q, want /third (only the other host may pass)", got)
	}
	if err := await(t, thirdDone, "the third request"); err != nil {
		t.Fatal(err)
	}

	hold <- struct{}{}
	if err := await(t, firstDone, "the first request"); err != nil {
		t.Fatal(err)
	}
	if got := await(t, arrived, "the second request"); got != "/second" {
		t.Fatalf("arrival %q, want /second once /first was done", got)
	}
	if err := await(t, secondDone, "the second request"); err != nil {
		t.Fatal(err)
	}
}

func TestStreamingClientHoldsNoSlot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, ":)\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	limiter := NewHostLimiter(HostLimiterOptions{PerHost: 1, Spacing: -1})
	client := NewClient(ClientOptions{AllowPrivateNetwork: true, Limiter: limiter})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream", nil)
	stream, err := StreamingClient(client).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	done := make(chan error, 1)
	go func() {
		resp, err := client.Get(srv.URL + "/poll")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if err := await(t, done, "a poll while a stream is open"); err != nil {
		t.Fatalf("poll while streaming: %v", err)
	}
}
