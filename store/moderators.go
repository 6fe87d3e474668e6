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

// ErrDuplicate is returned when a name that must be unique is taken.
var ErrDuplicate = errors.New("already exists")

// ErrLastAdmin is returned by RemoveModerator for the only admin left:
// without one, nobody could manage moderators or rules from the pages.
var ErrLastAdmin = errors.New("the last admin cannot be removed")

// CreateModerator stores a new moderator; the password must already be hashed.
func (s *Store) CreateModerator(ctx context.Context, m model.Moderator) (model.Moderator, error) {
	if m.Role == "" {
		m.Role = model.RoleModerator
	}
	m.CreatedAt = time.Now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO moderators (name, password_hash, role, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			m.Name, m.PasswordHash, m.Role, ms(m.CreatedAt)).Scan(&m.ID)
	})
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return m, fmt.Errorf("store: moderator %q: %w", m.Name, ErrDuplicate)
		}
		return m, fmt.Errorf("store: create moderator %q: %w", m.Name, err)
	}
	return m, nil
}

// ModeratorByName returns the moderator with that name (case-insensitive), or ErrNotFound.
func (s *Store) ModeratorByName(ctx context.Context, name string) (model.Moderator, error) {
	return s.moderator(ctx, `name = ?`, name)
}

// ModeratorByID returns the moderator with that ID, or ErrNotFound.
func (s *Store) ModeratorByID(ctx context.Context, id int64) (model.Moderator, error) {
	return s.moderator(ctx, `id = ?`, id)
}

func (s *Store) moderator(ctx context.Context, where string, arg any) (model.Moderator, error) {
	var m model.Moderator
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT id, name, password_hash, role, created_at FROM moderators WHERE `+where, arg).
		Scan(&m.ID, &m.Name, &m.PasswordHash, &m.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("store: moderator %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("store: moderator %v: %w", arg, err)
	}
	m.CreatedAt = fromMS(created)
	return m, nil
}

// Moderators returns every moderator, by name.
func (s *Store) Moderators(ctx context.Context) ([]model.Moderator, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, password_hash, role, created_at FROM moderators ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: moderators: %w", err)
	}
	defer rows.Close()
	var out []model.Moderator
	for rows.Next() {
		var m model.Moderator
		var created int64
		if err := rows.Scan(&m.ID, &m.Name, &m.PasswordHash, &m.Role, &created); err != nil {
			return nil, fmt.Errorf("store: scan moderator: %w", err)
		}
		m.CreatedAt = fromMS(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// UpdateModeratorPassword replaces a moderator's password hash and ends all
// of their sessions.
func (s *Store) UpdateModeratorPassword(ctx context.Context, id int64, hash string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE moderators SET password_hash = ? WHERE id = ?`, hash, id)
		if err != nil {
			return fmt.Errorf("store: update password: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("store: moderator %d: %w", id, ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE moderator_id = ?`, id)
		return err
	})
}

// RemoveModerator deletes a moderator and their sessions. Their decisions stay
// in the audit log under their name. The last admin is not removed
// (ErrLastAdmin); the check and the removal are one transaction, so two
// admins removing each other at once leave one.
func (s *Store) RemoveModerator(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var lastAdmin bool
		err := tx.QueryRowContext(ctx, `SELECT role = 'admin' AND (SELECT COUNT(*) FROM moderators WHERE role = 'admin') = 1 FROM moderators WHERE id = ?`, id).Scan(&lastAdmin)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: moderator %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: remove moderator: %w", err)
		}
		if lastAdmin {
			return fmt.Errorf("store: moderator %d: %w", id, ErrLastAdmin)
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM moderators WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: remove moderator: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("store: moderator %d: %w", id, ErrNotFound)
		}
		return nil
	})
}
