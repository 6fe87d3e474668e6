package moderation

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/cohesionalliance/campaignwall/model"
)

func renderRules(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	html := buf.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc, html
}

func rulesView(rules []model.Rule, settings model.RuleSettings) RulesView {
	v := RulesView{CampaignName: "#CohesionAlliance", Moderator: "ada", Settings: settings, Pending: 12, Notice: "Toggles saved."}
	for _, k := range model.RuleKinds {
		sec := RuleSection{Kind: k, Info: infoOf(k)}
		for _, r := range rules {
			if r.Kind == k && !isWordList(r) {
				sec.Rules = append(sec.Rules, r)
			}
		}
		v.Sections = append(v.Sections, sec)
	}
	for _, r := range rules {
		if isWordList(r) {
			v.Lists = append(v.Lists, r)
		}
	}
	return v
}

func TestRulesPageComponent(t *testing.T) {
	created := time.Date(2026, 9, 30, 9, 15, 0, 0, time.UTC)
	rules := []model.Rule{
		{ID: 1, Name: "Partners", Kind: model.RuleTrustAuthor, Value: "@cor@social.regions.example\n@cityofgraz\n@ems@x.example\n@four@x.example", Action: model.RuleApprove, Enabled: true, CreatedBy: "ada", CreatedAt: created},
		{ID: 2, Name: "Spam instances", Kind: model.RuleBanDomain, Value: "spam.example", Action: model.RuleReject, Enabled: false, CreatedBy: "ada", CreatedAt: created},
		{ID: 3, Name: "Money talk", Kind: model.RuleBlockWords, Value: "bitcoin", Action: model.RuleHold, Enabled: true},
		{ID: 4, Name: "Blocked words (Deutsch)", Kind: model.RuleBlockWords, Value: "# note\nfotze\nwichser", Language: "de", Action: model.RuleReject, Enabled: true, CreatedBy: "campaignwall", CreatedAt: created},
		{ID: 5, Name: "Blocked words (Polski)", Kind: model.RuleBlockWords, Value: "kurw*", Language: "pl", Action: model.RuleReject, Enabled: true},
		{ID: 6, Name: scriptTag, Kind: model.RuleBlockPattern, Value: imgTag, Action: model.RuleReject, Enabled: true, CreatedBy: scriptTag, CreatedAt: created},
	}
	doc, html := renderRules(t, RulesPage(rulesView(rules, model.RuleSettings{OptOut: true, RequirePhoto: true})))

	if got := doc.Find(`[data-testid="rules-notice"]`).Text(); got != "Toggles saved." {
		t.Errorf("notice = %q", got)
	}
	if n := doc.Find(`[data-testid="precedence"] li`).Length(); n != 5 {
		t.Errorf("precedence lists %d steps, want 5", n)
	}
	if got := doc.Find(`[data-testid="apply-form"]`).AttrOr("action", ""); got != "/admin/rules/apply" {
		t.Errorf("apply form posts to %q", got)
	}
	if got := doc.Find(`[data-testid="apply-form"] p`).Text(); !strings.Contains(got, "12 posts waiting") {
		t.Errorf("apply form text = %q, want the pending count", got)
	}

	t.Run("toggles", func(t *testing.T) {
		for field, on := range map[string]bool{"opt_out": true, "skip_replies": false, "skip_boosts": false, "require_photo": true, "hold_sensitive": false} {
			box := doc.Find(`[data-testid="toggle-` + field + `"]`)
			_, checked := box.Attr("checked")
			if box.Length() != 1 || checked != on || box.AttrOr("name", "") != field {
				t.Errorf("toggle %s: %d boxes, checked %v; want 1 named %s, checked %v", field, box.Length(), checked, field, on)
			}
			if id := box.AttrOr("id", ""); doc.Find(`label[for="`+id+`"]`).Length() != 1 {
				t.Errorf("toggle %s has no label", field)
			}
		}
	})

	t.Run("sections by kind", func(t *testing.T) {
		sections := doc.Find(`[data-testid="rule-section"]`)
		if sections.Length() != len(model.RuleKinds) {
			t.Fatalf("%d sections, want one per kind (%d)", sections.Length(), len(model.RuleKinds))
		}
		trusted := doc.Find(`[data-testid="rule-section"][data-kind="trust_author"]`)
		row := trusted.Find(`[data-testid="rule-row"]`)
		if row.Length() != 1 || row.Find(`[data-testid="rule-name"]`).Text() != "Partners" {
			t.Fatalf("trusted accounts rows: %d, name %q", row.Length(), row.Find(`[data-testid="rule-name"]`).Text())
		}
		if got := row.Find(`[data-testid="rule-entries"]`).Text(); got != "@cor@social.regions.example, @cityofgraz, @ems@x.example and 1 more" {
			t.Errorf("entries = %q", got)
		}
		if got := row.Find(`[data-testid="rule-action"]`).Text(); got != "Approve" {
			t.Errorf("action = %q", got)
		}
		if got := row.Find(`[data-testid="rule-state"]`).Text(); got != "On" {
			t.Errorf("state = %q", got)
		}
		if got := row.Find(`[data-testid="disable-button"]`).Closest("form").AttrOr("action", ""); got != "/admin/rules/1/disable" {
			t.Errorf("turn-off form posts to %q", got)
		}
		if got := trusted.Find(`[data-testid="add-rule"]`).AttrOr("href", ""); got != "/admin/rules/new?kind=trust_author" {
			t.Errorf("add link = %q", got)
		}
		banned := doc.Find(`[data-testid="rule-section"][data-kind="ban_domain"] [data-testid="rule-row"]`)
		if banned.AttrOr("data-enabled", "") != "false" || banned.Find(`[data-testid="enable-button"]`).Closest("form").AttrOr("action", "") != "/admin/rules/2/enable" {
			t.Errorf("disabled ban row: enabled=%q, no turn-on form", banned.AttrOr("data-enabled", ""))
		}
		if got := doc.Find(`[data-testid="rule-section"][data-kind="block_words"] [data-testid="rule-row"] [data-testid="rule-action"]`).Text(); got != "Hold for review" {
			t.Errorf("word rule action = %q, want Hold for review", got)
		}
		if n := doc.Find(`[data-testid="rule-section"][data-kind="trust_domain"] .none`).Length(); n != 1 {
			t.Errorf("empty section shows %d 'none' notes, want 1", n)
		}
	})

	t.Run("word lists by language", func(t *testing.T) {
		rows := doc.Find(`[data-testid="word-lists"] [data-testid="rule-row"]`)
		if rows.Length() != 2 {
			t.Fatalf("%d language lists, want 2", rows.Length())
		}
		if got := rows.First().Find(`[data-testid="rule-entries"]`).Text(); got != "2 entries" {
			t.Errorf("German list = %q, want 2 entries (the note is not a word)", got)
		}
		if got := rows.First().Find(`[data-testid="rule-name"]`).AttrOr("href", ""); got != "/admin/rules/4" {
			t.Errorf("German list links to %q", got)
		}
	})

	t.Run("hostile names are escaped", func(t *testing.T) {
		if doc.Find("script").Length() != 0 || doc.Find("img").Length() != 0 {
			t.Errorf("page has %d script and %d img elements, want none", doc.Find("script").Length(), doc.Find("img").Length())
		}
		if strings.Contains(html, scriptTag) {
			t.Error("a rule's name reached the page unescaped")
		}
		if got := doc.Find(`[data-testid="rule-section"][data-kind="block_pattern"] [data-testid="rule-name"]`).Text(); got != scriptTag {
			t.Errorf("hostile name shown as %q, want the text itself", got)
		}
	})
	t.Run("no inline script or handlers", func(t *testing.T) {
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("inline handler %s on <%s>", a.Key, goquery.NodeName(s))
				}
			}
		})
	})
}

func TestRuleFormPageComponent(t *testing.T) {
	draft := model.Rule{ID: 7, Name: "Gambling", Kind: model.RuleBlockWords, Value: "casino\nfree spins", Action: model.RuleHold, Enabled: true, CreatedBy: "ada", CreatedAt: time.Date(2026, 9, 30, 9, 0, 0, 0, time.UTC)}
	preview := RulePreview{
		Action: model.RuleHold, Checked: 40, Count: 2,
		Matches: []PreviewMatch{
			{Post: model.Post{ID: 11, Author: model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example", DisplayName: "Anna"}, Text: "Casino night " + scriptTag}, Reason: `blocked word "casino" in the post text`},
			{Post: model.Post{ID: 12, Author: model.Author{Network: model.NetworkX, Handle: "spinner"}, HTML: "<p>Free <b>spins</b> today</p>"}, Reason: `blocked phrase "free spins" in the post text`},
		},
	}
	v := RuleFormView{CampaignName: "#CohesionAlliance", Moderator: "ada", Rule: draft, Preview: &preview, Error: "Something is off."}
	doc, _ := renderRules(t, RuleFormPage(v))

	if got := doc.Find(`[data-testid="rule-error"]`).Text(); got != "Something is off." {
		t.Errorf("error = %q", got)
	}
	form := doc.Find(`[data-testid="rule-form"]`)
	if got := form.AttrOr("action", ""); got != "/admin/rules/7" {
		t.Errorf("form posts to %q, want /admin/rules/7", got)
	}
	if got := form.Find(`input[name="id"]`).AttrOr("value", ""); got != "7" {
		t.Errorf("hidden id = %q", got)
	}
	if got := form.Find(`[data-testid="preview-button"]`).AttrOr("formaction", ""); got != "/admin/rules/preview" {
		t.Errorf("preview button posts to %q", got)
	}
	if got := form.Find(`[data-testid="rule-kind"] option[selected]`).AttrOr("value", ""); got != "block_words" {
		t.Errorf("selected kind = %q", got)
	}
	if _, ok := form.Find(`[data-testid="action-hold"]`).Attr("checked"); !ok {
		t.Error("hold is not the checked action")
	}
	if got := form.Find(`[data-testid="rule-value"]`).Text(); got != draft.Value {
		t.Errorf("entries = %q", got)
	}
	if doc.Find(`[data-testid="delete-button"]`).Closest("form").AttrOr("action", "") != "/admin/rules/7/delete" {
		t.Error("no delete form for an existing rule")
	}

	if got := doc.Find(`[data-testid="preview-summary"]`).Text(); got != "This rule would hold for review 2 pending posts:" {
		t.Errorf("summary = %q", got)
	}
	matches := doc.Find(`[data-testid="preview-match"]`)
	if matches.Length() != 2 || matches.First().AttrOr("data-post-id", "") != "11" {
		t.Fatalf("%d matches listed, want posts 11 and 12", matches.Length())
	}
	if got := matches.First().Find(`[data-testid="preview-reason"]`).Text(); got != `blocked word "casino" in the post text` {
		t.Errorf("reason = %q", got)
	}
	if got := matches.Eq(1).Find(".excerpt").Text(); got != "Free spins today" {
		t.Errorf("excerpt of an HTML-only post = %q, want its text", got)
	}
	if doc.Find("script").Length() != 0 {
		t.Error("a post's text reached the page as a script element")
	}

	t.Run("new rule", func(t *testing.T) {
		doc, _ := renderRules(t, RuleFormPage(RuleFormView{CampaignName: "x", Rule: model.Rule{Kind: model.RuleBanAuthor, Enabled: true}, New: true}))
		if got := doc.Find(`[data-testid="rule-form"]`).AttrOr("action", ""); got != "/admin/rules" {
			t.Errorf("new form posts to %q", got)
		}
		if doc.Find(`input[name="id"]`).Length() != 0 || doc.Find(`[data-testid="delete-button"]`).Length() != 0 {
			t.Error("a new rule's form has an id field or a delete button")
		}
		if doc.Find(`[data-testid="preview"]`).Length() != 0 {
			t.Error("preview shown before asking")
		}
		if _, ok := doc.Find(`[data-testid="rule-enabled"]`).Attr("checked"); !ok {
			t.Error("a new rule is not on by default")
		}
	})
	t.Run("ban preview lists retractions", func(t *testing.T) {
		pv := RulePreview{Action: model.RuleReject, Checked: 3, RetractCount: 1, Retract: []PreviewMatch{{Post: model.Post{ID: 21, Text: "old post"}, Reason: "banned account @troll"}}}
		doc, _ := renderRules(t, RuleFormPage(RuleFormView{CampaignName: "x", Rule: model.Rule{Kind: model.RuleBanAuthor}, New: true, Preview: &pv}))
		if got := doc.Find(`[data-testid="preview-summary"]`).Text(); got != "This rule would not reject any of the 3 pending posts." {
			t.Errorf("summary = %q", got)
		}
		if got := doc.Find(`[data-testid="preview-retract-summary"]`).Text(); got != "It would also take 1 approved post off the wall:" {
			t.Errorf("retract summary = %q", got)
		}
		if ids := testIDs(doc, "preview-retract"); len(ids) != 1 || ids[0] != 21 {
			t.Errorf("retractions listed = %v, want [21]", ids)
		}
	})
}

func TestRuleFlagsNoteComponent(t *testing.T) {
	doc, _ := renderRules(t, RuleFlagsNote([]model.RuleFlag{
		{PostID: 3, Rule: model.ToggleHoldSensitive, Reason: `content warning "flood damage"`},
		{PostID: 3, Rule: "Money talk", Reason: `blocked word "funds" in the post text` + scriptTag},
	}))
	flags := doc.Find(`[data-testid="rule-flag"]`)
	if flags.Length() != 2 {
		t.Fatalf("%d flags shown, want 2", flags.Length())
	}
	want := `Held for review by rule:hold-sensitive · content warning "flood damage"`
	if got := flags.First().Text(); got != want {
		t.Errorf("flag = %q, want %q", got, want)
	}
	if got := flags.Eq(1).AttrOr("data-rule", ""); got != "Money talk" {
		t.Errorf("data-rule = %q", got)
	}
	if doc.Find("script").Length() != 0 {
		t.Error("a reason reached the page as markup")
	}
	if empty, _ := renderRules(t, RuleFlagsNote(nil)); empty.Find(`[data-testid="rule-flag"]`).Length() != 0 {
		t.Error("flags shown for a post no rule held")
	}
}
