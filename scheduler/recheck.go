package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Checker is a collector that can tell whether a post it collected is
// still published upstream (a Mastodon status, an X post, a Bluesky post).
// It answers false only when the network says the post is gone; any doubt
// (an outage, a wrong address) is an error, so nothing leaves the wall by
// mistake.
type Checker interface {
	Exists(ctx context.Context, src model.Source, post model.Post) (bool, error)
}

// CheckedSource is a source whose approved posts are re-checked, with the
// collector that checks them.
type CheckedSource struct {
	Source  model.Source
	Checker Checker
}

// Recheck takes approved posts that were deleted upstream off the wall:
// each run checks a bounded batch of them, the longest unchecked first, so
// every approved post comes round in turn without a burst of requests.
// Streams report most deletions within seconds; this catches the rest
// (posts collected by polling only, deletions while a stream was down).
type Recheck struct {
	Store   *store.Store
	Sources []CheckedSource
	// Remove records a post as deleted upstream (a decision by "network" in
	// the audit log) and takes it off the screens; reason says how it was
	// found out. moderation.Handler.RemoveUpstream in main.
	Remove func(ctx context.Context, postID int64, reason string) (bool, error)
	Batch  int              // posts per run, default 30
	Every  time.Duration    // a post is checked at most this often, default 30m
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger     // nil: discard
}

// Run checks one batch and returns how many posts it removed. Posts of a
// source waiting out a rate limit or backoff are left for a later run.
func (r *Recheck) Run(ctx context.Context) (int, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	batch, every := r.Batch, r.Every
	if batch <= 0 {
		batch = 30
	}
	if every <= 0 {
		every = 30 * time.Minute
	}
	started := now()
	bySource := map[string]CheckedSource{}
	var names []string
	for _, cs := range r.Sources {
		state, err := r.Store.SourceStatus(ctx, cs.Source.Name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("re-check: %w", err)
		}
		if started.Before(state.WaitUntil) {
			continue
		}
		bySource[cs.Source.Name] = cs
		names = append(names, cs.Source.Name)
	}
	posts, err := r.Store.PostsToRecheck(ctx, names, started.Add(-every), batch)
	if err != nil {
		return 0, fmt.Errorf("re-check: %w", err)
	}
	removed := 0
	var errs []error
	for _, p := range posts {
		if ctx.Err() != nil {
			break
		}
		cs := bySource[p.SourceName]
		exists, err := cs.Checker.Exists(ctx, cs.Source, p)
		if err != nil {
			// Counted as checked all the same, so one post that cannot be
			// checked does not hold up the others in every batch.
			errs = append(errs, fmt.Errorf("re-check post %d: %w", p.ID, err))
		} else if !exists {
			ok, err := r.Remove(ctx, p.ID, "deleted upstream: "+cs.Source.Name+" no longer has it")
			if err != nil {
				errs = append(errs, fmt.Errorf("re-check: remove post %d: %w", p.ID, err))
				continue // not marked: the next run tries again
			}
			if ok {
				removed++
				log.Info("approved post deleted upstream: removed", slog.Int64("post_id", p.ID), slog.String("source", p.SourceName))
			}
		}
		if err := r.Store.MarkPostChecked(ctx, p.ID, now()); err != nil {
			errs = append(errs, fmt.Errorf("re-check: %w", err))
		}
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("re-check: %d of %d posts not checked: %w", len(errs), len(posts), errors.Join(errs...))
	}
	return removed, nil
}
