package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// sse writes server-sent event lines the way Mastodon's streaming server
// does and flushes them.
func sse(w http.ResponseWriter, lines ...string) {
	for _, l := range lines {
		fmt.Fprint(w, l+"\n")
	}
	w.(http.Flusher).Flush()
}

// compact turns a pretty-printed fixture into the one-line payload of a
// data: field.
func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func startSSE(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// sleepRecorder stands in for the backoff's waits.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *sleepRecorder) got() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

func streamOptions(rec *sleepRecorder) Options {
	return Options{
		FirstEventTimeout: 10 * time.Second,
		IdleTimeout:       10 * time.Second,
		BackoffMin:        time.Second,
		BackoffMax:        time.Minute,
		Jitter:            func(d time.Duration) time.Duration { return d },
		Sleep:             rec.sleep,
	}
}

// runStream runs Stream until stop is closed (or a test deadline) and
// returns its error.
func runStream(t *testing.T, c *Collector, src model.Source, h StreamHandlers, stop <-chan struct{}) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Stream(ctx, src, h) }()
	select {
	case err := <-done:
		return err
	case <-stop:
	case <-time.After(10 * time.Second): // a guard against hanging, not a synchronization
		cancel()
		<-done
		t.Fatal("stream test did not finish")
	}
	cancel()
	return <-done
}

func TestStreamDropThenCatchUpNoGapNoDuplicate(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	f := newFakeServer(t)
	eupolis := func(id string) json.RawMessage { return statusByID(t, "statuses_eupolis.json", "1131450812345670"+id) }
	f.add(eupolis("01"), eupolis("02"))
	live := statusByID(t, "statuses_regions.json", "109876543210000020") // arrives only on the stream

	var mu sync.Mutex
	conns := 0
	f.stream = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/streaming/hashtag" || r.URL.Query().Get("tag") != "cohesionalliance" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		startSSE(w)
		switch n {
		case 1:
			// 06 is posted just before the connection: the catch-up and
			// the stream both deliver it. Then the connection drops.
			f.add(eupolis("06"))
			sse(w, ":)", "event: update", "data: "+compact(t, eupolis("06")), "")
		case 2:
			// 07 and 09 were posted while the stream was down: only the
			// catch-up can see them.
			f.add(eupolis("07"), eupolis("09"))
			sse(w, ":)", ":thump", "event: update", "data: "+compact(t, live), "")
			<-r.Context().Done()
		default:
			t.Errorf("connection %d: the stream should not have dropped again", n)
		}
	}

	rec := &sleepRecorder{}
	c := newTestCollector(streamOptions(rec))
	src := testSource(f)
	catchUps := 0
	stop := make(chan struct{})
	var streamedKnown int
	h := StreamHandlers{
		CatchUp: func(ctx context.Context) error {
			catchUps++
			cursor, err := st.Cursor(ctx, src.Name)
			if err != nil {
				return err
			}
			posts, next, err := c.Collect(ctx, src, cursor)
			if _, serr := st.SavePosts(ctx, src.Name, posts, next); serr != nil {
				return serr
			}
			return err
		},
		Posts: func(posts []model.Post) {
			res, err := st.SavePosts(ctx, src.Name, posts, "") // streamed posts never move the cursor
			if err != nil {
				t.Error(err)
				return
			}
			streamedKnown += res.Known
			if posts[0].RemoteID == "109876543210000020" {
				close(stop)
			}
		},
	}
	if err := runStream(t, c, src, h, stop); err != nil {
		t.Fatalf("Stream = %v, want nil after cancel", err)
	}

	if catchUps != 2 {
		t.Errorf("%d catch-ups, want one per connection (2)", catchUps)
	}
	if got := rec.got(); !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("reconnect waits = %v, want [1s]", got)
	}
	if streamedKnown != 1 {
		t.Errorf("%d streamed posts were already known, want 1 (06, also caught up)", streamedKnown)
	}
	all, err := st.Posts(ctx, store.PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range all {
		count[p.RemoteID]++
	}
	want := map[string]int{
		"113145081234567001": 1, "113145081234567002": 1, "113145081234567006": 1,
		"113145081234567007": 1, "113145081234567009": 1, "109876543210000020": 1,
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("stored posts by remote id = %v, want each of %v once", count, want)
	}
	cursor, _ := st.Cursor(ctx, src.Name)
	if got := cursorOf(t, cursor)["cohesionalliance"]; got != "113145081234567009" {
		t.Errorf("cursor = %s, want the newest polled id 113145081234567009", got)
	}
}

func TestStreamSilentHashtagFallsBackToPublic(t *testing.T) {
	f := newFakeServer(t)
	tagged := statusByID(t, "statuses_eupolis.json", "113145081234567009")
	var untaggedV map[string]any
	json.Unmarshal(statusByID(t, "statuses_eupolis.json", "113145081234567006"), &untaggedV)
	untaggedV["tags"] = []any{}
	untagged, _ := json.Marshal(untaggedV)
	var editedV map[string]any
	json.Unmarshal(tagged, &editedV)
	editedV["content"] = `<p>Dziękujemy wszystkim (poprawione)! #CohesionAlliance</p>`
	editedV["edited_at"] = "2024-09-16T09:05:00.000Z"
	edited, _ := json.Marshal(editedV)

	f.stream = func(w http.ResponseWriter, r *http.Request) {
		startSSE(w)
		w.(http.Flusher).Flush()
		switch r.URL.Path {
		case "/api/v1/streaming/hashtag": // accepts, never sends
		case "/api/v1/streaming/public":
			sse(w, ":)",
				"event: update", "data: "+string(untagged), "",
				"event: update", "data: "+compact(t, tagged), "",
				"event: delete", "data: 113145081234567001", "",
				"event: status.update", "data: "+string(edited), "",
			)
		}
		<-r.Context().Done()
	}
	rec := &sleepRecorder{}
	opts := streamOptions(rec)
	opts.FirstEventTimeout = 50 * time.Millisecond
	c := newTestCollector(opts)

	var posts []model.Post
	var deleted []string
	var updated []model.Post
	catchUps := 0
	stop := make(chan struct{})
	h := StreamHandlers{
		CatchUp: func(ctx context.Context) error { catchUps++; return nil },
		Posts:   func(p []model.Post) { posts = append(posts, p...) },
		Delete:  func(id string) { deleted = append(deleted, id) },
		Update: func(p model.Post) {
			updated = append(updated, p)
			close(stop)
		},
	}
	if err := runStream(t, c, testSource(f), h, stop); err != nil {
		t.Fatalf("Stream = %v, want nil after cancel", err)
	}
	if len(posts) != 1 || posts[0].URI != uriThanks {
		t.Errorf("posts = %v, want only the one carrying the hashtag", uris(posts))
	}
	if !slices.Equal(deleted, []string{"113145081234567001"}) {
		t.Errorf("deleted = %v", deleted)
	}
	if len(updated) != 1 || updated[0].Text != "Dziękujemy wszystkim (poprawione)! #CohesionAlliance" {
		t.Errorf("updated = %+v, want the edited text", updated)
	}
	if catchUps != 1 {
		t.Errorf("%d catch-ups, want 1 (the silent stream never proved alive)", catchUps)
	}
	if got := rec.got(); len(got) != 0 {
		t.Errorf("waited %v: switching streams needs no backoff", got)
	}
}

func TestStreamUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name      string
		serve     http.HandlerFunc
		is        []error
		wantPaths []string
	}{
		{
			name: "both streams silent",
			serve: func(w http.ResponseWriter, r *http.Request) {
				startSSE(w)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			wantPaths: []string{"/api/v1/streaming/hashtag", "/api/v1/streaming/public"},
		},
		{
			name:      "no streaming endpoints",
			serve:     http.NotFound,
			wantPaths: []string{"/api/v1/streaming/hashtag", "/api/v1/streaming/public"},
		},
		{
			name: "json instead of an event stream",
			serve: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Write([]byte("[]\n"))
			},
			wantPaths: []string{"/api/v1/streaming/hashtag", "/api/v1/streaming/public"},
		},
		{
			name: "token required",
			serve: func(w http.ResponseWriter, r *http.Request) {
				serveFile(w, 401, "error_401.json", "application/json")
			},
			is:        []error{ErrNeedsToken},
			wantPaths: []string{"/api/v1/streaming/hashtag"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t)
			var mu sync.Mutex
			var paths []string
			f.stream = func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paths = append(paths, r.URL.Path)
				mu.Unlock()
				tc.serve(w, r)
			}
			rec := &sleepRecorder{}
			opts := streamOptions(rec)
			opts.FirstEventTimeout = 20 * time.Millisecond
			c := newTestCollector(opts)
			err := runStream(t, c, testSource(f), StreamHandlers{}, make(chan struct{}))
			if !errors.Is(err, ErrStreamUnsupported) {
				t.Fatalf("Stream = %v, want ErrStreamUnsupported", err)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %q", err, target)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(paths, tc.wantPaths) {
				t.Errorf("requested %v, want %v", paths, tc.wantPaths)
			}
			if got := rec.got(); len(got) != 0 {
				t.Errorf("retried after %v; a permanent failure should not be retried", got)
			}
		})
	}
}

func TestStreamBacksOffAndResetsAfterAnEvent(t *testing.T) {
	f := newFakeServer(t)
	event := statusByID(t, "statuses_eupolis.json", "113145081234567009")
	var mu sync.Mutex
	conns := 0
	f.stream = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		switch n {
		case 1, 2:
			serveFile(w, 503, "error_500.html", "text/html")
		case 3:
			w.Header().Set("Retry-After", "30")
			serveFile(w, 429, "error_429.json", "application/json")
		case 4: // healthy: an event, then a drop
			startSSE(w)
			sse(w, ":)", "event: update", "data: "+compact(t, event), "")
		case 5:
			startSSE(w)
			sse(w, ":)", ":thump")
			<-r.Context().Done()
		}
	}
	rec := &sleepRecorder{}
	c := newTestCollector(streamOptions(rec))
	catchUps := 0
	stop := make(chan struct{})
	h := StreamHandlers{CatchUp: func(ctx context.Context) error {
		catchUps++
		if catchUps == 2 {
			close(stop)
		}
		return errors.New("the database is busy") // logged; the stream carries on
	}}
	if err := runStream(t, c, testSource(f), h, stop); err != nil {
		t.Fatalf("Stream = %v, want nil after cancel", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 30 * time.Second, time.Second}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v (doubling, Retry-After honoured, reset after an event)", got, want)
	}
}

func TestStreamIdleConnectionIsReplaced(t *testing.T) {
	f := newFakeServer(t)
	var mu sync.Mutex
	conns := 0
	f.stream = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns++
		mu.Unlock()
		startSSE(w)
		sse(w, ":)") // then no heartbeat: a dead connection the TCP stack has not noticed
		<-r.Context().Done()
	}
	rec := &sleepRecorder{}
	opts := streamOptions(rec)
	opts.IdleTimeout = 30 * time.Millisecond
	c := newTestCollector(opts)
	catchUps := 0
	stop := make(chan struct{})
	h := StreamHandlers{CatchUp: func(ctx context.Context) error {
		catchUps++
		if catchUps == 2 {
			close(stop)
		}
		return nil
	}}
	if err := runStream(t, c, testSource(f), h, stop); err != nil {
		t.Fatalf("Stream = %v", err)
	}
	if got := rec.got(); len(got) != 1 {
		t.Errorf("waits = %v, want one reconnect", got)
	}
}

func TestStreamSilentReconnectAfterWorkingIsRetried(t *testing.T) {
	f := newFakeServer(t)
	var mu sync.Mutex
	var paths []string
	f.stream = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		n := len(paths)
		mu.Unlock()
		startSSE(w)
		switch n {
		case 1:
			sse(w, ":)") // works, then drops
		case 2:
			w.(http.Flusher).Flush() // a connection that hangs silent
			<-r.Context().Done()
		default:
			sse(w, ":)")
			<-r.Context().Done()
		}
	}
	rec := &sleepRecorder{}
	opts := streamOptions(rec)
	opts.FirstEventTimeout = 20 * time.Millisecond
	c := newTestCollector(opts)
	catchUps := 0
	stop := make(chan struct{})
	h := StreamHandlers{CatchUp: func(ctx context.Context) error {
		catchUps++
		if catchUps == 2 {
			close(stop)
		}
		return nil
	}}
	if err := runStream(t, c, testSource(f), h, stop); err != nil {
		t.Fatalf("Stream = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"/api/v1/streaming/hashtag", "/api/v1/streaming/hashtag", "/api/v1/streaming/hashtag"}
	if !slices.Equal(paths, want) {
		t.Errorf("requested %v, want %v: a stream that worked once is retried, not abandoned", paths, want)
	}
	if got, want := rec.got(), []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestStreamSeveralHashtags(t *testing.T) {
	f := newFakeServer(t)
	maria := statusByID(t, "statuses_eupolis.json", "113145081234567002") // #cohesionalliance #euregions
	thanks := statusByID(t, "statuses_eupolis.json", "113145081234567009")
	var mu sync.Mutex
	tags := map[string]int{}
	f.stream = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tags[r.URL.Query().Get("tag")]++
		mu.Unlock()
		startSSE(w)
		switch r.URL.Query().Get("tag") {
		case "cohesionalliance":
			sse(w, ":)", "event: update", "data: "+compact(t, thanks), "")
		case "euregions":
			sse(w, ":)", "event: update", "data: "+compact(t, maria), "")
		}
		<-r.Context().Done()
	}
	c := newTestCollector(streamOptions(&sleepRecorder{}))
	src := testSource(f)
	src.Hashtags = []string{"CohesionAlliance", "EURegions"}
	got := map[string]bool{}
	stop := make(chan struct{})
	h := StreamHandlers{Posts: func(p []model.Post) { // called one at a time: no lock needed
		got[p[0].URI] = true
		if len(got) == 2 {
			close(stop)
		}
	}}
	if err := runStream(t, c, src, h, stop); err != nil {
		t.Fatalf("Stream = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tags["cohesionalliance"] != 1 || tags["euregions"] != 1 {
		t.Errorf("connections per tag = %v, want one each", tags)
	}
	if !got[uriMaria] || !got[uriThanks] {
		t.Errorf("posts = %v, want one from each hashtag's stream", got)
	}
}
