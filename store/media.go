package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// MediaFetch is a media row as the media cache sees it: what to fetch and how
// fetching it has gone so far.
type MediaFetch struct {
	model.Media
	PostID    int64
	Attempts  int
	LastError string
	RetryAt   time.Time // not before; zero: due now
	Failed    bool      // given up: the post's photo will not arrive
}

// MediaFile is one content-addressed entry of the media cache on disk.
type MediaFile struct {
	Key       string
	Bytes     int64
	CreatedAt time.Time
}

// MediaToFetch returns up to limit media rows the cache should fetch at now:
// without a cache key, not given up, due, with something to fetch (a photo's
// URL, or a video's or sound's preview image), and belonging to a post that
// may still be shown (pending or approved). Media of approved posts come first,
// because screens are waiting for them.
func (s *Store) MediaToFetch(ctx context.Context, now time.Time, limit int) ([]MediaFetch, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, mediaFetchSelect+`
WHERE m.cache_key = '' AND m.fetch_failed = 0 AND m.fetch_after <= ?
	AND p.status IN ('pending', 'approved')
	AND ((m.kind = 'image' AND m.url != '') OR m.preview_url != '')
ORDER BY p.status = 'approved' DESC, m.fetch_after, m.id
LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: media to fetch: %w", err)
	}
	defer rows.Close()
	var out []MediaFetch
	for rows.Next() {
		f, err := scanMediaFetch(rows)
		if err != nil {
			return nil, fmt.Errorf("store: media to fetch: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: media to fetch: %w", err)
	}
	return out, nil
}

// MediaFetchState returns one media row's fetch state, or ErrNotFound.
func (s *Store) MediaFetchState(ctx context.Context, mediaID int64) (MediaFetch, error) {
	rows, err := s.r.QueryContext(ctx, mediaFetchSelect+` WHERE m.id = ?`, mediaID)
	if err != nil {
		return MediaFetch{}, fmt.Errorf("store: media %d: %w", mediaID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return MediaFetch{}, fmt.Errorf("store: media %d: %w", mediaID, err)
		}
		return MediaFetch{}, fmt.Errorf("store: media %d: %w", mediaID, ErrNotFound)
	}
	f, err := scanMediaFetch(rows)
	if err != nil {
		return MediaFetch{}, fmt.Errorf("store: media %d: %w", mediaID, err)
	}
	return f, nil
}

const mediaFetchSelect = `
SELECT m.id, m.post_id, m.kind, m.url, m.preview_url, m.alt_text, m.width, m.height, m.cache_key,
	m.fetch_attempts, m.fetch_error, m.fetch_after, m.fetch_failed
FROM media m JOIN posts p ON p.id = m.post_id`

func scanMediaFetch(rows *sql.Rows) (MediaFetch, error) {
	var f MediaFetch
	var after int64
	var failed int
	err := rows.Scan(&f.ID, &f.PostID, &f.Kind, &f.URL, &f.PreviewURL, &f.AltText, &f.Width, &f.Height,
		&f.CacheKey, &f.Attempts, &f.LastError, &after, &failed)
	f.RetryAt, f.Failed = fromMS(after), failed == 1
	return f, err
}

// SetMediaCacheKey records that a media row's file is in the cache under key,
// and forgets earlier failures.
func (s *Store) SetMediaCacheKey(ctx context.Context, mediaID int64, key string) error {
	if key == "" {
		return errors.New("store: empty media cache key")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media SET cache_key = ?, fetch_error = '', fetch_failed = 0, fetch_after = 0
WHERE id = ?`, key, mediaID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set cache key of media %d: %w", mediaID, err)
	}
	return nil
}

// RecordMediaFailure counts a failed fetch of a media row. A zero retryAt
// gives up on it (MediaToFetch no longer returns it); otherwise it is due
// again at retryAt.
func (s *Store) RecordMediaFailure(ctx context.Context, mediaID int64, errMsg string, retryAt time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media SET fetch_attempts = fetch_attempts + 1, fetch_error = ?,
	fetch_after = ?, fetch_failed = ? WHERE id = ?`, errMsg, ms(retryAt), boolInt(retryAt.IsZero()), mediaID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record failure of media %d: %w", mediaID, err)
	}
	return nil
}

// SaveMediaFile records a file the cache wrote, with its size on disk. Saving
// a key already known refreshes its time, so a file used again is not the
// next to be evicted.
func (s *Store) SaveMediaFile(ctx context.Context, f MediaFile) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO media_files (cache_key, bytes, created_at) VALUES (?, ?, ?)
ON CONFLICT(cache_key) DO UPDATE SET created_at = excluded.created_at`, f.Key, f.Bytes, ms(f.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save media file %s: %w", f.Key, err)
	}
	return nil
}

// MediaDiskUsage returns the bytes all cached files take.
func (s *Store) MediaDiskUsage(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(bytes), 0) FROM media_files`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: media disk usage: %w", err)
	}
	return n, nil
}

// EvictableMediaFiles returns cached files no pending or approved post uses,
// created before createdBefore, oldest first: files no media row points at
// any more, then files only rejected or removed posts use. Files of posts
// that may be on a screen are never offered.
func (s *Store) EvictableMediaFiles(ctx context.Context, createdBefore time.Time, limit int) ([]MediaFile, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `
SELECT f.cache_key, f.bytes, f.created_at FROM media_files f
WHERE f.created_at < ? AND NOT EXISTS (
	SELECT 1 FROM media m JOIN posts p ON p.id = m.post_id
	WHERE m.cache_key = f.cache_key AND p.status IN ('pending', 'approved'))
ORDER BY EXISTS (SELECT 1 FROM media m WHERE m.cache_key = f.cache_key), f.created_at, f.cache_key
LIMIT ?`, ms(createdBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("store: evictable media files: %w", err)
	}
	defer rows.Close()
	var out []MediaFile
	for rows.Next() {
		var f MediaFile
		var created int64
		if err := rows.Scan(&f.Key, &f.Bytes, &created); err != nil {
			return nil, fmt.Errorf("store: evictable media files: %w", err)
		}
		f.CreatedAt = fromMS(created)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: evictable media files: %w", err)
	}
	return out, nil
}

// RemoveMediaFile forgets a cached file and clears the cache key of the media
// rows that used it, unless a pending or approved post has started using it
// since EvictableMediaFiles offered it; removed says which. The caller
// deletes the file itself, only when removed.
func (s *Store) RemoveMediaFile(ctx context.Context, key string) (removed bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var inUse bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM media m JOIN posts p ON p.id = m.post_id
	WHERE m.cache_key = ? AND p.status IN ('pending', 'approved'))`, key).Scan(&inUse); err != nil {
			return err
		}
		if inUse {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE media SET cache_key = '' WHERE cache_key = ?`, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_files WHERE cache_key = ?`, key); err != nil {
			return err
		}
		removed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: remove media file %s: %w", key, err)
	}
	return removed, nil
}
