package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// NetworkActor is the audit log's actor for what a network did to a post
// (its author deleted it upstream).
const NetworkActor = "network"

// RemoveUpstream records that a post was deleted on its network: it leaves
// the queue and the screens, as a decision by NetworkActor with reason in
// the audit log. It reports whether the post was removed now; false when it
// was removed already. Streams' delete events and the periodic re-check of
// approved posts call it.
func (h *Handler) RemoveUpstream(ctx context.Context, postID int64, reason string) (bool, error) {
	p, err := h.st.Decide(ctx, model.Decision{PostID: postID, Action: model.ActionRemove, Actor: NetworkActor, Reason: reason})
	var se *store.StateError
	if errors.As(err, &se) && se.Post.Status == model.StatusRemoved {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("moderation: remove post %d deleted upstream: %w", postID, err)
	}
	h.log.InfoContext(ctx, "post deleted upstream: removed", slog.Int64("post_id", p.ID), slog.String("source", p.SourceName))
	h.notifier.PostChanged(p)
	return true, nil
}

// RemoveUpstreamByRemoteID is RemoveUpstream for a post named by the ID its
// source's network gave it (a stream's delete event). A deletion of a post
// never collected is no error: streams report every deletion they see.
func (h *Handler) RemoveUpstreamByRemoteID(ctx context.Context, source, remoteID, reason string) (bool, error) {
	p, err := h.st.PostByRemoteID(ctx, source, remoteID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("moderation: post %s of %q deleted upstream: %w", remoteID, source, err)
	}
	return h.RemoveUpstream(ctx, p.ID, reason)
}

// UpdateUpstream stores an author's edit of a post (text, content warning,
// media; its status stays) and shows the edit on the screens if the post is
// approved. It reports whether a stored post changed; an edit of a post
// never collected is ignored.
func (h *Handler) UpdateUpstream(ctx context.Context, edited model.Post) (bool, error) {
	p, changed, err := h.st.UpdatePostContent(ctx, edited)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("moderation: edit upstream of %s: %w", edited.URI, err)
	}
	if !changed {
		return false, nil
	}
	h.log.InfoContext(ctx, "post edited upstream", slog.Int64("post_id", p.ID), slog.String("source", p.SourceName),
		slog.String("status", string(p.Status)))
	if p.Status == model.StatusApproved {
		// The new text was never moderated: the post leaves the screens and
		// goes back to the queue, where the rules judge it again.
		p, err = h.st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionEdited, Actor: "network",
			Reason: "edited upstream after approval"})
		if err != nil {
			return false, fmt.Errorf("moderation: send edited post %d back to the queue: %w", edited.ID, err)
		}
		h.notifier.PostChanged(p)
		h.applyRules(ctx, []model.Post{p})
	}
	return true, nil
}
