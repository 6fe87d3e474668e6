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

// OptInSupporter records a supporter's consent to reminders. Someone already
// known (who stopped, say) is made active again with the new consent time;
// the count of reminders they got is kept, so the maximum still holds.
func (s *Store) OptInSupporter(ctx context.Context, sup model.Supporter) (model.Supporter, error) {
	if sup.Network == "" || sup.Handle == "" || sup.ConsentAt.IsZero() {
		return model.Supporter{}, errors.New("store: a supporter needs a network, a handle and a consent time")
	}
	if sup.CadenceDays <= 0 {
		sup.CadenceDays = 7
	}
	var out model.Supporter
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
INSERT INTO supporters (network, handle, language, time_zone, cadence_days, status, consent_at, next_reminder_at)
VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
ON CONFLICT(network, handle) DO UPDATE SET
	language = excluded.language, time_zone = excluded.time_zone, cadence_days = excluded.cadence_days,
	status = 'active', consent_at = excluded.consent_at, ended_at = 0,
	next_reminder_at = CASE WHEN supporters.status = 'active' AND supporters.next_reminder_at != 0
		THEN supporters.next_reminder_at ELSE excluded.next_reminder_at END
RETURNING id`, sup.Network, sup.Handle, sup.Language, sup.TimeZone, sup.CadenceDays, ms(sup.ConsentAt),
			ms(sup.NextReminderAt)).Scan(&id)
		if err != nil {
			return err
		}
		list, err := querySupporters(ctx, tx, supporterSelect+` WHERE id = ?`, id)
		if err != nil {
			return err
		}
		out = list[0]
		return nil
	})
	if err != nil {
		return model.Supporter{}, fmt.Errorf("store: opt in %s: %w", sup.Handle, err)
	}
	return out, nil
}

// SupporterByHandle returns a supporter, or ErrNotFound.
func (s *Store) SupporterByHandle(ctx context.Context, network model.Network, handle string) (model.Supporter, error) {
	list, err := querySupporters(ctx, s.r, supporterSelect+` WHERE network = ? AND handle = ?`, network, handle)
	if err != nil {
		return model.Supporter{}, err
	}
	if len(list) == 0 {
		return model.Supporter{}, fmt.Errorf("store: supporter %s: %w", handle, ErrNotFound)
	}
	return list[0], nil
}

// EndSupporter records that a supporter signed or said stop: no reminder is
// due any more. It returns ErrNotFound for someone who never opted in.
func (s *Store) EndSupporter(ctx context.Context, network model.Network, handle string, status model.SupporterStatus, at time.Time) (model.Supporter, error) {
	if status != model.SupporterSigned && status != model.SupporterStopped {
		return model.Supporter{}, fmt.Errorf("store: end supporter as %q: want signed or stopped", status)
	}
	var out model.Supporter
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE supporters SET status = ?, ended_at = ?, next_reminder_at = 0
WHERE network = ? AND handle = ?`, status, ms(at), network, handle)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		list, err := querySupporters(ctx, tx, supporterSelect+` WHERE network = ? AND handle = ?`, network, handle)
		if err != nil {
			return err
		}
		out = list[0]
		return nil
	})
	if err != nil {
		return model.Supporter{}, fmt.Errorf("store: end supporter %s: %w", handle, err)
	}
	return out, nil
}

// DueSupporters returns active supporters whose next reminder is due at now.
func (s *Store) DueSupporters(ctx context.Context, now time.Time, limit int) ([]model.Supporter, error) {
	if limit <= 0 {
		limit = 100
	}
	return querySupporters(ctx, s.r, supporterSelect+`
WHERE status = 'active' AND next_reminder_at != 0 AND next_reminder_at <= ?
ORDER BY next_reminder_at, id LIMIT ?`, ms(now), limit)
}

// Supporters returns every supporter, oldest consent first.
func (s *Store) Supporters(ctx context.Context) ([]model.Supporter, error) {
	return querySupporters(ctx, s.r, supporterSelect+` ORDER BY consent_at, id`)
}

// RecordReminder appends a planned reminder to a supporter's history and
// sets when the next is due (zero: none, the supporter is finished). It does
// nothing if that outbox key is already in the history, so planning a
// reminder again after a crash does not count it twice.
func (s *Store) RecordReminder(ctx context.Context, r model.Reminder, next time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supporter_reminders WHERE supporter_id = ? AND outbox_key = ?`,
			r.SupporterID, r.OutboxKey).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supporter_reminders (supporter_id, outbox_key, planned_at) VALUES (?, ?, ?)`,
			r.SupporterID, r.OutboxKey, ms(r.PlannedAt)); err != nil {
			return err
		}
		status := model.SupporterActive
		if next.IsZero() {
			status = model.SupporterFinished
		}
		res, err := tx.ExecContext(ctx, `UPDATE supporters SET reminders_sent = reminders_sent + 1, next_reminder_at = ?, status = ?
WHERE id = ? AND status = 'active'`, ms(next), status, r.SupporterID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("supporter %d is not active", r.SupporterID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: record reminder %s: %w", r.OutboxKey, err)
	}
	return nil
}

// FinishSupporter records that a supporter got every reminder they will get.
func (s *Store) FinishSupporter(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE supporters SET status = 'finished', next_reminder_at = 0 WHERE id = ? AND status = 'active'`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish supporter %d: %w", id, err)
	}
	return nil
}

// Reminders returns the reminder history of every supporter, by supporter ID.
func (s *Store) Reminders(ctx context.Context) (map[int64][]model.Reminder, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT supporter_id, outbox_key, planned_at FROM supporter_reminders ORDER BY supporter_id, id`)
	if err != nil {
		return nil, fmt.Errorf("store: reminders: %w", err)
	}
	defer rows.Close()
	out := map[int64][]model.Reminder{}
	for rows.Next() {
		var r model.Reminder
		var at int64
		if err := rows.Scan(&r.SupporterID, &r.OutboxKey, &at); err != nil {
			return nil, fmt.Errorf("store: scan reminder: %w", err)
		}
		r.PlannedAt = fromMS(at)
		out[r.SupporterID] = append(out[r.SupporterID], r)
	}
	return out, rows.Err()
}

// ForgetSupporter deletes everything kept about a handle, on every network:
// the supporter rows, their reminder history, and the outbox rows about them
// (replies to them, direct messages to them, reposts of their posts). It
// returns how many rows were deleted.
func (s *Store) ForgetSupporter(ctx context.Context, handle string) (int, error) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	if handle == "" {
		return 0, errors.New("store: forget: empty handle")
	}
	var total int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM supporter_reminders WHERE supporter_id IN (SELECT id FROM supporters WHERE handle = ?)`,
			`DELETE FROM supporters WHERE handle = ?`,
			`DELETE FROM outbox WHERE author = ? COLLATE NOCASE OR (kind = 'dm' AND target = ? COLLATE NOCASE)`,
		} {
			args := []any{handle}
			if strings.Count(q, "?") == 2 {
				args = append(args, handle)
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: forget %s: %w", handle, err)
	}
	return int(total), nil
}

// SkipPlannedOutbox marks the planned rows of a kind addressed to a handle
// (as author or DM target) on a network skipped, and returns how many.
func (s *Store) SkipPlannedOutbox(ctx context.Context, network model.Network, handle string, kind model.OutboxKind, reason string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'skipped', reason = ?
WHERE network = ? AND kind = ? AND status = 'planned' AND (author = ? COLLATE NOCASE OR target = ? COLLATE NOCASE)`,
			reason, network, kind, handle, handle)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: skip planned %s to %s: %w", kind, handle, err)
	}
	return int(n), nil
}

const supporterSelect = `
SELECT id, network, handle, language, time_zone, cadence_days, status, consent_at, ended_at,
	reminders_sent, next_reminder_at
FROM supporters`

func querySupporters(ctx context.Context, db queryer, q string, args ...any) ([]model.Supporter, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query supporters: %w", err)
	}
	defer rows.Close()
	var out []model.Supporter
	for rows.Next() {
		var sp model.Supporter
		var consent, ended, next int64
		if err := rows.Scan(&sp.ID, &sp.Network, &sp.Handle, &sp.Language, &sp.TimeZone, &sp.CadenceDays,
			&sp.Status, &consent, &ended, &sp.RemindersSent, &next); err != nil {
			return nil, fmt.Errorf("store: scan supporter: %w", err)
		}
		sp.ConsentAt, sp.EndedAt, sp.NextReminderAt = fromMS(consent), fromMS(ended), fromMS(next)
		out = append(out, sp)
	}
	return out, rows.Err()
}
