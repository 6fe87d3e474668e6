package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// RulesReport counts what applying rules did.
type RulesReport struct {
	Checked   int // posts judged
	Approved  int
	Rejected  int
	Held      int // newly held for review
	Retracted int // approved posts taken off the wall
}

func (r RulesReport) changed() bool {
	return r.Approved+r.Rejected+r.Held+r.Retracted > 0
}

// scanPage is how many posts a pass over a queue reads at a time.
const scanPage = 500

// loadRuleSet compiles the stored rules. A stored rule that no longer
// compiles is logged and left out rather than stopping every other rule.
func (h *Handler) loadRuleSet(ctx context.Context) (*RuleSet, error) {
	rules, err := h.st.Rules(ctx)
	if err != nil {
		return nil, err
	}
	settings, err := h.st.RuleSettings(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := CompileRules(rules, settings)
	if err != nil {
		h.log.WarnContext(ctx, "rules left out", slog.Any("error", err))
	}
	return rs, nil
}

// applyRules judges newly collected posts and returns those still pending
// (held ones included), for whoever shows the queue live. When the rules
// cannot be read, every post stays pending: a moderator sees it, nothing is
// lost, nothing is shown unapproved.
func (h *Handler) applyRules(ctx context.Context, posts []model.Post) []model.Post {
	if len(posts) == 0 {
		return posts
	}
	rs, err := h.loadRuleSet(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "rules not applied: new posts wait for moderators", slog.Int("posts", len(posts)), slog.Any("error", err))
		return posts
	}
	var rep RulesReport
	pending := make([]model.Post, 0, len(posts))
	for _, p := range posts {
		after, err := h.applyVerdict(ctx, p, rs.Evaluate(p), &rep)
		if err != nil {
			h.log.ErrorContext(ctx, "rule decision not saved", slog.Int64("post_id", p.ID), slog.Any("error", err))
			after = p
		}
		if after.Status == model.StatusPending {
			pending = append(pending, after)
		}
	}
	if rep.changed() {
		h.log.InfoContext(ctx, "rules applied to new posts", slog.Int("posts", rep.Checked), slog.Int("approved", rep.Approved),
			slog.Int("rejected", rep.Rejected), slog.Int("held", rep.Held), slog.Int("retracted", rep.Retracted))
	}
	return pending
}

// ApplyRulesToPending judges every pending post with the current rules, as
// if each had just been collected; admins run it after changing rules.
func (h *Handler) ApplyRulesToPending(ctx context.Context) (RulesReport, error) {
	var rep RulesReport
	rs, err := h.loadRuleSet(ctx)
	if err != nil {
		return rep, fmt.Errorf("moderation: apply rules: %w", err)
	}
	_, err = h.eachPost(ctx, model.StatusPending, 0, func(p model.Post) error {
		_, err := h.applyVerdict(ctx, p, rs.Evaluate(p), &rep)
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("moderation: apply rules: %w", err)
	}
	return rep, nil
}

// applyVerdict carries out one verdict and returns the post as it is now.
// A post a moderator decided in the meantime is left as they decided it.
func (h *Handler) applyVerdict(ctx context.Context, p model.Post, v Verdict, rep *RulesReport) (model.Post, error) {
	rep.Checked++
	switch v.Action {
	case "":
		return p, nil
	case model.RuleHold:
		added, err := h.st.FlagPost(ctx, model.RuleFlag{PostID: p.ID, Rule: v.Rule, Reason: v.Reason})
		if err != nil {
			return p, err
		}
		if added {
			rep.Held++
			h.log.InfoContext(ctx, "post held by rule", slog.Int64("post_id", p.ID), slog.String("rule", v.Rule))
		}
		return p, nil
	}
	action := model.ActionReject
	if v.Action == model.RuleApprove {
		action = model.ActionApprove
	}
	post, err := h.decideByRule(ctx, p.ID, action, v, rep)
	if err != nil || post.ID == 0 {
		return p, err
	}
	if v.OptedOutAuthor {
		if err := h.retractAuthor(ctx, post.Author.ID, v, rep); err != nil {
			return post, err
		}
	}
	return post, nil
}

// decideByRule records one rule decision, tells the wall, and counts it. It
// returns the zero Post, and no error, when the post's state had already
// moved on (another moderator or rule was first).
func (h *Handler) decideByRule(ctx context.Context, id int64, action model.Action, v Verdict, rep *RulesReport) (model.Post, error) {
	post, err := h.st.Decide(ctx, model.Decision{PostID: id, Action: action, Actor: v.Actor(), Reason: v.Reason})
	var se *store.StateError
	if errors.As(err, &se) {
		return model.Post{}, nil
	}
	if err != nil {
		return model.Post{}, err
	}
	switch action {
	case model.ActionApprove:
		rep.Approved++
	case model.ActionReject:
		rep.Rejected++
	case model.ActionRetract:
		rep.Retracted++
	}
	h.log.InfoContext(ctx, "post decided by rule", slog.Int64("post_id", id), slog.String("action", string(action)), slog.String("rule", v.Rule))
	h.notifier.PostChanged(post)
	return post, nil
}

// retractAuthor takes an author's approved posts off the wall, for an
// author who opted out after some of their posts were approved.
func (h *Handler) retractAuthor(ctx context.Context, authorID int64, v Verdict, rep *RulesReport) error {
	posts, err := h.st.PostsOfAuthor(ctx, authorID, model.StatusApproved)
	if err != nil {
		return err
	}
	for _, p := range posts {
		if _, err := h.decideByRule(ctx, p.ID, model.ActionRetract, v, rep); err != nil {
			return err
		}
	}
	return nil
}

// enforceBan applies a saved ban rule to what is already collected: the
// banned authors' or domains' approved posts come off the wall (retracted)
// and their pending posts are rejected, each recorded under the rule.
func (h *Handler) enforceBan(ctx context.Context, r model.Rule) (RulesReport, error) {
	var rep RulesReport
	if !r.Enabled || (r.Kind != model.RuleBanAuthor && r.Kind != model.RuleBanDomain) {
		return rep, nil
	}
	rs, err := CompileRules([]model.Rule{r}, model.RuleSettings{})
	if err != nil {
		return rep, err
	}
	for _, st := range []struct {
		status model.Status
		action model.Action
	}{{model.StatusApproved, model.ActionRetract}, {model.StatusPending, model.ActionReject}} {
		_, err := h.eachPost(ctx, st.status, 0, func(p model.Post) error {
			v := rs.Evaluate(p)
			if v.Action == "" {
				return nil
			}
			if st.action == model.ActionRetract {
				v.Reason += ": taken off the wall when the ban was saved"
			}
			_, err := h.decideByRule(ctx, p.ID, st.action, v, &rep)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("moderation: enforce ban %q: %w", r.Name, err)
		}
	}
	if rep.changed() {
		h.log.InfoContext(ctx, "ban enforced", slog.String("rule", r.Name), slog.Int("retracted", rep.Retracted), slog.Int("rejected", rep.Rejected))
	}
	return rep, nil
}

// eachPost calls fn for the posts in one status, newest first, a page at a
// time, stopping after limit posts (0: no limit). It reports whether it
// stopped at the limit with posts left.
func (h *Handler) eachPost(ctx context.Context, status model.Status, limit int, fn func(model.Post) error) (truncated bool, err error) {
	var before int64
	seen := 0
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		page, err := h.st.Posts(ctx, store.PostFilter{Status: status, Before: before, Limit: scanPage})
		if err != nil {
			return false, err
		}
		for _, p := range page {
			if limit > 0 && seen == limit {
				return true, nil
			}
			seen++
			if err := fn(p); err != nil {
				return false, err
			}
		}
		if len(page) < scanPage {
			return false, nil
		}
		// Paging by position, not status: posts decided on the way keep
		// their place, so none is skipped or seen twice.
		before = page[len(page)-1].ID
	}
}

// Preview limits: how many pending posts a preview judges, and how many of
// the matches it lists.
const (
	previewScanLimit = 20000
	previewListLimit = 50
)

// RulePreview is what a rule would do if it were saved now.
type RulePreview struct {
	Action    model.RuleAction
	Checked   int  // pending posts judged
	Truncated bool // more pending posts exist than were judged
	Count     int  // pending posts the rule would decide
	Matches   []PreviewMatch
	// Ban rules also take approved posts off the wall.
	RetractCount int
	Retract      []PreviewMatch
}

// PreviewMatch is one post a previewed rule would decide, and why.
type PreviewMatch struct {
	Post   model.Post
	Reason string
}

// previewID stands for a rule not saved yet: the newest of all, as it
// would be once saved.
const previewID = math.MaxInt64

// PreviewRule says what draft would do to the pending queue, with every
// other rule in place (a post an earlier rule decides is not counted), and,
// for a ban, which approved posts it would retract. It changes nothing.
// The draft must have passed validateRule.
func (h *Handler) PreviewRule(ctx context.Context, draft model.Rule) (RulePreview, error) {
	draft.Enabled = true
	if draft.ID == 0 {
		draft.ID = previewID
	}
	stored, err := h.st.Rules(ctx)
	if err != nil {
		return RulePreview{}, fmt.Errorf("moderation: preview rule: %w", err)
	}
	rules := []model.Rule{}
	for _, r := range stored {
		if r.ID != draft.ID {
			rules = append(rules, r)
		}
	}
	rules = append(rules, draft)
	settings, err := h.st.RuleSettings(ctx)
	if err != nil {
		return RulePreview{}, fmt.Errorf("moderation: preview rule: %w", err)
	}
	rs, err := CompileRules(rules, settings)
	if err != nil {
		var re *RuleError
		if errors.As(err, &re) && re.Rule == draft.Name {
			return RulePreview{}, err
		}
		h.log.WarnContext(ctx, "rules left out of the preview", slog.Any("error", err))
	}
	pv := RulePreview{Action: ruleAction(draft.Kind, draft.Action)}
	pv.Truncated, err = h.eachPost(ctx, model.StatusPending, previewScanLimit, func(p model.Post) error {
		pv.Checked++
		if v := rs.Evaluate(p); v.RuleID == draft.ID {
			pv.Count++
			if len(pv.Matches) < previewListLimit {
				pv.Matches = append(pv.Matches, PreviewMatch{Post: p, Reason: v.Reason})
			}
		}
		return nil
	})
	if err != nil {
		return RulePreview{}, fmt.Errorf("moderation: preview rule: %w", err)
	}
	if draft.Kind == model.RuleBanAuthor || draft.Kind == model.RuleBanDomain {
		alone, err := CompileRules([]model.Rule{draft}, model.RuleSettings{})
		if err != nil {
			return RulePreview{}, err
		}
		_, err = h.eachPost(ctx, model.StatusApproved, 0, func(p model.Post) error {
			if v := alone.Evaluate(p); v.Action != "" {
				pv.RetractCount++
				if len(pv.Retract) < previewListLimit {
					pv.Retract = append(pv.Retract, PreviewMatch{Post: p, Reason: v.Reason})
				}
			}
			return nil
		})
		if err != nil {
			return RulePreview{}, fmt.Errorf("moderation: preview rule: %w", err)
		}
	}
	return pv, nil
}

// knownNetworks are the networks an author rule may be limited to.
var knownNetworks = []model.Network{model.NetworkMastodon, model.NetworkBluesky, model.NetworkX, model.NetworkInstagram,
	model.NetworkFacebook, model.NetworkFeed, model.NetworkWebpage, model.NetworkSubmission, model.NetworkDemo}

// validateRule checks a rule an admin typed and returns it tidied up: name
// trimmed, line endings unified, the action its kind implies, fields its
// kind does not use cleared. Problems are *RuleError, safe to show.
func validateRule(r model.Rule) (model.Rule, error) {
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		return r, ruleErrorf("", "give the rule a name")
	case utf8.RuneCountInString(r.Name) > maxRuleName:
		return r, ruleErrorf("", "the name is longer than %d characters", maxRuleName)
	case strings.IndexFunc(r.Name, unicode.IsControl) >= 0:
		return r, ruleErrorf("", "the name must be one line")
	}
	for _, t := range []string{model.ToggleOptOut, model.ToggleSkipReplies, model.ToggleSkipBoosts, model.ToggleRequirePhoto, model.ToggleHoldSensitive} {
		if strings.EqualFold(r.Name, t) {
			return r, ruleErrorf(r.Name, "this name belongs to a toggle; choose another")
		}
	}
	if _, ok := model.ParseRuleKind(string(r.Kind)); !ok {
		return r, ruleErrorf(r.Name, "choose what kind of rule it is")
	}
	r.Action = ruleAction(r.Kind, r.Action)
	r.Value = strings.ReplaceAll(r.Value, "\r\n", "\n")
	if len(r.Value) > maxRuleValue {
		return r, ruleErrorf(r.Name, "the entries are longer than %d KB", maxRuleValue>>10)
	}
	if r.Kind == model.RuleTrustAuthor || r.Kind == model.RuleBanAuthor {
		if r.Network != "" && !knownNetwork(r.Network) {
			return r, ruleErrorf(r.Name, "unknown network %q", r.Network)
		}
	} else {
		r.Network = ""
	}
	r.Language = strings.ToLower(strings.TrimSpace(r.Language))
	if r.Kind != model.RuleBlockWords {
		r.Language = ""
	}
	if len(r.Language) > 8 || strings.IndexFunc(r.Language, func(c rune) bool { return (c < 'a' || c > 'z') && c != '-' }) >= 0 {
		return r, ruleErrorf(r.Name, "write the language as a code such as de or pt")
	}
	if _, err := compileRule(r); err != nil {
		return r, err
	}
	return r, nil
}

func knownNetwork(n model.Network) bool {
	for _, k := range knownNetworks {
		if k == n {
			return true
		}
	}
	return false
}
