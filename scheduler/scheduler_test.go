package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// waitLimit bounds waits on channels, so a broken scheduler fails the test
// instead of hanging it. Nothing waits this long when things work.
const waitLimit = 10 * time.Second

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newScheduler(t *testing.T) (*Scheduler, *store.Store) {
	t.Helper()
	st := openStore(t)
	s := New(st, testLogger(t))
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s, st
}

// tick runs the job the way cron does on schedule: through cron's chain
// (SkipIfStillRunning, Recover) and the scheduler's own wrapper.
func tick(t *testing.T, s *Scheduler, name string) {
	t.Helper()
	s.mu.Lock()
	e := s.jobs[name]
	s.mu.Unlock()
	s.cron.Entry(e.id).WrappedJob.Run()
}

func runs(t *testing.T, st *store.Store, job string) []model.Run {
	t.Helper()
	rs, err := st.Runs(t.Context(), job, 100)
	if err != nil {
		t.Fatalf("Runs(%q): %v", job, err)
	}
	return rs
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting until %s", what)
	}
}

func TestPanicIsRecordedAndJobRunsAgain(t *testing.T) {
	s, st := newScheduler(t)
	var calls atomic.Int32
	err := s.Add("flaky", "@every 1h", func(ctx context.Context) (int, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return 2, nil
	})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}

	tick(t, s, "flaky") // panics inside; must not escape
	tick(t, s, "flaky") // the next tick must run the job again

	if got := calls.Load(); got != 2 {
		t.Fatalf("job ran %d times, want 2 (a panic must not stop its schedule)", got)
	}
	rs := runs(t, st, "flaky") // newest first
	if len(rs) != 2 {
		t.Fatalf("got %d runs, want 2: %+v", len(rs), rs)
	}
	if failed := rs[1]; !strings.Contains(failed.Error, "job panicked: boom") || failed.Finished.IsZero() {
		t.Errorf("first run = %+v, want a finished run with error %q", failed, "job panicked: boom")
	}
	if ok := rs[0]; ok.Error != "" || ok.Items != 2 || ok.Finished.Before(ok.Started) {
		t.Errorf("second run = %+v, want 2 items, no error, finished after start", ok)
	}

	// RunNow reports a panic as an error too.
	calls.Store(0)
	if err := s.RunNow(t.Context(), "flaky"); !errors.Is(err, ErrPanic) {
		t.Errorf("RunNow of a panicking job = %v, want ErrPanic", err)
	}
}

func TestJobNeverOverlapsItself(t *testing.T) {
	s, st := newScheduler(t)
	var calls atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	err := s.Add("slow", "@every 1h", func(ctx context.Context) (int, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return 1, nil
	})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}

	first := make(chan struct{})
	go func() {
		defer close(first)
		tick(t, s, "slow")
	}()
	wait(t, started, "the first run started")

	tick(t, s, "slow") // a scheduled tick while running: skipped, returns at once
	if err := s.RunNow(t.Context(), "slow"); !errors.Is(err, ErrRunning) {
		t.Errorf("RunNow while running = %v, want ErrRunning", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("job started %d times while running, want 1", got)
	}

	close(release)
	wait(t, first, "the first run ended")
	if err := s.RunNow(t.Context(), "slow"); err != nil {
		t.Errorf("RunNow after the run ended: %v", err)
	}
	if got, rs := calls.Load(), runs(t, st, "slow"); got != 2 || len(rs) != 2 {
		t.Errorf("got %d calls and %d runs, want 2 and 2", got, len(rs))
	}
}

func TestStopCancelsRunningJobs(t *testing.T) {
	st := openStore(t)
	s := New(st, testLogger(t))
	started, returned := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	err := s.Add("blocking", "@every 1s", func(ctx context.Context) (int, error) {
		if !once.CompareAndSwap(false, true) {
			return 0, errors.New("ran twice")
		}
		defer close(returned)
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}

	s.Start() // the first tick comes within a second
	wait(t, started, "cron started the job")

	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-returned:
	default:
		t.Fatal("Stop returned while the job was still running")
	}
	rs := runs(t, st, "blocking")
	if len(rs) != 1 || rs[0].Error != context.Canceled.Error() || rs[0].Finished.IsZero() {
		t.Errorf("runs = %+v, want one finished run with error %q", rs, context.Canceled)
	}
	if err := s.RunNow(t.Context(), "blocking"); !errors.Is(err, ErrStopped) {
		t.Errorf("RunNow after Stop = %v, want ErrStopped", err)
	}
	s.Start() // a stopped scheduler stays stopped
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopGivesUpAtDeadline(t *testing.T) {
	st := openStore(t)
	s := New(st, testLogger(t))
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	err := s.Add("stubborn", "@every 1h", func(ctx context.Context) (int, error) {
		close(started)
		<-release // ignores ctx
		return 0, nil
	})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	go func() {
		defer close(done)
		if err := s.RunNow(context.Background(), "stubborn"); err != nil {
			t.Errorf("RunNow: %v", err)
		}
	}()
	wait(t, started, "the job started")

	expired, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Stop(expired); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop with a done context while a job runs = %v, want context.Canceled", err)
	}
	close(release)
	wait(t, done, "the job returned")
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop after the job returned: %v", err)
	}
}

func TestRunNowRecordsRun(t *testing.T) {
	s, st := newScheduler(t)
	boom := errors.New("boom")
	if err := s.Add("partial", "*/5 * * * *", func(ctx context.Context) (int, error) { return 5, boom }); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := s.RunNow(t.Context(), "partial"); !errors.Is(err, boom) {
		t.Errorf("RunNow = %v, want the job's error", err)
	}
	rs := runs(t, st, "partial")
	if len(rs) != 1 || rs[0].Items != 5 || rs[0].Error != "boom" || rs[0].Job != "partial" {
		t.Errorf("runs = %+v, want one run of partial with 5 items and error boom", rs)
	}
}

func TestAddAndRunNowErrors(t *testing.T) {
	s, _ := newScheduler(t)
	nop := func(ctx context.Context) (int, error) { return 0, nil }
	if err := s.Add("a", "@every 1m", nop); err != nil {
		t.Fatalf("Add: %v", err)
	}
	tests := []struct {
		name, job, spec string
		fn              Job
		want            string
	}{
		{"bad spec", "b", "every minute", nop, `scheduler: add "b": schedule "every minute"`},
		{"seconds field", "b", "*/5 * * * * *", nop, `scheduler: add "b": schedule "*/5 * * * * *"`},
		{"duplicate name", "a", "@every 1m", nop, `scheduler: add "a": a job with that name exists`},
		{"no name", "", "@every 1m", nop, "a job needs a name"},
		{"no func", "c", "@every 1m", nil, "a job needs a name and a function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Add(tt.job, tt.spec, tt.fn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add(%q, %q) = %v, want an error containing %q", tt.job, tt.spec, err, tt.want)
			}
		})
	}
	if err := s.RunNow(t.Context(), "nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("RunNow of an unknown job = %v, want ErrUnknownJob", err)
	}
}
