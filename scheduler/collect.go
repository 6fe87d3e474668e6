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

// CollectSource runs one collection of src: it reads the source's cursor,
// calls c with a deadline of timeout (DefaultCollectTimeout if not positive),
// stores the posts and the next cursor in one transaction, records the run on
// the source (time, new posts, error text) and calls onNew, if not nil, with
// the posts stored for the first time.
//
// Posts a failing collector still returns (complete pages) are stored with
// the cursor it returned for them; otherwise a failure leaves the cursor as it
// was, so the next run asks again from the same place and nothing is skipped.
func CollectSource(ctx context.Context, st *store.Store, c Collector, src model.Source, timeout time.Duration, onNew func(context.Context, []model.Post)) Summary {
	sum := Summary{Source: src.Name}
	started := time.Now()
	// Store writes are detached from ctx: what was collected before a
	// shutdown is still saved, and the run is still recorded.
	rec, cancelRec := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancelRec()

	var errs []error
	var stored []model.Post
	if cursor, err := st.Cursor(ctx, src.Name); err != nil {
		errs = append(errs, fmt.Errorf("collect %s: read cursor: %w", src.Name, err))
	} else {
		posts, next, err := collect(ctx, c, src, cursor, timeout)
		if err != nil {
			errs = append(errs, err)
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
	}

	sum.Err = errors.Join(errs...)
	errText := ""
	if sum.Err != nil {
		errText = sum.Err.Error()
	}
	if err := st.RecordSourceRun(rec, src.Name, started, sum.New, errText); err != nil {
		sum.Err = errors.Join(sum.Err, err)
	}
	if len(stored) > 0 && onNew != nil {
		onNew(ctx, stored)
	}
	return sum
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
	return func(ctx context.Context) (int, error) {
		sum := CollectSource(ctx, st, c, src, timeout, onNew)
		return sum.New, sum.Err
	}
}
