package moderation

import (
	"encoding/json"
	"errors"
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

// pageSize is how many posts a queue page shows.
const pageSize = 50

// maxReason caps a decision's free-text reason, in characters.
const maxReason = 500

func (h *Handler) queue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	query, problems, ok := parseQueueQuery(r.URL.Query())
	if !ok {
		http.Error(w, "Unknown page: status must be pending, approved, rejected or removed, and before a post ID.", http.StatusBadRequest)
		return
	}
	// Read before the posts: an event after it may already be on the page
	// (queue.js takes it again harmlessly), none before it is missing.
	since := h.events.lastID()
	f := query.filter(h.opts.Location)
	if query.Status == model.StatusPending {
		// The post under another moderator's cursor is theirs for now
		// (leases.go). The counts still include it: they are read from
		// tables the triggers keep, which know nothing of leases, and a
		// post someone is looking at is still waiting.
		f.HideLeasedFor, f.LeaseTime = m.ID, h.clock()
	}
	counts, err := h.st.QueueCounts(ctx, f)
	if errors.Is(err, store.ErrSearch) {
		problems = append(problems, "The search needs at least one letter or digit; it was left out.")
		query.Search, f.Search = "", ""
		counts, err = h.st.QueueCounts(ctx, f)
	}
	if err != nil {
		h.serverError(w, r, "count posts", err)
		return
	}
	var posts []model.Post
	if counts.Total > 0 {
		// One more than a page tells whether an older page exists.
		posts, err = h.st.QueuePosts(ctx, f, query.Before, pageSize+1)
		if err != nil {
			h.serverError(w, r, "queue posts", err)
			return
		}
	}
	v := QueueView{
		CampaignName: h.opts.CampaignName,
		Moderator:    m.Name,
		Admin:        m.Role == model.RoleAdmin,
		Status:       query.Status,
		Before:       query.Before,
		Location:     h.opts.Location,
		Query:        query,
		Menus:        filterMenus(query, counts),
		Total:        counts.Total,
		Problems:     problems,
		SearchCapped: counts.SearchCapped,
		EventsSince:  since,
	}
	if len(posts) > pageSize {
		posts = posts[:pageSize]
		older := query
		older.Before = posts[len(posts)-1].ID
		v.OlderURL = older.URL()
	}
	v.Posts = posts
	v.MediaStates = h.mediaStates(ctx, posts)
	if query.Before > 0 {
		first := query
		first.Before = 0
		v.NewestURL = first.URL()
	}
	for _, s := range tabStatuses {
		tab := query
		tab.Status, tab.Before = s, 0
		v.Tabs = append(v.Tabs, Tab{Status: s, Label: statusLabel(s), Count: counts.Status[string(s)], URL: tab.URL(), Current: s == query.Status})
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("conflict"), 10, 64); err == nil && id > 0 {
		v.Notice = h.conflictNotice(r, id)
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("alt"), 10, 64); err == nil && id > 0 {
		v.Hands.AltFor = id
		if v.Notice == "" {
			v.Notice = "The post's photos have no alt text: add it before highlighting, or highlight without it."
		}
	}
	h.render(w, r, http.StatusOK, QueuePage(v))
}

// tabCounts serves /moderate/counts: the status tabs' counts under the
// filters of the queue page whose query it is given, as JSON. A filtered
// queue asks for them when the live stream says posts changed: the counts
// in the events are unfiltered.
func (h *Handler) tabCounts(w http.ResponseWriter, r *http.Request) {
	query, _, ok := parseQueueQuery(r.URL.Query())
	if !ok {
		writeJSON(w, http.StatusBadRequest, decisionJSON{Error: "bad_query", Message: "Unknown filters."})
		return
	}
	f := query.filter(h.opts.Location)
	counts, err := h.st.QueueCounts(r.Context(), f)
	if errors.Is(err, store.ErrSearch) {
		f.Search = "" // as the page leaves it out
		counts, err = h.st.QueueCounts(r.Context(), f)
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "tab counts", slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, decisionJSON{Error: "internal", Message: "The counts could not be read."})
		return
	}
	status := map[string]int{}
	for _, s := range tabStatuses {
		status[string(s)] = counts.Status[string(s)]
	}
	writeJSON(w, http.StatusOK, struct {
		Counts map[string]int `json:"counts"`
	}{status})
}

// conflictNotice says what became of a post another moderator decided first.
// The redirect after a refused decision carries only the post's ID; the text
// is built here from the store, so a crafted link cannot put words on the page.
func (h *Handler) conflictNotice(r *http.Request, id int64) string {
	p, err := h.st.PostByID(r.Context(), id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.ErrorContext(r.Context(), "conflict notice", slog.Int64("post_id", id), slog.Any("error", err))
		}
		return ""
	}
	if p.Status == model.StatusPending {
		return ""
	}
	return h.conflictText(p)
}

// parsePage reads a queue page's status and paging cursor; empty means the
// pending queue's first page.
func parsePage(statusParam, beforeParam string) (model.Status, int64, bool) {
	status := model.StatusPending
	if statusParam != "" {
		s, ok := model.ParseStatus(statusParam)
		if !ok {
			return "", 0, false
		}
		status = s
	}
	var before int64
	if beforeParam != "" {
		b, err := strconv.ParseInt(beforeParam, 10, 64)
		if err != nil || b <= 0 {
			return "", 0, false
		}
		before = b
	}
	return status, before, true
}

// decide returns the handler for one decision button.
func (h *Handler) decide(action model.Action) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, _ := auth.ModeratorFromContext(ctx)
		asJSON := wantsJSON(r)
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			h.clientError(w, asJSON, http.StatusBadRequest, "bad_post_id", "That is not a post ID.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			h.clientError(w, asJSON, http.StatusBadRequest, "bad_form", "The form could not be read.")
			return
		}
		v := formView(r)
		back := v.backURL()
		if action == model.ActionHighlight && h.altTextFirst(w, r, id, v) {
			return
		}
		post, err := h.st.Decide(ctx, model.Decision{PostID: id, Action: action, Actor: m.Name, Reason: reason(r.PostFormValue("reason")), At: h.clock()})
		var se *store.StateError
		switch {
		case errors.As(err, &se):
			h.log.InfoContext(ctx, "decision refused", slog.Int64("post_id", id), slog.String("action", string(action)),
				slog.String("moderator", m.Name), slog.String("status", string(se.Post.Status)), slog.String("decided_by", se.Post.DecidedBy))
			if asJSON {
				h.answer(w, r, http.StatusConflict, decisionJSON{Error: "conflict"}, se.Post, v, h.conflictText(se.Post))
				return
			}
			u := back
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			http.Redirect(w, r, u+sep+"conflict="+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		case errors.Is(err, store.ErrNotFound):
			h.clientError(w, asJSON, http.StatusNotFound, "not_found", "There is no such post.")
			return
		case err != nil:
			h.log.ErrorContext(ctx, "decide", slog.Int64("post_id", id), slog.String("action", string(action)), slog.Any("error", err))
			if asJSON {
				writeJSON(w, http.StatusInternalServerError, decisionJSON{Error: "internal", Message: "The decision was not saved. Please try again."})
				return
			}
			http.Error(w, "The decision was not saved. Please try again.", http.StatusInternalServerError)
			return
		}
		h.log.InfoContext(ctx, "post decided", slog.Int64("post_id", id), slog.String("action", string(action)), slog.String("moderator", m.Name))
		h.notifier.PostChanged(post)
		if asJSON {
			h.answer(w, r, http.StatusOK, decisionJSON{Action: string(action)}, post, v, "")
			return
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
}

// formView is the queue page a form on it came from, as far as a card
// rendered for the answer needs it: the page in its "back" field (status,
// filters, cursor), or failing that its "status" and "before" fields.
// Unknown values fall back to the first pending page: going back somewhere
// sensible beats an error after a decision was made.
func formView(r *http.Request) QueueView {
	status, before, ok := parsePage(r.PostFormValue("status"), r.PostFormValue("before"))
	if !ok {
		status, before = model.StatusPending, 0
	}
	q := queueQuery{Status: status, Before: before}
	if back := backURL(r.PostFormValue("back"), ""); back != "" {
		if u, err := url.Parse(back); err == nil {
			if bq, _, ok := parseQueueQuery(u.Query()); ok {
				q = bq
			}
		}
	}
	return viewFor(q)
}

// viewFor is the part of a queue page's view a single card needs.
func viewFor(q queueQuery) QueueView {
	return QueueView{Status: q.Status, Before: q.Before, Query: q}
}

// backURL returns the queue page a form came from (its "back" field) if it
// is one, and fallback otherwise: a form can only send a moderator back to
// a queue page of this site.
func backURL(back, fallback string) string {
	back = auth.LocalPath(back, "")
	if back == "/moderate" || strings.HasPrefix(back, "/moderate?") {
		return back
	}
	return fallback
}

func reason(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxReason {
		s = string(r[:maxReason])
	}
	return s
}

// wantsJSON tells scripts and tools, which ask for JSON, from browsers
// submitting a form, which get redirects and pages.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// decisionJSON answers a decision asked for as JSON.
type decisionJSON struct {
	Error   string    `json:"error,omitempty"`
	Message string    `json:"message,omitempty"`
	Post    *postJSON `json:"post,omitempty"`
	Action  string    `json:"action,omitempty"` // what was done, for the undo toast
	HTML    string    `json:"html,omitempty"`   // the post's queue card as it is now
}

type postJSON struct {
	ID        int64        `json:"id"`
	Status    model.Status `json:"status"`
	DecidedBy string       `json:"decided_by,omitempty"`
	DecidedAt *time.Time   `json:"decided_at,omitempty"`
}

func postState(p model.Post) *postJSON {
	pj := &postJSON{ID: p.ID, Status: p.Status, DecidedBy: p.DecidedBy}
	if !p.DecidedAt.IsZero() {
		t := p.DecidedAt.UTC()
		pj.DecidedAt = &t
	}
	return pj
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *Handler) clientError(w http.ResponseWriter, asJSON bool, status int, code, msg string) {
	if asJSON {
		writeJSON(w, status, decisionJSON{Error: code, Message: msg})
		return
	}
	http.Error(w, msg, status)
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.ErrorContext(r.Context(), what, slog.String("path", r.URL.Path), slog.Any("error", err))
	http.Error(w, "Something went wrong loading this page. Please try again.", http.StatusInternalServerError)
}
