package moderation

import (
	_ "embed"
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

// The moderator's hands: keyboard work on the queue (static/queue.js),
// undo, leases that split the queue between moderators, pinning, and alt
// text for photos. Every change is a decision in the audit log and reaches
// the wall through the Notifier, like approving does.

// UndoWindow is how long after a decision its moderator may take it back.
const UndoWindow = 10 * time.Second

// LeaseDuration is how long the post under a moderator's cursor stays
// hidden from the other moderators' queues; the page renews it while the
// cursor stays.
const LeaseDuration = 60 * time.Second

// handsView is what the queue page needs for the keyboard script.
type handsView struct {
	AltFor int64 // the post whose alt-text form opens on load (highlighting it asked for alt text)
}

func (h *Handler) handsRoutes(mux *http.ServeMux, form func(http.Handler) http.Handler) {
	for _, a := range []model.Action{model.ActionPin, model.ActionUnpin} {
		mux.Handle("POST /moderate/posts/{id}/"+string(a), form(h.auth.Require(h.decide(a))))
	}
	mux.Handle("POST /moderate/posts/{id}/undo", form(h.auth.Require(http.HandlerFunc(h.undo))))
	mux.Handle("POST /moderate/posts/{id}/alt_text", form(h.auth.Require(http.HandlerFunc(h.saveAltText))))
	mux.Handle("POST /moderate/posts/{id}/lease", form(h.auth.Require(http.HandlerFunc(h.lease))))
	mux.Handle("POST /moderate/posts/{id}/release", form(h.auth.Require(http.HandlerFunc(h.release))))
	mux.Handle("GET /moderate/events", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.queueStream))))
	mux.Handle("GET /moderate/counts", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.tabCounts))))
	mux.Handle("GET /static/moderation/queue.js", auth.SecurityHeaders(http.HandlerFunc(serveQueueJS)))
}

// postForm reads a post's ID from the path and the form with the page the
// moderator was on (formView). ok false means an answer was written.
func (h *Handler) postForm(w http.ResponseWriter, r *http.Request) (id int64, v QueueView, ok bool) {
	asJSON := wantsJSON(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.clientError(w, asJSON, http.StatusBadRequest, "bad_post_id", "That is not a post ID.")
		return 0, QueueView{}, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.clientError(w, asJSON, http.StatusBadRequest, "bad_form", "The form could not be read.")
		return 0, QueueView{}, false
	}
	return id, formView(r), true
}

// answer ends a request that changed post: JSON with its new card for
// scripts, a redirect back to the queue page for forms.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, code int, res decisionJSON, p model.Post, v QueueView, notice string) {
	if !wantsJSON(r) {
		if code >= 400 && notice != "" {
			http.Error(w, notice, code)
			return
		}
		http.Redirect(w, r, v.backURL(), http.StatusSeeOther)
		return
	}
	if p.ID != 0 {
		res.Post = postState(p)
		html, err := h.cardHTML(r.Context(), p, v)
		if err != nil {
			h.log.ErrorContext(r.Context(), "render card", slog.Int64("post_id", p.ID), slog.Any("error", err))
		}
		res.HTML = html
	}
	if res.Message == "" {
		res.Message = notice
	}
	writeJSON(w, code, res)
}

// undo takes back the moderator's own last decision on a post, within
// UndoWindow and only if nobody acted on the post since.
func (h *Handler) undo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	id, v, ok := h.postForm(w, r)
	if !ok {
		return
	}
	now := h.clock()
	post, undone, err := h.st.Undo(ctx, id, m.Name, now.Add(-UndoWindow), now)
	var ue *store.UndoError
	switch {
	case errors.As(err, &ue):
		msg := h.undoRefusal(ue)
		h.log.InfoContext(ctx, "undo refused", slog.Int64("post_id", id), slog.String("moderator", m.Name), slog.String("refusal", string(ue.Refusal)))
		cur, _ := h.st.PostByID(ctx, id)
		h.answer(w, r, http.StatusConflict, decisionJSON{Error: "undo_refused"}, cur, v, msg)
		return
	case errors.Is(err, store.ErrNotFound):
		h.clientError(w, wantsJSON(r), http.StatusNotFound, "not_found", "There is no such post.")
		return
	case err != nil:
		h.log.ErrorContext(ctx, "undo", slog.Int64("post_id", id), slog.Any("error", err))
		h.clientError(w, wantsJSON(r), http.StatusInternalServerError, "internal", "The undo was not saved. Please try again.")
		return
	}
	h.log.InfoContext(ctx, "decision undone", slog.Int64("post_id", id), slog.String("action", string(undone.Action)), slog.String("moderator", m.Name))
	h.notifier.PostChanged(post)
	h.answer(w, r, http.StatusOK, decisionJSON{}, post, v, "Undone: "+string(undone.Action)+".")
}

func (h *Handler) undoRefusal(ue *store.UndoError) string {
	switch ue.Refusal {
	case store.UndoExpired:
		return fmt.Sprintf("Too late to undo: a decision can be undone for %d seconds.", int(UndoWindow/time.Second))
	case store.UndoOther:
		return fmt.Sprintf("Not undone: %s %s it at %s since.", ue.Last.Actor, pastTense(ue.Last.Action),
			ue.Last.At.In(h.opts.Location).Format("15:04"))
	}
	return "Nothing to undo on this post."
}

func pastTense(a model.Action) string {
	switch a {
	case model.ActionApprove, model.ActionRemove:
		return string(a) + "d"
	case model.ActionEdited:
		return "edited"
	case model.ActionHold:
		return "held"
	case model.ActionUndo:
		return "undid a decision on"
	case model.ActionAltText:
		return "changed the alt text of"
	case model.ActionPin, model.ActionUnpin:
		return string(a) + "ned"
	}
	return string(a) + "ed"
}

// lease takes or renews the moderator's lease on the post under their
// cursor, releasing the one they leave (form field release). Another
// moderator's unexpired lease is a 409 naming them.
func (h *Handler) lease(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	id, _, ok := h.postForm(w, r)
	if !ok {
		return
	}
	if prev, err := strconv.ParseInt(r.PostFormValue("release"), 10, 64); err == nil && prev > 0 && prev != id {
		h.releaseLease(r, prev, m.ID)
	}
	renewed, err := h.st.TakeLease(ctx, id, m.ID, h.clock(), LeaseDuration)
	var le *store.LeaseError
	switch {
	case errors.As(err, &le):
		writeJSON(w, http.StatusConflict, decisionJSON{Error: "leased",
			Message: fmt.Sprintf("%s is looking at that post; it is theirs until %s.", le.Holder, le.ExpiresAt.In(h.opts.Location).Format("15:04:05"))})
		return
	case errors.Is(err, store.ErrNotFound):
		h.clientError(w, true, http.StatusNotFound, "not_found", "There is no such post.")
		return
	case err != nil:
		h.log.ErrorContext(ctx, "lease", slog.Int64("post_id", id), slog.Any("error", err))
		h.clientError(w, true, http.StatusInternalServerError, "internal", "The lease was not taken.")
		return
	}
	// A renewal the others have heard of; a lease that ran out meanwhile
	// (a laptop asleep) was shown again in their queues, and is hidden again.
	if !renewed {
		h.events.publish("lease", leaseEventData{ID: id, By: m.Name})
	}
	writeJSON(w, http.StatusOK, decisionJSON{})
}

// release ends the moderator's lease on a post (they closed the page).
func (h *Handler) release(w http.ResponseWriter, r *http.Request) {
	m, _ := auth.ModeratorFromContext(r.Context())
	id, _, ok := h.postForm(w, r)
	if !ok {
		return
	}
	h.releaseLease(r, id, m.ID)
	w.WriteHeader(http.StatusNoContent)
}

// releaseLease ends a moderator's lease and shows the post again in the
// other open queues, which hid it while it was leased. (A lease that just
// expires is found by the lease sweep, live.go.)
func (h *Handler) releaseLease(r *http.Request, postID, moderatorID int64) {
	released, err := h.st.ReleaseLease(r.Context(), postID, moderatorID)
	if err != nil {
		h.log.ErrorContext(r.Context(), "release lease", slog.Int64("post_id", postID), slog.Any("error", err))
		return
	}
	if released {
		h.announce(postID)
	}
}

// maxAltText caps one photo's alt text, in characters.
const maxAltText = 1500

// saveAltText stores the alt text of a post's photos (fields alt-MEDIAID)
// and, with then=highlight, highlights the post afterwards.
func (h *Handler) saveAltText(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	id, v, ok := h.postForm(w, r)
	if !ok {
		return
	}
	alts := map[int64]string{}
	for k, vals := range r.PostForm {
		mid, found := strings.CutPrefix(k, "alt-")
		if !found || len(vals) == 0 {
			continue
		}
		mediaID, err := strconv.ParseInt(mid, 10, 64)
		if err != nil || mediaID <= 0 {
			continue
		}
		alt := strings.Join(strings.Fields(vals[0]), " ")
		if r := []rune(alt); len(r) > maxAltText {
			alt = string(r[:maxAltText])
		}
		alts[mediaID] = alt
	}
	post, changed, err := h.st.SetAltText(ctx, id, alts, m.Name, h.clock())
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.clientError(w, wantsJSON(r), http.StatusNotFound, "not_found", "There is no such post or photo.")
		return
	case err != nil:
		h.log.ErrorContext(ctx, "alt text", slog.Int64("post_id", id), slog.Any("error", err))
		h.clientError(w, wantsJSON(r), http.StatusInternalServerError, "internal", "The alt text was not saved. Please try again.")
		return
	}
	msg := "Alt text saved."
	if !changed {
		msg = "The alt text was already that."
	} else {
		h.log.InfoContext(ctx, "alt text saved", slog.Int64("post_id", id), slog.String("moderator", m.Name))
		h.notifier.PostChanged(post)
	}
	if r.PostFormValue("then") == string(model.ActionHighlight) && post.Status == model.StatusApproved && !post.Highlighted {
		p, err := h.st.Decide(ctx, model.Decision{PostID: id, Action: model.ActionHighlight, Actor: m.Name, At: h.clock()})
		var se *store.StateError
		switch {
		case errors.As(err, &se):
			h.answer(w, r, http.StatusConflict, decisionJSON{Error: "conflict"}, se.Post, v, msg+" Not highlighted: "+h.conflictText(se.Post))
			return
		case err != nil:
			h.log.ErrorContext(ctx, "highlight after alt text", slog.Int64("post_id", id), slog.Any("error", err))
			h.answer(w, r, http.StatusInternalServerError, decisionJSON{Error: "internal"}, post, v, msg+" The highlight was not saved.")
			return
		}
		h.notifier.PostChanged(p)
		h.answer(w, r, http.StatusOK, decisionJSON{Action: string(model.ActionHighlight)}, p, v, msg+" Highlighted.")
		return
	}
	h.answer(w, r, http.StatusOK, decisionJSON{Action: string(model.ActionAltText)}, post, v, msg)
}

// lacksAltText reports whether a photo of the post has no alt text.
func lacksAltText(p model.Post) bool {
	for _, m := range p.Media {
		if m.Kind == model.MediaImage && strings.TrimSpace(m.AltText) == "" {
			return true
		}
	}
	return false
}

// altTextFirst stops a highlight of a post whose photos lack alt text,
// unless the moderator chose to highlight without (form field
// without_alt): a highlighted post is spotlit and reposted, and people
// using screen readers should get its photos too. It reports whether it
// answered.
func (h *Handler) altTextFirst(w http.ResponseWriter, r *http.Request, id int64, v QueueView) bool {
	if r.PostFormValue("without_alt") != "" {
		return false
	}
	p, err := h.st.PostByID(r.Context(), id)
	if err != nil || p.Status != model.StatusApproved || p.Highlighted || !lacksAltText(p) {
		return false // Decide answers these
	}
	if !wantsJSON(r) {
		u := v.backURL()
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		http.Redirect(w, r, u+sep+"alt="+idString(id)+"#"+postDOMID(p), http.StatusSeeOther)
		return true
	}
	v.Hands.AltFor = id
	h.answer(w, r, http.StatusUnprocessableEntity, decisionJSON{Error: "alt_text_needed"}, p, v,
		"Its photos have no alt text: add it before highlighting, or highlight without alt text.")
	return true
}

// conflictText says who decided a post first (conflictText in view.go).
func (h *Handler) conflictText(p model.Post) string { return conflictText(p, h.opts.Location) }

//go:embed static/queue.js
var queueJS []byte

var serveQueueJS = staticAsset("queue.js", "text/javascript; charset=utf-8", queueJS)

func images(p model.Post) []model.Media {
	var out []model.Media
	for _, m := range p.Media {
		if m.Kind == model.MediaImage {
			out = append(out, m)
		}
	}
	return out
}

func altInputID(m model.Media) string { return "alt-input-" + idString(m.ID) }
