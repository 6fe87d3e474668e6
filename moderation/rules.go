// # Rules
//
// The rules engine judges every newly collected post before a moderator
// sees it (Handler.PostsCollected), and the whole pending queue when an
// admin asks (Handler.ApplyRulesToPending). Rules live in the database and
// are edited by admins at /admin/rules; each rule is a named list (of
// accounts, domains, words or patterns), so the audit log can name it.
//
// A post is judged by the first rule that matches, in this order:
//
//  1. Bans (banned accounts, banned instances/domains): reject. Saving a
//     ban also retracts the approved posts it covers and rejects the pending
//     ones, so they leave every screen at once.
//  2. Opt-out: #nobot or #nowall in the post, the author's bio or name:
//     reject; an opt-out in the bio or name also retracts the author's
//     approved posts. The author's wish beats an admin's trust.
//  3. Reject rules: skip replies, skip boosts, require a photo, then blocked
//     words and patterns whose action is reject. They beat trust, so a
//     partner's account cannot put a slur or a text-only post on a wall that
//     requires photos.
//  4. Trust (trusted accounts, trusted domains): approve. Trust only looks
//     at who provably wrote a post (a handle's instance, a Bluesky domain
//     handle, a configured site), never at a link the post carries.
//  5. Hold rules: content-warned or sensitive posts, then words and patterns
//     whose action is hold: the post stays pending, flagged with the rule and
//     what matched, for a moderator to decide.
//
// Within a step, toggles come first, then rules oldest first. A post no rule
// matches waits for a moderator. Every rule decision is a row in the audit
// log with actor "rule:NAME" and a reason saying what matched; holds are
// recorded as action "hold". Toggles go by fixed names (rule:opt-out,
// rule:skip-replies, …; see model.Toggle*).
//
// Words match whole words, ignoring case and accents: text and words are
// case-folded (ß is ss), decomposed (NFKD) and stripped of combining marks
// (ó is o, ά is α), and a few letters with built-in strokes are mapped (ł is
// l). A trailing * matches any ending. Default lists for the 24 EU
// languages (blocklists/*.txt) are stored on first start (InstallDefaultRules)
// and are admins' to edit from then on. Every list checks every post,
// whatever its language tag says, so a listed word must not be an innocent
// word in another language once its accents are gone.
package moderation

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// maxRuleForm caps a rule form's body: the largest word list plus room.
const maxRuleForm = maxRuleValue + 16<<10

// rulesRoutes registers the admin pages for rules. Routes calls it.
func (h *Handler) rulesRoutes(mux *http.ServeMux) {
	page := func(f http.HandlerFunc) http.Handler { return auth.SecurityHeaders(h.auth.RequireAdmin(f)) }
	// Cross-origin requests are refused before the session is even looked at.
	form := func(f http.HandlerFunc) http.Handler {
		return auth.SecurityHeaders(auth.CrossOrigin(h.auth.RequireAdmin(f)))
	}
	mux.Handle("GET /admin/rules", page(h.rulesPage))
	mux.Handle("GET /admin/rules/new", page(h.newRulePage))
	mux.Handle("GET /admin/rules/{id}", page(h.editRulePage))
	mux.Handle("POST /admin/rules", form(h.saveRule))
	mux.Handle("POST /admin/rules/{id}", form(h.saveRule))
	mux.Handle("POST /admin/rules/preview", form(h.previewRule))
	mux.Handle("POST /admin/rules/{id}/enable", form(h.setRuleEnabled(true)))
	mux.Handle("POST /admin/rules/{id}/disable", form(h.setRuleEnabled(false)))
	mux.Handle("POST /admin/rules/{id}/delete", form(h.deleteRule))
	mux.Handle("POST /admin/rules/settings", form(h.saveRuleSettings))
	mux.Handle("POST /admin/rules/apply", form(h.applyRulesNow))
	mux.Handle("GET /static/moderation/rules.css", auth.SecurityHeaders(http.HandlerFunc(serveRulesCSS)))
}

func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	rules, err := h.st.Rules(ctx)
	if err != nil {
		h.serverError(w, r, "rules", err)
		return
	}
	settings, err := h.st.RuleSettings(ctx)
	if err != nil {
		h.serverError(w, r, "rule settings", err)
		return
	}
	counts, err := h.st.CountPosts(ctx)
	if err != nil {
		h.serverError(w, r, "count posts", err)
		return
	}
	v := RulesView{
		CampaignName: h.opts.CampaignName,
		Moderator:    m.Name,
		Settings:     settings,
		Pending:      counts[model.StatusPending],
		Location:     h.opts.Location,
		Notice:       h.rulesNotice(r),
	}
	for _, k := range model.RuleKinds {
		sec := RuleSection{Kind: k, Info: infoOf(k)}
		for _, rule := range rules {
			if rule.Kind == k && !isWordList(rule) {
				sec.Rules = append(sec.Rules, rule)
			}
		}
		v.Sections = append(v.Sections, sec)
	}
	for _, rule := range rules {
		if isWordList(rule) {
			v.Lists = append(v.Lists, rule)
		}
	}
	h.render(w, r, http.StatusOK, RulesPage(v))
}

// rulesNotice says what the last action on the rules page did. The redirect
// carries only numbers; words come from here and the store, so a crafted
// link cannot put text on an admin's page.
func (h *Handler) rulesNotice(r *http.Request) string {
	q := r.URL.Query()
	n := func(k string) int {
		v, _ := strconv.Atoi(q.Get(k))
		return max(v, 0)
	}
	switch {
	case q.Has("saved"):
		id, _ := strconv.ParseInt(q.Get("saved"), 10, 64)
		rule, err := h.st.RuleByID(r.Context(), id)
		if err != nil {
			return "Rule saved."
		}
		s := fmt.Sprintf("Saved %q.", rule.Name)
		if q.Has("retracted") || q.Has("rejected") {
			s += fmt.Sprintf(" It took %s off the wall and rejected %s.", plural(n("retracted"), "approved post", "approved posts"), plural(n("rejected"), "pending post", "pending posts"))
		}
		return s
	case q.Has("deleted"):
		return "Rule deleted. Its decisions stay in the audit log."
	case q.Has("settings"):
		return "Toggles saved. They apply to posts collected from now on; apply the rules to the pending queue to judge waiting posts too."
	case q.Has("applied"):
		return fmt.Sprintf("Rules applied to %s: %d approved, %d rejected, %d held for review, %d taken off the wall.",
			plural(n("checked"), "pending post", "pending posts"), n("approved"), n("rejected"), n("held"), n("retracted"))
	}
	return ""
}

func (h *Handler) newRulePage(w http.ResponseWriter, r *http.Request) {
	m, _ := auth.ModeratorFromContext(r.Context())
	kind, ok := model.ParseRuleKind(r.URL.Query().Get("kind"))
	if !ok {
		kind = model.RuleBlockWords
	}
	rule := model.Rule{Kind: kind, Action: ruleAction(kind, model.RuleReject), Enabled: true}
	h.render(w, r, http.StatusOK, RuleFormPage(h.ruleForm(m, rule)))
}

func (h *Handler) editRulePage(w http.ResponseWriter, r *http.Request) {
	m, _ := auth.ModeratorFromContext(r.Context())
	id, ok := pathID(r)
	if !ok {
		http.Error(w, "That is not a rule ID.", http.StatusBadRequest)
		return
	}
	rule, err := h.st.RuleByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "There is no such rule.", http.StatusNotFound)
		return
	}
	if err != nil {
		h.serverError(w, r, "rule", err)
		return
	}
	h.render(w, r, http.StatusOK, RuleFormPage(h.ruleForm(m, rule)))
}

func (h *Handler) ruleForm(m model.Moderator, rule model.Rule) RuleFormView {
	return RuleFormView{CampaignName: h.opts.CampaignName, Moderator: m.Name, Rule: rule, New: rule.ID == 0, Location: h.opts.Location}
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// readRuleForm reads a rule form. The ID comes from the path when saving
// an existing rule, from a hidden field when previewing one.
func readRuleForm(w http.ResponseWriter, r *http.Request) (model.Rule, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRuleForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read (is the list larger than 200 KB?).", http.StatusBadRequest)
		return model.Rule{}, false
	}
	rule := model.Rule{
		Name:     r.PostFormValue("name"),
		Kind:     model.RuleKind(r.PostFormValue("kind")),
		Value:    r.PostFormValue("value"),
		Action:   model.RuleAction(r.PostFormValue("action")),
		Network:  model.Network(r.PostFormValue("network")),
		Language: r.PostFormValue("language"),
		Enabled:  r.PostFormValue("enabled") != "",
	}
	idText := r.PathValue("id")
	if idText == "" {
		idText = r.PostFormValue("id")
	}
	if idText != "" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, "That is not a rule ID.", http.StatusBadRequest)
			return model.Rule{}, false
		}
		rule.ID = id
	}
	return rule, true
}

// formError shows the rule form again, as typed, saying what is wrong with
// it. Only a *RuleError's message, written for the admin, reaches the page;
// any other error is logged and answered with a plain 500.
func (h *Handler) formError(w http.ResponseWriter, r *http.Request, m model.Moderator, rule model.Rule, err error) {
	var re *RuleError
	if !errors.As(err, &re) {
		h.serverError(w, r, "rule form", err)
		return
	}
	v := h.ruleForm(m, rule)
	v.Error = strings.ToUpper(re.Message[:1]) + re.Message[1:] + "."
	h.render(w, r, http.StatusUnprocessableEntity, RuleFormPage(v))
}

func (h *Handler) saveRule(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	rule, ok := readRuleForm(w, r)
	if !ok {
		return
	}
	rule, err := validateRule(rule)
	if err != nil {
		h.formError(w, r, m, rule, err)
		return
	}
	var saved model.Rule
	if rule.ID == 0 {
		rule.CreatedBy = m.Name
		saved, err = h.st.CreateRule(ctx, rule)
	} else {
		rule.UpdatedBy = m.Name
		saved, err = h.st.UpdateRule(ctx, rule)
	}
	switch {
	case errors.Is(err, store.ErrDuplicate):
		h.formError(w, r, m, rule, ruleErrorf(rule.Name, "a rule named %q already exists", rule.Name))
		return
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "There is no such rule; it may have been deleted.", http.StatusNotFound)
		return
	case err != nil:
		h.serverError(w, r, "save rule", err)
		return
	}
	h.log.InfoContext(ctx, "rule saved", slog.Int64("rule_id", saved.ID), slog.String("rule", saved.Name),
		slog.String("kind", string(saved.Kind)), slog.Bool("enabled", saved.Enabled), slog.String("moderator", m.Name))
	h.afterRuleSaved(w, r, saved)
}

// afterRuleSaved enforces a ban right away and goes back to the rules page,
// saying what happened.
func (h *Handler) afterRuleSaved(w http.ResponseWriter, r *http.Request, rule model.Rule) {
	q := url.Values{"saved": {strconv.FormatInt(rule.ID, 10)}}
	if rule.Enabled && (rule.Kind == model.RuleBanAuthor || rule.Kind == model.RuleBanDomain) {
		rep, err := h.enforceBan(r.Context(), rule)
		if err != nil {
			h.log.ErrorContext(r.Context(), "enforce ban", slog.String("rule", rule.Name), slog.Any("error", err))
			http.Error(w, "The rule was saved, but taking the banned posts off the wall failed. Please save it again.", http.StatusInternalServerError)
			return
		}
		q.Set("retracted", strconv.Itoa(rep.Retracted))
		q.Set("rejected", strconv.Itoa(rep.Rejected))
	}
	http.Redirect(w, r, "/admin/rules?"+q.Encode(), http.StatusSeeOther)
}

func (h *Handler) previewRule(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	rule, ok := readRuleForm(w, r)
	if !ok {
		return
	}
	rule, err := validateRule(rule)
	if err != nil {
		h.formError(w, r, m, rule, err)
		return
	}
	if rule.ID != 0 {
		// Keep who made the rule on the page; the draft replaces the rest.
		if stored, err := h.st.RuleByID(ctx, rule.ID); err == nil {
			rule.CreatedBy, rule.CreatedAt, rule.UpdatedBy, rule.UpdatedAt = stored.CreatedBy, stored.CreatedAt, stored.UpdatedBy, stored.UpdatedAt
		}
	}
	pv, err := h.PreviewRule(ctx, rule)
	if err != nil {
		h.formError(w, r, m, rule, err)
		return
	}
	v := h.ruleForm(m, rule)
	v.Preview = &pv
	h.render(w, r, http.StatusOK, RuleFormPage(v))
}

func (h *Handler) setRuleEnabled(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, _ := auth.ModeratorFromContext(ctx)
		id, ok := pathID(r)
		if !ok {
			http.Error(w, "That is not a rule ID.", http.StatusBadRequest)
			return
		}
		rule, err := h.st.SetRuleEnabled(ctx, id, enabled, m.Name)
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, "There is no such rule.", http.StatusNotFound)
			return
		}
		if err != nil {
			h.serverError(w, r, "enable rule", err)
			return
		}
		h.log.InfoContext(ctx, "rule switched", slog.String("rule", rule.Name), slog.Bool("enabled", enabled), slog.String("moderator", m.Name))
		h.afterRuleSaved(w, r, rule)
	}
}

func (h *Handler) deleteRule(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	id, ok := pathID(r)
	if !ok {
		http.Error(w, "That is not a rule ID.", http.StatusBadRequest)
		return
	}
	rule, err := h.st.DeleteRule(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "There is no such rule.", http.StatusNotFound)
		return
	}
	if err != nil {
		h.serverError(w, r, "delete rule", err)
		return
	}
	h.log.InfoContext(ctx, "rule deleted", slog.String("rule", rule.Name), slog.String("moderator", m.Name))
	http.Redirect(w, r, "/admin/rules?deleted=1", http.StatusSeeOther)
}

func (h *Handler) saveRuleSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	on := func(k string) bool { return r.PostFormValue(k) != "" }
	s := model.RuleSettings{
		OptOut:        on("opt_out"),
		SkipReplies:   on("skip_replies"),
		SkipBoosts:    on("skip_boosts"),
		RequirePhoto:  on("require_photo"),
		HoldSensitive: on("hold_sensitive"),
	}
	if err := h.st.SaveRuleSettings(ctx, s, m.Name); err != nil {
		h.serverError(w, r, "save rule settings", err)
		return
	}
	h.log.InfoContext(ctx, "rule toggles saved", slog.String("moderator", m.Name), slog.Any("settings", s))
	http.Redirect(w, r, "/admin/rules?settings=1", http.StatusSeeOther)
}

func (h *Handler) applyRulesNow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	rep, err := h.ApplyRulesToPending(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "apply rules to pending", slog.Any("error", err), slog.Int("checked", rep.Checked))
		http.Error(w, "Applying the rules stopped part-way; decisions made so far are saved. Please try again.", http.StatusInternalServerError)
		return
	}
	h.log.InfoContext(ctx, "rules applied to pending queue", slog.String("moderator", m.Name), slog.Int("checked", rep.Checked),
		slog.Int("approved", rep.Approved), slog.Int("rejected", rep.Rejected), slog.Int("held", rep.Held), slog.Int("retracted", rep.Retracted))
	q := url.Values{"applied": {"1"}}
	for k, n := range map[string]int{"checked": rep.Checked, "approved": rep.Approved, "rejected": rep.Rejected, "held": rep.Held, "retracted": rep.Retracted} {
		q.Set(k, strconv.Itoa(n))
	}
	http.Redirect(w, r, "/admin/rules?"+q.Encode(), http.StatusSeeOther)
}

//go:embed static/rules.css
var rulesCSS []byte

var serveRulesCSS = staticAsset("rules.css", "text/css; charset=utf-8", rulesCSS)
