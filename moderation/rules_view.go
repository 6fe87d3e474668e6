package moderation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// RulesView is what the rules page shows.
type RulesView struct {
	CampaignName string
	Moderator    string
	Notice       string // safe text built on the server, escaped on render
	Settings     model.RuleSettings
	Sections     []RuleSection // admins' own rules, by kind
	Lists        []model.Rule  // the blocked-word lists per language
	Pending      int           // posts in the pending queue
	Location     *time.Location
}

// RuleSection is one kind of rule on the rules page.
type RuleSection struct {
	Kind  model.RuleKind
	Info  kindInfo
	Rules []model.Rule
}

// RuleFormView is the page that adds or edits a rule, with a preview.
type RuleFormView struct {
	CampaignName string
	Moderator    string
	Rule         model.Rule
	New          bool
	Error        string // safe text, or ""
	Preview      *RulePreview
	Location     *time.Location
}

// kindInfo is how pages talk about one kind of rule.
type kindInfo struct {
	Title   string // section heading
	Does    string // what a match does
	Entries string // what to write, one per line
	Add     string // the link that adds one
}

var kindInfos = map[model.RuleKind]kindInfo{
	model.RuleTrustAuthor: {
		Title:   "Trusted accounts",
		Does:    "Posts by these accounts are approved without waiting, unless a ban, an opt-out or a reject rule catches them first.",
		Entries: "One account per line, as written on its network: @name@instance.social (Mastodon), @name.bsky.social (Bluesky), @name (X, Instagram), or the profile's address.",
		Add:     "Add trusted accounts",
	},
	model.RuleTrustDomain: {
		Title:   "Trusted instances and websites",
		Does:    "Posts by accounts on these domains (a Mastodon instance, a Bluesky handle domain, a configured website) are approved without waiting.",
		Entries: "One domain per line, like cor.europa.eu; it covers its subdomains too.",
		Add:     "Add trusted domains",
	},
	model.RuleBanAuthor: {
		Title:   "Banned accounts",
		Does:    "Posts by these accounts are rejected. Saving the rule also takes their approved posts off the wall.",
		Entries: "One account per line, as written on its network: @name@instance.social (Mastodon), @name.bsky.social (Bluesky), @name (X, Instagram), or the profile's address.",
		Add:     "Ban accounts",
	},
	model.RuleBanDomain: {
		Title:   "Banned instances and domains",
		Does:    "Posts from these domains, or linking to them as their own address, are rejected. Saving the rule also takes their approved posts off the wall.",
		Entries: "One domain per line, like spam.example; it covers its subdomains too.",
		Add:     "Ban domains",
	},
	model.RuleBlockWords: {
		Title:   "Blocked words",
		Does:    "Posts using these words in their text, content warning, hashtags or author name are rejected, or held for review.",
		Entries: "One word or phrase per line. Case and accents are ignored and only whole words match (ass does not match class); end a word with * to match any ending (kurw* matches kurwa). Lines starting with # are notes.",
		Add:     "Add blocked words",
	},
	model.RuleBlockPattern: {
		Title:   "Blocked patterns",
		Does:    "Posts whose text, content warning, hashtags or author name match one of these regular expressions are rejected, or held for review.",
		Entries: "One regular expression per line (RE2 syntax, as in Go), ignoring case, tried on the text as written and without accents, e.g. bit\\.ly/\\w+ or (free|cheap) followers.",
		Add:     "Add patterns",
	},
}

func infoOf(k model.RuleKind) kindInfo { return kindInfos[k] }

// isWordList tells the per-language default lists (and lists an admin gave
// a language) from other word rules; the page shows them in their own table.
func isWordList(r model.Rule) bool { return r.Kind == model.RuleBlockWords && r.Language != "" }

func actionLabel(a model.RuleAction) string {
	switch a {
	case model.RuleApprove:
		return "Approve"
	case model.RuleReject:
		return "Reject"
	case model.RuleHold:
		return "Hold for review"
	}
	return string(a)
}

// actionVerb is the preview's "this rule would … N pending posts".
func actionVerb(a model.RuleAction) string {
	switch a {
	case model.RuleApprove:
		return "approve"
	case model.RuleHold:
		return "hold for review"
	}
	return "reject"
}

func choosesAction(k model.RuleKind) bool {
	return k == model.RuleBlockWords || k == model.RuleBlockPattern
}

func isAuthorKind(k model.RuleKind) bool {
	return k == model.RuleTrustAuthor || k == model.RuleBanAuthor
}

// entrySummary shows the first few entries of a rule and how many more.
func entrySummary(r model.Rule) string {
	e := r.Entries()
	const shown = 3
	if len(e) <= shown {
		return strings.Join(e, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(e[:shown], ", "), len(e)-shown)
}

func entryCount(r model.Rule) string {
	n := len(r.Entries())
	if n == 1 {
		return "1 entry"
	}
	return strconv.Itoa(n) + " entries"
}

func ruleURL(id int64) string { return "/admin/rules/" + strconv.FormatInt(id, 10) }

func ruleActionURL(id int64, what string) string { return ruleURL(id) + "/" + what }

func newRuleURL(k model.RuleKind) string { return "/admin/rules/new?kind=" + string(k) }

func networkLabel(n model.Network) string {
	switch n {
	case "":
		return "Any network"
	case model.NetworkX:
		return "X"
	}
	return strings.ToUpper(string(n[:1])) + string(n[1:])
}

// changedText says who made or last changed a rule, and when.
func changedText(r model.Rule, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	if !r.UpdatedAt.IsZero() && r.UpdatedBy != "" {
		return fmt.Sprintf("changed by %s, %s", r.UpdatedBy, r.UpdatedAt.In(loc).Format("2 Jan 2006 15:04"))
	}
	if r.CreatedBy == "" {
		return ""
	}
	return fmt.Sprintf("added by %s, %s", r.CreatedBy, r.CreatedAt.In(loc).Format("2 Jan 2006 15:04"))
}

// previewSummary is the preview's first sentence.
func previewSummary(p RulePreview) string {
	posts := func(n int) string {
		if n == 1 {
			return "1 pending post"
		}
		return strconv.Itoa(n) + " pending posts"
	}
	if p.Count == 0 {
		return fmt.Sprintf("This rule would not %s any of the %s.", actionVerb(p.Action), posts(p.Checked))
	}
	s := fmt.Sprintf("This rule would %s %s", actionVerb(p.Action), posts(p.Count))
	if p.Count > len(p.Matches) {
		s += fmt.Sprintf(" (the first %d are listed)", len(p.Matches))
	}
	return s + ":"
}

func retractSummary(p RulePreview) string {
	if p.RetractCount == 1 {
		return "It would also take 1 approved post off the wall:"
	}
	return fmt.Sprintf("It would also take %d approved posts off the wall:", p.RetractCount)
}

func excerpt(p model.Post) string {
	t := p.Text
	if strings.TrimSpace(t) == "" {
		t = htmlText(p.HTML)
	}
	return clip(strings.Join(strings.Fields(t), " "), 160)
}

func (v RuleFormView) title() string {
	if v.New {
		return "New rule"
	}
	return "Edit rule"
}

// settingsFields are the toggles as the settings form shows them.
type settingField struct {
	Name  string // form field
	Label string
	Help  string
	On    bool
}

func settingFields(s model.RuleSettings) []settingField {
	return []settingField{
		{"opt_out", "Respect opt-outs", "Never show posts whose author wrote #nobot or #nowall in their bio, name or the post; their approved posts come off the wall too.", s.OptOut},
		{"skip_replies", "Skip replies", "Reject posts that open by addressing someone (@name …).", s.SkipReplies},
		{"skip_boosts", "Skip boosts and reposts", "Reject posts that open with RT.", s.SkipBoosts},
		{"require_photo", "Require a photo", "Reject posts without a photo.", s.RequirePhoto},
		{"hold_sensitive", "Hold sensitive posts", "Keep posts with a content warning or marked sensitive in the queue, flagged for a moderator; posts from trusted accounts are still approved.", s.HoldSensitive},
	}
}

// saveURL is where the rule form posts: the rule's own address when it
// exists, the list's when it is new.
func saveURL(v RuleFormView) string {
	if v.New {
		return "/admin/rules"
	}
	return ruleURL(v.Rule.ID)
}

func nameOrExample(name string) string {
	if name == "" {
		return "NAME"
	}
	return name
}

func boolText(b bool) string { return strconv.FormatBool(b) }
