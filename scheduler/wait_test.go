package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// testClock is the collection's clock; tests move it between runs.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func sourceStatus(t *testing.T, st *store.Store) model.SourceStatus {
	t.Helper()
	s, err := st.SourceStatus(t.Context(), source.Name)
	if err != nil {
		t.Fatalf("SourceStatus: %v", err)
	}
	return s
}

// explainRecorder stands in for main's plain-language explanations.
type explainRecorder struct{ waits []time.Time }

func (e *explainRecorder) explain(err error, waitUntil time.Time) string {
	e.waits = append(e.waits, waitUntil)
	if waitUntil.IsZero() {
		return "It failed."
	}
	return "It failed; next try after " + waitUntil.Format("15:04") + "."
}

func TestRateLimitIsRespected(t *testing.T) {
	s, st := newScheduler(t)
	clk := &testClock{now: t0}
	rateLimited := &collectors.HTTPError{URL: "https://mastodon.social/api/v1/timelines/tag/cohesionalliance", StatusCode: 429, RetryAfter: 5 * time.Minute}
	c := &fakeCollector{replies: []reply{
		// A complete page, then the 429 on the next one.
		{posts: []model.Post{post("https://a.example/1")}, next: "c1", err: fmt.Errorf("mastodon source: %w", rateLimited)},
		{posts: []model.Post{post("https://a.example/2")}, next: "c2"},
	}}
	var ex explainRecorder
	col := &Collection{Store: st, Collector: c, Source: source, Timeout: time.Minute, Now: clk.Now, Explain: ex.explain,
		Backoff: func(int) time.Duration { return time.Hour }}
	if err := s.Add(CollectJobName(source.Name), "@every 1m", col.Job()); err != nil {
		t.Fatal(err)
	}

	sum := col.Run(t.Context())
	if !errors.As(sum.Err, new(*collectors.HTTPError)) || sum.New != 1 {
		t.Fatalf("first run: %+v, want the page before the 429 stored and the 429 reported", sum)
	}
	got := sourceStatus(t, st)
	if got.Cursor != "c1" || got.TotalPosts != 1 {
		t.Errorf("after the 429: cursor %q with %d posts, want c1 with 1 (the good page is kept)", got.Cursor, got.TotalPosts)
	}
	wantUntil := t0.Add(5 * time.Minute)
	if !got.WaitUntil.Equal(wantUntil) || got.WaitReason != model.WaitRateLimit || got.Failures != 0 {
		t.Errorf("wait = %s (%s, %d failures), want until %s for the rate limit and no failure counted", got.WaitUntil, got.WaitReason, got.Failures, wantUntil)
	}
	if got.Problem != "It failed; next try after 14:05." || !strings.Contains(got.LastError, "HTTP 429") {
		t.Errorf("problem %q, error %q; want the explanation and the full error", got.Problem, got.LastError)
	}

	// Scheduled ticks and an admin's run now, before the time: no call.
	for _, at := range []time.Duration{time.Minute, 4*time.Minute + 59*time.Second} {
		clk.now = t0.Add(at)
		tick(t, s, CollectJobName(source.Name))
	}
	if err := s.RunSource(t.Context(), source.Name); !errors.Is(err, ErrWaiting) {
		t.Errorf("run now during the rate limit = %v, want ErrWaiting", err)
	}
	if len(c.cursors) != 1 {
		t.Fatalf("collector called %d times, want 1: it must not be called before %s", len(c.cursors), wantUntil)
	}
	rs := runs(t, st, CollectJobName(source.Name))
	if len(rs) != 3 {
		t.Fatalf("got %d runs, want 3 recorded waits", len(rs))
	}
	for _, r := range rs {
		if want := "collect mastodon.social: waiting for rate limit until 2026-11-21 14:05:00 UTC"; !strings.Contains(r.Error, want) {
			t.Errorf("run error %q, want it to contain %q", r.Error, want)
		}
	}
	if s := sourceStatus(t, st); !s.LastRunAt.Equal(t0) {
		t.Errorf("last run %s, want %s: waiting is not a run of the source", s.LastRunAt, t0)
	}

	// At the time, the source is called again, from the kept cursor.
	clk.now = wantUntil
	tick(t, s, CollectJobName(source.Name))
	if got := strings.Join(c.cursors, ","); got != ",c1" {
		t.Errorf("cursors = %q, want %q", got, ",c1")
	}
	if got := sourceStatus(t, st); got.Cursor != "c2" || !got.WaitUntil.IsZero() || got.Problem != "" {
		t.Errorf("after the wait: %+v, want cursor c2, no wait, no problem", got)
	}
}

func TestBackoffAfterTemporaryFailures(t *testing.T) {
	unavailable := &collectors.HTTPError{URL: "https://bsky.social/xrpc/app.bsky.feed.searchPosts", StatusCode: 503}
	unauthorized := &collectors.HTTPError{URL: "https://bsky.social/xrpc/app.bsky.feed.searchPosts", StatusCode: 401}
	backoff := func(n int) time.Duration { return time.Duration(1<<(n-1)) * time.Minute }
	steps := []struct {
		name         string
		at           time.Duration // since t0
		reply        reply
		manual       bool
		wantCalled   bool
		wantFailures int
		wantUntil    time.Duration // since t0; 0: no wait
	}{
		{"503", 0, reply{err: unavailable}, false, true, 1, 1 * time.Minute},
		{"scheduled during the backoff", 30 * time.Second, reply{}, false, false, 1, 1 * time.Minute},
		{"timeout after the backoff", 1 * time.Minute, reply{err: fmt.Errorf("search: %w", context.DeadlineExceeded)}, false, true, 2, 3 * time.Minute},
		{"run now skips a backoff", 2 * time.Minute, reply{err: unavailable}, true, true, 3, 6 * time.Minute},
		{"a refused token is no reason to wait", 6 * time.Minute, reply{err: unauthorized}, false, true, 0, 0},
		{"success", 7 * time.Minute, reply{next: "c1"}, false, true, 0, 0},
	}
	s, st := newScheduler(t)
	clk := &testClock{}
	c := &fakeCollector{}
	col := &Collection{Store: st, Collector: c, Source: source, Now: clk.Now, Backoff: backoff}
	if err := s.Add(CollectJobName(source.Name), "@every 1m", col.Job()); err != nil {
		t.Fatal(err)
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			clk.now = t0.Add(step.at)
			c.replies = []reply{step.reply}
			calls := len(c.cursors)
			if step.manual {
				_ = s.RunSource(t.Context(), source.Name)
			} else {
				tick(t, s, CollectJobName(source.Name))
			}
			if called := len(c.cursors) > calls; called != step.wantCalled {
				t.Errorf("collector called: %v, want %v", called, step.wantCalled)
			}
			got := sourceStatus(t, st)
			var wantUntil time.Time
			if step.wantUntil > 0 {
				wantUntil = t0.Add(step.wantUntil)
			}
			if got.Failures != step.wantFailures || !got.WaitUntil.Equal(wantUntil) {
				t.Errorf("failures %d, wait until %s; want %d, %s", got.Failures, got.WaitUntil, step.wantFailures, wantUntil)
			}
			if step.wantUntil > 0 && got.WaitReason != model.WaitBackoff {
				t.Errorf("wait reason %q, want %q", got.WaitReason, model.WaitBackoff)
			}
		})
	}
}

// shutdownCollector is cancelled mid-run, as Stop does to a running job.
type shutdownCollector struct{ cancel context.CancelFunc }

func (c shutdownCollector) Collect(ctx context.Context, _ model.Source, _ string) ([]model.Post, string, error) {
	c.cancel()
	<-ctx.Done()
	return nil, "", ctx.Err()
}

func TestBackoffOnlyForTheNetworksTimeouts(t *testing.T) {
	// A run cancelled by shutdown is not the network's fault: no backoff.
	st := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	col := &Collection{Store: st, Collector: shutdownCollector{cancel}, Source: source, Backoff: func(int) time.Duration { return time.Hour }}
	if sum := col.Run(ctx); !errors.Is(sum.Err, context.Canceled) {
		t.Fatalf("cancelled run: %v, want context.Canceled", sum.Err)
	}
	if got := sourceStatus(t, st); got.Failures != 0 || !got.WaitUntil.IsZero() {
		t.Errorf("after a cancelled run: %d failures, wait until %s; want none", got.Failures, got.WaitUntil)
	}
	// The collection's own deadline passing is the network's timeout: backoff.
	col.Collector = &fakeCollector{replies: []reply{{block: true}}}
	col.Timeout = time.Millisecond
	col.Run(t.Context())
	if got := sourceStatus(t, st); got.Failures != 1 || got.WaitUntil.IsZero() {
		t.Errorf("after a timeout: %d failures, wait until %s; want 1 and a backoff", got.Failures, got.WaitUntil)
	}
}

func TestNextRunAndSourceRuns(t *testing.T) {
	s, st := newScheduler(t)
	c := &fakeCollector{replies: []reply{{next: "c1"}}}
	if err := s.Add(CollectJobName(source.Name), "@every 1h", CollectJob(st, c, source, time.Minute, nil)); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	next := s.NextSourceRun(source.Name)
	if next.Before(before.Add(59*time.Minute)) || next.After(time.Now().Add(time.Hour)) {
		t.Errorf("next run %s, want about an hour from %s", next, before)
	}
	if !s.NextSourceRun("unknown").IsZero() {
		t.Error("next run of an unknown source is not zero")
	}
	if err := s.RunSource(t.Context(), source.Name); err != nil {
		t.Fatal(err)
	}
	rs, err := s.SourceRuns(t.Context(), source.Name, 5)
	if err != nil || len(rs) != 1 || rs[0].Job != "collect:mastodon.social" {
		t.Errorf("SourceRuns = %+v, %v; want the one run", rs, err)
	}
}
