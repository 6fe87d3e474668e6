package moderation

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// auditPageSize is how many decisions an audit log page lists.
const auditPageSize = 100

// auditActions are the actions the audit log's filter offers, in order.
var auditActions = []model.Action{
	model.ActionApprove, model.ActionReject, model.ActionRetract, model.ActionEdited, model.ActionRemove,
	model.ActionPin, model.ActionUnpin, model.ActionHighlight, model.ActionUnhighlight,
}

// auditRoutes registers the audit log. Every moderator may read it: the
// team sees each other's decisions on the queue anyway, and a moderator
// asked "who approved this?" at a summit should not need an admin.
func (h *Handler) auditRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/audit", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.auditPage))))
	mux.Handle("GET /admin/audit.csv", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.auditCSV))))
}

// auditQuery is what an audit page's address holds.
type auditQuery struct {
	Action   string
	Actor    string
	PostID   string
	From, To string // days, YYYY-MM-DD; To included
	Before   int64
}

func parseAuditQuery(v url.Values) (q auditQuery, problems []string) {
	q.Actor = strings.TrimSpace(v.Get("actor"))
	if a := v.Get("action"); a != "" {
		for _, known := range auditActions {
			if string(known) == a {
				q.Action = a
			}
		}
		if q.Action == "" {
			problems = append(problems, "Unknown action; it was left out.")
		}
	}
	if p := strings.TrimSpace(v.Get("post")); p != "" {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil && id > 0 {
			q.PostID = p
		} else {
			problems = append(problems, "The post filter takes a post ID (a number); it was left out.")
		}
	}
	for _, d := range []struct {
		name string
		val  *string
	}{{"from", &q.From}, {"to", &q.To}} {
		*d.val = strings.TrimSpace(v.Get(d.name))
		if *d.val == "" {
			continue
		}
		if _, err := time.Parse(dateLayout, *d.val); err != nil {
			problems = append(problems, "The "+d.name+" date is not a day like 2026-10-14; it was left out.")
			*d.val = ""
		}
	}
	if b, err := strconv.ParseInt(v.Get("before"), 10, 64); err == nil && b > 0 {
		q.Before = b
	}
	return q, problems
}

func (q auditQuery) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"action": q.Action, "actor": q.Actor, "post": q.PostID, "from": q.From, "to": q.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// URL is the page's address; CSVURL the export of the same filters.
func (q auditQuery) URL() string {
	v := q.values()
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if len(v) == 0 {
		return "/admin/audit"
	}
	return "/admin/audit?" + v.Encode()
}

func (q auditQuery) CSVURL() string {
	v := q.values()
	if len(v) == 0 {
		return "/admin/audit.csv"
	}
	return "/admin/audit.csv?" + v.Encode()
}

func (q auditQuery) filter(loc *time.Location) store.AuditFilter {
	f := store.AuditFilter{Action: model.Action(q.Action), Actor: q.Actor, Before: q.Before}
	f.PostID, _ = strconv.ParseInt(q.PostID, 10, 64)
	f.From, f.To = dayRange(q.From, q.To, loc)
	return f
}

// AuditView is what the audit log page shows.
type AuditView struct {
	CampaignName string
	Moderator    string
	Query        auditQuery
	Actions      []model.Action
	Entries      []store.AuditEntry
	Problems     []string
	OlderURL     string
	NewestURL    string
	Location     *time.Location
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	q, problems := parseAuditQuery(r.URL.Query())
	f := q.filter(h.opts.Location)
	f.Limit = auditPageSize + 1
	v := AuditView{CampaignName: h.opts.CampaignName, Moderator: m.Name, Query: q, Actions: auditActions, Problems: problems, Location: h.opts.Location}
	err := h.st.AuditLog(ctx, f, func(e store.AuditEntry) error {
		v.Entries = append(v.Entries, e)
		return nil
	})
	if err != nil {
		h.serverError(w, r, "audit log", err)
		return
	}
	if len(v.Entries) > auditPageSize {
		v.Entries = v.Entries[:auditPageSize]
		older := q
		older.Before = v.Entries[len(v.Entries)-1].ID
		v.OlderURL = older.URL()
	}
	if q.Before > 0 {
		first := q
		first.Before = 0
		v.NewestURL = first.URL()
	}
	h.render(w, r, http.StatusOK, AuditPage(v))
}

// auditCSV exports the decisions the filters select, all of them, newest
// first, for the campaign's records.
func (h *Handler) auditCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, problems := parseAuditQuery(r.URL.Query())
	if len(problems) > 0 {
		http.Error(w, strings.Join(problems, " "), http.StatusBadRequest)
		return
	}
	q.Before = 0
	f := q.filter(h.opts.Location)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"decision_id", "at_utc", "actor", "action", "post_id", "post_url", "post_text", "reason"})
	err := h.st.AuditLog(ctx, f, func(e store.AuditEntry) error {
		cw.Write([]string{
			strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), csvCell(e.Actor), csvCell(string(e.Action)),
			strconv.FormatInt(e.PostID, 10), csvCell(e.PostURL), csvCell(e.PostText), csvCell(e.Reason),
		})
		return cw.Error()
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		// The header is sent: the file ends early, and the log says why.
		h.log.ErrorContext(ctx, "audit export", slog.Any("error", err))
	}
}

// csvCell keeps a spreadsheet from running a cell as a formula: text that
// starts with = + - @ (or a tab or carriage return, which some read past)
// gets a leading apostrophe. Post texts and reasons come from strangers.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// auditActor says who decided: a moderator, a rule or the network.
func auditActor(actor string) string {
	switch {
	case actor == "network":
		return "the network (upstream)"
	case strings.HasPrefix(actor, "rule:"):
		return "rule “" + strings.TrimPrefix(actor, "rule:") + "”"
	}
	return actor
}

// postHistoryURL is the audit log of one post: everything that happened to it.
func postHistoryURL(id int64) string {
	return "/admin/audit?post=" + strconv.FormatInt(id, 10)
}

func (v AuditView) loc() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}
