package moderation

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// rulePosts are named fixtures shaped like what the collectors produce.
var rulePosts = map[string]model.Post{
	"mastodon_partner": {
		Network: model.NetworkMastodon, URI: "https://social.regions.example/users/cor/statuses/1",
		URL:    "https://social.regions.example/@cor/1",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "cor@social.regions.example", DisplayName: "European Committee of the Regions", URL: "https://social.regions.example/@cor"},
		Text:   "Cohesion policy works for every region. #CohesionAlliance", Tags: []string{"CohesionAlliance"},
		Media: []model.Media{{Kind: model.MediaImage, URL: "https://social.regions.example/m/1.jpg", AltText: "a tram"}},
	},
	"mastodon_citizen": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/anna/statuses/2",
		URL:    "https://mastodon.example/@anna/2",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example", DisplayName: "Anna", Bio: "Urbanist in Graz."},
		Text:   "Our new bridge was built with EU funds #CohesionAlliance", Tags: []string{"CohesionAlliance"},
	},
	"spoofed_url": {
		// A post from an unknown server that claims an address on a trusted domain.
		Network: model.NetworkMastodon, URI: "https://evil.example/users/x/statuses/3",
		URL:    "https://cor.europa.eu/news/3",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "x@evil.example", DisplayName: "Totally the CoR"},
		Text:   "Official statement #CohesionAlliance",
	},
	"bluesky_domain": {
		Network: model.NetworkBluesky, URI: "at://did:plc:abc/app.bsky.feed.post/3k",
		URL:    "https://bsky.app/profile/press.cor.europa.eu/post/3k",
		Author: model.Author{Network: model.NetworkBluesky, Handle: "press.cor.europa.eu", DisplayName: "CoR press"},
		Text:   "Regions sign the Joint Call #CohesionAlliance",
	},
	"x_post": {
		Network: model.NetworkX, URI: "https://x.com/cityofgraz/status/4", URL: "https://x.com/cityofgraz/status/4",
		Author: model.Author{Network: model.NetworkX, Handle: "CityOfGraz", DisplayName: "Stadt Graz", URL: "https://x.com/CityOfGraz"},
		Text:   "Graz unterstützt die #CohesionAlliance",
	},
	"reply": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/anna/statuses/5",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example"},
		Text:   "@bob@other.example agreed, see you at the summit #CohesionAlliance",
	},
	"boost": {
		Network: model.NetworkX, URI: "https://x.com/fan/status/6",
		Author: model.Author{Network: model.NetworkX, Handle: "fan"},
		Text:   "RT @CityOfGraz: Graz unterstützt die #CohesionAlliance",
	},
	"content_warning": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/anna/statuses/7",
		Author:         model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example"},
		ContentWarning: "flood damage", Text: "Photos of the flood damage in our valley #CohesionAlliance",
	},
	"sensitive": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/anna/statuses/8",
		Author:    model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example"},
		Sensitive: true, Text: "Hospital built with cohesion funds #CohesionAlliance",
	},
	"nowall_bio": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/quiet/statuses/9",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "quiet@mastodon.example", Bio: "Planner. Please no bots. #NoWall"},
		Text:   "Good session on regional funds #CohesionAlliance",
	},
	"nobot_post": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/anna/statuses/10",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example"},
		Text:   "Just for my followers, #nobot #CohesionAlliance",
	},
	"nobot_tag": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/anna/statuses/11",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "anna@mastodon.example"},
		Text:   "Tagged only", Tags: []string{"CohesionAlliance", "NoBot"},
	},
	"nobotanist": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/flora/statuses/12",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "flora@mastodon.example", Bio: "#nobotanist but I love parks"},
		Text:   "Parks funded by the EU #CohesionAlliance",
	},
	"feed_item": {
		Network: model.NetworkFeed, URI: "https://regions.example/news/13", URL: "https://regions.example/news/13",
		Author: model.Author{Network: model.NetworkFeed, Handle: "Press office@regions.example", DisplayName: "Press office", URL: "https://regions.example/"},
		HTML:   "<p>Cohesion <b>matters</b> for regions</p>",
	},
	"spam": {
		Network: model.NetworkMastodon, URI: "https://spam.example/users/bot/statuses/14",
		URL:    "https://spam.example/@bot/14",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "bot@spam.example", DisplayName: "Crypto Bot"},
		Text:   "Double your BITCOIN now! bit.ly/xyz123 #CohesionAlliance",
	},
	"scheisse": {
		Network: model.NetworkMastodon, URI: "https://mastodon.example/users/hans/statuses/15",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "hans@mastodon.example"},
		Text:   "So eine SCHEISSE, schon wieder gekürzt #CohesionAlliance",
	},
}

func rulePost(t *testing.T, name string) model.Post {
	t.Helper()
	p, ok := rulePosts[name]
	if !ok {
		t.Fatalf("no fixture post %q", name)
	}
	p.PublishedAt = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	return p
}

func rule(id int64, name string, kind model.RuleKind, value string) model.Rule {
	return model.Rule{ID: id, Name: name, Kind: kind, Value: value, Action: ruleAction(kind, model.RuleReject), Enabled: true}
}

func held(r model.Rule) model.Rule {
	r.Action = model.RuleHold
	return r
}

func onNetwork(r model.Rule, n model.Network) model.Rule {
	r.Network = n
	return r
}

var noToggles = model.RuleSettings{}

func TestEvaluateRuleKinds(t *testing.T) {
	tests := []struct {
		name       string
		rules      []model.Rule
		settings   model.RuleSettings
		post       string
		wantRule   string
		wantAction model.RuleAction
		wantReason string // a part of the reason
	}{
		{"trusted account, written with @ and capitals", []model.Rule{rule(1, "Partners", model.RuleTrustAuthor, "@COR@social.regions.example")}, noToggles,
			"mastodon_partner", "Partners", model.RuleApprove, "trusted account @COR@social.regions.example"},
		{"trusted account by profile address", []model.Rule{rule(1, "Partners", model.RuleTrustAuthor, "https://social.regions.example/@cor/")}, noToggles,
			"mastodon_partner", "Partners", model.RuleApprove, "trusted account"},
		{"trusted X account", []model.Rule{rule(1, "Cities", model.RuleTrustAuthor, "@cityofgraz")}, noToggles,
			"x_post", "Cities", model.RuleApprove, "@cityofgraz"},
		{"trusted account limited to another network", []model.Rule{onNetwork(rule(1, "Cities", model.RuleTrustAuthor, "cityofgraz"), model.NetworkBluesky)}, noToggles,
			"x_post", "", "", ""},
		{"other accounts are not trusted", []model.Rule{rule(1, "Partners", model.RuleTrustAuthor, "@cor@social.regions.example")}, noToggles,
			"mastodon_citizen", "", "", ""},
		{"trusted instance", []model.Rule{rule(1, "CoR instance", model.RuleTrustDomain, "regions.example")}, noToggles,
			"mastodon_partner", "CoR instance", model.RuleApprove, "trusted domain regions.example"},
		{"trusted Bluesky domain handle", []model.Rule{rule(1, "CoR", model.RuleTrustDomain, "cor.europa.eu")}, noToggles,
			"bluesky_domain", "CoR", model.RuleApprove, "trusted domain cor.europa.eu"},
		{"trust ignores a post's claimed address", []model.Rule{rule(1, "CoR", model.RuleTrustDomain, "https://cor.europa.eu/")}, noToggles,
			"spoofed_url", "", "", ""},
		{"trusted feed site", []model.Rule{rule(1, "Region sites", model.RuleTrustDomain, "*.regions.example")}, noToggles,
			"feed_item", "Region sites", model.RuleApprove, "regions.example"},
		{"banned account", []model.Rule{rule(1, "Trolls", model.RuleBanAuthor, "anna@mastodon.example")}, noToggles,
			"mastodon_citizen", "Trolls", model.RuleReject, "banned account anna@mastodon.example"},
		{"banned instance", []model.Rule{rule(1, "Spam instances", model.RuleBanDomain, "spam.example")}, noToggles,
			"spam", "Spam instances", model.RuleReject, "banned domain spam.example"},
		{"ban looks at a post's claimed address too", []model.Rule{rule(1, "Impostors", model.RuleBanDomain, "cor.europa.eu")}, noToggles,
			"spoofed_url", "Impostors", model.RuleReject, "banned domain cor.europa.eu"},
		{"blocked word rejects", []model.Rule{rule(1, "German", model.RuleBlockWords, "scheiße")}, noToggles,
			"scheisse", "German", model.RuleReject, `blocked word "scheiße" in the post text`},
		{"blocked word held", []model.Rule{held(rule(1, "Money", model.RuleBlockWords, "bitcoin"))}, noToggles,
			"spam", "Money", model.RuleHold, `blocked word "bitcoin"`},
		{"blocked word in the author's name", []model.Rule{rule(1, "Crypto", model.RuleBlockWords, "crypto")}, noToggles,
			"spam", "Crypto", model.RuleReject, "in the author's name"},
		{"blocked word in HTML-only post", []model.Rule{rule(1, "Matters", model.RuleBlockWords, "matters")}, noToggles,
			"feed_item", "Matters", model.RuleReject, "in the post text"},
		{"blocked pattern", []model.Rule{rule(1, "Short links", model.RuleBlockPattern, `bit\.ly/\w+`)}, noToggles,
			"spam", "Short links", model.RuleReject, `pattern "bit\\.ly/\\w+" matched the post text`},
		{"pattern ignores accents", []model.Rule{held(rule(1, "Support", model.RuleBlockPattern, `unterstutzt`))}, noToggles,
			"x_post", "Support", model.RuleHold, "matched the post text"},
		{"skip replies", nil, model.RuleSettings{SkipReplies: true},
			"reply", model.ToggleSkipReplies, model.RuleReject, "a reply (it opens by addressing @bob@other.example)"},
		{"replies pass when not skipped", nil, noToggles, "reply", "", "", ""},
		{"skip boosts", nil, model.RuleSettings{SkipBoosts: true},
			"boost", model.ToggleSkipBoosts, model.RuleReject, "a boost or repost"},
		{"require a photo", nil, model.RuleSettings{RequirePhoto: true},
			"mastodon_citizen", model.ToggleRequirePhoto, model.RuleReject, "no photo"},
		{"photo present", nil, model.RuleSettings{RequirePhoto: true}, "mastodon_partner", "", "", ""},
		{"hold content warning", nil, model.RuleSettings{HoldSensitive: true},
			"content_warning", model.ToggleHoldSensitive, model.RuleHold, `content warning "flood damage"`},
		{"hold sensitive", nil, model.RuleSettings{HoldSensitive: true},
			"sensitive", model.ToggleHoldSensitive, model.RuleHold, "marked sensitive"},
		{"opt-out in bio", nil, model.RuleSettings{OptOut: true},
			"nowall_bio", model.ToggleOptOut, model.RuleReject, "#nobot or #nowall in the author's bio"},
		{"opt-out in post", nil, model.RuleSettings{OptOut: true},
			"nobot_post", model.ToggleOptOut, model.RuleReject, "in the post"},
		{"opt-out as a hashtag", nil, model.RuleSettings{OptOut: true},
			"nobot_tag", model.ToggleOptOut, model.RuleReject, "in the post"},
		{"#nobotanist is no opt-out", nil, model.RuleSettings{OptOut: true}, "nobotanist", "", "", ""},
		{"opt-out off", nil, noToggles, "nowall_bio", "", "", ""},
		{"disabled rule", []model.Rule{{ID: 1, Name: "Off", Kind: model.RuleBlockWords, Value: "bitcoin", Action: model.RuleReject}}, noToggles,
			"spam", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := CompileRules(tt.rules, tt.settings)
			if err != nil {
				t.Fatalf("CompileRules: %v", err)
			}
			v := rs.Evaluate(rulePost(t, tt.post))
			if v.Rule != tt.wantRule || v.Action != tt.wantAction || !strings.Contains(v.Reason, tt.wantReason) {
				t.Errorf("got rule %q action %q reason %q; want rule %q action %q reason containing %q",
					v.Rule, v.Action, v.Reason, tt.wantRule, tt.wantAction, tt.wantReason)
			}
		})
	}
}

func TestOptOutInBioRetractsAuthor(t *testing.T) {
	rs, _ := CompileRules(nil, model.RuleSettings{OptOut: true})
	if v := rs.Evaluate(rulePost(t, "nowall_bio")); !v.OptedOutAuthor {
		t.Errorf("opt-out in bio: OptedOutAuthor = false, want true (verdict %+v)", v)
	}
	if v := rs.Evaluate(rulePost(t, "nobot_post")); v.OptedOutAuthor {
		t.Errorf("opt-out in one post: OptedOutAuthor = true, want false: only that post is withheld")
	}
}

func TestWordMatching(t *testing.T) {
	tests := []struct {
		name, entry, text string
		want              bool
	}{
		{"German ß matches SS", "scheiße", "So eine SCHEISSE!", true},
		{"German ß matches ss", "scheiße", "scheisse", true},
		{"German is whole words", "scheiße", "Scheiß-Wetter heute", false},
		{"Polish prefix with ogonek", "kurw*", "Co za kurwą!", true},
		{"Polish accent dropped in text", "jebać", "JEBAC to", true},
		{"Polish accent kept in text", "jebać", "jebać to", true},
		{"Polish ł matches l", "łajdak", "Ty LAJDAKU... no, ty łajdak", true},
		{"Polish ł written plainly", "lajdak", "ty łajdak", true},
		{"Greek capitals without tonos", "μαλάκας", "ΜΑΛΑΚΑΣ", true},
		{"Greek final sigma", "μαλάκας", "είσαι μαλάκας.", true},
		{"Greek accent differs", "σκατά", "Σκατα!", true},
		{"Greek μαλακά (softly) is not μαλάκας", "μαλάκας", "Πάτα μαλακά το φρένο", false},
		{"Hungarian double acute", "köcsög", "Te KÖCSÖG", true},
		{"Romanian comma below", "căcat", "ce cacat", true},
		{"word boundary: class is not ass", "ass", "A class of regions", false},
		{"word boundary: the word itself", "ass", "what an ass.", true},
		{"prefix keeps boundary at the start", "cunt*", "Scunthorpe council", false},
		{"prefix matches endings", "fuck*", "fucking great", true},
		{"phrase", "fils de pute", "Quel FILS DE PUTE", true},
		{"phrase needs every word in order", "fils de pute", "le fils de la pute", false},
		{"phrase across punctuation", "gagnez de l'argent", "Gagnez de l’argent vite", true},
		{"hashtag", "kurwa", "#Kurwa", true},
		{"full-width letters", "fuck*", "ｆｕｃｋ this", true},
		{"digits are part of words", "spam", "spam2026", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := CompileRules([]model.Rule{rule(1, "Words", model.RuleBlockWords, tt.entry)}, noToggles)
			if err != nil {
				t.Fatalf("CompileRules: %v", err)
			}
			p := rulePost(t, "mastodon_citizen")
			p.Text = tt.text
			v := rs.Evaluate(p)
			if got := v.Action != ""; got != tt.want {
				t.Errorf("%q in %q: matched = %v (reason %q), want %v", tt.entry, tt.text, got, v.Reason, tt.want)
			}
		})
	}
}

func TestDefaultRules(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 24 {
		t.Fatalf("%d default lists, want one per EU language (24)", len(rules))
	}
	for i := range rules {
		rules[i].ID = int64(i + 1)
		if _, err := validateRule(rules[i]); err != nil {
			t.Errorf("default list %s does not validate: %v", rules[i].Language, err)
		}
		if n := len(rules[i].Entries()); n < 4 {
			t.Errorf("default list %s has %d words, want a few more", rules[i].Language, n)
		}
	}
	rs, err := CompileRules(rules, noToggles)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("they catch", func(t *testing.T) {
		for _, text := range []string{
			"Was für eine Scheiße", "KURWA mać", "Τι μαλάκας", "fucking politicians", "Quel connard",
			"faszom ebbe", "vaffanculo a tutti", "Ty skurwysynu? no: skurwysyn", "Double your Bitcoin today",
			"hijo de puta", "ma che cazzo", "Sugi pula", "γαμώ το", "Żobb", "vittu mitä",
		} {
			p := rulePost(t, "mastodon_citizen")
			p.Text = text
			if v := rs.Evaluate(p); v.Action != model.RuleReject {
				t.Errorf("%q: not caught by the default lists", text)
			}
		}
	})
	t.Run("they leave innocent words alone", func(t *testing.T) {
		// Everyday words in one EU language that look like a listed word in
		// another once accents are gone.
		for _, text := range []string{
			"The new tram line to Pula in Istria opens today",         // Romanian pula
			"Fahrradfahren: das Pedal, die Kurve, die curva",          // Polish pedał, Romanian curvă
			"Die Faszination der Regionen, dazu Kekse und Kaffee",     // Hungarian fasz*, Lithuanian kekšė
			"Jag fick en fin bild; till slut kom tåget",               // German fick*, English slut
			"Het is belangrijk om dit niet te negeren",                // Dutch neger*
			"Nous sommes en retard, mais avec des lits neufs",         // English retard, Estonian lits
			"Una hora de charla sobre la curva de inversión con Kike", // Swedish hora, English kike
			"Il mio paese è Troia, vicino a Foggia: la figa torre",    // Italian slurs with place names
			"Ő a kút mellett áll, a gazda fan club",                   // Dutch kut, Swedish fan
			"Na focail seo: an pit agus an bog",                       // Irish focáil, English bog
			"Πάτα μαλακά το φρένο",                                    // Greek μαλάκα
			"Ele pede ajuda ao con do año",                            // French pédé, con
			"Consultation with the class of 2026 and the Assembly",
			"Sitt ned i parken med perse gelato",
		} {
			p := rulePost(t, "mastodon_citizen")
			p.Text = text
			if v := rs.Evaluate(p); v.Action != "" {
				t.Errorf("%q: caught by %s (%s), want no match", text, v.Rule, v.Reason)
			}
		}
	})
}

func TestPrecedence(t *testing.T) {
	trust := rule(10, "Partners", model.RuleTrustAuthor, "anna@mastodon.example")
	ban := rule(20, "Trolls", model.RuleBanAuthor, "anna@mastodon.example")
	banDomain := rule(21, "Bad instance", model.RuleBanDomain, "mastodon.example")
	rejectWord := rule(30, "Bridges", model.RuleBlockWords, "bridge")
	holdWord := held(rule(31, "Funds", model.RuleBlockWords, "funds"))
	olderReject := rule(5, "Older", model.RuleBlockPattern, "bridge")
	all := model.RuleSettings{OptOut: true, HoldSensitive: true, RequirePhoto: true}
	tests := []struct {
		name     string
		rules    []model.Rule
		settings model.RuleSettings
		post     func(model.Post) model.Post
		wantRule string
	}{
		{"ban beats trust", []model.Rule{trust, ban}, noToggles, nil, "Trolls"},
		{"ban beats opt-out", []model.Rule{ban}, all, optOut, "Trolls"},
		{"opt-out beats trust", []model.Rule{trust}, all, optOut, model.ToggleOptOut},
		{"reject word beats trust", []model.Rule{trust, rejectWord}, noToggles, nil, "Bridges"},
		{"require photo beats trust", []model.Rule{trust}, model.RuleSettings{RequirePhoto: true}, nil, model.ToggleRequirePhoto},
		{"trust beats hold word", []model.Rule{trust, holdWord}, noToggles, nil, "Partners"},
		{"trust beats hold sensitive", []model.Rule{trust}, model.RuleSettings{HoldSensitive: true}, sensitive, "Partners"},
		{"reject word beats hold word", []model.Rule{holdWord, rejectWord}, noToggles, nil, "Bridges"},
		{"toggles before rules within a step", []model.Rule{rejectWord}, model.RuleSettings{RequirePhoto: true}, nil, model.ToggleRequirePhoto},
		{"older rule first within a step", []model.Rule{rejectWord, olderReject}, noToggles, nil, "Older"},
		{"bans in rule order", []model.Rule{ban, banDomain}, noToggles, nil, "Trolls"},
		{"hold word when nothing else", []model.Rule{holdWord}, noToggles, nil, "Funds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := CompileRules(tt.rules, tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			p := rulePost(t, "mastodon_citizen") // "Our new bridge was built with EU funds"
			if tt.post != nil {
				p = tt.post(p)
			}
			if v := rs.Evaluate(p); v.Rule != tt.wantRule {
				t.Errorf("decided by %q (%s), want %q", v.Rule, v.Reason, tt.wantRule)
			}
		})
	}
}

func optOut(p model.Post) model.Post {
	p.Author.Bio = "#nobot"
	return p
}

func sensitive(p model.Post) model.Post {
	p.ContentWarning = "construction noise"
	return p
}

func TestCompileRulesKeepsGoodRules(t *testing.T) {
	rules := []model.Rule{
		rule(1, "Broken pattern", model.RuleBlockPattern, "(unclosed"),
		rule(2, "Bridges", model.RuleBlockWords, "bridge"),
	}
	rs, err := CompileRules(rules, noToggles)
	var re *RuleError
	if !errors.As(err, &re) || re.Rule != "Broken pattern" {
		t.Fatalf("err = %v, want a *RuleError for the broken pattern", err)
	}
	if v := rs.Evaluate(rulePost(t, "mastodon_citizen")); v.Rule != "Bridges" {
		t.Errorf("decided by %q, want the good rule Bridges still working", v.Rule)
	}
}

func TestValidateRule(t *testing.T) {
	tests := []struct {
		name    string
		rule    model.Rule
		wantErr string // part of the message; "" for valid
	}{
		{"valid words", model.Rule{Name: " Spam ", Kind: model.RuleBlockWords, Value: "casino\r\nfree spins\n"}, ""},
		{"no name", model.Rule{Kind: model.RuleBlockWords, Value: "x"}, "give the rule a name"},
		{"toggle's name", model.Rule{Name: "Opt-Out", Kind: model.RuleBlockWords, Value: "x"}, "belongs to a toggle"},
		{"unknown kind", model.Rule{Name: "x", Kind: "allow_everything", Value: "x"}, "what kind"},
		{"no entries", model.Rule{Name: "x", Kind: model.RuleBlockWords, Value: "# only a note\n\n"}, "no entries"},
		{"punctuation only", model.Rule{Name: "x", Kind: model.RuleBlockWords, Value: "!!!"}, "no letters"},
		{"short prefix", model.Rule{Name: "x", Kind: model.RuleBlockWords, Value: "a*"}, "at least 3 letters"},
		{"bad pattern", model.Rule{Name: "x", Kind: model.RuleBlockPattern, Value: "[a-"}, "not a valid pattern"},
		{"pattern matching everything", model.Rule{Name: "x", Kind: model.RuleBlockPattern, Value: ".*"}, "matches every post"},
		{"bad domain", model.Rule{Name: "x", Kind: model.RuleBanDomain, Value: "not a domain"}, "not a domain"},
		{"domain from URL", model.Rule{Name: "x", Kind: model.RuleBanDomain, Value: "https://Spam.Example/path"}, ""},
		{"Mastodon account without instance", model.Rule{Name: "x", Kind: model.RuleTrustAuthor, Network: model.NetworkMastodon, Value: "@cor"}, "@name@instance"},
		{"two accounts on a line", model.Rule{Name: "x", Kind: model.RuleTrustAuthor, Value: "@a @b"}, "one account per line"},
		{"unknown network", model.Rule{Name: "x", Kind: model.RuleTrustAuthor, Network: "myspace", Value: "@a"}, "unknown network"},
		{"bad language", model.Rule{Name: "x", Kind: model.RuleBlockWords, Language: "Deutsch!", Value: "x1"}, "language as a code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := validateRule(tt.rule)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if strings.Contains(got.Value, "\r") || got.Name != strings.TrimSpace(tt.rule.Name) {
					t.Errorf("rule not tidied: name %q value %q", got.Name, got.Value)
				}
				return
			}
			var re *RuleError
			if !errors.As(err, &re) || !strings.Contains(re.Message, tt.wantErr) {
				t.Errorf("err = %v, want a *RuleError containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("action follows the kind", func(t *testing.T) {
		for _, tt := range []struct {
			kind   model.RuleKind
			chosen model.RuleAction
			want   model.RuleAction
		}{
			{model.RuleTrustAuthor, model.RuleReject, model.RuleApprove},
			{model.RuleBanDomain, model.RuleHold, model.RuleReject},
			{model.RuleBlockWords, model.RuleHold, model.RuleHold},
			{model.RuleBlockPattern, "approve", model.RuleReject},
		} {
			r, err := validateRule(model.Rule{Name: "x", Kind: tt.kind, Action: tt.chosen, Value: "example.social"})
			if err != nil || r.Action != tt.want {
				t.Errorf("%s with %q: action %q (err %v), want %q", tt.kind, tt.chosen, r.Action, err, tt.want)
			}
		}
	})
}
