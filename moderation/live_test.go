package moderation

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// The live queue's three gaps: leases that run out, the tabs' counts, and
// replay on reconnect.

// sseEvent is one event of the moderators' stream as a browser reads it.
type sseEvent struct {
	ID, Name, Data string
}

// liveServer is a hands server whose lease sweep runs every few
// milliseconds and reports each sweep on swept.
func liveServer(t *testing.T) (*handsServer, *httptest.Server, chan struct{}) {
	t.Helper()
	s := newServer(t)
	clock := &testClock{t: time.Date(2026, 10, 14, 14, 0, 0, 0, time.UTC)}
	s.mux = http.NewServeMux()
	h := NewHandler(s.st, auth.New(s.st, auth.Options{}), s.notifier, nil,
		Options{CampaignName: "#CohesionAlliance", Now: clock.now, LeaseSweep: 2 * time.Millisecond})
	swept := make(chan struct{}, 1)
	h.swept = func() {
		select {
		case swept <- struct{}{}:
		default:
		}
	}
	h.Routes(s.mux)
	srv := httptest.NewServer(s.mux)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close) // before srv.Close: ends the streams
	return &handsServer{server: s, h: h, clock: clock}, srv, swept
}

// openStream opens /moderate/events as a moderator with the given
// Last-Event-ID ("" for none) and returns a reader of its events, after
// hello, and a function that closes it.
func openStream(t *testing.T, srv *httptest.Server, cookie, lastID string) (next func() sseEvent, stop func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/moderate/events", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stop = func() {
		cancel()
		resp.Body.Close()
	}
	t.Cleanup(stop)
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	next = func() sseEvent {
		t.Helper()
		var ev sseEvent
		for lines.Scan() {
			l := lines.Text()
			switch {
			case l == "":
				if ev.Name != "" {
					return ev
				}
			case strings.HasPrefix(l, "id: "):
				ev.ID = l[len("id: "):]
			case strings.HasPrefix(l, "event: "):
				ev.Name = l[len("event: "):]
			case strings.HasPrefix(l, "data: "):
				ev.Data = l[len("data: "):]
			}
		}
		t.Fatalf("stream ended before the next event: %v", lines.Err())
		return ev
	}
	if ev := next(); ev.Name != "hello" {
		t.Fatalf("first event = %+v, want hello", ev)
	}
	return next, stop
}

func postEvent(t *testing.T, ev sseEvent) postEventData {
	t.Helper()
	if ev.Name != "post" {
		t.Fatalf("event = %s %s, want a post event", ev.Name, ev.Data)
	}
	var d postEventData
	if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// waitSweeps waits until at least one whole lease sweep ran after whatever
// the test did last: the first signal may be older (swept holds one), the
// second's sweep may have started before; the third's began after the
// second's ended, which was after the first signal was taken.
func waitSweeps(t *testing.T, swept chan struct{}) {
	t.Helper()
	for range 3 {
		select {
		case <-swept:
		case <-time.After(10 * time.Second):
			t.Fatal("the lease sweep does not run while a queue stream is open")
		}
	}
}

// TestExpiredLeaseComesBackLive: bob's laptop goes to sleep with a post
// under his cursor. anna's open queue hid it; when his lease runs out it
// comes back into her queue without a reload, and only then. When bob
// comes back his renewal takes the post again, and her queue hides it.
func TestExpiredLeaseComesBackLive(t *testing.T) {
	s, srv, swept := liveServer(t)
	anna, bob := s.login(t, "anna"), s.login(t, "bob")
	posts := s.savePosts(t, 2)
	next, _ := openStream(t, srv, anna, "")

	if code, _ := s.postJSON(t, bob, postTarget(posts[0], "lease"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	if ev := next(); ev.Name != "lease" || !strings.Contains(ev.Data, `"by":"bob"`) {
		t.Fatalf("event = %+v, want bob's lease", ev)
	}
	// bob's renewal is no news.
	s.clock.advance(20 * time.Second)
	if code, _ := s.postJSON(t, bob, postTarget(posts[0], "lease"), url.Values{"renew": {"1"}}); code != 200 {
		t.Fatal(code)
	}
	// A second before it runs out, sweeps leave it alone: the next event
	// anna gets is the marker (a lease of the other post), not the post.
	s.clock.advance(59 * time.Second)
	waitSweeps(t, swept)
	if code, _ := s.postJSON(t, bob, postTarget(posts[1], "lease"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	if ev := next(); ev.Name != "lease" || !strings.Contains(ev.Data, fmt.Sprintf(`"id":%d`, posts[1].ID)) {
		t.Fatalf("event before the lease ran out = %s %s, want only the marker lease of post %d", ev.Name, ev.Data, posts[1].ID)
	}

	s.clock.advance(2 * time.Second) // a second past the renewed lease
	d := postEvent(t, next())
	if d.ID != posts[0].ID || d.Status != model.StatusPending || !strings.Contains(d.HTML, `data-testid="approve-button"`) {
		t.Fatalf("after the lease ran out: %+v, want post %d pending with its card", d, posts[0].ID)
	}
	if n := len(s.notifier.got()); n != 0 {
		t.Errorf("the wall heard of %d pending posts, want none", n)
	}

	// bob wakes up: his renewal finds the lease gone and takes it anew,
	// which the other queues hear of.
	if code, _ := s.postJSON(t, bob, postTarget(posts[0], "lease"), url.Values{"renew": {"1"}}); code != 200 {
		t.Fatal(code)
	}
	for {
		ev := next()
		if ev.Name == "post" && postEvent(t, ev).ID == posts[1].ID {
			continue // bob's other lease ran out too
		}
		if ev.Name != "lease" || !strings.Contains(ev.Data, fmt.Sprintf(`"id":%d`, posts[0].ID)) {
			t.Fatalf("after bob's renewal of a lapsed lease: %s %s, want his lease of post %d", ev.Name, ev.Data, posts[0].ID)
		}
		break
	}
}

// TestLeaseSweepStopsWithTheStreams: the sweep runs only while a queue
// stream is open, and Close stops it.
func TestLeaseSweepStopsWithTheStreams(t *testing.T) {
	s, srv, swept := liveServer(t)
	anna := s.login(t, "anna")
	_, stop := openStream(t, srv, anna, "")
	waitSweeps(t, swept)
	stop()
	// The stream's handler returns once the server notices; after that no
	// sweep may start. Close waits for a running one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.h.sweep.mu.Lock()
		running := s.h.sweep.stop != nil
		s.h.sweep.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease sweep still runs after the last stream closed")
		}
		runtime.Gosched()
	}
	_, _ = openStream(t, srv, anna, "")
	waitSweeps(t, swept)
	s.h.Close()
	s.h.sweep.mu.Lock()
	running := s.h.sweep.stop != nil
	s.h.sweep.mu.Unlock()
	if running {
		t.Error("the lease sweep runs after Close")
	}
}

// TestPostEventsCarryTabCounts: every post event carries the posts per
// status as they are after it, for the tabs; a filtered queue reads its
// own from /moderate/counts.
func TestPostEventsCarryTabCounts(t *testing.T) {
	s, srv, _ := liveServer(t)
	anna := s.login(t, "anna")
	posts := s.savePosts(t, 3)
	next, _ := openStream(t, srv, anna, "")

	s.h.PostsCollected(context.Background(), posts[:1])
	if d := postEvent(t, next()); d.Counts["pending"] != 3 || d.Counts["approved"] != 0 {
		t.Errorf("counts after a new post = %v, want 3 pending", d.Counts)
	}
	if code, _ := s.postJSON(t, anna, postTarget(posts[0], "approve"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	if d := postEvent(t, next()); d.Counts["pending"] != 2 || d.Counts["approved"] != 1 {
		t.Errorf("counts after an approval = %v, want 2 pending, 1 approved", d.Counts)
	}
	if code, _ := s.postJSON(t, anna, postTarget(posts[1], "reject"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	if d := postEvent(t, next()); fmt.Sprint(d.Counts) != "map[approved:1 pending:1 rejected:1 removed:0]" {
		t.Errorf("counts after a rejection = %v, want 1 pending, 1 approved, 1 rejected and removed 0", d.Counts)
	}

	// The queue page says where its stream starts, and whether it is filtered.
	page := parse(t, s.do(t, request{method: "GET", target: "/moderate?language=fr", cookie: anna}))
	q := page.Find(`main[data-testid=queue]`)
	if since, _ := q.Attr("data-events-since"); since != s.h.events.lastID() {
		t.Errorf("data-events-since = %q, want the stream's last event %q", since, s.h.events.lastID())
	}
	if f, _ := q.Attr("data-filtered"); f != "true" {
		t.Errorf("data-filtered = %q on a filtered page", f)
	}

	for _, tt := range []struct {
		query string
		want  map[string]int
	}{
		{"", map[string]int{"pending": 1, "approved": 1, "rejected": 1, "removed": 0}},
		{"?network=mastodon&status=approved", map[string]int{"pending": 1, "approved": 1, "rejected": 1, "removed": 0}},
		{"?language=fr", map[string]int{"pending": 0, "approved": 0, "rejected": 0, "removed": 0}},
	} {
		t.Run(tt.query, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: "/moderate/counts" + tt.query, cookie: anna})
			var got struct{ Counts map[string]int }
			if err := json.NewDecoder(rec.Body).Decode(&got); rec.Code != 200 || err != nil {
				t.Fatalf("GET /moderate/counts%s: %d, %v", tt.query, rec.Code, err)
			}
			if fmt.Sprint(got.Counts) != fmt.Sprint(tt.want) {
				t.Errorf("counts = %v, want %v", got.Counts, tt.want)
			}
		})
	}
	if rec := s.do(t, request{method: "GET", target: "/moderate/counts"}); rec.Code != http.StatusSeeOther && rec.Code != http.StatusFound {
		t.Errorf("counts without a session: %d, want a redirect to the login", rec.Code)
	}
}

// TestStreamReplaysWhatAQueueMissed: a queue whose connection dropped gets
// the events it missed when it comes back with Last-Event-ID, then the live
// ones; one that missed more than is kept, or whose ID is from before a
// restart, is told to reload.
func TestStreamReplaysWhatAQueueMissed(t *testing.T) {
	s, srv, _ := liveServer(t)
	anna := s.login(t, "anna")
	posts := s.savePosts(t, 4)
	next, stop := openStream(t, srv, anna, "")
	s.h.PostsCollected(context.Background(), posts[:1])
	seen := next()
	if seen.ID == "" {
		t.Fatalf("event without an ID: %+v", seen)
	}
	stop()
	// While anna's connection is down: a post arrives, bob takes one.
	s.h.PostsCollected(context.Background(), posts[1:2])
	if code, _ := s.postJSON(t, s.login(t, "bob"), postTarget(posts[2], "lease"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	next, _ = openStream(t, srv, anna, seen.ID)
	if d := postEvent(t, next()); d.ID != posts[1].ID {
		t.Errorf("first replayed event is post %d, want %d", d.ID, posts[1].ID)
	}
	if ev := next(); ev.Name != "lease" || !strings.Contains(ev.Data, fmt.Sprintf(`"id":%d`, posts[2].ID)) {
		t.Errorf("second replayed event = %+v, want bob's lease", ev)
	}
	s.h.PostsCollected(context.Background(), posts[3:4])
	if d := postEvent(t, next()); d.ID != posts[3].ID {
		t.Errorf("live event after the replay is post %d, want %d", d.ID, posts[3].ID)
	}

	// ?since= (the page's own ID) works like Last-Event-ID for a first connection.
	last := s.h.events.lastID()
	s.h.PostsCollected(context.Background(), posts[:1])
	req, _ := http.NewRequest("GET", srv.URL+"/moderate/events?since="+url.QueryEscape(last), nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: anna})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: {\"id\":") {
	}
	if !strings.Contains(sc.Text(), fmt.Sprintf(`"id":%d`, posts[0].ID)) {
		t.Errorf("?since= replayed %q, want post %d", sc.Text(), posts[0].ID)
	}
	resp.Body.Close()

	for _, tt := range []struct{ name, id string }{
		{"another process's ID", "zzz-1"},
		{"an ID not sent yet", s.h.events.epoch + "-999999"},
		{"garbage", "hello"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next, _ := openStream(t, srv, anna, tt.id)
			if ev := next(); ev.Name != "reload" {
				t.Errorf("event = %+v, want reload", ev)
			}
		})
	}
	t.Run("more missed than kept", func(t *testing.T) {
		old := s.h.events.lastID()
		for i := range eventsReplay {
			s.h.events.publish("lease", leaseEventData{ID: int64(i), By: "bob"})
		}
		next, _ := openStream(t, srv, anna, old)
		if ev := next(); ev.Name != "lease" || !strings.Contains(ev.Data, `"id":0,`) {
			t.Errorf("with exactly %d missed: %+v, want them replayed from the first", eventsReplay, ev)
		}
		s.h.events.publish("lease", leaseEventData{ID: eventsReplay, By: "bob"})
		next, _ = openStream(t, srv, anna, old)
		if ev := next(); ev.Name != "reload" {
			t.Errorf("with %d missed: %+v, want reload", eventsReplay+1, ev)
		}
	})
}

// TestStreamSkipsRendersNobodyWaitsFor: long after the last queue closed,
// changes are not rendered; a queue coming back from before them reloads.
// Within eventsIdle of it closing they are kept for it.
func TestStreamSkipsRendersNobodyWaitsFor(t *testing.T) {
	s, srv, _ := liveServer(t)
	anna := s.login(t, "anna")
	posts := s.savePosts(t, 2)
	next, stop := openStream(t, srv, anna, "")
	s.h.PostsCollected(context.Background(), posts[:1])
	seen := next()
	stop()
	waitUnsubscribed(t, s.h)
	s.clock.advance(eventsIdle + time.Second)
	s.h.PostsCollected(context.Background(), posts[1:])
	next, _ = openStream(t, srv, anna, seen.ID)
	if ev := next(); ev.Name != "reload" {
		t.Errorf("back after an unrendered change: %+v, want reload", ev)
	}
}

// waitUnsubscribed waits until no stream is subscribed: the server noticed
// the client went.
func waitUnsubscribed(t *testing.T, h *Handler) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.events.mu.Lock()
		n := len(h.events.clients)
		h.events.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream stayed subscribed after its client went")
		}
		runtime.Gosched()
	}
}
