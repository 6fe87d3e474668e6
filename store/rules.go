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

const ruleSelect = `SELECT id, name, kind, value, action, network, language, enabled,
	created_by, created_at, updated_by, updated_at FROM rules`

// Rules returns every moderation rule, oldest first: the order in which
// rules of one precedence step are tried.
func (s *Store) Rules(ctx context.Context) ([]model.Rule, error) {
	rows, err := s.r.QueryContext(ctx, ruleSelect+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: rules: %w", err)
	}
	defer rows.Close()
	var out []model.Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan rule: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rules: %w", err)
	}
	return out, nil
}

// RuleByID returns one rule, or ErrNotFound.
func (s *Store) RuleByID(ctx context.Context, id int64) (model.Rule, error) {
	return ruleByID(ctx, s.r, id)
}

func ruleByID(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, id int64) (model.Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, ruleSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: rule %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: rule %d: %w", id, err)
	}
	return r, nil
}

func scanRule(sc interface{ Scan(dest ...any) error }) (model.Rule, error) {
	var r model.Rule
	var enabled int
	var created, updated int64
	err := sc.Scan(&r.ID, &r.Name, &r.Kind, &r.Value, &r.Action, &r.Network, &r.Language, &enabled,
		&r.CreatedBy, &created, &r.UpdatedBy, &updated)
	r.Enabled = enabled == 1
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return r, err
}

// CreateRule stores a new rule and returns it with its ID. A name already
// taken (case-insensitively) is ErrDuplicate: the audit log names rules, so
// two rules must not share one.
func (s *Store) CreateRule(ctx context.Context, r model.Rule) (model.Rule, error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
INSERT INTO rules (name, kind, value, action, network, language, enabled, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.Name, r.Kind, r.Value, r.Action, r.Network, r.Language, boolInt(r.Enabled), r.CreatedBy, ms(r.CreatedAt)).Scan(&r.ID)
	})
	if err != nil {
		if ruleNameTaken(err) {
			return model.Rule{}, fmt.Errorf("store: rule %q: %w", r.Name, ErrDuplicate)
		}
		return model.Rule{}, fmt.Errorf("store: create rule %q: %w", r.Name, err)
	}
	return r, nil
}

// UpdateRule replaces the editable fields of rule r.ID (name, kind, value,
// action, network, language, enabled) and records who changed it. Flags the
// rule set on pending posts follow a rename, and go when the rule is
// disabled, so the queue never names a rule that no longer holds anything.
func (s *Store) UpdateRule(ctx context.Context, r model.Rule) (model.Rule, error) {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now().UTC()
	}
	var out model.Rule
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := ruleByID(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE rules SET name = ?, kind = ?, value = ?, action = ?, network = ?, language = ?, enabled = ?,
	updated_by = ?, updated_at = ? WHERE id = ?`,
			r.Name, r.Kind, r.Value, r.Action, r.Network, r.Language, boolInt(r.Enabled), r.UpdatedBy, ms(r.UpdatedAt), r.ID); err != nil {
			return err
		}
		switch {
		case !r.Enabled:
			err = clearFlags(ctx, tx, old.Name)
		case old.Name != r.Name:
			_, err = tx.ExecContext(ctx, `UPDATE rule_flags SET rule = ? WHERE rule = ?`, r.Name, old.Name)
		}
		if err != nil {
			return err
		}
		out, err = ruleByID(ctx, tx, r.ID)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return model.Rule{}, err
	case ruleNameTaken(err):
		return model.Rule{}, fmt.Errorf("store: rule %q: %w", r.Name, ErrDuplicate)
	case err != nil:
		return model.Rule{}, fmt.Errorf("store: update rule %d: %w", r.ID, err)
	}
	return out, nil
}

// SetRuleEnabled switches a rule on or off and returns it as it is now.
func (s *Store) SetRuleEnabled(ctx context.Context, id int64, enabled bool, by string) (model.Rule, error) {
	var out model.Rule
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE rules SET enabled = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
			boolInt(enabled), by, ms(time.Now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: rule %d: %w", id, ErrNotFound)
		}
		if out, err = ruleByID(ctx, tx, id); err != nil {
			return err
		}
		if !enabled {
			return clearFlags(ctx, tx, out.Name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return model.Rule{}, fmt.Errorf("store: enable rule %d: %w", id, err)
	}
	return out, err
}

// DeleteRule removes a rule and its flags, and returns what it was. The
// audit log keeps the rule's decisions under its name.
func (s *Store) DeleteRule(ctx context.Context, id int64) (model.Rule, error) {
	var out model.Rule
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = ruleByID(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rules WHERE id = ?`, id); err != nil {
			return err
		}
		return clearFlags(ctx, tx, out.Name)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return model.Rule{}, fmt.Errorf("store: delete rule %d: %w", id, err)
	}
	return out, err
}

// defaultRulesKey marks, in rule_settings, a database that received the
// default rules, so rules an admin deleted do not come back on restart.
const defaultRulesKey = "default_rules_installed"

// InstallDefaultRules stores rules the first time it is called on a
// database and does nothing afterwards; a rule whose name is taken is left
// out. It returns how many rules it stored.
func (s *Store) InstallDefaultRules(ctx context.Context, rules []model.Rule) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rule_settings WHERE key = ?`, defaultRulesKey).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			return nil
		}
		now := ms(time.Now())
		for _, r := range rules {
			at := now
			if !r.CreatedAt.IsZero() {
				at = ms(r.CreatedAt)
			}
			res, err := tx.ExecContext(ctx, `
INSERT INTO rules (name, kind, value, action, network, language, enabled, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
				r.Name, r.Kind, r.Value, r.Action, r.Network, r.Language, boolInt(r.Enabled), r.CreatedBy, at)
			if err != nil {
				return fmt.Errorf("rule %q: %w", r.Name, err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO rule_settings (key, value, updated_at) VALUES (?, '1', ?)`, defaultRulesKey, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: install default rules: %w", err)
	}
	return n, nil
}

// settingKeys maps the rule toggles to their rows in rule_settings.
func settingKeys(rs *model.RuleSettings) map[string]*bool {
	return map[string]*bool{
		"opt_out":        &rs.OptOut,
		"skip_replies":   &rs.SkipReplies,
		"skip_boosts":    &rs.SkipBoosts,
		"require_photo":  &rs.RequirePhoto,
		"hold_sensitive": &rs.HoldSensitive,
	}
}

// RuleSettings returns the rule toggles; a toggle never saved has its
// default (model.DefaultRuleSettings).
func (s *Store) RuleSettings(ctx context.Context) (model.RuleSettings, error) {
	rs := model.DefaultRuleSettings()
	keys := settingKeys(&rs)
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM rule_settings`)
	if err != nil {
		return rs, fmt.Errorf("store: rule settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return rs, fmt.Errorf("store: rule settings: %w", err)
		}
		if p, ok := keys[k]; ok {
			*p = v == "1"
		}
	}
	if err := rows.Err(); err != nil {
		return rs, fmt.Errorf("store: rule settings: %w", err)
	}
	return rs, nil
}

// SaveRuleSettings stores every toggle. Turning off holding sensitive posts
// clears the flags it set.
func (s *Store) SaveRuleSettings(ctx context.Context, rs model.RuleSettings, by string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := ms(time.Now())
		for k, v := range settingKeys(&rs) {
			val := "0"
			if *v {
				val = "1"
			}
			if _, err := tx.ExecContext(ctx, `
INSERT INTO rule_settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at
WHERE value != excluded.value`, k, val, by, now); err != nil {
				return err
			}
		}
		if !rs.HoldSensitive {
			return clearFlags(ctx, tx, model.ToggleHoldSensitive)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save rule settings: %w", err)
	}
	return nil
}

// FlagPost marks a pending post as held for review by a rule and records the
// match in the audit log (action hold, actor "rule:NAME"), in one
// transaction. It reports whether the flag is new: holding a post the same
// rule already held writes nothing, so applying rules twice does not
// double the audit log. A post no longer pending is not flagged.
func (s *Store) FlagPost(ctx context.Context, f model.RuleFlag) (bool, error) {
	if f.At.IsZero() {
		f.At = time.Now()
	}
	added := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = false
		res, err := tx.ExecContext(ctx, `
INSERT INTO rule_flags (post_id, rule, reason, at)
SELECT id, ?, ?, ? FROM posts WHERE id = ? AND status = ?
ON CONFLICT(post_id, rule) DO NOTHING`, f.Rule, f.Reason, ms(f.At), f.PostID, model.StatusPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		_, err = tx.ExecContext(ctx, `INSERT INTO decisions (post_id, action, actor, reason, at) VALUES (?, ?, ?, ?, ?)`,
			f.PostID, model.ActionHold, "rule:"+f.Rule, f.Reason, ms(f.At))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: flag post %d: %w", f.PostID, err)
	}
	return added, nil
}

// RuleFlags returns the flags of the given posts, oldest first per post.
func (s *Store) RuleFlags(ctx context.Context, postIDs []int64) (map[int64][]model.RuleFlag, error) {
	out := map[int64][]model.RuleFlag{}
	for len(postIDs) > 0 {
		chunk := postIDs[:min(len(postIDs), 500)]
		postIDs = postIDs[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.r.QueryContext(ctx, `SELECT post_id, rule, reason, at FROM rule_flags WHERE post_id IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`) ORDER BY post_id, at, rule`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: rule flags: %w", err)
		}
		for rows.Next() {
			var f model.RuleFlag
			var at int64
			if err := rows.Scan(&f.PostID, &f.Rule, &f.Reason, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: scan rule flag: %w", err)
			}
			f.At = fromMS(at)
			out[f.PostID] = append(out[f.PostID], f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: rule flags: %w", err)
		}
	}
	return out, nil
}

func clearFlags(ctx context.Context, tx *sql.Tx, rule string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM rule_flags WHERE rule = ?`, rule)
	return err
}

// PostsOfAuthor returns an author's posts in one status, newest first, for
// taking a banned or opted-out author's posts off the wall.
func (s *Store) PostsOfAuthor(ctx context.Context, authorID int64, status model.Status) ([]model.Post, error) {
	return s.queryPosts(ctx, postSelect+` WHERE p.author_id = ? AND p.status = ? ORDER BY p.published_at DESC, p.id DESC`, authorID, status)
}

func ruleNameTaken(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE")
}
