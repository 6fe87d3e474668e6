package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// RecordCollection remembers the outcome of a source's latest collection:
// when and how long, new posts, the error in full and in plain words, and
// the wait before the next call. It replaces what the previous run left.
func (s *Store) RecordCollection(ctx context.Context, name string, r model.SourceRun) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (name, kind, last_run_at, last_duration_ms, last_new, last_error, problem, wait_until, wait_reason, failures)
VALUES (?, '', ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(name) DO UPDATE SET last_run_at = excluded.last_run_at, last_duration_ms = excluded.last_duration_ms,
	last_new = excluded.last_new, last_error = excluded.last_error, problem = excluded.problem,
	wait_until = excluded.wait_until, wait_reason = excluded.wait_reason, failures = excluded.failures`,
			name, ms(r.At), r.Duration.Milliseconds(), r.New, r.Error, r.Problem, ms(r.WaitUntil), r.WaitReason, r.Failures)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record collection of source %q: %w", name, err)
	}
	return nil
}

const sourceStatusSelect = `SELECT name, kind, cursor, last_run_at, last_duration_ms, last_new, last_error, problem,
	wait_until, wait_reason, failures, (SELECT COUNT(*) FROM posts WHERE source_name = sources.name)
FROM sources`

// SourceStatus returns what the store remembers about the named source, or
// ErrNotFound.
func (s *Store) SourceStatus(ctx context.Context, name string) (model.SourceStatus, error) {
	rows, err := s.r.QueryContext(ctx, sourceStatusSelect+` WHERE name = ?`, name)
	if err != nil {
		return model.SourceStatus{}, fmt.Errorf("store: source %q: %w", name, err)
	}
	list, err := scanSourceStatuses(rows)
	if err != nil {
		return model.SourceStatus{}, fmt.Errorf("store: source %q: %w", name, err)
	}
	if len(list) == 0 {
		return model.SourceStatus{Name: name}, fmt.Errorf("store: source %q: %w", name, ErrNotFound)
	}
	return list[0], nil
}

// SourceStatuses returns every source the store knows, by name, including
// sources no longer configured (their posts still name them).
func (s *Store) SourceStatuses(ctx context.Context) ([]model.SourceStatus, error) {
	rows, err := s.r.QueryContext(ctx, sourceStatusSelect+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	list, err := scanSourceStatuses(rows)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	return list, nil
}

func scanSourceStatuses(rows *sql.Rows) ([]model.SourceStatus, error) {
	defer rows.Close()
	var out []model.SourceStatus
	for rows.Next() {
		var st model.SourceStatus
		var lastRun, durMS, waitUntil int64
		if err := rows.Scan(&st.Name, &st.Kind, &st.Cursor, &lastRun, &durMS, &st.LastNew, &st.LastError, &st.Problem,
			&waitUntil, &st.WaitReason, &st.Failures, &st.TotalPosts); err != nil {
			return nil, err
		}
		st.LastRunAt, st.WaitUntil = fromMS(lastRun), fromMS(waitUntil)
		st.LastDuration = time.Duration(durMS) * time.Millisecond
		out = append(out, st)
	}
	return out, rows.Err()
}
