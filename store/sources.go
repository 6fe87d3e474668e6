package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// SyncSources makes sure every configured source has a row, keeping the cursor
// and run state of those already known. Rows of sources no longer configured
// stay, so their posts keep a named source.
func (s *Store) SyncSources(ctx context.Context, sources []model.Source) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, src := range sources {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sources (name, kind) VALUES (?, ?)
ON CONFLICT(name) DO UPDATE SET kind = excluded.kind`, src.Name, src.Kind); err != nil {
				return fmt.Errorf("store: sync source %q: %w", src.Name, err)
			}
		}
		return nil
	})
}

// SourceState returns what the store remembers about the named source
// (cursor, last run, last error, post count), or ErrNotFound.
func (s *Store) SourceState(ctx context.Context, name string) (model.Source, error) {
	src := model.Source{Name: name}
	var lastRun int64
	err := s.r.QueryRowContext(ctx, `SELECT kind, cursor, last_run_at, last_error, last_new,
	(SELECT COUNT(*) FROM posts WHERE source_name = sources.name) FROM sources WHERE name = ?`, name).
		Scan(&src.Kind, &src.Cursor, &lastRun, &src.LastError, &src.LastNew, &src.TotalPosts)
	if errors.Is(err, sql.ErrNoRows) {
		return src, fmt.Errorf("store: source %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return src, fmt.Errorf("store: source %q: %w", name, err)
	}
	src.LastRunAt = fromMS(lastRun)
	return src, nil
}

// Cursor returns the named source's stored cursor; empty when it has none yet.
func (s *Store) Cursor(ctx context.Context, name string) (string, error) {
	src, err := s.SourceState(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return src.Cursor, err
}

// RecordSourceRun remembers the outcome of a source's latest run. An empty
// errMsg clears the last error.
func (s *Store) RecordSourceRun(ctx context.Context, name string, at time.Time, newPosts int, errMsg string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (name, kind, last_run_at, last_new, last_error) VALUES (?, '', ?, ?, ?)
ON CONFLICT(name) DO UPDATE SET last_run_at = excluded.last_run_at, last_new = excluded.last_new, last_error = excluded.last_error`,
			name, ms(at), newPosts, errMsg)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record run of source %q: %w", name, err)
	}
	return nil
}
