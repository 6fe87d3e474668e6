package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LeaseError is returned when another moderator holds an unexpired lease on
// the post. Leases only hide posts from other queues; Decide's check of the
// post's state stays the guard against two decisions.
type LeaseError struct {
	PostID    int64
	Holder    string // the other moderator's name
	ExpiresAt time.Time
}

func (e *LeaseError) Error() string {
	return fmt.Sprintf("post %d is leased by %s until %s", e.PostID, e.Holder, e.ExpiresAt.Format(time.RFC3339))
}

// TakeLease gives a moderator the lease on a post until now+d, or renews
// theirs. An expired lease of someone else is taken over; an unexpired one
// makes it a *LeaseError. Expired leases of any post are cleared on the way.
func (s *Store) TakeLease(ctx context.Context, postID, moderatorID int64, now time.Time, d time.Duration) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM posts WHERE id = ?`, postID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: post %d: %w", postID, ErrNotFound)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM post_leases WHERE expires_at <= ?`, ms(now)); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `
INSERT INTO post_leases (post_id, moderator_id, expires_at) VALUES (?, ?, ?)
ON CONFLICT(post_id) DO UPDATE SET expires_at = excluded.expires_at
WHERE post_leases.moderator_id = excluded.moderator_id`, postID, moderatorID, ms(now.Add(d)))
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n > 0 {
			return nil
		}
		le := &LeaseError{PostID: postID}
		var exp int64
		if err := tx.QueryRowContext(ctx, `
SELECT COALESCE(m.name, ''), l.expires_at FROM post_leases l LEFT JOIN moderators m ON m.id = l.moderator_id
WHERE l.post_id = ?`, postID).Scan(&le.Holder, &exp); err != nil {
			return err
		}
		le.ExpiresAt = fromMS(exp)
		return le
	})
	var le *LeaseError
	if err != nil && !errors.As(err, &le) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: lease post %d: %w", postID, err)
	}
	return err
}

// ReleaseLease ends a moderator's own lease on a post; anyone else's stays.
// It reports whether there was one to end.
func (s *Store) ReleaseLease(ctx context.Context, postID, moderatorID int64) (bool, error) {
	r, err := s.w.ExecContext(ctx, `DELETE FROM post_leases WHERE post_id = ? AND moderator_id = ?`, postID, moderatorID)
	if err != nil {
		return false, fmt.Errorf("store: release lease of post %d: %w", postID, err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}
