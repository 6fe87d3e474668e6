package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// StateError is returned when a decision does not fit the post's current state,
// most often because another moderator decided it first. Post is the post as it
// is now, so the caller can say who decided it and when.
type StateError struct {
	Action model.Action
	Post   model.Post
}

func (e *StateError) Error() string {
	if e.Post.DecidedBy != "" {
		return fmt.Sprintf("cannot %s post %d: it was already %s by %s at %s", e.Action, e.Post.ID,
			e.Post.Status, e.Post.DecidedBy, e.Post.DecidedAt.Format(time.RFC3339))
	}
	return fmt.Sprintf("cannot %s post %d: it is %s", e.Action, e.Post.ID, e.Post.Status)
}

// transition says which statuses an action applies to and what it changes.
type transition struct {
	from     []model.Status
	to       model.Status // empty: status unchanged
	setFlag  string       // column set to flagValue, if any
	flagVal  int
	recordBy bool // whether decided_by/decided_at change
}

var transitions = map[model.Action]transition{
	model.ActionApprove: {from: []model.Status{model.StatusPending}, to: model.StatusApproved, recordBy: true},
	model.ActionReject:  {from: []model.Status{model.StatusPending}, to: model.StatusRejected, recordBy: true},
	model.ActionRetract: {from: []model.Status{model.StatusApproved}, to: model.StatusRejected, recordBy: true},
	// An approved post edited upstream goes back to the queue: its new text
	// was never moderated.
	model.ActionEdited:      {from: []model.Status{model.StatusApproved}, to: model.StatusPending, recordBy: true},
	model.ActionRemove:      {from: []model.Status{model.StatusPending, model.StatusApproved, model.StatusRejected}, to: model.StatusRemoved, recordBy: true},
	model.ActionPin:         {from: []model.Status{model.StatusApproved}, setFlag: "pinned", flagVal: 1},
	model.ActionUnpin:       {from: []model.Status{model.StatusApproved, model.StatusRejected, model.StatusRemoved}, setFlag: "pinned", flagVal: 0},
	model.ActionHighlight:   {from: []model.Status{model.StatusApproved}, setFlag: "highlighted", flagVal: 1},
	model.ActionUnhighlight: {from: []model.Status{model.StatusApproved, model.StatusRejected, model.StatusRemoved}, setFlag: "highlighted", flagVal: 0},
	model.ActionUncover:     {from: []model.Status{model.StatusApproved}, setFlag: "show_on_screens", flagVal: 1},
	model.ActionCover:       {from: []model.Status{model.StatusApproved, model.StatusRejected, model.StatusRemoved}, setFlag: "show_on_screens", flagVal: 0},
}

// Decide applies a decision to its post and appends it to the audit log, in one
// transaction. The check of the post's current status and the change happen
// under the single writer, so of two moderators approving the same post, exactly
// one succeeds; the other gets a *StateError naming who decided it.
// It returns the post as it is after the decision.
func (s *Store) Decide(ctx context.Context, d model.Decision) (model.Post, error) {
	t, ok := transitions[d.Action]
	if !ok {
		return model.Post{}, fmt.Errorf("store: unknown action %q", d.Action)
	}
	if d.At.IsZero() {
		d.At = time.Now()
	}
	var post model.Post
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := postByID(ctx, tx, d.PostID)
		if err != nil {
			return err
		}
		allowed := false
		for _, st := range t.from {
			allowed = allowed || p.Status == st
		}
		if !allowed {
			return &StateError{Action: d.Action, Post: p}
		}
		if t.to != "" {
			q := `UPDATE posts SET status = ?`
			args := []any{t.to}
			if t.recordBy {
				q += `, decided_by = ?, decided_at = ?`
				args = append(args, d.Actor, ms(d.At))
			}
			if t.to != model.StatusApproved {
				q += `, pinned = 0, highlighted = 0, show_on_screens = 0`
			}
			if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, append(args, d.PostID)...); err != nil {
				return err
			}
			// A decided post needs no one's attention any more (leases.go).
			if _, err := tx.ExecContext(ctx, `DELETE FROM post_leases WHERE post_id = ?`, d.PostID); err != nil {
				return err
			}
		}
		if t.setFlag != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET `+t.setFlag+` = ? WHERE id = ?`, t.flagVal, d.PostID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (post_id, action, actor, reason, at) VALUES (?, ?, ?, ?, ?)`,
			d.PostID, d.Action, d.Actor, d.Reason, ms(d.At)); err != nil {
			return err
		}
		post, err = postByID(ctx, tx, d.PostID)
		return err
	})
	if err != nil {
		var se *StateError
		if errors.As(err, &se) || errors.Is(err, ErrNotFound) {
			return model.Post{}, err
		}
		return model.Post{}, fmt.Errorf("store: %s post %d: %w", d.Action, d.PostID, err)
	}
	return post, nil
}

// DecisionFilter selects audit-log rows. The zero value selects the newest 100.
type DecisionFilter struct {
	PostID int64
	Actor  string
	Action model.Action
	Limit  int
}

// Decisions returns audit-log rows, newest first.
func (s *Store) Decisions(ctx context.Context, f DecisionFilter) ([]model.Decision, error) {
	q := `SELECT id, post_id, action, actor, reason, at FROM decisions WHERE 1=1`
	var args []any
	if f.PostID != 0 {
		q += ` AND post_id = ?`
		args = append(args, f.PostID)
	}
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: decisions: %w", err)
	}
	defer rows.Close()
	var out []model.Decision
	for rows.Next() {
		var d model.Decision
		var at int64
		if err := rows.Scan(&d.ID, &d.PostID, &d.Action, &d.Actor, &d.Reason, &at); err != nil {
			return nil, fmt.Errorf("store: scan decision: %w", err)
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
