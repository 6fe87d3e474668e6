package moderation

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// maxBulk is how many posts one bulk action decides: a confirmation page
// lists their IDs in its form, and a summit's queue rarely needs more at
// once. A larger filter result is decided newest first, a thousand a time.
const maxBulk = 1000

// bulkActions are the decisions a bulk action may take, on pending posts.
var bulkActions = map[string]model.Action{"approve": model.ActionApprove, "reject": model.ActionReject}

func (h *Handler) bulkRoutes(mux *http.ServeMux, form func(http.Handler) http.Handler) {
	mux.Handle("GET /moderate/bulk", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.bulkConfirm))))
	mux.Handle("POST /moderate/bulk", form(h.auth.Require(http.HandlerFunc(h.bulkDecide))))
}

// BulkConfirmView asks to confirm a bulk action on every pending post a
// filter matches. IDs are the posts counted, fixed now: what arrives or is
// decided by others after this page is not touched by the confirmation.
type BulkConfirmView struct {
	CampaignName string
	Moderator    string
	Action       string // approve or reject
	IDs          []int64
	Matching     int      // pending posts the filter matches, maybe more than IDs
	Leased       int      // of those, how many other moderators hold leases on (left out of IDs)
	Filters      []string // the filters in words
	BackURL      string
	SearchCapped bool // the search matched more than store.SearchWindow posts
}

// bulkConfirm is the confirmation step of "approve (reject) all matching":
// it counts the pending posts the filters match and asks before acting.
func (h *Handler) bulkConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	q := r.URL.Query()
	action := q.Get("action")
	if _, ok := bulkActions[action]; !ok {
		http.Error(w, "Bulk actions approve or reject.", http.StatusBadRequest)
		return
	}
	query, problems, ok := parseQueueQuery(q)
	if !ok || len(problems) > 0 {
		http.Error(w, "The filters could not be read; go back to the queue and filter again.", http.StatusBadRequest)
		return
	}
	query.Status, query.Before = model.StatusPending, 0
	f := query.filter(h.opts.Location)
	// Posts under another moderator's cursor are theirs to decide, as on
	// the queue page (leases.go); the count includes them.
	f.HideLeasedFor, f.LeaseTime = m.ID, h.clock()
	counts, err := h.st.QueueCounts(ctx, f)
	if errors.Is(err, store.ErrSearch) {
		http.Error(w, "The search needs at least one letter or digit.", http.StatusBadRequest)
		return
	}
	if err != nil {
		h.serverError(w, r, "bulk count", err)
		return
	}
	ids, err := h.st.QueueIDs(ctx, f, maxBulk)
	if err != nil {
		h.serverError(w, r, "bulk IDs", err)
		return
	}
	v := BulkConfirmView{
		CampaignName: h.opts.CampaignName, Moderator: m.Name, Action: action, IDs: ids,
		Matching: counts.Total, Filters: filterWords(query), BackURL: query.URL(), SearchCapped: counts.SearchCapped,
	}
	if len(ids) < maxBulk && counts.Total > len(ids) {
		// Not a page cut short: the difference is under others' cursors
		// (or was decided between the two reads).
		v.Leased, v.Matching = counts.Total-len(ids), len(ids)
	}
	h.render(w, r, http.StatusOK, BulkConfirmPage(v))
}

// filterWords says what a query filters, for the confirmation page.
func filterWords(q queueQuery) []string {
	var out []string
	add := func(label, v string) {
		if v != "" {
			out = append(out, label+": "+v)
		}
	}
	add("network", q.Network)
	add("source", q.Source)
	add("category", q.Category)
	add("language", q.Language)
	add("photo", string(q.Photo))
	add("search", q.Search)
	add("from", q.From)
	add("to", q.To)
	return out
}

// BulkResultView says what a bulk action did.
type BulkResultView struct {
	CampaignName string
	Moderator    string
	Action       string
	Decided      []model.Post
	Conflicts    []model.Post // decided by someone else first, as they are now
	Missing      []int64      // no such post any more
	BackURL      string
	Location     *time.Location
}

type bulkJSON struct {
	Decided   []int64     `json:"decided"`
	Conflicts []*postJSON `json:"conflicts"`
	Missing   []int64     `json:"missing"`
}

// bulkDecide approves or rejects the posts a bulk form names, each through
// the same audited Decide as one button, so each gets its own decision row
// and wall event. Posts decided by someone else meanwhile are refused by
// Decide and reported, never overwritten.
func (h *Handler) bulkDecide(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	asJSON := wantsJSON(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.clientError(w, asJSON, http.StatusBadRequest, "bad_form", "The form could not be read.")
		return
	}
	action, ok := bulkActions[r.PostFormValue("action")]
	if !ok {
		h.clientError(w, asJSON, http.StatusBadRequest, "bad_action", "Bulk actions approve or reject.")
		return
	}
	back := backURL(r.PostFormValue("back"), queueURL(model.StatusPending, 0))
	ids, problem := parseIDs(r.PostForm["ids"])
	if problem != "" {
		h.clientError(w, asJSON, http.StatusBadRequest, "bad_post_id", problem)
		return
	}
	if len(ids) == 0 {
		h.clientError(w, asJSON, http.StatusBadRequest, "no_posts", "No post was selected.")
		return
	}
	why := reason(r.PostFormValue("reason"))
	v := BulkResultView{CampaignName: h.opts.CampaignName, Moderator: m.Name, Action: string(action), BackURL: back, Location: h.opts.Location}
	for _, id := range ids {
		post, err := h.st.Decide(ctx, model.Decision{PostID: id, Action: action, Actor: m.Name, Reason: why, At: h.clock()})
		var se *store.StateError
		switch {
		case errors.As(err, &se):
			v.Conflicts = append(v.Conflicts, se.Post)
			continue
		case errors.Is(err, store.ErrNotFound):
			v.Missing = append(v.Missing, id)
			continue
		case err != nil:
			// What was decided stays decided, and screens hear of it; the
			// rest is left for another try.
			h.log.ErrorContext(ctx, "bulk decide", slog.Int64("post_id", id), slog.String("action", string(action)), slog.Any("error", err))
			if asJSON {
				writeJSON(w, http.StatusInternalServerError, decisionJSON{Error: "internal", Message: fmt.Sprintf("Decided %d posts, then a decision was not saved. Please try again.", len(v.Decided))})
				return
			}
			http.Error(w, fmt.Sprintf("Decided %d posts, then a decision was not saved. Please try again.", len(v.Decided)), http.StatusInternalServerError)
			return
		}
		h.notifier.PostChanged(post)
		v.Decided = append(v.Decided, post)
	}
	h.log.InfoContext(ctx, "bulk decision", slog.String("action", string(action)), slog.String("moderator", m.Name),
		slog.Int("decided", len(v.Decided)), slog.Int("conflicts", len(v.Conflicts)), slog.Int("missing", len(v.Missing)))
	if asJSON {
		out := bulkJSON{Decided: []int64{}, Conflicts: []*postJSON{}, Missing: v.Missing}
		for _, p := range v.Decided {
			out.Decided = append(out.Decided, p.ID)
		}
		for _, p := range v.Conflicts {
			out.Conflicts = append(out.Conflicts, postState(p))
		}
		if out.Missing == nil {
			out.Missing = []int64{}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	h.render(w, r, http.StatusOK, BulkResultPage(v))
}

// parseIDs reads post IDs, each once, in order, at most maxBulk; problem
// is a message for the moderator when they cannot be read.
func parseIDs(vals []string) (ids []int64, problem string) {
	seen := map[int64]bool{}
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, "That is not a post ID."
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > maxBulk {
		return nil, fmt.Sprintf("At most %d posts at once.", maxBulk)
	}
	return ids, ""
}

// idList is IDs as the confirmation form carries them: one field, commas.
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func bulkVerb(a string) string {
	if a == "reject" {
		return "Reject"
	}
	return "Approve"
}

func bulkPast(a string) string {
	if a == "reject" {
		return "Rejected"
	}
	return "Approved"
}

// shortText is the start of a post's text, for lists.
func shortText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
