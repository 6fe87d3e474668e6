package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// CreateSession stores a session. Expired sessions are swept at the same time.
func (s *Store) CreateSession(ctx context.Context, sess model.Session) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, ms(time.Now())); err != nil {
			return fmt.Errorf("store: sweep sessions: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, moderator_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sess.TokenHash, sess.ModeratorID, ms(sess.CreatedAt), ms(sess.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return nil
	})
}

// SessionByTokenHash returns a session that has not expired, or ErrNotFound.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string, now time.Time) (model.Session, error) {
	sess := model.Session{TokenHash: hash}
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT moderator_id, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		hash, ms(now)).Scan(&sess.ModeratorID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return sess, fmt.Errorf("store: session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
	return sess, nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash)
		return err
	})
}

// DeleteSessionsOf ends every session of a moderator (logout everywhere).
func (s *Store) DeleteSessionsOf(ctx context.Context, moderatorID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE moderator_id = ?`, moderatorID)
		return err
	})
}
