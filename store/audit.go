package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// AuditFilter selects rows of the audit log (decisions). Zero fields do not
// filter.
type AuditFilter struct {
	Action   model.Action
	Actor    string // a moderator's name, "rule:NAME" or "network"
	PostID   int64
	From, To time.Time // decided at or after From, and before To
	Before   int64     // a decision ID: only older decisions (paging)
	Limit    int       // 0: no limit
}

// AuditEntry is a decision with what the audit log shows of its post.
type AuditEntry struct {
	model.Decision
	PostText    string
	PostURL     string
	PostNetwork model.Network
	PostStatus  model.Status
}

// AuditLog calls fn for each decision the filter selects, newest first,
// reading them as it goes (an export of the whole log does not sit in
// memory). fn's error stops the walk and is returned.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	var where []string
	var args []any
	if f.Action != "" {
		where = append(where, "d.action = ?")
		args = append(args, f.Action)
	}
	if f.Actor != "" {
		where = append(where, "d.actor = ?")
		args = append(args, f.Actor)
	}
	if f.PostID > 0 {
		where = append(where, "d.post_id = ?")
		args = append(args, f.PostID)
	}
	if !f.From.IsZero() {
		where = append(where, "d.at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "d.at < ?")
		args = append(args, ms(f.To))
	}
	if f.Before > 0 {
		where = append(where, "d.id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT d.id, d.post_id, d.action, d.actor, d.reason, d.at, p.text, p.url, p.network, p.status
FROM decisions d JOIN posts p ON p.id = d.post_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY d.id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.PostID, &e.Action, &e.Actor, &e.Reason, &at, &e.PostText, &e.PostURL, &e.PostNetwork, &e.PostStatus); err != nil {
			return fmt.Errorf("store: audit log: %w", err)
		}
		e.At = fromMS(at)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: audit log: %w", err)
	}
	return nil
}
