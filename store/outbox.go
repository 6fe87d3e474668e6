package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// ErrOutboxState is returned when an outbox row is not in the status a change
// expects, most often because another attempt already moved it on.
var ErrOutboxState = errors.New("outbox item is not in the expected status")

// CreateOutboxItem writes a planned action unless one with the same
// idempotency key exists. It returns the stored row (the existing one when the
// key was known) and whether it was created.
func (s *Store) CreateOutboxItem(ctx context.Context, it model.OutboxItem) (model.OutboxItem, bool, error) {
	if it.IdempotencyKey == "" || it.Network == "" || it.Kind == "" {
		return model.OutboxItem{}, false, errors.New("store: outbox item needs an idempotency key, a network and a kind")
	}
	if it.Status == "" {
		it.Status = model.OutboxPlanned
	}
	if it.CreatedAt.IsZero() {
		it.CreatedAt = time.Now()
	}
	if it.NextAttemptAt.IsZero() {
		it.NextAttemptAt = it.CreatedAt
	}
	payload, err := json.Marshal(it.Payload)
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("store: outbox payload: %w", err)
	}
	var postID any
	if it.PostID != 0 {
		postID = it.PostID
	}
	var out model.OutboxItem
	created := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
INSERT INTO outbox (idempotency_key, network, kind, post_id, author, target, text, payload, status,
	reason, next_attempt_at, estimated_cost, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(idempotency_key) DO NOTHING
RETURNING id`, it.IdempotencyKey, it.Network, it.Kind, postID, it.Author, it.Target, it.Text, string(payload),
			it.Status, it.Reason, ms(it.NextAttemptAt), it.EstimatedCost, ms(it.CreatedAt)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			created = true
		}
		items, err := queryOutbox(ctx, tx, outboxSelect+` WHERE idempotency_key = ?`, it.IdempotencyKey)
		if err != nil {
			return err
		}
		if len(items) != 1 {
			return fmt.Errorf("outbox item %q vanished", it.IdempotencyKey)
		}
		out = items[0]
		return nil
	})
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("store: create outbox item %q: %w", it.IdempotencyKey, err)
	}
	return out, created, nil
}

// OutboxItemByID returns one outbox row, or ErrNotFound.
func (s *Store) OutboxItemByID(ctx context.Context, id int64) (model.OutboxItem, error) {
	items, err := queryOutbox(ctx, s.r, outboxSelect+` WHERE id = ?`, id)
	if err != nil {
		return model.OutboxItem{}, err
	}
	if len(items) == 0 {
		return model.OutboxItem{}, fmt.Errorf("store: outbox item %d: %w", id, ErrNotFound)
	}
	return items[0], nil
}

// OutboxItemByKey returns the outbox row with an idempotency key, or ErrNotFound.
func (s *Store) OutboxItemByKey(ctx context.Context, key string) (model.OutboxItem, error) {
	items, err := queryOutbox(ctx, s.r, outboxSelect+` WHERE idempotency_key = ?`, key)
	if err != nil {
		return model.OutboxItem{}, err
	}
	if len(items) == 0 {
		return model.OutboxItem{}, fmt.Errorf("store: outbox item %q: %w", key, ErrNotFound)
	}
	return items[0], nil
}

// DueOutboxItems returns planned and sending rows whose next attempt is due at
// now, oldest first, leaving out the networks named in except (paused or
// rate-limited ones, whose rows must not hold up the others).
func (s *Store) DueOutboxItems(ctx context.Context, now time.Time, limit int, except ...model.Network) ([]model.OutboxItem, error) {
	if limit <= 0 {
		limit = 50
	}
	q := outboxSelect + ` WHERE status IN ('planned', 'sending') AND next_attempt_at <= ?`
	args := []any{ms(now)}
	if len(except) > 0 {
		q += ` AND network NOT IN (?` + strings.Repeat(",?", len(except)-1) + `)`
		for _, n := range except {
			args = append(args, n)
		}
	}
	return queryOutbox(ctx, s.r, q+` ORDER BY next_attempt_at, id LIMIT ?`, append(args, limit)...)
}

// OutboxFilter selects outbox rows. The zero value selects the newest 100.
type OutboxFilter struct {
	Network model.Network
	Status  model.OutboxStatus
	Kind    model.OutboxKind
	Author  string
	From    time.Time // due or sent at or after (zero: any)
	To      time.Time // due or sent before (zero: any)
	Limit   int       // 0: 100; at most 1000
}

// OutboxItems returns the rows the filter selects, by due or sent time
// (latest first), then ID.
func (s *Store) OutboxItems(ctx context.Context, f OutboxFilter) ([]model.OutboxItem, error) {
	var where []string
	var args []any
	if f.Network != "" {
		where = append(where, "network = ?")
		args = append(args, f.Network)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Kind != "" {
		where = append(where, "kind = ?")
		args = append(args, f.Kind)
	}
	if f.Author != "" {
		where = append(where, "author = ? COLLATE NOCASE")
		args = append(args, f.Author)
	}
	if !f.From.IsZero() {
		where = append(where, outboxAt+" >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, outboxAt+" < ?")
		args = append(args, ms(f.To))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := outboxSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + outboxAt + " DESC, id DESC LIMIT ?"
	return queryOutbox(ctx, s.r, q, append(args, limit)...)
}

// outboxAt is when a row happens: when it was sent, else when it is due.
const outboxAt = `(CASE WHEN status = 'sent' THEN sent_at ELSE next_attempt_at END)`

// OutboxSlot is when an action on a network happens (or happened), and whose
// post it concerns: what caps and spacing are counted on.
type OutboxSlot struct {
	At     time.Time
	Kind   model.OutboxKind
	Author string
}

// OutboxSlots returns the planned, sending and sent actions of the given kinds
// on a network that happen in [from, to), in time order.
func (s *Store) OutboxSlots(ctx context.Context, network model.Network, kinds []model.OutboxKind, from, to time.Time) ([]OutboxSlot, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{network}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, ms(from), ms(to))
	rows, err := s.r.QueryContext(ctx, `
SELECT `+outboxAt+` AS at, kind, author FROM outbox
WHERE network = ? AND kind IN (?`+strings.Repeat(",?", len(kinds)-1)+`)
	AND status IN ('planned', 'sending', 'sent') AND `+outboxAt+` >= ? AND `+outboxAt+` < ?
ORDER BY at`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox slots of %s: %w", network, err)
	}
	defer rows.Close()
	var out []OutboxSlot
	for rows.Next() {
		var sl OutboxSlot
		var at int64
		if err := rows.Scan(&at, &sl.Kind, &sl.Author); err != nil {
			return nil, fmt.Errorf("store: scan outbox slot: %w", err)
		}
		sl.At = fromMS(at)
		out = append(out, sl)
	}
	return out, rows.Err()
}

// OutboxSpend sums the estimated cost of actions on a network that were sent,
// or may have been (sending), with a first attempt in [from, to). The row
// named by except is left out, so a resend is not counted twice.
func (s *Store) OutboxSpend(ctx context.Context, network model.Network, from, to time.Time, except int64) (float64, error) {
	var sum float64
	err := s.r.QueryRowContext(ctx, `
SELECT COALESCE(SUM(estimated_cost), 0) FROM outbox
WHERE network = ? AND status IN ('sent', 'sending') AND first_attempt_at >= ? AND first_attempt_at < ? AND id != ?`,
		network, ms(from), ms(to), except).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("store: outbox spend of %s: %w", network, err)
	}
	return sum, nil
}

// CountOutbox counts outbox rows by status.
func (s *Store) CountOutbox(ctx context.Context) (map[model.OutboxStatus]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: count outbox: %w", err)
	}
	defer rows.Close()
	counts := map[model.OutboxStatus]int{}
	for rows.Next() {
		var st model.OutboxStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count outbox: %w", err)
		}
		counts[st] = n
	}
	return counts, rows.Err()
}

// StartOutboxAttempt records that an attempt is about to reach the network:
// the row moves from `from` (planned, or sending for a row being reconciled)
// to sending, its attempts count up and its first attempt time is kept. It
// returns the row as it is now, or ErrOutboxState if it is no longer in `from`.
// This write happens before the request: a crash after it leaves the row in
// sending, which the bot reconciles before any resend.
func (s *Store) StartOutboxAttempt(ctx context.Context, id int64, from model.OutboxStatus, at time.Time) (model.OutboxItem, error) {
	if from != model.OutboxPlanned && from != model.OutboxSending {
		return model.OutboxItem{}, fmt.Errorf("store: start outbox attempt from %q: %w", from, ErrOutboxState)
	}
	var out model.OutboxItem
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
UPDATE outbox SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?,
	first_attempt_at = CASE WHEN first_attempt_at = 0 THEN ? ELSE first_attempt_at END
WHERE id = ? AND status = ?`, ms(at), ms(at), id, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOutboxState
		}
		items, err := queryOutbox(ctx, tx, outboxSelect+` WHERE id = ?`, id)
		if err != nil {
			return err
		}
		out = items[0]
		return nil
	})
	if err != nil {
		return model.OutboxItem{}, fmt.Errorf("store: start attempt of outbox item %d: %w", id, err)
	}
	return out, nil
}

// MarkOutboxSent records that a sending row was done on the network.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, remoteID string, at time.Time) error {
	return s.updateOutbox(ctx, id, `status = 'sent', remote_id = ?, sent_at = ?, reason = ''`,
		[]any{remoteID, ms(at)}, model.OutboxSending)
}

// MarkOutboxFailed records that a row will not be sent, because of a
// permanent error or too many attempts.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, reason string) error {
	return s.updateOutbox(ctx, id, `status = 'failed', reason = ?`, []any{reason},
		model.OutboxPlanned, model.OutboxSending)
}

// MarkOutboxSkipped records that a row was deliberately not sent (budget,
// caps, the post no longer approved, dry-run cancellation, …).
func (s *Store) MarkOutboxSkipped(ctx context.Context, id int64, reason string) error {
	return s.updateOutbox(ctx, id, `status = 'skipped', reason = ?`, []any{reason},
		model.OutboxPlanned, model.OutboxSending)
}

// RetryOutboxItem puts a planned or sending row back to wait until next, in
// status to: planned when the last attempt certainly did nothing upstream,
// sending when it may have (so the next attempt reconciles first).
func (s *Store) RetryOutboxItem(ctx context.Context, id int64, to model.OutboxStatus, next time.Time, reason string) error {
	if to != model.OutboxPlanned && to != model.OutboxSending {
		return fmt.Errorf("store: retry outbox item %d as %q: %w", id, to, ErrOutboxState)
	}
	return s.updateOutbox(ctx, id, `status = ?, next_attempt_at = ?, reason = ?`, []any{to, ms(next), reason},
		model.OutboxPlanned, model.OutboxSending)
}

func (s *Store) updateOutbox(ctx context.Context, id int64, set string, args []any, from ...model.OutboxStatus) error {
	q := `UPDATE outbox SET ` + set + ` WHERE id = ? AND status IN (?` + strings.Repeat(",?", len(from)-1) + `)`
	args = append(args, id)
	for _, f := range from {
		args = append(args, f)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOutboxState
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: update outbox item %d: %w", id, err)
	}
	return nil
}

// PauseNetwork stops the bot from sending on a network until ResumeNetwork.
func (s *Store) PauseNetwork(ctx context.Context, network model.Network, by string, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bot_pauses (network, paused_by, paused_at) VALUES (?, ?, ?)
ON CONFLICT(network) DO NOTHING`, network, by, ms(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: pause %s: %w", network, err)
	}
	return nil
}

// ResumeNetwork lets the bot send on a network again.
func (s *Store) ResumeNetwork(ctx context.Context, network model.Network) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM bot_pauses WHERE network = ?`, network)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: resume %s: %w", network, err)
	}
	return nil
}

// NetworkPause says who paused a network's bot account, and when.
type NetworkPause struct {
	Network model.Network
	By      string
	At      time.Time
}

// PausedNetworks returns the networks the bot is paused on.
func (s *Store) PausedNetworks(ctx context.Context) (map[model.Network]NetworkPause, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT network, paused_by, paused_at FROM bot_pauses`)
	if err != nil {
		return nil, fmt.Errorf("store: paused networks: %w", err)
	}
	defer rows.Close()
	out := map[model.Network]NetworkPause{}
	for rows.Next() {
		var p NetworkPause
		var at int64
		if err := rows.Scan(&p.Network, &p.By, &at); err != nil {
			return nil, fmt.Errorf("store: scan pause: %w", err)
		}
		p.At = fromMS(at)
		out[p.Network] = p
	}
	return out, rows.Err()
}

// BotCursor returns where the bot stopped reading a feed (its mentions on a
// network), or "" if it never read it.
func (s *Store) BotCursor(ctx context.Context, name string) (string, error) {
	var c string
	err := s.r.QueryRowContext(ctx, `SELECT cursor FROM bot_cursors WHERE name = ?`, name).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: bot cursor %s: %w", name, err)
	}
	return c, nil
}

// SetBotCursor stores where the bot stopped reading a feed.
func (s *Store) SetBotCursor(ctx context.Context, name, cursor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bot_cursors (name, cursor) VALUES (?, ?)
ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor`, name, cursor)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set bot cursor %s: %w", name, err)
	}
	return nil
}

const outboxSelect = `
SELECT id, idempotency_key, network, kind, COALESCE(post_id, 0), author, target, text, payload, status,
	reason, remote_id, attempts, next_attempt_at, first_attempt_at, last_attempt_at, estimated_cost,
	created_at, sent_at
FROM outbox`

func queryOutbox(ctx context.Context, db queryer, q string, args ...any) ([]model.OutboxItem, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query outbox: %w", err)
	}
	defer rows.Close()
	var out []model.OutboxItem
	for rows.Next() {
		var it model.OutboxItem
		var payload string
		var next, first, last, created, sent int64
		if err := rows.Scan(&it.ID, &it.IdempotencyKey, &it.Network, &it.Kind, &it.PostID, &it.Author,
			&it.Target, &it.Text, &payload, &it.Status, &it.Reason, &it.RemoteID, &it.Attempts, &next,
			&first, &last, &it.EstimatedCost, &created, &sent); err != nil {
			return nil, fmt.Errorf("store: scan outbox item: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &it.Payload); err != nil {
			return nil, fmt.Errorf("store: outbox item %d: payload: %w", it.ID, err)
		}
		it.NextAttemptAt, it.FirstAttemptAt, it.LastAttemptAt = fromMS(next), fromMS(first), fromMS(last)
		it.CreatedAt, it.SentAt = fromMS(created), fromMS(sent)
		out = append(out, it)
	}
	return out, rows.Err()
}
