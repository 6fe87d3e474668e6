package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// WallPostFilter selects the approved posts one wall shows.
type WallPostFilter struct {
	Filter     model.WallFilter
	PhotosOnly bool  // only posts with a photo in the media cache
	Before     int64 // a post ID: only posts after it in newest-first order
	Limit      int   // 0: 50; at most 500
}

// WallPosts returns the approved posts a wall shows, newest published first.
func (s *Store) WallPosts(ctx context.Context, f WallPostFilter) ([]model.Post, error) {
	where, args := wallWhere(f)
	if f.Before > 0 {
		where = append(where, "(p.published_at, p.id) < (SELECT published_at, id FROM posts WHERE id = ?)")
		args = append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q := postSelect + " WHERE " + strings.Join(where, " AND ") + " ORDER BY p.published_at DESC, p.id DESC LIMIT ?"
	return s.queryPosts(ctx, q, append(args, min(limit, 500))...)
}

// WallPinnedPosts returns the pinned approved posts a wall shows, newest
// published first (see PinnedPosts).
func (s *Store) WallPinnedPosts(ctx context.Context, f WallPostFilter) ([]model.Post, error) {
	where, args := wallWhere(f)
	where = append(where, "p.pinned = 1")
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q := postSelect + " WHERE " + strings.Join(where, " AND ") + " ORDER BY p.published_at DESC, p.id DESC LIMIT ?"
	return s.queryPosts(ctx, q, append(args, min(limit, 500))...)
}

// wallWhere is the SQL form of model.WallFilter.Matches, for approved posts.
func wallWhere(f WallPostFilter) ([]string, []any) {
	where := []string{"p.status = ?"}
	args := []any{model.StatusApproved}
	in := func(expr string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, expr+" IN (?"+strings.Repeat(",?", len(vals)-1)+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in(`lower(CASE WHEN instr(p.language, '-') > 0 THEN substr(p.language, 1, instr(p.language, '-') - 1) ELSE p.language END)`, f.Filter.Languages)
	networks := make([]string, len(f.Filter.Networks))
	for i, n := range f.Filter.Networks {
		networks[i] = string(n)
	}
	in("p.network", networks)
	in("p.category", f.Filter.Categories)
	in("p.source_name", f.Filter.Sources)
	if f.PhotosOnly {
		where = append(where, "EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.cache_key != '')")
	}
	return where, args
}

// wallFilterJSON is how a filter is kept in wall_settings.
type wallFilterJSON struct {
	Languages  []string `json:"languages,omitempty"`
	Networks   []string `json:"networks,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Sources    []string `json:"sources,omitempty"`
}

// WallSettings returns what admins changed on running walls, by slug.
func (s *Store) WallSettings(ctx context.Context) (map[string]model.WallSettings, error) {
	rows, err := s.r.QueryContext(ctx, `
SELECT slug, mode, filter, updated_by, updated_at,
	look_set, title, theme, accent, background, spotlight_seconds, language
FROM wall_settings`)
	if err != nil {
		return nil, fmt.Errorf("store: wall settings: %w", err)
	}
	defer rows.Close()
	out := map[string]model.WallSettings{}
	for rows.Next() {
		var ws model.WallSettings
		var filter string
		var at int64
		var lookSet bool
		var l model.WallLook
		if err := rows.Scan(&ws.Slug, &ws.Mode, &filter, &ws.UpdatedBy, &at,
			&lookSet, &l.Title, &l.Theme, &l.Accent, &l.Background, &l.SpotlightSeconds, &l.Language); err != nil {
			return nil, fmt.Errorf("store: scan wall settings: %w", err)
		}
		var f wallFilterJSON
		if err := json.Unmarshal([]byte(filter), &f); err != nil {
			return nil, fmt.Errorf("store: wall settings of %q: %w", ws.Slug, err)
		}
		ws.Filter = model.WallFilter{Languages: f.Languages, Categories: f.Categories, Sources: f.Sources}
		for _, n := range f.Networks {
			ws.Filter.Networks = append(ws.Filter.Networks, model.Network(n))
		}
		ws.UpdatedAt = fromMS(at)
		if lookSet {
			ws.Look = &l
		}
		out[ws.Slug] = ws
	}
	return out, rows.Err()
}

// SaveWallSettings stores an admin's change of a wall, replacing any earlier one.
func (s *Store) SaveWallSettings(ctx context.Context, ws model.WallSettings) error {
	f := wallFilterJSON{Languages: ws.Filter.Languages, Categories: ws.Filter.Categories, Sources: ws.Filter.Sources}
	for _, n := range ws.Filter.Networks {
		f.Networks = append(f.Networks, string(n))
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("store: save wall settings: %w", err)
	}
	var l model.WallLook
	if ws.Look != nil {
		l = *ws.Look
	}
	_, err = s.w.ExecContext(ctx, `
INSERT INTO wall_settings (slug, mode, filter, updated_by, updated_at,
	look_set, title, theme, accent, background, spotlight_seconds, language)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(slug) DO UPDATE SET mode = excluded.mode, filter = excluded.filter,
	updated_by = excluded.updated_by, updated_at = excluded.updated_at,
	look_set = excluded.look_set, title = excluded.title, theme = excluded.theme,
	accent = excluded.accent, background = excluded.background,
	spotlight_seconds = excluded.spotlight_seconds, language = excluded.language`,
		ws.Slug, ws.Mode, string(b), ws.UpdatedBy, ms(time.Now()),
		ws.Look != nil, l.Title, l.Theme, l.Accent, l.Background, l.SpotlightSeconds, l.Language)
	if err != nil {
		return fmt.Errorf("store: save wall settings: %w", err)
	}
	return nil
}

// ResetWallSettings drops an admin's change of a wall: the config file's
// settings apply again.
func (s *Store) ResetWallSettings(ctx context.Context, slug string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM wall_settings WHERE slug = ?`, slug)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: reset wall settings: %w", err)
	}
	return nil
}
