package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Collector is what the scheduler needs from a network collector.
//
// Collect fetches what src has published since cursor (empty on the first
// run) and returns the posts with the cursor to pass next time; an empty
// nextCursor means "unchanged". It is synchronous, never writes to the store,
// and on error returns no cursor advance beyond the posts it does return.
type Collector interface {
	Collect(ctx context.Context, src model.Source, cursor string) (posts []model.Post, nextCursor string, err error)
}

// DefaultCollectTimeout is the deadline CollectSource gives a collector when
// it is given none. Some network clients have no timeout of their own.
const DefaultCollectTimeout = time.Minute

// Summary is the outcome of one collection of one source.
type Summary struct {
	Source string
	New    int   // posts stored for the first time
	Known  int   // posts already stored, left unchanged
	Err    error // nil when the collection went through
}

// ErrWaiting is matched (errors.Is) by the *WaitError a collection returns
// while its source waits out a rate limit or a backoff.
var ErrWaiting = errors.New("waiting before calling the source again")

// WaitError is what a collection returns, without calling the collector,
// while its source waits: the network asked for a pause (HTTP 429 with
// Retry-After, rate-limit headers) or failed and is given time (backoff).
type WaitError struct {
	Source string
	Until  time.Time
	Reason model.WaitReason
}

func (e *WaitError) Error() string {
	until := e.Until.UTC().Format("2006-01-02 15:04:05 UTC")
	if e.Reason == model.WaitRateLimit {
		return fmt.Sprintf("collect %s: waiting for rate limit until %s", e.Source, until)
	}
	return fmt.Sprintf("collect %s: waiting until %s after failures (backoff)", e.Source, until)
}

func (e *WaitError) Is(target error) bool { return target == ErrWaiting }

// CollectSource runs one collection of src (see Collection.Run) with the
// defaults: no backoff between failing runs, and the error's text as its
// plain-language explanation.
func CollectSource(ctx context.Context, st *store.Store, c Collector, src model.Source, timeout time.Duration, onNew func(context.Context, []model.Post)) Summary {
	return (&Collection{Store: st, Collector: c, Source: src, Timeout: timeout, OnNew: onNew}).Run(ctx)
}

// Collection is one source's collections across runs. Its fields are set
// once, before the first Run.
type Collection struct {
	Store     *store.Store
	Collector Collector
	Source    model.Source
	Timeout   time.Duration                       // the collector's deadline; DefaultCollectTimeout if not positive
	OnNew     func(context.Context, []model.Post) // called with the posts stored for the first time; may be nil
	Now       func() time.Time                    // the clock; nil: time.Now
	// Backoff returns how long to leave the source alone after n
	// consecutive temporary failures (5xx, timeouts); nil: no pause.
	Backoff func(failures int) time.Duration
	// Explain puts a failed run's error in plain words for the status
	// page (it must not echo the error's text, which may hold addresses and
	// server output). waitUntil is when the source is called again, zero
	// when it need not wait. nil: a generic sentence.
	Explain func(err error, waitUntil time.Time) string
}

// retryDelayer is a network's rate-limit error (collectors.HTTPError).
type retryDelayer interface{ RetryDelay() time.Duration }

// Run collects the source once: it reads the source's cursor and state,
// returns a *WaitError without calling the collector while the source waits
// (a rate limit always; a backoff only on schedule, not when an admin asks
// for a run), calls the collector under its deadline, stores the posts and
// the next cursor in one transaction, records the outcome on the source
// (time, duration, new posts, error and its explanation, the next wait) and
// calls OnNew with the posts stored for the first time.
//
// A collector that fails after completing some pages returns their posts
// with the cursor matching them: both are stored and the error is still
// recorded. Otherwise a failure leaves the cursor as it was, so the next run
// asks again from the same place and nothing is skipped.
//
// An error carrying a rate-limit wait (RetryDelay() > 0, as
// *collectors.HTTPError has) keeps the collector from being called before
// that time; a temporary failure (Temporary() or Timeout(), as 5xx and
// timeouts are) pauses the source for Backoff(failures in a row).
func (c *Collection) Run(ctx context.Context) Summary {
	src := c.Source
	st := c.Store
	now := c.Now
	if now == nil {
		now = time.Now
	}
	sum := Summary{Source: src.Name}
	// Store writes are detached from ctx: what was collected before a
	// shutdown is still saved, and the run is still recorded.
	rec, cancelRec := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancelRec()

	state, err := st.SourceStatus(ctx, src.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		sum.Err = fmt.Errorf("collect %s: read source state: %w", src.Name, err)
		return sum
	}
	started := now()
	if started.Before(state.WaitUntil) && (state.WaitReason == model.WaitRateLimit || !isManual(ctx)) {
		sum.Err = &WaitError{Source: src.Name, Until: state.WaitUntil, Reason: state.WaitReason}
		return sum
	}

	var errs []error
	var stored []model.Post
	posts, next, collectErr := collect(ctx, c.Collector, src, state.Cursor, c.Timeout)
	if collectErr != nil {
		errs = append(errs, collectErr)
	}
	posts, skipped := keepStorable(posts, src)
	if skipped > 0 {
		errs = append(errs, fmt.Errorf("collect %s: skipped %d posts without a network or URI", src.Name, skipped))
	}
	if len(posts) > 0 || next != "" {
		res, err := st.SavePosts(rec, src.Name, posts, next)
		if err != nil {
			errs = append(errs, fmt.Errorf("collect %s: %w", src.Name, err))
		}
		sum.New, sum.Known, stored = len(res.New), res.Known, res.New
	}
	sum.Err = errors.Join(errs...)

	finished := now()
	run := model.SourceRun{At: started, Duration: finished.Sub(started), New: sum.New}
	var rd retryDelayer
	switch {
	case collectErr == nil:
	case errors.As(collectErr, &rd) && rd.RetryDelay() > 0:
		run.WaitUntil, run.WaitReason = finished.Add(rd.RetryDelay()), model.WaitRateLimit
		run.Failures = state.Failures // a rate limit says nothing about the server's health
	case temporary(collectErr) && ctx.Err() == nil:
		run.Failures = state.Failures + 1
		if c.Backoff != nil {
			run.WaitUntil, run.WaitReason = finished.Add(c.Backoff(run.Failures)), model.WaitBackoff
		}
	}
	if sum.Err != nil {
		run.Error = sum.Err.Error()
		run.Problem = "The last run failed; the details are in the server log."
		if c.Explain != nil {
			run.Problem = c.Explain(sum.Err, run.WaitUntil)
		}
	}
	if err := st.RecordCollection(rec, src.Name, run); err != nil {
		sum.Err = errors.Join(sum.Err, err)
	}
	if len(stored) > 0 && c.OnNew != nil {
		c.OnNew(ctx, stored)
	}
	return sum
}

// Job returns a Job running c, for Scheduler.Add; the run's items are the
// new posts.
func (c *Collection) Job() Job {
	return func(ctx context.Context) (int, error) {
		sum := c.Run(ctx)
		return sum.New, sum.Err
	}
}

// temporary reports whether trying again later may succeed: a rate limit
// or server error (Temporary, as *collectors.HTTPError has) or a timeout
// (Timeout, as network errors and context.DeadlineExceeded have).
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		return true
	}
	var to interface{ Timeout() bool }
	return errors.As(err, &to) && to.Timeout()
}

// collect calls the collector under its deadline, naming a timeout as such.
func collect(ctx context.Context, c Collector, src model.Source, cursor string, timeout time.Duration) ([]model.Post, string, error) {
	if timeout <= 0 {
		timeout = DefaultCollectTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	posts, next, err := c.Collect(cctx, src, cursor)
	switch {
	case err == nil:
		return posts, next, nil
	case ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded):
		return posts, next, fmt.Errorf("collect %s: no answer within %s: %w", src.Name, timeout, err)
	default:
		return posts, next, fmt.Errorf("collect %s: %w", src.Name, err)
	}
}

// keepStorable drops posts the store cannot key (a collector bug) rather than
// failing the whole batch on every run, and fills in what the source knows.
func keepStorable(posts []model.Post, src model.Source) (kept []model.Post, skipped int) {
	kept = posts[:0:0]
	for _, p := range posts {
		if p.Network == "" || p.URI == "" {
			skipped++
			continue
		}
		if p.SourceName == "" {
			p.SourceName = src.Name
		}
		if p.Category == "" {
			p.Category = src.Category
		}
		kept = append(kept, p)
	}
	return kept, skipped
}

// CollectJob returns a Job running CollectSource, for Scheduler.Add; the
// run's items are the new posts.
func CollectJob(st *store.Store, c Collector, src model.Source, timeout time.Duration, onNew func(context.Context, []model.Post)) Job {
	return (&Collection{Store: st, Collector: c, Source: src, Timeout: timeout, OnNew: onNew}).Job()
}
