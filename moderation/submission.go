package moderation

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// SubmissionView is the details page of a direct submission: who sent it,
// how to reach them, and what they agreed to. The email is personal data
// and appears only here, one submission at a time, never in the queue.
type SubmissionView struct {
	CampaignName string
	Moderator    string
	Post         model.Post
	Submission   model.Submission
	BackURL      string
	Location     *time.Location
}

func (h *Handler) submissionRoutes(mux *http.ServeMux) {
	mux.Handle("GET /moderate/submissions/{id}", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.submissionPage))))
}

func (h *Handler) submissionPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "That is not a post ID.", http.StatusBadRequest)
		return
	}
	p, err := h.st.PostByID(ctx, id)
	var sub model.Submission
	if err == nil {
		sub, err = h.st.SubmissionByPostID(ctx, id)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "There is no such submission.", http.StatusNotFound)
		return
	case err != nil:
		h.serverError(w, r, "submission details", err)
		return
	}
	// Who looked at whose contact details is worth a line in the log.
	h.log.InfoContext(ctx, "submission details viewed", slog.Int64("post_id", id), slog.String("moderator", m.Name))
	h.render(w, r, http.StatusOK, SubmissionPage(SubmissionView{
		CampaignName: h.opts.CampaignName,
		Moderator:    m.Name,
		Post:         p,
		Submission:   sub,
		BackURL:      queueURL(p.Status, 0),
		Location:     h.opts.Location,
	}))
}

func (v SubmissionView) loc() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}
