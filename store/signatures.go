package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// SignatureCount returns the petition's current signature count, or
// ErrNotFound when none was ever scraped or set.
func (s *Store) SignatureCount(ctx context.Context) (model.SignatureCount, error) {
	var c model.SignatureCount
	var at int64
	err := s.r.QueryRowContext(ctx, `SELECT value, source, set_by, at FROM signature_counts ORDER BY id DESC LIMIT 1`).
		Scan(&c.Value, &c.Source, &c.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SignatureCount{}, ErrNotFound
	}
	if err != nil {
		return model.SignatureCount{}, fmt.Errorf("signature count: %w", err)
	}
	c.At = fromMS(at)
	return c, nil
}

// SetSignatureCount makes c the current signature count (At defaults to
// now) and reports whether the value or its source changed. An admin's
// value is always recorded, for the audit trail; a scrape that finds the
// current scraped value again only updates its time.
func (s *Store) SetSignatureCount(ctx context.Context, c model.SignatureCount) (changed bool, err error) {
	if c.Value < 0 {
		return false, fmt.Errorf("signature count %d: must not be negative", c.Value)
	}
	if c.Source != model.SignaturesScraped && c.Source != model.SignaturesAdmin {
		return false, fmt.Errorf("signature count: unknown source %q", c.Source)
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id, value int64
		var source string
		err := tx.QueryRowContext(ctx, `SELECT id, value, source FROM signature_counts ORDER BY id DESC LIMIT 1`).Scan(&id, &value, &source)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			changed = true
		case err != nil:
			return err
		default:
			changed = value != c.Value || model.SignatureSource(source) != c.Source
		}
		if !changed && c.Source == model.SignaturesScraped {
			_, err := tx.ExecContext(ctx, `UPDATE signature_counts SET at = ? WHERE id = ?`, ms(c.At), id)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO signature_counts (value, source, set_by, at) VALUES (?, ?, ?, ?)`,
			c.Value, string(c.Source), c.By, ms(c.At))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set signature count: %w", err)
	}
	return changed, nil
}

// SignatureCountHistory returns the latest values the count took, newest
// first; limit <= 0 means 20.
func (s *Store) SignatureCountHistory(ctx context.Context, limit int) ([]model.SignatureCount, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.r.QueryContext(ctx, `SELECT value, source, set_by, at FROM signature_counts ORDER BY id DESC LIMIT ?`, min(limit, 500))
	if err != nil {
		return nil, fmt.Errorf("signature count history: %w", err)
	}
	defer rows.Close()
	var out []model.SignatureCount
	for rows.Next() {
		var c model.SignatureCount
		var at int64
		if err := rows.Scan(&c.Value, &c.Source, &c.By, &at); err != nil {
			return nil, fmt.Errorf("signature count history: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
