package store

import (
	"context"

	"github.com/cohesionalliance/campaignwall/model"
)

// PinnedPosts returns the approved posts moderators pinned, newest published
// first. The wall lists them before everything else, however old they are, so
// they cannot be found by paging through Posts. limit <= 0 means 50.
func (s *Store) PinnedPosts(ctx context.Context, limit int) ([]model.Post, error) {
	if limit <= 0 {
		limit = 50
	}
	return s.queryPosts(ctx, postSelect+` WHERE p.status = ? AND p.pinned = 1
ORDER BY p.published_at DESC, p.id DESC LIMIT ?`, model.StatusApproved, min(limit, 500))
}
