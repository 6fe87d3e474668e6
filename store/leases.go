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
// theirs; renewed reports the latter (their unexpired lease was there). An
// expired lease of anyone is taken over; someone else's unexpired one makes
// it a *LeaseError. Other posts' expired leases are left to ExpireLeases,
// which reports them, so the queues can show those posts again.
func (s *Store) TakeLease(ctx context.Context, postID, moderatorID int64, now time.Time, d time.Duration) (renewed bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM posts WHERE id = ?`, postID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: post %d: %w", postID, ErrNotFound)
		} else if err != nil {
			return err
		}
		le := &LeaseError{PostID: postID}
		var holder, exp int64
		err := tx.QueryRowContext(ctx, `
SELECT l.moderator_id, COALESCE(m.name, ''), l.expires_at FROM post_leases l LEFT JOIN moderators m ON m.id = l.moderator_id
WHERE l.post_id = ?`, postID).Scan(&holder, &le.Holder, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case exp > ms(now) && holder != moderatorID:
			le.ExpiresAt = fromMS(exp)
			return le
		case exp > ms(now):
			renewed = true
		}
		_, err = tx.ExecContext(ctx, `
INSERT INTO post_leases (post_id, moderator_id, expires_at) VALUES (?, ?, ?)
ON CONFLICT(post_id) DO UPDATE SET moderator_id = excluded.moderator_id, expires_at = excluded.expires_at`,
			postID, moderatorID, ms(now.Add(d)))
		return err
	})
	var le *LeaseError
	if err != nil && !errors.As(err, &le) && !errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("store: lease post %d: %w", postID, err)
	}
	return renewed && err == nil, err
}

// ExpireLeases ends every lease that expired by now and returns the posts
// they were on, each once: whoever calls it tells the queues that hid them.
func (s *Store) ExpireLeases(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := s.w.QueryContext(ctx, `DELETE FROM post_leases WHERE expires_at <= ? RETURNING post_id`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: expire leases: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: expire leases: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: expire leases: %w", err)
	}
	return ids, nil
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
