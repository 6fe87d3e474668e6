package moderation

import (
	"net/http"

	"github.com/cohesionalliance/campaignwall/model"
)

// highlightRoutes registers highlighting an approved post and taking the
// highlight back. A highlighted post is spotlit on screens and is what the
// bot reposts: both hear of it through the Notifier, like any decision.
func (h *Handler) highlightRoutes(mux *http.ServeMux, form func(http.Handler) http.Handler) {
	// Uncovering shows a post with a content warning whole on screens;
	// covering takes that back. Both are decisions in the audit log.
	for _, a := range []model.Action{model.ActionHighlight, model.ActionUnhighlight, model.ActionUncover, model.ActionCover} {
		mux.Handle("POST /moderate/posts/{id}/"+string(a), form(h.auth.Require(h.decide(a))))
	}
}
