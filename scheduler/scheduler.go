// Package scheduler owns campaignwall's recurring work: named jobs on cron
// schedules (robfig/cron/v3) that never overlap themselves, survive their own
// panics, leave a run record in the store each time, and all end on Stop.
// It also declares what a Collector is and runs one collection of a source
// (CollectSource), since keeping posts and cursors consistent is the
// scheduler's side of the collector contract.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cohesionalliance/campaignwall/store"
)

var (
	// ErrUnknownJob is returned by RunNow for a name no job was added under.
	ErrUnknownJob = errors.New("no such job")
	// ErrRunning is returned by RunNow while the job is already running.
	ErrRunning = errors.New("job is already running")
	// ErrStopped is returned by RunNow after Stop.
	ErrStopped = errors.New("scheduler is stopped")
	// ErrPanic is the error recorded for a run that panicked.
	ErrPanic = errors.New("job panicked")
)

// Job is one unit of recurring work. It returns how many items it handled
// (new posts, messages sent, …), which the run record keeps. It must return
// soon after ctx is done.
type Job func(ctx context.Context) (items int, err error)

// recordTimeout bounds the writes of a run record; they are detached from the
// job's context so that a run cancelled by Stop is still recorded.
const recordTimeout = 10 * time.Second

// Scheduler runs jobs on their schedules. Add jobs, Start it, and Stop it on
// shutdown; a stopped Scheduler does not start again.
type Scheduler struct {
	st   *store.Store
	log  *slog.Logger
	cron *cron.Cron

	mu      sync.Mutex
	jobs    map[string]*entry
	running map[uint64]context.CancelFunc // runs in progress, cancelled by Stop
	lastRun uint64
	stopped bool
	idle    chan struct{} // closed once stopped and the last run has ended
}

type entry struct {
	name string
	job  Job
	id   cron.EntryID
	// busy holds a token while the job runs. cron's SkipIfStillRunning only
	// sees scheduled runs; this also keeps RunNow from overlapping them.
	busy chan struct{}
}

// specParser accepts five-field specs and descriptors (@every 1m, @hourly),
// the same as package config validates.
var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// New returns a Scheduler that records runs in st and logs to log (nil: discard).
func New(st *store.Store, log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl := cronLogger{log}
	return &Scheduler{
		st:  st,
		log: log,
		// The order matters: SkipIfStillRunning outside Recover, so a panic is
		// recovered before the skip guard is released and the job keeps its
		// schedule. Default cron has no panic recovery at all.
		cron: cron.New(
			cron.WithParser(specParser),
			cron.WithLogger(cl),
			cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)),
		),
		jobs:    map[string]*entry{},
		running: map[uint64]context.CancelFunc{},
		idle:    make(chan struct{}),
	}
}

// Add schedules job under name, a unique name its runs are recorded under
// (e.g. "collect:mastodon.social"). spec is a five-field cron spec or a
// descriptor such as "@every 1m".
func (s *Scheduler) Add(name, spec string, job Job) error {
	if name == "" || job == nil {
		return errors.New("scheduler: add: a job needs a name and a function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[name]; dup {
		return fmt.Errorf("scheduler: add %q: a job with that name exists", name)
	}
	e := &entry{name: name, job: job, busy: make(chan struct{}, 1)}
	id, err := s.cron.AddJob(spec, cron.FuncJob(func() { s.tick(e) }))
	if err != nil {
		return fmt.Errorf("scheduler: add %q: schedule %q: %w", name, spec, err)
	}
	e.id = id
	s.jobs[name] = e
	return nil
}

// Start starts running jobs on their schedules, in the background.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.cron.Start()
	}
}

// Stop stops scheduling, cancels the context of every running job and waits
// for them to return, or until ctx is done. Once it returns nil, no goroutine
// of the scheduler is left.
func (s *Scheduler) Stop(ctx context.Context) error {
	cronDone := s.cron.Stop()
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		for _, cancel := range s.running {
			cancel()
		}
		if len(s.running) == 0 {
			close(s.idle)
		}
	}
	s.mu.Unlock()
	// cron's own goroutines end once a late tick finds the scheduler stopped.
	for _, done := range []<-chan struct{}{s.idle, cronDone.Done()} {
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("scheduler: stop: jobs still running: %w", ctx.Err())
		}
	}
	return nil
}

// RunNow runs the named job at once, in the caller's goroutine, and returns
// its error. The run is recorded like a scheduled one and cancelled by Stop.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	s.mu.Lock()
	e, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("scheduler: run %q: %w", name, ErrUnknownJob)
	}
	if err := s.run(ManualRun(ctx), e); err != nil {
		return fmt.Errorf("scheduler: run %q: %w", name, err)
	}
	return nil
}

type manualKey struct{}

// ManualRun marks ctx as a run someone asked for (RunNow, the collect
// command), not a scheduled one: a backoff does not hold it back, a
// network's rate limit still does.
func ManualRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, manualKey{}, true)
}

// isManual reports whether a job runs because someone asked (RunNow), not
// on its schedule: an admin's "run now" need not sit out a backoff.
func isManual(ctx context.Context) bool {
	m, _ := ctx.Value(manualKey{}).(bool)
	return m
}

// tick is what cron calls on schedule.
func (s *Scheduler) tick(e *entry) {
	if err := s.run(context.Background(), e); errors.Is(err, ErrRunning) || errors.Is(err, ErrStopped) {
		s.log.Debug("job skipped", slog.String("job", e.name), slog.Any("reason", err))
	}
}

// run runs e once and records the run.
func (s *Scheduler) run(parent context.Context, e *entry) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	id, ok := s.track(cancel)
	if !ok {
		return ErrStopped
	}
	defer s.untrack(id)
	select {
	case e.busy <- struct{}{}:
		defer func() { <-e.busy }()
	default:
		return ErrRunning
	}

	rec, cancelRec := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancelRec()
	started := time.Now()
	runID, err := s.st.StartRun(rec, e.name, started)
	if err != nil {
		// Still run: a job that works matters more than its record.
		s.log.Error("cannot record job start", slog.String("job", e.name), slog.Any("err", err))
	}
	items, jobErr := s.call(ctx, e)
	finished := time.Now()
	if runID != 0 {
		msg := ""
		if jobErr != nil {
			msg = jobErr.Error()
		}
		if err := s.st.FinishRun(rec, runID, finished, items, msg); err != nil {
			s.log.Error("cannot record job end", slog.String("job", e.name), slog.Any("err", err))
		}
	}

	attrs := []any{slog.String("job", e.name), slog.Int("items", items), slog.Int64("duration_ms", finished.Sub(started).Milliseconds())}
	switch {
	case errors.Is(jobErr, ErrWaiting): // expected while a rate limit lasts; the run record says until when
		s.log.Debug("job waiting", append(attrs, slog.Any("err", jobErr))...)
	case jobErr != nil:
		s.log.Warn("job failed", append(attrs, slog.Any("err", jobErr))...)
	case items > 0:
		s.log.Info("job done", attrs...)
	default:
		s.log.Debug("job done", attrs...)
	}
	return jobErr
}

// call runs the job, turning a panic into an error so it is recorded as a
// failed run and the job runs again on its next tick.
func (s *Scheduler) call(ctx context.Context, e *entry) (items int, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("job panicked", slog.String("job", e.name), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	return e.job(ctx)
}

// track registers a run so Stop can cancel and wait for it; false once stopped.
func (s *Scheduler) track(cancel context.CancelFunc) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return 0, false
	}
	s.lastRun++
	s.running[s.lastRun] = cancel
	return s.lastRun, true
}

func (s *Scheduler) untrack(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, id)
	// No run starts after Stop, so this is reached at most once with none left.
	if s.stopped && len(s.running) == 0 {
		close(s.idle)
	}
}

// cronLogger sends cron's logs to slog. cron's Info is chatter about every
// wake-up (and its skips), so it goes to Debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append(keysAndValues, slog.Any("err", err))...)
}
