package moderation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// SourceRunner is what the sources page needs from the scheduler, which
// implements it (main wires it in).
type SourceRunner interface {
	// RunSource collects the named source now and returns when the run is over.
	RunSource(ctx context.Context, source string) error
	// NextSourceRun is when the source is next collected on schedule; zero if never.
	NextSourceRun(source string) time.Time
	// SourceRuns returns the source's latest runs, newest first.
	SourceRuns(ctx context.Context, source string, limit int) ([]model.Run, error)
}

// Budget is what a source may still read before a network's quota (X's
// monthly read budget) stops it.
type Budget struct {
	Used, Limit int
	Unit        string    // what is counted, plural: "reads"
	Resets      time.Time // when Used starts from zero again
}

// SourcesOptions configure the admins' status page of sources
// (/admin/sources). Without a Runner the page is not served.
type SourcesOptions struct {
	Sources []model.Source // as configured, in the config file's order
	Runner  SourceRunner
	// Budget reports the read budget of a source that has one, from its
	// stored cursor; nil or false for none.
	Budget func(src model.Source, cursor string) (Budget, bool)
	Now    func() time.Time // nil: time.Now
}

// recentRuns is how many runs the page lists per source.
const recentRuns = 5

// sourceRoutes registers the sources page: every moderator may look,
// only admins may start a run.
func (h *Handler) sourceRoutes(mux *http.ServeMux) {
	if h.opts.Sources.Runner == nil {
		return
	}
	mux.Handle("GET /admin/sources", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.sourcesPage))))
	mux.Handle("POST /admin/sources/{name}/run", auth.SecurityHeaders(auth.CrossOrigin(h.auth.RequireAdmin(http.HandlerFunc(h.runSource)))))
}

func (h *Handler) now() time.Time {
	if h.opts.Sources.Now != nil {
		return h.opts.Sources.Now()
	}
	return time.Now()
}

func (h *Handler) sourcesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	statuses, err := h.st.SourceStatuses(ctx)
	if err != nil {
		h.serverError(w, r, "source statuses", err)
		return
	}
	byName := map[string]model.SourceStatus{}
	for _, s := range statuses {
		byName[s.Name] = s
	}
	now := h.now()
	v := SourcesView{
		CampaignName: h.opts.CampaignName,
		Moderator:    m.Name,
		CanRun:       m.Role == model.RoleAdmin,
		Location:     h.opts.Location,
		Now:          now,
	}
	for i, src := range h.opts.Sources.Sources {
		row := SourceRow{
			Index:    i,
			Name:     src.Name,
			Kind:     src.Kind,
			Schedule: src.Schedule,
			Status:   byName[src.Name],
			NextRun:  h.opts.Sources.Runner.NextSourceRun(src.Name),
			RunURL:   "/admin/sources/" + url.PathEscape(src.Name) + "/run",
		}
		if h.opts.Sources.Budget != nil {
			if b, ok := h.opts.Sources.Budget(src, row.Status.Cursor); ok {
				row.Budget = &b
			}
		}
		if row.Runs, err = h.opts.Sources.Runner.SourceRuns(ctx, src.Name, recentRuns); err != nil {
			h.serverError(w, r, "source runs", err)
			return
		}
		v.Sources = append(v.Sources, row)
	}
	v.Notice = h.runNotice(r.URL.Query(), byName, now)
	h.render(w, r, http.StatusOK, SourcesPage(v))
}

// runNotice says how an admin's "run now" went. The redirect carries only
// the source's name and a result code; the words are built here, and only
// for a configured source, so a crafted link cannot put text on the page.
func (h *Handler) runNotice(q url.Values, byName map[string]model.SourceStatus, now time.Time) string {
	name := q.Get("ran")
	if _, ok := h.configuredSource(name); !ok {
		return ""
	}
	st := byName[name]
	switch q.Get("result") {
	case "done":
		return fmt.Sprintf("%s collected just now: %s.", name, plural(st.LastNew, "new post", "new posts"))
	case "failed":
		if now.Before(st.WaitUntil) && st.WaitReason == model.WaitRateLimit {
			return fmt.Sprintf("%s was not called: it waits for its rate limit until %s.", name, clock(st.WaitUntil, h.opts.Location, now))
		}
		return fmt.Sprintf("%s: the run did not go through (or another run of it was still going). Its latest problem is shown below.", name)
	}
	return ""
}

func (h *Handler) configuredSource(name string) (model.Source, bool) {
	for _, src := range h.opts.Sources.Sources {
		if src.Name == name && name != "" {
			return src, true
		}
	}
	return model.Source{}, false
}

// runSource is the admins' "Run now": it collects the source at once and
// comes back to the page, where the run shows.
func (h *Handler) runSource(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	src, ok := h.configuredSource(r.PathValue("name"))
	if !ok {
		http.Error(w, "There is no such source.", http.StatusNotFound)
		return
	}
	result := "done"
	if err := h.opts.Sources.Runner.RunSource(ctx, src.Name); err != nil {
		result = "failed"
		h.log.WarnContext(ctx, "run now", slog.String("source", src.Name), slog.String("moderator", m.Name), slog.Any("error", err))
	} else {
		h.log.InfoContext(ctx, "run now", slog.String("source", src.Name), slog.String("moderator", m.Name))
	}
	idx := 0
	for i, s := range h.opts.Sources.Sources {
		if s.Name == src.Name {
			idx = i
		}
	}
	q := url.Values{"ran": {src.Name}, "result": {result}}
	http.Redirect(w, r, "/admin/sources?"+q.Encode()+"#"+sourceDOMID(idx), http.StatusSeeOther)
}

// SourcesView is what the sources page shows.
type SourcesView struct {
	CampaignName string
	Moderator    string
	CanRun       bool   // admins see the "Run now" buttons
	Notice       string // safe text, escaped on render
	Sources      []SourceRow
	Location     *time.Location
	Now          time.Time
}

// SourceRow is one source on the sources page.
type SourceRow struct {
	Index    int
	Name     string
	Kind     string
	Schedule string
	Status   model.SourceStatus
	NextRun  time.Time
	Budget   *Budget
	Runs     []model.Run
	RunURL   string
}

func (v SourcesView) loc() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}

func sourceDOMID(i int) string { return "source-" + strconv.Itoa(i) }

// waitText says when a waiting source is called again, or "".
func (v SourcesView) waitText(s model.SourceStatus) string {
	if !v.Now.Before(s.WaitUntil) {
		return ""
	}
	at := clock(s.WaitUntil, v.loc(), v.Now)
	if s.WaitReason == model.WaitRateLimit {
		return "Waiting for the network's rate limit: not called before " + at + "."
	}
	return fmt.Sprintf("Paused after %s in a row: next try at %s (backoff; an admin's Run now tries at once).",
		plural(s.Failures, "failure", "failures"), at)
}

func (v SourcesView) lastRunText(s model.SourceStatus) string {
	if s.LastRunAt.IsZero() {
		return "Not run yet"
	}
	return clock(s.LastRunAt, v.loc(), v.Now)
}

func (v SourcesView) nextRunText(r SourceRow) string {
	if r.NextRun.IsZero() {
		return "Not scheduled"
	}
	return clock(r.NextRun, v.loc(), v.Now) + " (" + r.Schedule + ")"
}

func budgetText(b *Budget, loc *time.Location) string {
	left := max(b.Limit-b.Used, 0)
	unit := b.Unit
	if unit == "" {
		unit = "reads"
	}
	if b.Limit <= 0 {
		return fmt.Sprintf("No budget set: %s %s this month", thousands(b.Used), unit)
	}
	return fmt.Sprintf("%s of %s %s left this month; resets on %s", thousands(left), thousands(b.Limit), unit, dayMonth(b.Resets, loc))
}

// runResult sums up a run without its error's text, which is for the log.
// A run that only waited is told by the scheduler's wording for it
// (scheduler.WaitError), which this package cannot import.
func runResult(r model.Run) string {
	switch {
	case r.Finished.IsZero():
		return "running"
	case strings.Contains(r.Error, "waiting for rate limit until"):
		return "skipped: rate limit"
	case strings.Contains(r.Error, "after failures (backoff)"):
		return "skipped: backoff"
	case r.Error != "" && r.Items > 0:
		return "partly failed, " + plural(r.Items, "new post", "new posts")
	case r.Error != "":
		return "failed"
	}
	return "ok, " + plural(r.Items, "new post", "new posts")
}

func runDuration(r model.Run) string {
	if r.Finished.IsZero() {
		return ""
	}
	return durationText(r.Finished.Sub(r.Started))
}

// durationText is a run's length as people read it: "850 ms", "2.4 s", "3 min 5 s".
func durationText(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "under 1 ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

// clock shows a time of today as "14:05:30 UTC" (sources run every few
// minutes: seconds matter), and other days with the date.
func clock(t time.Time, loc *time.Location, now time.Time) string {
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05 MST")
	}
	return t.Format("2 Jan 15:04 MST")
}

func dayMonth(t time.Time, loc *time.Location) string { return t.In(loc).Format("2 January") }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// thousands writes n with comma separators: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
