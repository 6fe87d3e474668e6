package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// SaveResult says what SavePosts did with a batch.
type SaveResult struct {
	New   []model.Post // the posts that were not known before, with their IDs
	Known int          // posts already stored (same network and URI), left unchanged
}

// SavePosts stores a collector's batch and the source's next cursor in one
// transaction, so a crash never skips posts (cursor saved, posts not) nor doubles
// them (posts saved, cursor not). A post already known by its network and URI is
// left as it is. An empty cursor leaves the stored cursor unchanged.
func (s *Store) SavePosts(ctx context.Context, source string, posts []model.Post, cursor string) (SaveResult, error) {
	var res SaveResult
	now := time.Now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = SaveResult{}
		if source != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sources (name, kind) VALUES (?, '') ON CONFLICT(name) DO NOTHING`, source); err != nil {
				return err
			}
		}
		known, err := knownURIs(ctx, tx, posts)
		if err != nil {
			return err
		}
		authors := newAuthorCache(tx)
		defer authors.close()
		postStmt, err := tx.PrepareContext(ctx, `
INSERT INTO posts (network, uri, url, remote_id, cid, source_name, category, author_id, html, text,
	language, content_warning, sensitive, tags, published_at, collected_at, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(network, uri) DO NOTHING`)
		if err != nil {
			return err
		}
		defer postStmt.Close()
		var mediaStmt *sql.Stmt

		for _, p := range posts {
			if p.Network == "" || p.URI == "" {
				return fmt.Errorf("post without network or URI (remote id %q)", p.RemoteID)
			}
			key := postKey{p.Network, p.URI}
			if known[key] {
				res.Known++
				continue
			}
			known[key] = true // the same post twice in one batch is stored once
			a := p.Author
			a.Network = p.Network
			if a.Handle == "" {
				a.Handle = "unknown"
			}
			if a.ID, err = authors.id(ctx, a); err != nil {
				return fmt.Errorf("author %s: %w", a.Handle, err)
			}
			if p.CollectedAt.IsZero() {
				p.CollectedAt = now
			}
			if p.PublishedAt.IsZero() {
				p.PublishedAt = p.CollectedAt
			}
			if p.Status == "" {
				p.Status = model.StatusPending
			}
			if p.SourceName == "" {
				p.SourceName = source
			}
			r, err := postStmt.ExecContext(ctx, p.Network, p.URI, p.URL, p.RemoteID, p.CID, p.SourceName,
				p.Category, a.ID, p.HTML, p.Text, p.Language, p.ContentWarning, boolInt(p.Sensitive),
				strings.Join(p.Tags, " "), ms(p.PublishedAt), ms(p.CollectedAt), p.Status)
			if err != nil {
				return fmt.Errorf("post %s: %w", p.URI, err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				res.Known++
				continue
			}
			if p.ID, err = r.LastInsertId(); err != nil {
				return err
			}
			p.Author = a
			if len(p.Media) > 0 && mediaStmt == nil {
				if mediaStmt, err = tx.PrepareContext(ctx, `
INSERT INTO media (post_id, position, kind, url, preview_url, alt_text, width, height, cache_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
					return err
				}
				defer mediaStmt.Close()
			}
			media := make([]model.Media, len(p.Media))
			for i, m := range p.Media {
				r, err := mediaStmt.ExecContext(ctx, p.ID, i, m.Kind, m.URL, m.PreviewURL, m.AltText, m.Width, m.Height, m.CacheKey)
				if err != nil {
					return fmt.Errorf("media of post %s: %w", p.URI, err)
				}
				if m.ID, err = r.LastInsertId(); err != nil {
					return err
				}
				media[i] = m
			}
			p.Media = media
			res.New = append(res.New, p)
		}
		if source != "" && cursor != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sources SET cursor = ? WHERE name = ?`, cursor, source); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return SaveResult{}, fmt.Errorf("store: save posts of %q: %w", source, err)
	}
	return res, nil
}

type postKey struct {
	network model.Network
	uri     string
}

// knownURIs returns which of the batch's posts are already stored, in one
// query per network, so known posts cost no insert attempt.
func knownURIs(ctx context.Context, tx *sql.Tx, posts []model.Post) (map[postKey]bool, error) {
	known := make(map[postKey]bool, len(posts))
	byNetwork := map[model.Network][]any{}
	for _, p := range posts {
		byNetwork[p.Network] = append(byNetwork[p.Network], p.URI)
	}
	for network, uris := range byNetwork {
		for len(uris) > 0 {
			chunk := uris[:min(len(uris), 500)]
			uris = uris[len(chunk):]
			rows, err := tx.QueryContext(ctx, `SELECT uri FROM posts WHERE network = ? AND uri IN (?`+
				strings.Repeat(",?", len(chunk)-1)+`)`, append([]any{network}, chunk...)...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var uri string
				if err := rows.Scan(&uri); err != nil {
					rows.Close()
					return nil, err
				}
				known[postKey{network, uri}] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return known, nil
}

// authorCache resolves authors to IDs within one transaction, writing only
// when an author is new or their profile changed.
type authorCache struct {
	tx     *sql.Tx
	ids    map[authorKey]model.Author
	lookup *sql.Stmt
}

type authorKey struct {
	network model.Network
	handle  string
}

func newAuthorCache(tx *sql.Tx) *authorCache {
	return &authorCache{tx: tx, ids: map[authorKey]model.Author{}}
}

func (c *authorCache) close() {
	if c.lookup != nil {
		c.lookup.Close()
	}
}

func (c *authorCache) id(ctx context.Context, a model.Author) (int64, error) {
	key := authorKey{a.Network, a.Handle}
	if old, ok := c.ids[key]; ok && sameProfile(old, a) {
		return old.ID, nil
	}
	if c.lookup == nil {
		var err error
		if c.lookup, err = c.tx.PrepareContext(ctx, `SELECT id, display_name, url, avatar_url, bio FROM authors WHERE network = ? AND handle = ?`); err != nil {
			return 0, err
		}
	}
	var old model.Author
	err := c.lookup.QueryRowContext(ctx, a.Network, a.Handle).Scan(&old.ID, &old.DisplayName, &old.URL, &old.AvatarURL, &old.Bio)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r, err := c.tx.ExecContext(ctx, `INSERT INTO authors (network, handle, display_name, url, avatar_url, bio) VALUES (?, ?, ?, ?, ?, ?)`,
			a.Network, a.Handle, a.DisplayName, a.URL, a.AvatarURL, a.Bio)
		if err != nil {
			return 0, err
		}
		if a.ID, err = r.LastInsertId(); err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	default:
		a.ID = old.ID
		if !sameProfile(old, a) {
			if _, err := c.tx.ExecContext(ctx, `UPDATE authors SET display_name = ?, url = ?, avatar_url = ?, bio = ? WHERE id = ?`,
				a.DisplayName, a.URL, a.AvatarURL, a.Bio, a.ID); err != nil {
				return 0, err
			}
		}
	}
	c.ids[key] = a
	return a.ID, nil
}

func sameProfile(a, b model.Author) bool {
	return a.DisplayName == b.DisplayName && a.URL == b.URL && a.AvatarURL == b.AvatarURL && a.Bio == b.Bio
}

// PostFilter selects posts. The zero value selects every post, newest first.
type PostFilter struct {
	Status  model.Status // empty: any
	Network model.Network
	Source  string
	Before  int64 // a post ID: only posts after it in newest-first order
	Limit   int   // 0: 50; at most 500
	// HideLeasedFor, a moderator's ID, hides the posts another moderator
	// holds a lease on at LeaseTime (zero: now), so two moderators split
	// the queue (store/leases.go).
	HideLeasedFor int64
	LeaseTime     time.Time
}

// Posts returns the posts the filter selects, newest published first, with
// their authors and media.
func (s *Store) Posts(ctx context.Context, f PostFilter) ([]model.Post, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "p.status = ?")
		args = append(args, f.Status)
	}
	if f.Network != "" {
		where = append(where, "p.network = ?")
		args = append(args, f.Network)
	}
	if f.Source != "" {
		where = append(where, "p.source_name = ?")
		args = append(args, f.Source)
	}
	if f.Before > 0 {
		where = append(where, "(p.published_at, p.id) < (SELECT published_at, id FROM posts WHERE id = ?)")
		args = append(args, f.Before)
	}
	if f.HideLeasedFor != 0 {
		at := f.LeaseTime
		if at.IsZero() {
			at = time.Now()
		}
		where = append(where, "NOT EXISTS (SELECT 1 FROM post_leases l WHERE l.post_id = p.id AND l.moderator_id != ? AND l.expires_at > ?)")
		args = append(args, f.HideLeasedFor, ms(at))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := postSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY p.published_at DESC, p.id DESC LIMIT ?"
	args = append(args, limit)
	return s.queryPosts(ctx, q, args...)
}

// PostByID returns one post with its author and media, or ErrNotFound.
func (s *Store) PostByID(ctx context.Context, id int64) (model.Post, error) {
	return postByID(ctx, s.r, id)
}

// CountPosts counts posts by status.
func (s *Store) CountPosts(ctx context.Context) (map[model.Status]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM posts GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: count posts: %w", err)
	}
	defer rows.Close()
	counts := map[model.Status]int{}
	for rows.Next() {
		var st model.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count posts: %w", err)
		}
		counts[st] = n
	}
	return counts, rows.Err()
}

const postSelect = `
SELECT p.id, p.network, p.uri, p.url, p.remote_id, p.cid, p.source_name, p.category,
	p.html, p.text, p.language, p.content_warning, p.sensitive, p.tags, p.published_at,
	p.collected_at, p.status, p.pinned, p.highlighted, p.decided_by, p.decided_at, p.show_on_screens,
	a.id, a.network, a.handle, a.display_name, a.url, a.avatar_url, a.bio
FROM posts p JOIN authors a ON a.id = p.author_id`

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func postByID(ctx context.Context, q queryer, id int64) (model.Post, error) {
	posts, err := queryPosts(ctx, q, postSelect+" WHERE p.id = ?", id)
	if err != nil {
		return model.Post{}, err
	}
	if len(posts) == 0 {
		return model.Post{}, fmt.Errorf("store: post %d: %w", id, ErrNotFound)
	}
	return posts[0], nil
}

func (s *Store) queryPosts(ctx context.Context, q string, args ...any) ([]model.Post, error) {
	return queryPosts(ctx, s.r, q, args...)
}

func queryPosts(ctx context.Context, db queryer, q string, args ...any) ([]model.Post, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query posts: %w", err)
	}
	defer rows.Close()
	var posts []model.Post
	index := map[int64]int{}
	for rows.Next() {
		var p model.Post
		var sensitive, pinned, highlighted, uncovered int
		var tags string
		var published, collected, decided int64
		if err := rows.Scan(&p.ID, &p.Network, &p.URI, &p.URL, &p.RemoteID, &p.CID, &p.SourceName,
			&p.Category, &p.HTML, &p.Text, &p.Language, &p.ContentWarning, &sensitive, &tags,
			&published, &collected, &p.Status, &pinned, &highlighted, &p.DecidedBy, &decided, &uncovered,
			&p.Author.ID, &p.Author.Network, &p.Author.Handle, &p.Author.DisplayName, &p.Author.URL,
			&p.Author.AvatarURL, &p.Author.Bio); err != nil {
			return nil, fmt.Errorf("store: scan post: %w", err)
		}
		p.Sensitive, p.Pinned, p.Highlighted, p.ShowOnScreens = sensitive == 1, pinned == 1, highlighted == 1, uncovered == 1
		if tags != "" {
			p.Tags = strings.Fields(tags)
		}
		p.PublishedAt, p.CollectedAt, p.DecidedAt = fromMS(published), fromMS(collected), fromMS(decided)
		index[p.ID] = len(posts)
		posts = append(posts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: query posts: %w", err)
	}
	rows.Close()
	if len(posts) == 0 {
		return posts, nil
	}
	ids := make([]any, 0, len(posts))
	for _, p := range posts {
		ids = append(ids, p.ID)
	}
	mrows, err := db.QueryContext(ctx, `
SELECT post_id, id, kind, url, preview_url, alt_text, width, height, cache_key
FROM media WHERE post_id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY post_id, position`, ids...)
	if err != nil {
		return nil, fmt.Errorf("store: query media: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var postID int64
		var m model.Media
		if err := mrows.Scan(&postID, &m.ID, &m.Kind, &m.URL, &m.PreviewURL, &m.AltText, &m.Width, &m.Height, &m.CacheKey); err != nil {
			return nil, fmt.Errorf("store: scan media: %w", err)
		}
		i := index[postID]
		posts[i].Media = append(posts[i].Media, m)
	}
	if err := mrows.Err(); err != nil {
		return nil, fmt.Errorf("store: query media: %w", err)
	}
	return posts, nil
}
