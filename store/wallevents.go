package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// WallEvent is one event the wall's hub sent to screens. The log of them is
// what lets a screen resume after the server restarts: event IDs go on from
// the newest stored one, and a new process knows what the old one sent.
type WallEvent struct {
	ID     int64
	PostID int64  // the post the event is about; 0 for events about the wall as a whole
	Kind   string // the SSE event name ("post", "remove", …)
	// Data is the payload of events that are not about a post. Post events
	// store none: they are rendered again from the post's current state, so
	// a replay never brings back a post retracted since.
	Data []byte
	At   time.Time
}

// The wall-event log keeps at most this many rows and nothing older than
// WallEventsMaxAge (except the newest row, which carries the sequence). A
// screen that missed more is told to reload, which is as good and cheaper.
const (
	WallEventsKept   = 10000
	WallEventsMaxAge = 24 * time.Hour
	// trimEvery spaces out the trimming deletes: one per this many appends.
	trimEvery = 256
)

// AppendWallEvent adds an event to the log and returns it with its ID, which
// is greater than every ID given out before, in this process or an earlier
// one (AUTOINCREMENT never reuses the IDs of trimmed rows). A zero At is now.
func (s *Store) AppendWallEvent(ctx context.Context, e WallEvent) (WallEvent, error) {
	if e.Kind == "" {
		return WallEvent{}, fmt.Errorf("store: wall event without a kind")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO wall_events (post_id, kind, data, at) VALUES (?, ?, ?, ?)`,
			e.PostID, e.Kind, e.Data, ms(e.At))
		if err != nil {
			return err
		}
		if e.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if e.ID%trimEvery == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM wall_events WHERE id <= ? OR (at < ? AND id < ?)`,
				e.ID-WallEventsKept, ms(time.Now().Add(-WallEventsMaxAge)), e.ID)
		}
		return err
	})
	if err != nil {
		return WallEvent{}, fmt.Errorf("store: append wall event: %w", err)
	}
	return e, nil
}

// WallEvents returns the newest limit events of the log, oldest first.
func (s *Store) WallEvents(ctx context.Context, limit int) ([]WallEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, post_id, kind, data, at FROM
(SELECT id, post_id, kind, data, at FROM wall_events ORDER BY id DESC LIMIT ?) ORDER BY id`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: wall events: %w", err)
	}
	defer rows.Close()
	var out []WallEvent
	for rows.Next() {
		var e WallEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.PostID, &e.Kind, &e.Data, &at); err != nil {
			return nil, fmt.Errorf("store: scan wall event: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: wall events: %w", err)
	}
	return out, nil
}

// PostsByID returns the posts with the given IDs that exist, with their
// authors and media, keyed by ID.
func (s *Store) PostsByID(ctx context.Context, ids []int64) (map[int64]model.Post, error) {
	out := make(map[int64]model.Post, len(ids))
	const chunk = 500 // well under SQLite's limit on bound parameters
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		posts, err := s.queryPosts(ctx, postSelect+` WHERE p.id IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, p := range posts {
			out[p.ID] = p
		}
		ids = ids[n:]
	}
	return out, nil
}
