package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// SetAltText sets the alt text of a post's media, by media ID, and records
// the change as a decision (action alt_text, the new texts as its reason)
// in one transaction. A media ID that is not the post's is ErrNotFound.
// It reports whether any text changed; nothing changed writes nothing.
func (s *Store) SetAltText(ctx context.Context, postID int64, alts map[int64]string, actor string, at time.Time) (model.Post, bool, error) {
	var post model.Post
	changed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := postByID(ctx, tx, postID)
		if err != nil {
			return err
		}
		own := map[int64]int{}
		for i, m := range p.Media {
			own[m.ID] = i
		}
		var reason []string
		for i, m := range p.Media {
			alt, ok := alts[m.ID]
			if !ok || alt == m.AltText {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE media SET alt_text = ? WHERE id = ? AND post_id = ?`, alt, m.ID, postID); err != nil {
				return err
			}
			reason = append(reason, fmt.Sprintf("photo %d: %s", i+1, alt))
		}
		for id := range alts {
			if _, ok := own[id]; !ok {
				return fmt.Errorf("store: media %d of post %d: %w", id, postID, ErrNotFound)
			}
		}
		if len(reason) > 0 {
			changed = true
			r := []rune(strings.Join(reason, "; "))
			if len(r) > 500 {
				r = append(r[:499], '…')
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (post_id, action, actor, reason, at) VALUES (?, ?, ?, ?, ?)`,
				postID, model.ActionAltText, actor, string(r), ms(at)); err != nil {
				return err
			}
		}
		post, err = postByID(ctx, tx, postID)
		return err
	})
	if err != nil {
		return model.Post{}, false, err
	}
	return post, changed, nil
}
