package moderation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// ruleNotifier records what the wall would have been told.
type ruleNotifier struct {
	mu    sync.Mutex
	posts []model.Post
}

func (n *ruleNotifier) PostChanged(p model.Post) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.posts = append(n.posts, p)
}

// byID returns the last state the wall was told for each post.
func (n *ruleNotifier) byID() map[int64]model.Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[int64]model.Status{}
	for _, p := range n.posts {
		out[p.ID] = p.Status
	}
	return out
}

// rulesEnv is a moderation handler over a real database, with an admin
// (ada) and a moderator (max) logged in.
type rulesEnv struct {
	st       *store.Store
	h        *Handler
	mux      *http.ServeMux
	notifier *ruleNotifier
	admin    string // session cookie values
	mod      string
}

const rulesPassword = "a long enough password"

func newRulesEnv(t *testing.T) *rulesEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "rules.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := auth.HashPassword(rulesPassword)
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]model.Role{"ada": model.RoleAdmin, "max": model.RoleModerator} {
		if _, err := st.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: hash, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	e := &rulesEnv{st: st, mux: http.NewServeMux(), notifier: &ruleNotifier{}}
	e.h = NewHandler(st, auth.New(st, auth.Options{}), e.notifier, nil, Options{CampaignName: "#CohesionAlliance"})
	e.h.Routes(e.mux)
	e.admin, e.mod = e.login(t, "ada"), e.login(t, "max")
	return e
}

func (e *rulesEnv) login(t *testing.T, name string) string {
	t.Helper()
	rec := e.send(t, "POST", "/login", url.Values{"name": {name}, "password": {rulesPassword}}, "", "same-origin")
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.CookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("login %s: status %d, no session cookie", name, rec.Code)
	return ""
}

// send makes a request as a browser would: form posts carry Sec-Fetch-Site.
func (e *rulesEnv) send(t *testing.T, method, target string, form url.Values, cookie, site string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = "192.0.2.20:4000"
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

func (e *rulesEnv) adminPost(t *testing.T, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, "POST", target, form, e.admin, "same-origin")
}

func (e *rulesEnv) adminGet(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, "GET", target, nil, e.admin, "")
}

// save stores fixture posts (as a collector's batch) and returns them with IDs.
func (e *rulesEnv) save(t *testing.T, names ...string) []model.Post {
	t.Helper()
	var ps []model.Post
	for _, n := range names {
		ps = append(ps, rulePost(t, n))
	}
	res, err := e.st.SavePosts(context.Background(), "test", ps, "")
	if err != nil || len(res.New) != len(ps) {
		t.Fatalf("SavePosts: %d new, %v; want %d", len(res.New), err, len(ps))
	}
	return res.New
}

func (e *rulesEnv) createRule(t *testing.T, r model.Rule) model.Rule {
	t.Helper()
	r.Enabled = true
	r.Action = ruleAction(r.Kind, r.Action)
	r, err := e.st.CreateRule(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *rulesEnv) status(t *testing.T, id int64) model.Post {
	t.Helper()
	p, err := e.st.PostByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lastDecision is the newest audit-log row of a post, or the zero Decision.
func (e *rulesEnv) lastDecision(t *testing.T, id int64) model.Decision {
	t.Helper()
	ds, err := e.st.Decisions(context.Background(), store.DecisionFilter{PostID: id, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 {
		return model.Decision{}
	}
	return ds[0]
}

func (e *rulesEnv) decisionCount(t *testing.T) int {
	t.Helper()
	ds, err := e.st.Decisions(context.Background(), store.DecisionFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(ds)
}

func TestPostsCollectedAppliesRules(t *testing.T) {
	ctx := context.Background()
	e := newRulesEnv(t)
	if err := e.h.InstallDefaultRules(ctx); err != nil {
		t.Fatal(err)
	}
	e.createRule(t, model.Rule{Name: "Partners", Kind: model.RuleTrustAuthor, Value: "@cor@social.regions.example"})
	e.createRule(t, model.Rule{Name: "Spam instances", Kind: model.RuleBanDomain, Value: "spam.example"})
	e.createRule(t, model.Rule{Name: "Money talk", Kind: model.RuleBlockWords, Value: "subsidies\nfunds", Action: model.RuleHold})

	names := []string{"mastodon_partner", "mastodon_citizen", "scheisse", "content_warning", "nowall_bio", "spam", "x_post"}
	posts := e.save(t, names...)
	pending := e.h.applyRules(ctx, posts)

	want := map[string]struct {
		status model.Status
		action model.Action
		actor  string
		reason string
	}{
		"mastodon_partner": {model.StatusApproved, model.ActionApprove, "rule:Partners", "trusted account @cor@social.regions.example"},
		"mastodon_citizen": {model.StatusPending, model.ActionHold, "rule:Money talk", `blocked word "funds" in the post text`},
		"scheisse":         {model.StatusRejected, model.ActionReject, "rule:Blocked words (Deutsch)", `blocked word "scheiße"`},
		"content_warning":  {model.StatusPending, model.ActionHold, "rule:hold-sensitive", `content warning "flood damage"`},
		"nowall_bio":       {model.StatusRejected, model.ActionReject, "rule:opt-out", "#nobot or #nowall in the author's bio"},
		"spam":             {model.StatusRejected, model.ActionReject, "rule:Spam instances", "banned domain spam.example"},
		"x_post":           {model.StatusPending, "", "", ""},
	}
	notified := e.notifier.byID()
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			w := want[name]
			p := e.status(t, posts[i].ID)
			d := e.lastDecision(t, p.ID)
			if p.Status != w.status || d.Action != w.action || d.Actor != w.actor || !strings.Contains(d.Reason, w.reason) {
				t.Errorf("got %s, audit %q by %q (%q); want %s, audit %q by %q (%q)",
					p.Status, d.Action, d.Actor, d.Reason, w.status, w.action, w.actor, w.reason)
			}
			wantNotified := w.status == model.StatusApproved || w.status == model.StatusRejected
			if got, ok := notified[p.ID]; ok != wantNotified || (ok && got != w.status) {
				t.Errorf("wall told %q (told: %v), want told: %v", got, ok, wantNotified)
			}
		})
	}

	var pendingIDs []int64
	for _, p := range pending {
		pendingIDs = append(pendingIDs, p.ID)
	}
	if wantIDs := []int64{posts[1].ID, posts[3].ID, posts[6].ID}; !equalIDs(pendingIDs, wantIDs) {
		t.Errorf("applyRules returned %v as still pending, want %v", pendingIDs, wantIDs)
	}
	flags, err := e.st.RuleFlags(ctx, []int64{posts[3].ID})
	if err != nil || len(flags[posts[3].ID]) != 1 || flags[posts[3].ID][0].Rule != model.ToggleHoldSensitive {
		t.Errorf("flags of the content-warned post = %+v, %v; want one by hold-sensitive", flags, err)
	}

	before := e.decisionCount(t)
	e.h.PostsCollected(ctx, posts) // the same batch again, e.g. after a retried run
	if after := e.decisionCount(t); after != before {
		t.Errorf("judging the same posts twice wrote %d more audit rows, want 0", after-before)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBanRetractsApprovedPosts(t *testing.T) {
	tests := []struct {
		name, kind, value, wantReason string
	}{
		{"banned account", string(model.RuleBanAuthor), "@Anna@mastodon.example", "banned account @Anna@mastodon.example"},
		{"banned instance", string(model.RuleBanDomain), "mastodon.example", "banned domain mastodon.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newRulesEnv(t)
			ps := e.save(t, "mastodon_citizen", "sensitive", "content_warning", "mastodon_partner")
			annaApproved, annaPending, other := ps[:2], ps[2], ps[3]
			for _, p := range append(annaApproved, other) {
				if _, err := e.st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "max"}); err != nil {
					t.Fatal(err)
				}
			}

			rec := e.adminPost(t, "/admin/rules", url.Values{"name": {"Trolls"}, "kind": {tt.kind}, "value": {tt.value}, "enabled": {"on"}})
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("save ban: status %d, want 303 (body %q)", rec.Code, rec.Body)
			}
			loc, _ := url.Parse(rec.Header().Get("Location"))
			if q := loc.Query(); loc.Path != "/admin/rules" || q.Get("retracted") != "2" || q.Get("rejected") != "1" {
				t.Errorf("redirect to %s, want /admin/rules with retracted=2 rejected=1", loc)
			}
			for _, p := range annaApproved {
				got, d := e.status(t, p.ID), e.lastDecision(t, p.ID)
				if got.Status != model.StatusRejected || d.Action != model.ActionRetract || d.Actor != "rule:Trolls" || !strings.Contains(d.Reason, tt.wantReason) {
					t.Errorf("approved post %d: %s, audit %q by %q (%q); want retracted by rule:Trolls naming %q", p.ID, got.Status, d.Action, d.Actor, d.Reason, tt.wantReason)
				}
			}
			if got, d := e.status(t, annaPending.ID), e.lastDecision(t, annaPending.ID); got.Status != model.StatusRejected || d.Actor != "rule:Trolls" {
				t.Errorf("pending post: %s by %q, want rejected by rule:Trolls", got.Status, d.Actor)
			}
			if got := e.status(t, other.ID); got.Status != model.StatusApproved {
				t.Errorf("another author's post: %s, want still approved", got.Status)
			}
			notified := e.notifier.byID()
			for _, p := range annaApproved {
				if notified[p.ID] != model.StatusRejected {
					t.Errorf("wall told %q about post %d, want rejected (off the screens)", notified[p.ID], p.ID)
				}
			}
			if _, ok := notified[other.ID]; ok {
				t.Errorf("wall told about another author's post %d", other.ID)
			}

			page := e.adminGet(t, loc.String())
			notice := parseRec(t, page).Find(`[data-testid="rules-notice"]`).Text()
			if want := `Saved "Trolls". It took 2 approved posts off the wall and rejected 1 pending post.`; notice != want {
				t.Errorf("notice = %q, want %q", notice, want)
			}
		})
	}
}

func TestOptOutInBioTakesAuthorOffTheWall(t *testing.T) {
	ctx := context.Background()
	e := newRulesEnv(t)
	first := rulePost(t, "nowall_bio")
	first.Author.Bio = "Planner."
	res, err := e.st.SavePosts(ctx, "test", []model.Post{first}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.h.PostsCollected(ctx, res.New)
	old := res.New[0]
	if _, err := e.st.Decide(ctx, model.Decision{PostID: old.ID, Action: model.ActionApprove, Actor: "max"}); err != nil {
		t.Fatal(err)
	}

	second := rulePost(t, "nowall_bio") // the author has since added #NoWall to their bio
	second.URI += "-2"
	res, err = e.st.SavePosts(ctx, "test", []model.Post{second}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.h.PostsCollected(ctx, res.New)

	for _, tt := range []struct {
		id     int64
		action model.Action
	}{{res.New[0].ID, model.ActionReject}, {old.ID, model.ActionRetract}} {
		p, d := e.status(t, tt.id), e.lastDecision(t, tt.id)
		if p.Status != model.StatusRejected || d.Action != tt.action || d.Actor != "rule:opt-out" {
			t.Errorf("post %d: %s, audit %q by %q; want rejected, %q by rule:opt-out", tt.id, p.Status, d.Action, d.Actor, tt.action)
		}
	}
	if got := e.notifier.byID()[old.ID]; got != model.StatusRejected {
		t.Errorf("wall told %q about the earlier post, want rejected", got)
	}
}

func TestPreviewChangesNothing(t *testing.T) {
	ctx := context.Background()
	e := newRulesEnv(t)
	e.createRule(t, model.Rule{Name: "Spam instances", Kind: model.RuleBanDomain, Value: "spam.example"})
	existing := e.createRule(t, model.Rule{Name: "Gambling", Kind: model.RuleBlockWords, Value: "poker"})
	ps := e.save(t, "mastodon_citizen", "x_post", "spam", "mastodon_partner", "feed_item")
	citizen, graz, spam, partner := ps[0], ps[1], ps[2], ps[3]
	if _, err := e.st.Decide(ctx, model.Decision{PostID: partner.ID, Action: model.ActionApprove, Actor: "max"}); err != nil {
		t.Fatal(err)
	}
	beforeDecisions := e.decisionCount(t)
	beforeRules, _ := e.st.Rules(ctx)

	tests := []struct {
		name        string
		form        url.Values
		wantSummary string
		wantIDs     []int64
		wantRetract []int64
	}{
		{"new word rule", url.Values{"name": {"EU words"}, "kind": {"block_words"}, "value": {"eu\nbitcoin"}, "action": {"reject"}},
			// The spam post mentions bitcoin but the ban decides it first.
			"This rule would reject 1 pending post:", []int64{citizen.ID}, nil},
		{"held pattern", url.Values{"name": {"Cities"}, "kind": {"block_pattern"}, "value": {`graz|regions`}, "action": {"hold"}},
			"This rule would hold for review 2 pending posts:", []int64{ps[4].ID, graz.ID}, nil}, // newest first
		{"editing a rule previews the new version only", url.Values{"id": {strconv.FormatInt(existing.ID, 10)}, "name": {"Gambling"}, "kind": {"block_words"}, "value": {"bridge"}},
			"This rule would reject 1 pending post:", []int64{citizen.ID}, nil},
		{"trust", url.Values{"name": {"Graz"}, "kind": {"trust_author"}, "value": {"@cityofgraz"}},
			"This rule would approve 1 pending post:", []int64{graz.ID}, nil},
		{"ban lists approved posts it would retract", url.Values{"name": {"CoR"}, "kind": {"ban_domain"}, "value": {"regions.example"}},
			"This rule would reject 1 pending post:", []int64{ps[4].ID}, []int64{partner.ID}},
		{"nothing matches", url.Values{"name": {"Nothing"}, "kind": {"block_words"}, "value": {"zeppelin"}},
			"This rule would not reject any of the 4 pending posts.", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.adminPost(t, "/admin/rules/preview", tt.form)
			if rec.Code != http.StatusOK {
				t.Fatalf("preview: status %d, want 200 (body %q)", rec.Code, rec.Body)
			}
			doc := parseRec(t, rec)
			if got := doc.Find(`[data-testid="preview-summary"]`).Text(); got != tt.wantSummary {
				t.Errorf("summary = %q, want %q", got, tt.wantSummary)
			}
			if got := testIDs(doc, "preview-match"); !equalIDs(got, tt.wantIDs) {
				t.Errorf("listed posts %v, want %v", got, tt.wantIDs)
			}
			if got := testIDs(doc, "preview-retract"); !equalIDs(got, tt.wantRetract) {
				t.Errorf("listed retractions %v, want %v", got, tt.wantRetract)
			}
			if got := doc.Find(`[data-testid="rule-value"]`).Text(); got != tt.form.Get("value") {
				t.Errorf("form entries = %q, want the draft %q kept", got, tt.form.Get("value"))
			}
		})
	}

	for _, p := range []model.Post{citizen, graz, spam, ps[4]} {
		if got := e.status(t, p.ID); got.Status != model.StatusPending {
			t.Errorf("post %d is %s after previews, want pending", p.ID, got.Status)
		}
	}
	if got := e.status(t, partner.ID); got.Status != model.StatusApproved {
		t.Errorf("approved post is %s after previewing a ban, want approved", got.Status)
	}
	if after := e.decisionCount(t); after != beforeDecisions {
		t.Errorf("previews wrote %d audit rows, want 0", after-beforeDecisions)
	}
	if after, _ := e.st.Rules(ctx); len(after) != len(beforeRules) || after[1].Value != "poker" {
		t.Errorf("rules after previews = %+v, want unchanged", after)
	}
	if n := len(e.notifier.byID()); n != 0 {
		t.Errorf("wall told about %d posts during previews, want 0", n)
	}

	t.Run("an invalid draft is shown with what is wrong", func(t *testing.T) {
		rec := e.adminPost(t, "/admin/rules/preview", url.Values{"name": {"Broken"}, "kind": {"block_pattern"}, "value": {"(unclosed"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", rec.Code)
		}
		doc := parseRec(t, rec)
		if got := doc.Find(`[data-testid="rule-error"]`).Text(); !strings.Contains(got, "is not a valid pattern") {
			t.Errorf("error = %q, want it to say the pattern is invalid", got)
		}
		if doc.Find(`[data-testid="preview"]`).Length() != 0 {
			t.Error("a preview is shown for an invalid rule")
		}
	})
}

func testIDs(doc *goquery.Document, testID string) []int64 {
	var ids []int64
	doc.Find(`[data-testid="` + testID + `"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := strconv.ParseInt(s.AttrOr("data-post-id", ""), 10, 64)
		ids = append(ids, id)
	})
	return ids
}

func parseRec(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestApplyRulesToPendingNow(t *testing.T) {
	e := newRulesEnv(t)
	// Collected before the rules existed: they wait in the queue.
	ps := e.save(t, "mastodon_partner", "spam", "content_warning", "x_post")
	e.createRule(t, model.Rule{Name: "Partners", Kind: model.RuleTrustDomain, Value: "regions.example"})
	e.createRule(t, model.Rule{Name: "Short links", Kind: model.RuleBlockPattern, Value: `bit\.ly/`})

	rec := e.adminPost(t, "/admin/rules/apply", url.Values{})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("apply: status %d, want 303", rec.Code)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	q := loc.Query()
	if q.Get("checked") != "4" || q.Get("approved") != "1" || q.Get("rejected") != "1" || q.Get("held") != "1" {
		t.Errorf("redirect %s, want checked=4 approved=1 rejected=1 held=1", loc)
	}
	wantStatus := []model.Status{model.StatusApproved, model.StatusRejected, model.StatusPending, model.StatusPending}
	wantActor := []string{"rule:Partners", "rule:Short links", "rule:hold-sensitive", ""}
	for i, p := range ps {
		got, d := e.status(t, p.ID), e.lastDecision(t, p.ID)
		if got.Status != wantStatus[i] || d.Actor != wantActor[i] {
			t.Errorf("post %d: %s by %q, want %s by %q", i, got.Status, d.Actor, wantStatus[i], wantActor[i])
		}
	}
	want := "Rules applied to 4 pending posts: 1 approved, 1 rejected, 1 held for review, 0 taken off the wall."
	if got := parseRec(t, e.adminGet(t, loc.String())).Find(`[data-testid="rules-notice"]`).Text(); got != want {
		t.Errorf("notice = %q, want %q", got, want)
	}
}

func TestRuleAdminForms(t *testing.T) {
	ctx := context.Background()
	e := newRulesEnv(t)
	form := url.Values{"name": {"Partners"}, "kind": {"trust_author"}, "value": {"@cor@social.regions.example\r\n@cityofgraz"}, "network": {""}, "enabled": {"on"}}
	rec := e.adminPost(t, "/admin/rules", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d, want 303 (body %q)", rec.Code, rec.Body)
	}
	rules, _ := e.st.Rules(ctx)
	if len(rules) != 1 || rules[0].Name != "Partners" || rules[0].CreatedBy != "ada" || rules[0].Action != model.RuleApprove || !rules[0].Enabled || len(rules[0].Entries()) != 2 {
		t.Fatalf("stored rules = %+v, want Partners by ada, approving, on, 2 entries", rules)
	}
	id := strconv.FormatInt(rules[0].ID, 10)

	t.Run("duplicate name", func(t *testing.T) {
		rec := e.adminPost(t, "/admin/rules", url.Values{"name": {"partners"}, "kind": {"block_words"}, "value": {"casino"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", rec.Code)
		}
		doc := parseRec(t, rec)
		if got := doc.Find(`[data-testid="rule-error"]`).Text(); got != `A rule named "partners" already exists.` {
			t.Errorf("error = %q", got)
		}
		if got := doc.Find(`[data-testid="rule-value"]`).Text(); got != "casino" {
			t.Errorf("entries = %q, want what was typed kept", got)
		}
	})
	t.Run("edit", func(t *testing.T) {
		rec := e.adminPost(t, "/admin/rules/"+id, url.Values{"name": {"Partner organisations"}, "kind": {"trust_author"}, "value": {"@cor@social.regions.example"}, "enabled": {"on"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", rec.Code)
		}
		r, _ := e.st.RuleByID(ctx, rules[0].ID)
		if r.Name != "Partner organisations" || r.UpdatedBy != "ada" || len(r.Entries()) != 1 {
			t.Errorf("rule after edit = %+v", r)
		}
		page := parseRec(t, e.adminGet(t, "/admin/rules/"+id))
		if got := page.Find(`[data-testid="rule-name-input"]`).AttrOr("value", ""); got != "Partner organisations" {
			t.Errorf("edit page name = %q", got)
		}
	})
	t.Run("turn off and on", func(t *testing.T) {
		for _, tt := range []struct {
			path string
			want bool
		}{{"/disable", false}, {"/enable", true}} {
			if rec := e.adminPost(t, "/admin/rules/"+id+tt.path, url.Values{}); rec.Code != http.StatusSeeOther {
				t.Fatalf("%s: status %d, want 303", tt.path, rec.Code)
			}
			if r, _ := e.st.RuleByID(ctx, rules[0].ID); r.Enabled != tt.want {
				t.Errorf("after %s: enabled = %v, want %v", tt.path, r.Enabled, tt.want)
			}
		}
	})
	t.Run("toggles", func(t *testing.T) {
		rec := e.adminPost(t, "/admin/rules/settings", url.Values{"skip_replies": {"on"}, "require_photo": {"on"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", rec.Code)
		}
		want := model.RuleSettings{SkipReplies: true, RequirePhoto: true}
		if got, _ := e.st.RuleSettings(ctx); got != want {
			t.Errorf("settings = %+v, want %+v", got, want)
		}
		page := parseRec(t, e.adminGet(t, "/admin/rules"))
		for field, on := range map[string]bool{"opt_out": false, "skip_replies": true, "require_photo": true, "hold_sensitive": false} {
			if _, checked := page.Find(`[data-testid="toggle-` + field + `"]`).Attr("checked"); checked != on {
				t.Errorf("toggle %s checked = %v, want %v", field, checked, on)
			}
		}
	})
	t.Run("delete", func(t *testing.T) {
		if rec := e.adminPost(t, "/admin/rules/"+id+"/delete", url.Values{}); rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", rec.Code)
		}
		if rules, _ := e.st.Rules(ctx); len(rules) != 0 {
			t.Errorf("rules after delete = %+v", rules)
		}
		for _, tt := range []struct{ method, path string }{{"GET", "/admin/rules/" + id}, {"POST", "/admin/rules/" + id + "/enable"}, {"POST", "/admin/rules/" + id + "/delete"}} {
			rec := e.send(t, tt.method, tt.path, url.Values{}, e.admin, "same-origin")
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s of a deleted rule: status %d, want 404", tt.method, tt.path, rec.Code)
			}
		}
	})
	t.Run("bad IDs", func(t *testing.T) {
		for _, path := range []string{"/admin/rules/abc", "/admin/rules/-1"} {
			if rec := e.adminGet(t, path); rec.Code != http.StatusBadRequest {
				t.Errorf("GET %s: status %d, want 400", path, rec.Code)
			}
		}
	})
}

// rulesRoutes lists every rules route with a request that would change
// something, so refusing them is checked against real targets.
func rulesRoutes(id string) []struct{ method, path string } {
	return []struct{ method, path string }{
		{"GET", "/admin/rules"},
		{"GET", "/admin/rules/new?kind=ban_author"},
		{"GET", "/admin/rules/" + id},
		{"POST", "/admin/rules"},
		{"POST", "/admin/rules/" + id},
		{"POST", "/admin/rules/preview"},
		{"POST", "/admin/rules/" + id + "/enable"},
		{"POST", "/admin/rules/" + id + "/disable"},
		{"POST", "/admin/rules/" + id + "/delete"},
		{"POST", "/admin/rules/settings"},
		{"POST", "/admin/rules/apply"},
	}
}

func ruleForm() url.Values {
	return url.Values{"name": {"Trolls"}, "kind": {"ban_domain"}, "value": {"mastodon.example"}, "enabled": {"on"}}
}

func TestRulesRoutesRefuseNonAdmins(t *testing.T) {
	e := newRulesEnv(t)
	p := e.save(t, "mastodon_citizen")[0]
	r := e.createRule(t, model.Rule{Name: "Words", Kind: model.RuleBlockWords, Value: "bridge"})
	id := strconv.FormatInt(r.ID, 10)
	for _, rt := range rulesRoutes(id) {
		t.Run(rt.method+" "+rt.path+" without a session", func(t *testing.T) {
			rec := e.send(t, rt.method, rt.path, ruleForm(), "", "same-origin")
			if rt.method == "GET" {
				if want := "/login?next=" + url.QueryEscape(rt.path); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
					t.Errorf("got %d to %q, want 303 to %q", rec.Code, rec.Header().Get("Location"), want)
				}
				return
			}
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", rec.Code)
			}
		})
		t.Run(rt.method+" "+rt.path+" as a moderator", func(t *testing.T) {
			if rec := e.send(t, rt.method, rt.path, ruleForm(), e.mod, "same-origin"); rec.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", rec.Code)
			}
		})
	}
	t.Run("an admin gets the page with the security headers", func(t *testing.T) {
		rec := e.adminGet(t, "/admin/rules")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Security-Policy") != auth.DefaultCSP || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("got %d CSP %q Cache-Control %q; want 200 with the default CSP, no-store", rec.Code,
				rec.Header().Get("Content-Security-Policy"), rec.Header().Get("Cache-Control"))
		}
	})
	assertUnchanged(t, e, p.ID, r)
}

func TestRulesRefuseCrossOriginPosts(t *testing.T) {
	e := newRulesEnv(t)
	p := e.save(t, "mastodon_citizen")[0]
	r := e.createRule(t, model.Rule{Name: "Words", Kind: model.RuleBlockWords, Value: "bridge"})
	for _, rt := range rulesRoutes(strconv.FormatInt(r.ID, 10)) {
		if rt.method != "POST" {
			continue
		}
		t.Run(rt.path, func(t *testing.T) {
			if rec := e.send(t, rt.method, rt.path, ruleForm(), e.admin, "cross-site"); rec.Code != http.StatusForbidden {
				t.Errorf("cross-site POST: status %d, want 403", rec.Code)
			}
		})
	}
	assertUnchanged(t, e, p.ID, r)
}

// assertUnchanged checks refused requests left the rules, toggles and
// queue as they were.
func assertUnchanged(t *testing.T, e *rulesEnv, postID int64, r model.Rule) {
	t.Helper()
	ctx := context.Background()
	rules, _ := e.st.Rules(ctx)
	if len(rules) != 1 || rules[0].Name != r.Name || rules[0].Value != r.Value || !rules[0].Enabled {
		t.Errorf("rules after refused requests = %+v, want only %q unchanged", rules, r.Name)
	}
	if s, _ := e.st.RuleSettings(ctx); s != model.DefaultRuleSettings() {
		t.Errorf("toggles after refused requests = %+v, want defaults", s)
	}
	if got := e.status(t, postID); got.Status != model.StatusPending {
		t.Errorf("post is %s after refused requests, want pending", got.Status)
	}
	if n := e.decisionCount(t); n != 0 {
		t.Errorf("%d audit rows after refused requests, want 0", n)
	}
}
