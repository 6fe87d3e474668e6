package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// StartRun records that a job started and returns the run's ID.
func (s *Store) StartRun(ctx context.Context, job string, at time.Time) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO runs (job, started) VALUES (?, ?) RETURNING id`, job, ms(at)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: start run of %q: %w", job, err)
	}
	return id, nil
}

// FinishRun records how a run ended.
func (s *Store) FinishRun(ctx context.Context, id int64, at time.Time, items int, errMsg string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET finished = ?, items = ?, error = ? WHERE id = ?`, ms(at), items, errMsg, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", id, err)
	}
	return nil
}

// Runs returns a job's most recent runs, newest first.
func (s *Store) Runs(ctx context.Context, job string, limit int) ([]model.Run, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, job, started, finished, items, error FROM runs WHERE job = ? ORDER BY id DESC LIMIT ?`, job, limit)
	if err != nil {
		return nil, fmt.Errorf("store: runs of %q: %w", job, err)
	}
	defer rows.Close()
	var out []model.Run
	for rows.Next() {
		var r model.Run
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.Job, &started, &finished, &r.Items, &r.Error); err != nil {
			return nil, fmt.Errorf("store: scan run: %w", err)
		}
		r.Started, r.Finished = fromMS(started), fromMS(finished)
		out = append(out, r)
	}
	return out, rows.Err()
}
