package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// PostByRemoteID returns the post the named source collected under the
// network's own ID for it (a stream's delete event names only that ID), or
// ErrNotFound.
func (s *Store) PostByRemoteID(ctx context.Context, source, remoteID string) (model.Post, error) {
	if remoteID == "" {
		return model.Post{}, fmt.Errorf("store: post of %q with an empty remote id: %w", source, ErrNotFound)
	}
	posts, err := s.queryPosts(ctx, postSelect+` WHERE p.source_name = ? AND p.remote_id = ? ORDER BY p.id LIMIT 1`, source, remoteID)
	if err != nil {
		return model.Post{}, err
	}
	if len(posts) == 0 {
		return model.Post{}, fmt.Errorf("store: post %s of %q: %w", remoteID, source, ErrNotFound)
	}
	return posts[0], nil
}

// UpdatePostContent replaces what an author can edit upstream (HTML, text,
// content warning, sensitive flag, language, tags, media) of the stored post
// with p's network and URI. Status, decisions and flags stay. It returns the
// post as stored afterwards and whether anything changed; ErrNotFound when
// the post is unknown. Media whose URL is kept keep their cached copy.
func (s *Store) UpdatePostContent(ctx context.Context, p model.Post) (model.Post, bool, error) {
	var out model.Post
	changed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := postByKey(ctx, tx, p.Network, p.URI)
		if err != nil {
			return err
		}
		sameMedia := slices.EqualFunc(old.Media, p.Media, func(a, b model.Media) bool {
			return a.Kind == b.Kind && a.URL == b.URL && a.PreviewURL == b.PreviewURL && a.AltText == b.AltText
		})
		if old.HTML == p.HTML && old.Text == p.Text && old.ContentWarning == p.ContentWarning &&
			old.Sensitive == p.Sensitive && old.Language == p.Language && slices.Equal(old.Tags, p.Tags) && sameMedia {
			out = old
			return nil
		}
		changed = true
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET html = ?, text = ?, content_warning = ?, sensitive = ?, language = ?, tags = ? WHERE id = ?`,
			p.HTML, p.Text, p.ContentWarning, boolInt(p.Sensitive), p.Language, strings.Join(p.Tags, " "), old.ID); err != nil {
			return err
		}
		if !sameMedia {
			if err := replaceMedia(ctx, tx, old, p.Media); err != nil {
				return err
			}
		}
		out, err = postByID(ctx, tx, old.ID)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return model.Post{}, false, err
		}
		return model.Post{}, false, fmt.Errorf("store: update post %s: %w", p.URI, err)
	}
	return out, changed, nil
}

// replaceMedia swaps a post's media rows for media, carrying the cache key
// (and so the cached photo) over to rows whose URL stays.
func replaceMedia(ctx context.Context, tx *sql.Tx, old model.Post, media []model.Media) error {
	cached := map[string]string{}
	for _, m := range old.Media {
		if m.CacheKey != "" {
			cached[m.URL] = m.CacheKey
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE post_id = ?`, old.ID); err != nil {
		return err
	}
	for i, m := range media {
		key := m.CacheKey
		if key == "" {
			key = cached[m.URL]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO media (post_id, position, kind, url, preview_url, alt_text, width, height, cache_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, old.ID, i, m.Kind, m.URL, m.PreviewURL, m.AltText, m.Width, m.Height, key); err != nil {
			return err
		}
	}
	return nil
}

func postByKey(ctx context.Context, q queryer, network model.Network, uri string) (model.Post, error) {
	posts, err := queryPosts(ctx, q, postSelect+` WHERE p.network = ? AND p.uri = ?`, network, uri)
	if err != nil {
		return model.Post{}, err
	}
	if len(posts) == 0 {
		return model.Post{}, fmt.Errorf("store: post %s: %w", uri, ErrNotFound)
	}
	return posts[0], nil
}

// PostsToRecheck returns up to limit approved posts of the given sources
// that were not checked upstream since checkedBefore, the longest unchecked
// first, for the re-check that takes posts deleted upstream off the wall.
func (s *Store) PostsToRecheck(ctx context.Context, sources []string, checkedBefore time.Time, limit int) ([]model.Post, error) {
	if len(sources) == 0 {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	args := []any{ms(checkedBefore)}
	for _, src := range sources {
		args = append(args, src)
	}
	args = append(args, limit)
	posts, err := s.queryPosts(ctx, postSelect+`
WHERE p.status = 'approved' AND p.last_checked_at < ? AND p.source_name IN (?`+strings.Repeat(",?", len(sources)-1)+`)
ORDER BY p.last_checked_at, p.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: posts to re-check: %w", err)
	}
	return posts, nil
}

// MarkPostChecked records that the post was checked upstream at at.
func (s *Store) MarkPostChecked(ctx context.Context, id int64, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE posts SET last_checked_at = ? WHERE id = ?`, ms(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark post %d checked: %w", id, err)
	}
	return nil
}
