package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/mastodon"
	"github.com/cohesionalliance/campaignwall/collectors/x"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/moderation"
	"github.com/cohesionalliance/campaignwall/scheduler"
	"github.com/cohesionalliance/campaignwall/store"
)

const (
	// recheckSchedule is how often a batch of approved posts is checked
	// upstream for deletions; recheckEvery how often one post is at most.
	recheckSchedule = "@every 10m"
	recheckEvery    = 30 * time.Minute
	recheckBatch    = 30
	// Failing sources pause 1 minute, then 2, 4, … up to an hour.
	backoffMin = time.Minute
	backoffMax = time.Hour
)

// collectBackoff is how long a source rests after n temporary failures in a row.
func collectBackoff(n int) time.Duration {
	b := collectors.Backoff{Min: backoffMin, Max: backoffMax}
	return b.After(n)
}

// newCollection wraps a source's collector with what runs it across runs:
// the collect timeout, rate-limit waits and backoff, plain-language
// problems for the sources page, and onNew for new posts.
func newCollection(st *store.Store, c scheduler.Collector, src model.Source, deps collectorDeps, onNew func(context.Context, []model.Post)) *scheduler.Collection {
	ex := explainer{src: src, now: deps.now}
	if xc, ok := c.(*x.Collector); ok {
		ex.xBudget = func() (int, time.Time) {
			_, budget, resets, _ := xc.BudgetStatus("")
			return budget, resets
		}
	}
	return &scheduler.Collection{
		Store: st, Collector: c, Source: src, Timeout: collectTimeout, OnNew: onNew,
		Now: deps.now, Backoff: collectBackoff, Explain: ex.explain,
	}
}

// addSources builds every configured source's collector and schedules its
// collection, notes the Mastodon sources to stream and the sources whose
// approved posts can be re-checked upstream, and schedules that re-check.
func (a *app) addSources(deps collectorDeps) error {
	var checked []scheduler.CheckedSource
	for _, src := range a.cfg.Sources {
		c, err := newCollector(src, deps)
		if err != nil {
			return fmt.Errorf("source %q: %w", src.Name, err)
		}
		col := newCollection(a.store, c, src, deps, a.mod.PostsCollected)
		if err := a.sched.Add(scheduler.CollectJobName(src.Name), src.Schedule, col.Job()); err != nil {
			return fmt.Errorf("source %q: %w", src.Name, err)
		}
		if xc, ok := c.(*x.Collector); ok {
			a.budgets[src.Name] = xc
		}
		if mc, ok := c.(*mastodon.Collector); ok && src.Settings["stream"] == "true" {
			a.streamed = append(a.streamed, streamedSource{src: src, col: mc})
		}
		if ch, ok := c.(scheduler.Checker); ok {
			checked = append(checked, scheduler.CheckedSource{Source: src, Checker: ch})
		}
	}
	if len(checked) == 0 {
		return nil
	}
	re := &scheduler.Recheck{
		Store: a.store, Sources: checked, Remove: a.mod.RemoveUpstream,
		Batch: recheckBatch, Every: recheckEvery, Now: deps.now, Log: a.log,
	}
	return a.sched.Add("recheck", recheckSchedule, re.Run)
}

// sourceBudget reports an X source's monthly read budget for the sources page.
func (a *app) sourceBudget(src model.Source, cursor string) (moderation.Budget, bool) {
	xc, ok := a.budgets[src.Name]
	if !ok {
		return moderation.Budget{}, false
	}
	read, budget, resets, err := xc.BudgetStatus(cursor)
	if err != nil || budget <= 0 {
		return moderation.Budget{}, false
	}
	return moderation.Budget{Used: read, Limit: budget, Unit: "reads", Resets: resets}, true
}

// streamedSource is a Mastodon source followed live (stream = true).
type streamedSource struct {
	src model.Source
	col *mastodon.Collector
}

// streams owns the goroutines following Mastodon streams while serve runs.
type streams struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startStreams follows every streamed source until stopStreams. Polling
// goes on regardless: it is the source of truth, the stream only brings
// posts, deletions and edits sooner.
func (a *app) startStreams() {
	ctx, cancel := context.WithCancel(context.Background())
	a.streams.cancel = cancel
	for _, s := range a.streamed {
		a.streams.wg.Go(func() {
			log := a.log.With(slog.String("source", s.src.Name))
			h := streamHandlers(ctx, a.store, a.mod, a.sched, s.src, log)
			err := s.col.Stream(ctx, s.src, h)
			switch {
			case errors.Is(err, mastodon.ErrStreamUnsupported):
				log.Info("no usable stream on this server: polling only", slog.Any("reason", err))
			case err != nil:
				log.Warn("stream stopped: polling only", slog.Any("error", err))
			}
		})
	}
}

// stopStreams ends every stream and waits for its goroutine, or until ctx ends.
func (a *app) stopStreams(ctx context.Context) error {
	if a.streams.cancel == nil {
		return nil
	}
	a.streams.cancel()
	done := make(chan struct{})
	go func() {
		a.streams.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("streams still running: %w", ctx.Err())
	}
}

// sourceRunner is the scheduler as a stream's catch-up sees it.
type sourceRunner interface {
	RunSource(ctx context.Context, source string) error
}

// streamWriteTimeout bounds the store writes of one stream event; they are
// detached from the stream's context, so an event received before shutdown
// is still saved.
const streamWriteTimeout = 10 * time.Second

// streamHandlers connect a Mastodon stream to the rest: a (re)connection
// polls the source through its scheduled job (no gap, no overlap with a
// scheduled run), new posts are saved without moving the cursor, deletions
// and edits go through moderation, which tells the wall.
func streamHandlers(ctx context.Context, st *store.Store, mod *moderation.Handler, runner sourceRunner, src model.Source, log *slog.Logger) mastodon.StreamHandlers {
	write := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), streamWriteTimeout)
	}
	return mastodon.StreamHandlers{
		CatchUp: func(ctx context.Context) error {
			err := runner.RunSource(ctx, src.Name)
			if errors.Is(err, scheduler.ErrRunning) {
				return nil // a scheduled run is collecting right now
			}
			return err
		},
		Posts: func(posts []model.Post) {
			wctx, cancel := write()
			defer cancel()
			res, err := st.SavePosts(wctx, src.Name, posts, "")
			if err != nil {
				log.Error("save streamed posts", slog.Any("error", err))
				return
			}
			if len(res.New) > 0 {
				mod.PostsCollected(wctx, res.New)
			}
		},
		Delete: func(remoteID string) {
			wctx, cancel := write()
			defer cancel()
			if _, err := mod.RemoveUpstreamByRemoteID(wctx, src.Name, remoteID, "deleted upstream"); err != nil {
				log.Error("streamed deletion", slog.String("remote_id", remoteID), slog.Any("error", err))
			}
		},
		Update: func(p model.Post) {
			wctx, cancel := write()
			defer cancel()
			if _, err := mod.UpdateUpstream(wctx, p); err != nil {
				log.Error("streamed edit", slog.String("uri", p.URI), slog.Any("error", err))
			}
		},
	}
}
