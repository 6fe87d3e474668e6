package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// UndoRefusal says why a decision cannot be undone.
type UndoRefusal string

const (
	UndoNothing UndoRefusal = "nothing" // no decision, or the last one cannot be undone (or is an undo)
	UndoExpired UndoRefusal = "expired" // the undo window has passed
	UndoOther   UndoRefusal = "other"   // someone else decided the post since
)

// UndoError is returned when Undo refuses. Last is the post's latest
// decision, if it has one, so the caller can say who acted and when.
type UndoError struct {
	Refusal UndoRefusal
	Last    model.Decision
}

func (e *UndoError) Error() string {
	switch e.Refusal {
	case UndoExpired:
		return fmt.Sprintf("cannot undo %s of post %d: too late (decided at %s)", e.Last.Action, e.Last.PostID, e.Last.At.Format(time.RFC3339))
	case UndoOther:
		return fmt.Sprintf("cannot undo: post %d was last decided by %s (%s)", e.Last.PostID, e.Last.Actor, e.Last.Action)
	}
	return "nothing to undo"
}

// undoable maps an action to the status it leaves a post in and how its
// undo changes the post back.
var undoable = map[model.Action]struct {
	leaves model.Status
	undo   string // SQL SET clause
}{
	model.ActionApprove:     {model.StatusApproved, `status = 'pending', decided_by = '', decided_at = 0, pinned = 0, highlighted = 0`},
	model.ActionReject:      {model.StatusRejected, `status = 'pending', decided_by = '', decided_at = 0`},
	model.ActionRetract:     {model.StatusRejected, `status = 'approved'`},
	model.ActionPin:         {model.StatusApproved, `pinned = 0`},
	model.ActionUnpin:       {model.StatusApproved, `pinned = 1`},
	model.ActionHighlight:   {model.StatusApproved, `highlighted = 0`},
	model.ActionUnhighlight: {model.StatusApproved, `highlighted = 1`},
	model.ActionUncover:     {model.StatusApproved, `show_on_screens = 0`},
	model.ActionCover:       {model.StatusApproved, `show_on_screens = 1`},
}

// Undo takes back the post's latest decision if actor made it at or after
// since: an approval or rejection goes back to pending, a retraction back
// to approved (with the approval's moderator and time), a pin, highlight or
// uncovering on screens is toggled back. The undo is itself a decision (action undo, reason
// "undo ACTION") written at at. It refuses with an *UndoError when the last
// decision is someone else's, older than since, or not undoable. It returns
// the post as it is after the undo and the decision it undid.
//
// A retraction cleared the post's pin and highlight; its undo does not
// bring them back.
func (s *Store) Undo(ctx context.Context, postID int64, actor string, since, at time.Time) (model.Post, model.Decision, error) {
	var post model.Post
	var last model.Decision
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := postByID(ctx, tx, postID)
		if err != nil {
			return err
		}
		var atMS int64
		err = tx.QueryRowContext(ctx, `SELECT id, post_id, action, actor, reason, at FROM decisions WHERE post_id = ? ORDER BY id DESC LIMIT 1`, postID).
			Scan(&last.ID, &last.PostID, &last.Action, &last.Actor, &last.Reason, &atMS)
		if errors.Is(err, sql.ErrNoRows) {
			return &UndoError{Refusal: UndoNothing}
		}
		if err != nil {
			return err
		}
		last.At = fromMS(atMS)
		u, ok := undoable[last.Action]
		switch {
		case last.Actor != actor:
			return &UndoError{Refusal: UndoOther, Last: last}
		case !ok:
			return &UndoError{Refusal: UndoNothing, Last: last}
		case last.At.Before(since):
			return &UndoError{Refusal: UndoExpired, Last: last}
		case p.Status != u.leaves:
			// Changed without a decision row: nothing to undo safely.
			return &UndoError{Refusal: UndoOther, Last: last}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET `+u.undo+` WHERE id = ?`, postID); err != nil {
			return err
		}
		if last.Action == model.ActionRetract {
			// The approval the retraction ended is again who decided the post.
			if _, err := tx.ExecContext(ctx, `
UPDATE posts SET (decided_by, decided_at) = (
	SELECT actor, at FROM decisions WHERE post_id = ?1 AND action = 'approve' ORDER BY id DESC LIMIT 1)
WHERE id = ?1 AND EXISTS (SELECT 1 FROM decisions WHERE post_id = ?1 AND action = 'approve')`, postID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (post_id, action, actor, reason, at) VALUES (?, ?, ?, ?, ?)`,
			postID, model.ActionUndo, actor, "undo "+string(last.Action), ms(at)); err != nil {
			return err
		}
		post, err = postByID(ctx, tx, postID)
		return err
	})
	if err != nil {
		var ue *UndoError
		if errors.As(err, &ue) || errors.Is(err, ErrNotFound) {
			return model.Post{}, last, err
		}
		return model.Post{}, last, fmt.Errorf("store: undo on post %d: %w", postID, err)
	}
	return post, last, nil
}
