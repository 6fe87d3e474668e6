package model

import (
	"strings"
	"time"
)

// RuleKind is what a moderation rule looks at. Package moderation evaluates
// rules; this file only names them.
type RuleKind string

const (
	RuleTrustAuthor  RuleKind = "trust_author"  // accounts whose posts are approved
	RuleTrustDomain  RuleKind = "trust_domain"  // instances and websites whose posts are approved
	RuleBanAuthor    RuleKind = "ban_author"    // accounts whose posts are rejected and retracted
	RuleBanDomain    RuleKind = "ban_domain"    // instances and websites whose posts are rejected and retracted
	RuleBlockWords   RuleKind = "block_words"   // words and phrases: reject or hold
	RuleBlockPattern RuleKind = "block_pattern" // regular expressions: reject or hold
)

// RuleKinds lists every kind, in the order pages show them.
var RuleKinds = []RuleKind{RuleTrustAuthor, RuleTrustDomain, RuleBanAuthor, RuleBanDomain, RuleBlockWords, RuleBlockPattern}

// ParseRuleKind returns the RuleKind named by s, and false for anything else.
func ParseRuleKind(s string) (RuleKind, bool) {
	for _, k := range RuleKinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// RuleAction is what a matching rule does with a post.
type RuleAction string

const (
	RuleApprove RuleAction = "approve"
	RuleReject  RuleAction = "reject"
	RuleHold    RuleAction = "hold" // stays pending, flagged for a moderator's look
)

// ActionHold is the audit-log action of a rule that held a post for review:
// the post stays pending, so no status changes, but the match is on record.
const ActionHold Action = "hold"

// Rule is one moderation rule, edited by admins. Value holds its entries, one
// per line (accounts, domains, words or patterns); lines starting with # are
// comments. A rule is a named list so the audit log can say "rule:Partner
// organisations" rather than one rule per account.
type Rule struct {
	ID       int64
	Name     string
	Kind     RuleKind
	Value    string
	Action   RuleAction
	Network  Network // author rules: only this network's accounts; "" means any network
	Language string  // word lists: the language the words are in (ISO 639-1), "" for mixed
	Enabled  bool

	CreatedBy string
	CreatedAt time.Time
	UpdatedBy string
	UpdatedAt time.Time
}

// Entries returns the rule's non-empty, non-comment lines, trimmed.
func (r Rule) Entries() []string {
	var out []string
	for line := range strings.Lines(r.Value) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// RuleSettings are the rule toggles that need no list.
type RuleSettings struct {
	OptOut        bool // reject posts whose author wrote #nobot or #nowall in their bio or the post
	SkipReplies   bool // reject replies
	SkipBoosts    bool // reject boosts and reposts
	RequirePhoto  bool // reject posts without a photo
	HoldSensitive bool // hold posts marked sensitive or behind a content warning
}

// DefaultRuleSettings are the toggles before an admin changed any: authors'
// opt-outs are respected and content-warned posts wait for a moderator.
func DefaultRuleSettings() RuleSettings {
	return RuleSettings{OptOut: true, HoldSensitive: true}
}

// The toggles' names, as the audit log shows them ("rule:opt-out"). A rule
// may not take one of these names.
const (
	ToggleOptOut        = "opt-out"
	ToggleSkipReplies   = "skip-replies"
	ToggleSkipBoosts    = "skip-boosts"
	ToggleRequirePhoto  = "require-photo"
	ToggleHoldSensitive = "hold-sensitive"
)

// RuleFlag marks a pending post a rule held for review, with why.
type RuleFlag struct {
	PostID int64
	Rule   string // the rule's name, as in the audit log's actor after "rule:"
	Reason string
	At     time.Time
}
