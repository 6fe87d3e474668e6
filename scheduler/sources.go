package scheduler

import (
	"context"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// CollectJobName is the name a source's collection job runs and is
// recorded under.
func CollectJobName(source string) string { return "collect:" + source }

// RunSource collects the named source now (RunNow of its job) and returns
// once the run is over. A source waiting out a rate limit is not called
// (*WaitError); a backoff does not hold a run asked for this way.
func (s *Scheduler) RunSource(ctx context.Context, source string) error {
	return s.RunNow(ctx, CollectJobName(source))
}

// NextSourceRun returns when the named source's job is next due on its
// schedule; zero for a source with no job.
func (s *Scheduler) NextSourceRun(source string) time.Time {
	return s.NextRun(CollectJobName(source))
}

// NextRun returns when the named job is next due on its schedule, also
// before Start; zero for an unknown job or after Stop.
func (s *Scheduler) NextRun(job string) time.Time {
	s.mu.Lock()
	e, ok := s.jobs[job]
	stopped := s.stopped
	s.mu.Unlock()
	if !ok || stopped {
		return time.Time{}
	}
	ce := s.cron.Entry(e.id)
	if !ce.Next.IsZero() {
		return ce.Next
	}
	if ce.Schedule == nil {
		return time.Time{}
	}
	return ce.Schedule.Next(time.Now())
}

// SourceRuns returns the named source's most recent runs, newest first,
// including the ones that only waited.
func (s *Scheduler) SourceRuns(ctx context.Context, source string, limit int) ([]model.Run, error) {
	return s.st.Runs(ctx, CollectJobName(source), limit)
}
