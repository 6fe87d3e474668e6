package wall

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// waitFor bounds every wait on the network in these tests; nothing sleeps.
const waitFor = 5 * time.Second

// sseFrame is one parsed Server-Sent Events frame.
type sseFrame struct {
	ID, Event, Data, Retry string
	Comments               []string
}

// sseStream reads frames from a live response in a goroutine that ends when
// the body does (the test's cleanup closes it).
type sseStream struct {
	t      *testing.T
	resp   *http.Response
	frames chan sseFrame
}

func connect(t *testing.T, url string, header http.Header) *sseStream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Content-Type"), "text/event-stream; charset=utf-8"; got != want {
		t.Fatalf("Content-Type = %q, want %q", got, want)
	}
	if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "no-cache") {
		t.Fatalf("Cache-Control = %q, want no-cache", got)
	}
	s := &sseStream{t: t, resp: resp, frames: make(chan sseFrame, 1024)}
	go func() {
		defer close(s.frames)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		var f sseFrame
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				s.frames <- f
				f = sseFrame{}
				continue
			}
			if c, ok := strings.CutPrefix(line, ":"); ok {
				f.Comments = append(f.Comments, strings.TrimSpace(c))
				continue
			}
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				f.ID = value
			case "event":
				f.Event = value
			case "data":
				if f.Data != "" {
					f.Data += "\n"
				}
				f.Data += value
			case "retry":
				f.Retry = value
			}
		}
	}()
	// The hub writes retry first, after registering the client: once it is
	// read, the client will see every later event.
	if f := s.next(); f.Retry == "" {
		t.Fatalf("first frame = %+v, want a retry frame", f)
	}
	return s
}

func (s *sseStream) next() sseFrame {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatalf("stream ended, want another frame")
		}
		return f
	case <-time.After(waitFor):
		s.t.Fatalf("no frame within %s", waitFor)
	}
	return sseFrame{}
}

// nextEvent skips heartbeats.
func (s *sseStream) nextEvent() sseFrame {
	s.t.Helper()
	for {
		if f := s.next(); f.Event != "ping" {
			return f
		}
	}
}

// ended waits for the stream to end.
func (s *sseStream) ended() {
	s.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return
			}
			if f.Event != "ping" {
				s.t.Errorf("unexpected frame before end: %+v", f)
			}
		case <-deadline:
			s.t.Fatalf("stream still open after %s", waitFor)
		}
	}
}

func newTestHub(t *testing.T, opts HubOptions) (*Hub, *httptest.Server) {
	t.Helper()
	if opts.HeartbeatEvery == 0 {
		opts.HeartbeatEvery = time.Hour // heartbeats only where a test wants them
	}
	hub := NewHub(discardLogger(), opts)
	srv := httptest.NewServer(hub)
	t.Cleanup(func() {
		hub.Close() // before srv.Close, which waits for open streams
		srv.Close()
	})
	return hub, srv
}

func approved(id int64) model.Post {
	p := fixtures["mastodon_with_photo"]
	p.ID = id
	p.URI = fmt.Sprintf("https://regions.social/users/anna/statuses/%d", id)
	p.Status = model.StatusApproved
	return p
}

func withStatus(p model.Post, st model.Status) model.Post {
	p.Status = st
	return p
}

func decode[T any](t *testing.T, f sseFrame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(f.Data), &v); err != nil {
		t.Fatalf("event data %q: %v", f.Data, err)
	}
	return v
}

func TestHubSendsPostAndRemove(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{})
	s := connect(t, srv.URL, nil)

	hub.PostChanged(approved(12))
	f := s.nextEvent()
	if f.Event != "post" {
		t.Fatalf("event = %q, want post", f.Event)
	}
	post := decode[postData](t, f)
	if post.ID != 12 {
		t.Errorf("post id = %d, want 12", post.ID)
	}
	if !strings.Contains(post.HTML, `data-post-id="12"`) || !strings.Contains(post.HTML, `data-testid="wall-post"`) {
		t.Errorf("post html is not the card: %s", post.HTML)
	}
	firstID, err := strconv.ParseUint(f.ID, 10, 64)
	if err != nil {
		t.Fatalf("event id %q: %v", f.ID, err)
	}

	for _, st := range []model.Status{model.StatusRejected, model.StatusRemoved, model.StatusPending} {
		t.Run(string(st), func(t *testing.T) {
			hub.PostChanged(withStatus(approved(12), st))
			f := s.nextEvent()
			if f.Event != "remove" {
				t.Fatalf("event = %q, want remove", f.Event)
			}
			if got := decode[removeData](t, f); got.ID != 12 {
				t.Errorf("removed id = %d, want 12", got.ID)
			}
			id, _ := strconv.ParseUint(f.ID, 10, 64)
			if id <= firstID {
				t.Errorf("event id %d not after %d", id, firstID)
			}
			firstID = id
		})
	}
}

func TestHubEventDataIsOneLine(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{})
	s := connect(t, srv.URL, nil)

	p := approved(7)
	p.HTML = "<p>line one</p>\n<p>line two\r\nand\u2028three</p>"
	hub.PostChanged(p)
	f := s.nextEvent()
	// The reader joins several data lines with \n: one line means none.
	if strings.Contains(f.Data, "\n") {
		t.Fatalf("data spans several lines: %q", f.Data)
	}
	if !strings.Contains(f.Data, `<p>line one</p>\n<p>line two\r\nand\u2028three</p>`) {
		t.Errorf("data = %q, want the HTML as it is, newlines and U+2028 escaped", f.Data)
	}
	if got := decode[postData](t, f); !strings.Contains(got.HTML, "<p>line one</p>\n<p>line two\r\nand\u2028three</p>") {
		t.Errorf("html = %q, want the post's HTML intact", got.HTML)
	}
}

func TestHubStartsAtNowWithoutResumePoint(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{})
	hub.PostChanged(approved(1)) // before the client: not replayed
	s := connect(t, srv.URL, nil)
	hub.PostChanged(approved(2))
	if got := decode[postData](t, s.nextEvent()); got.ID != 2 {
		t.Errorf("first event is post %d, want 2", got.ID)
	}
}

func TestHubReplaysMissedEvents(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{Replay: 8})
	watcher := connect(t, srv.URL, nil)
	var ids []string
	for i := int64(1); i <= 4; i++ {
		hub.PostChanged(approved(i))
		ids = append(ids, watcher.nextEvent().ID)
	}

	tests := []struct {
		name   string
		header http.Header
		query  string
	}{
		{"Last-Event-ID header", http.Header{"Last-Event-Id": {ids[1]}}, ""},
		{"lastEventId query", nil, "?lastEventId=" + ids[1]},
		{"header wins over query", http.Header{"Last-Event-Id": {ids[1]}}, "?lastEventId=" + ids[3]},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := connect(t, srv.URL+tt.query, tt.header)
			// Everything after ids[1], including earlier subtests' markers.
			for _, want := range ids[2:] {
				if got := s.nextEvent().ID; got != want {
					t.Fatalf("replayed event %s, want %s", got, want)
				}
			}
			// The next event is a new one: nothing was replayed twice or extra.
			marker := int64(100 + n)
			hub.PostChanged(approved(marker))
			if got := decode[postData](t, s.nextEvent()); got.ID != marker {
				t.Errorf("after replay got post %d, want the new post %d", got.ID, marker)
			}
			ids = append(ids, watcher.nextEvent().ID)
		})
	}
}

func TestHubUpToDateClientGetsNoReplay(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{})
	at := hub.LastEventID()
	s := connect(t, srv.URL+"?lastEventId="+strconv.FormatUint(at, 10), nil)
	hub.PostChanged(approved(3))
	f := s.nextEvent()
	if got := decode[postData](t, f); f.Event != "post" || got.ID != 3 {
		t.Errorf("got %s %+v, want post 3", f.Event, got)
	}
}

func TestHubReloadWhenResumeImpossible(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{Replay: 2})
	first := hub.LastEventID()
	for i := int64(1); i <= 4; i++ {
		hub.PostChanged(approved(i))
	}
	last := hub.LastEventID()

	tests := []struct {
		name, lastID string
	}{
		{"too old for the ring", strconv.FormatUint(first+1, 10)},
		{"before this hub started", "17"},
		{"from the future (another hub)", strconv.FormatUint(last+100, 10)},
		{"not a number", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := connect(t, srv.URL, http.Header{"Last-Event-Id": {tt.lastID}})
			f := s.nextEvent()
			if f.Event != "reload" {
				t.Fatalf("event = %q (%+v), want reload", f.Event, f)
			}
			if want := strconv.FormatUint(last, 10); f.ID != want {
				t.Errorf("reload id = %q, want the current %q", f.ID, want)
			}
			// The stream carries on from now.
			hub.PostChanged(approved(50))
			if got := decode[postData](t, s.nextEvent()); got.ID != 50 {
				t.Errorf("after reload got post %d, want 50", got.ID)
			}
			last = hub.LastEventID()
		})
	}

	t.Run("oldest event still in the ring replays", func(t *testing.T) {
		oldest := hub.LastEventID() - 2
		s := connect(t, srv.URL, http.Header{"Last-Event-Id": {strconv.FormatUint(oldest, 10)}})
		for i := uint64(1); i <= 2; i++ {
			f := s.nextEvent()
			if want := strconv.FormatUint(oldest+i, 10); f.Event != "post" || f.ID != want {
				t.Errorf("got %s %s, want post %s", f.Event, f.ID, want)
			}
		}
	})
}

func TestHubHeartbeat(t *testing.T) {
	_, srv := newTestHub(t, HubOptions{HeartbeatEvery: 5 * time.Millisecond})
	s := connect(t, srv.URL, nil)
	f := s.next()
	if f.Event != "ping" || f.ID != "" || len(f.Comments) != 1 || f.Comments[0] != "ping" {
		t.Errorf("heartbeat = %+v, want a ': ping' comment and a ping event without id", f)
	}
}

func TestHubCloseEndsStreams(t *testing.T) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	var running sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer running.Done()
		hub.ServeHTTP(w, r)
	}))
	defer srv.Close()

	streams := make([]*sseStream, 3)
	for i := range streams {
		streams[i] = connect(t, srv.URL, nil)
	}
	if got := hub.Clients(); got != 3 {
		t.Fatalf("clients = %d, want 3", got)
	}
	hub.Close()
	for _, s := range streams {
		s.ended()
	}
	returned := make(chan struct{})
	go func() { running.Wait(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(waitFor):
		t.Fatalf("handlers still running %s after Close", waitFor)
	}
	if got := hub.Clients(); got != 0 {
		t.Errorf("clients after Close = %d, want 0", got)
	}

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status after Close = %d, want 503", resp.StatusCode)
	}
	hub.Close() // twice is harmless
	hub.PostChanged(approved(1))
}

func TestHubHeadReturnsAtOnce(t *testing.T) {
	hub, srv := newTestHub(t, HubOptions{})
	resp, err := http.Head(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Errorf("HEAD = %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := hub.Clients(); got != 0 {
		t.Errorf("clients after HEAD = %d, want 0", got)
	}
}

func TestHubForgetsClientThatLeft(t *testing.T) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour})
	defer hub.Close()
	returned := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.ServeHTTP(w, r)
		returned <- struct{}{}
	}))
	defer srv.Close()

	s := connect(t, srv.URL, nil)
	s.resp.Body.Close()
	select {
	case <-returned:
	case <-time.After(waitFor):
		t.Fatalf("handler still running %s after the client left", waitFor)
	}
	if got := hub.Clients(); got != 0 {
		t.Errorf("clients = %d, want 0", got)
	}
}

func TestHubDropsSlowClient(t *testing.T) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour, ClientBuffer: 2})
	defer hub.Close()
	slow, _, _, _, _ := hub.subscribe(0, false, "", nil)
	fast, _, _, _, _ := hub.subscribe(0, false, "", nil)

	var fastGot []uint64
	for i := int64(1); i <= 3; i++ {
		hub.PostChanged(approved(i))
		fastGot = append(fastGot, (<-fast.ch).id)
	}
	if len(fastGot) != 3 {
		t.Errorf("fast client got %d events, want 3", len(fastGot))
	}
	var slowGot []uint64
	for ev := range slow.ch { // ends: the hub closed it
		slowGot = append(slowGot, ev.id)
	}
	if want := fastGot[:2]; fmt.Sprint(slowGot) != fmt.Sprint(want) {
		t.Errorf("slow client got %v before being dropped, want %v", slowGot, want)
	}
	if got := hub.Clients(); got != 1 {
		t.Errorf("clients = %d, want 1 (the fast one)", got)
	}
}

// BenchmarkHubBroadcast measures one PostChanged (render once, encode, fan out)
// to 1,000 connected screens.
func BenchmarkHubBroadcast(b *testing.B) {
	hub := NewHub(discardLogger(), HubOptions{HeartbeatEvery: time.Hour, ClientBuffer: 4096})
	var wg sync.WaitGroup
	for range 1000 {
		c, _, _, _, _ := hub.subscribe(0, false, "", nil)
		wg.Go(func() {
			for range c.ch {
			}
		})
	}
	p := approved(1)
	b.ReportAllocs()
	for b.Loop() {
		hub.PostChanged(p)
	}
	b.StopTimer()
	b.ReportMetric(float64(hub.Clients()), "clients_left")
	hub.Close()
	wg.Wait()
}

// TestHubMemoryPerScreen guards the budget for 10,000 screens on one small
// server: each open stream (handler goroutine, HTTP connection buffers, hub
// client) must cost well under 40 KB of Go memory.
func TestHubMemoryPerScreen(t *testing.T) {
	const screens = 1000
	const budget = 40 << 10
	hub, srv := newTestHub(t, HubOptions{})

	addr := strings.TrimPrefix(srv.URL, "http://")
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	open := func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: wall\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		// Read up to the retry frame: the hub has registered the screen.
		c.SetReadDeadline(time.Now().Add(waitFor))
		buf := make([]byte, 512)
		var got []byte
		for !bytes.Contains(got, []byte("retry: ")) {
			n, err := c.Read(buf)
			if err != nil {
				t.Fatalf("read: %v (got %q)", err, got)
			}
			got = append(got, buf[:n]...)
		}
	}
	// Warm up, so one-time costs (the server's first connection, pools) are
	// not counted per screen.
	for range 20 {
		open()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range screens {
		open()
	}
	if got := hub.Clients(); got != screens+20 {
		t.Fatalf("clients = %d, want %d", got, screens+20)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
	per := used / screens
	t.Logf("%d bytes of Go memory per open stream (both ends of the test's connections included; heap %d, stacks %d)", per, (int64(after.HeapInuse)-int64(before.HeapInuse))/screens, (int64(after.StackInuse)-int64(before.StackInuse))/screens)
	limit := int64(budget)
	if raceEnabled {
		limit *= 2
	}
	if per > limit {
		t.Errorf("memory per screen = %d bytes, want at most %d", per, limit)
	}
}
