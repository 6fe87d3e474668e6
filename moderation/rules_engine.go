package moderation

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/cohesionalliance/campaignwall/model"
)

// Verdict is what the rules decided about one post.
type Verdict struct {
	Rule   string           // the deciding rule's name, or a toggle's (model.ToggleOptOut); "" when none matched
	RuleID int64            // the deciding rule's ID; 0 for a toggle
	Kind   model.RuleKind   // the deciding rule's kind; "" for a toggle
	Action model.RuleAction // approve, reject or hold; "" when no rule matched
	Reason string           // what matched, for the audit log and the queue
	// OptedOutAuthor is set when the author's bio carries #nobot or
	// #nowall: their approved posts come off the wall as well.
	OptedOutAuthor bool
}

// Actor is the verdict's name in the audit log, "rule:NAME".
func (v Verdict) Actor() string { return "rule:" + v.Rule }

// RuleSet is a set of rules compiled for judging posts, in precedence order.
// It is read-only once built, so one RuleSet may judge posts concurrently.
type RuleSet struct {
	steps [5][]matcher
}

// The precedence steps (see the package documentation).
const (
	stepBan = iota
	stepOptOut
	stepReject
	stepTrust
	stepHold
)

type matcher struct {
	name   string
	id     int64
	kind   model.RuleKind
	action model.RuleAction
	match  func(f *postFacts) (reason string, ok bool)
}

// Limits on what a rule may hold, so one careless paste cannot slow every
// collection run down.
const (
	maxRuleName    = 80
	maxRuleEntries = 5000
	maxRuleValue   = 200 << 10
	maxPatternLen  = 1000
	minPrefixLen   = 3 // letters before a trailing *
)

// RuleError is a rule that cannot be compiled or saved. Its message is
// written for the admin who typed the rule and is safe to show.
type RuleError struct {
	Rule    string
	Message string
}

func (e *RuleError) Error() string {
	if e.Rule == "" {
		return "rule: " + e.Message
	}
	return fmt.Sprintf("rule %q: %s", e.Rule, e.Message)
}

func ruleErrorf(rule, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// CompileRules builds a RuleSet from the enabled rules (oldest first within
// each precedence step) and the toggles. A rule that does not compile is left
// out and reported in the returned error (a *RuleError per rule, joined); the
// RuleSet is usable all the same, so one broken rule never stops the others.
func CompileRules(rules []model.Rule, settings model.RuleSettings) (*RuleSet, error) {
	rs := &RuleSet{}
	if settings.OptOut {
		rs.steps[stepOptOut] = append(rs.steps[stepOptOut], matcher{name: model.ToggleOptOut, action: model.RuleReject, match: matchOptOut})
	}
	if settings.SkipReplies {
		rs.steps[stepReject] = append(rs.steps[stepReject], matcher{name: model.ToggleSkipReplies, action: model.RuleReject, match: matchReply})
	}
	if settings.SkipBoosts {
		rs.steps[stepReject] = append(rs.steps[stepReject], matcher{name: model.ToggleSkipBoosts, action: model.RuleReject, match: matchBoost})
	}
	if settings.RequirePhoto {
		rs.steps[stepReject] = append(rs.steps[stepReject], matcher{name: model.ToggleRequirePhoto, action: model.RuleReject, match: matchNoPhoto})
	}
	if settings.HoldSensitive {
		rs.steps[stepHold] = append(rs.steps[stepHold], matcher{name: model.ToggleHoldSensitive, action: model.RuleHold, match: matchSensitive})
	}
	rules = slices.Clone(rules)
	slices.SortStableFunc(rules, func(a, b model.Rule) int { return cmp.Compare(a.ID, b.ID) })
	var errs []error
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		m, err := compileRule(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		step := stepFor(r.Kind, m.action)
		rs.steps[step] = append(rs.steps[step], m)
	}
	return rs, errors.Join(errs...)
}

func stepFor(k model.RuleKind, a model.RuleAction) int {
	switch {
	case k == model.RuleBanAuthor || k == model.RuleBanDomain:
		return stepBan
	case k == model.RuleTrustAuthor || k == model.RuleTrustDomain:
		return stepTrust
	case a == model.RuleHold:
		return stepHold
	}
	return stepReject
}

// Evaluate judges one post: the first rule that matches, in precedence
// order, decides. The zero Verdict means no rule matched and the post waits
// for a moderator.
func (rs *RuleSet) Evaluate(p model.Post) Verdict {
	f := newPostFacts(p)
	for _, step := range rs.steps {
		for _, m := range step {
			reason, ok := m.match(f)
			if !ok {
				continue
			}
			v := Verdict{Rule: m.name, RuleID: m.id, Kind: m.kind, Action: m.action, Reason: reason}
			v.OptedOutAuthor = m.name == model.ToggleOptOut && m.id == 0 && f.bioOptOut
			return v
		}
	}
	return Verdict{}
}

// ruleAction is the action a rule of kind k takes: fixed for trust and
// ban rules, chosen by the admin (reject or hold) for words and patterns.
func ruleAction(k model.RuleKind, chosen model.RuleAction) model.RuleAction {
	switch k {
	case model.RuleTrustAuthor, model.RuleTrustDomain:
		return model.RuleApprove
	case model.RuleBanAuthor, model.RuleBanDomain:
		return model.RuleReject
	}
	if chosen == model.RuleHold {
		return model.RuleHold
	}
	return model.RuleReject
}

func compileRule(r model.Rule) (matcher, error) {
	m := matcher{name: r.Name, id: r.ID, kind: r.Kind, action: ruleAction(r.Kind, r.Action)}
	entries := r.Entries()
	if len(entries) == 0 {
		return m, ruleErrorf(r.Name, "it has no entries")
	}
	if len(entries) > maxRuleEntries {
		return m, ruleErrorf(r.Name, "it has %d entries; at most %d fit in one rule", len(entries), maxRuleEntries)
	}
	var err error
	switch r.Kind {
	case model.RuleTrustAuthor, model.RuleBanAuthor:
		m.match, err = compileAuthors(r)
	case model.RuleTrustDomain, model.RuleBanDomain:
		m.match, err = compileDomains(r)
	case model.RuleBlockWords:
		m.match, err = compileWords(r.Name, entries)
	case model.RuleBlockPattern:
		m.match, err = compilePatterns(r.Name, entries)
	default:
		err = ruleErrorf(r.Name, "unknown kind %q", r.Kind)
	}
	return m, err
}

// postFacts is what rules look at in a post, computed once per post.
type postFacts struct {
	post      *model.Post
	fields    []textField
	handle    string   // the author's handle, lowercased, without a leading @
	authorURL string   // normalized
	ownHosts  []string // hosts the author's identity vouches for
	allHosts  []string // ownHosts and every host the post links itself to
	optOut    string   // where #nobot/#nowall was found, or ""
	bioOptOut bool
}

// textField is one piece of a post's text that words and patterns check.
type textField struct {
	where  string // "the post text", for reasons
	raw    string
	folded string
	tokens []string
}

func newPostFacts(p model.Post) *postFacts {
	f := &postFacts{post: &p, handle: normalizeHandle(p.Author.Handle), authorURL: normalizeURL(p.Author.URL)}
	text := p.Text
	if strings.TrimSpace(text) == "" && p.HTML != "" {
		text = htmlText(p.HTML)
	}
	add := func(where, raw string) {
		if strings.TrimSpace(raw) == "" {
			return
		}
		folded := fold(raw)
		f.fields = append(f.fields, textField{where: where, raw: raw, folded: folded, tokens: tokenize(folded)})
	}
	add("the post text", text)
	add("the content warning", p.ContentWarning)
	if len(p.Tags) > 0 {
		add("the hashtags", strings.Join(p.Tags, " "))
	}
	add("the author's name", p.Author.DisplayName)

	f.ownHosts = identityHosts(p)
	f.allHosts = append([]string(nil), f.ownHosts...)
	for _, u := range []string{p.URL, p.URI, p.Author.URL} {
		if h := urlHost(u); h != "" {
			f.allHosts = append(f.allHosts, h)
		}
	}

	switch {
	case hasOptOut(text) || hasOptOut(p.ContentWarning) || optOutTag(p.Tags):
		f.optOut = "the post"
	case hasOptOut(p.Author.Bio):
		f.optOut, f.bioOptOut = "the author's bio", true
	case hasOptOut(p.Author.DisplayName):
		f.optOut, f.bioOptOut = "the author's name", true
	}
	return f
}

// identityHosts are the hosts a post's author provably belongs to: the
// instance in a fediverse handle (user@instance, checked by WebFinger), a
// Bluesky handle (a domain its owner proved), the site of a configured feed
// or web page. A post's own url is not among them, since any server can put
// any link there; trust rules look only at these, ban rules at every host.
func identityHosts(p model.Post) []string {
	h := normalizeHandle(p.Author.Handle)
	switch p.Network {
	case model.NetworkX, model.NetworkInstagram, model.NetworkFacebook, model.NetworkSubmission:
		return nil
	case model.NetworkBluesky, model.NetworkWebpage:
		if isHostname(h) && h != "handle.invalid" {
			return []string{h}
		}
		return nil
	}
	if i := strings.LastIndex(h, "@"); i >= 0 && isHostname(h[i+1:]) {
		return []string{h[i+1:]}
	}
	return nil
}

// foldLetters maps letters that carry their accent inside the letter
// rather than as a combining mark, so "ł" matches "l" like "ó" matches "o".
var foldLetters = map[rune]rune{'ł': 'l', 'đ': 'd', 'ħ': 'h', 'ı': 'i', 'ø': 'o', 'ŧ': 't'}

// fold returns s case-folded and without accents, so that "SCHEISSE",
// "Scheiße" and "scheisse" are one word, and so are "μαλάκας" and
// "ΜΑΛΑΚΑΣ". NFKD also unpacks look-alike forms (ligatures, full-width
// letters) that people use to slip past filters.
func fold(s string) string {
	t := transform.Chain(cases.Fold(), norm.NFKD, runes.Remove(runes.In(unicode.Mn)), runes.Map(func(r rune) rune {
		if m, ok := foldLetters[r]; ok {
			return m
		}
		return r
	}), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}

// tokenize splits folded text into words: runs of letters and digits.
// Whole-word matching compares these, so "class" never matches "ass".
func tokenize(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// htmlText is the text of sanitized HTML, for a post that came without a
// plain-text version.
func htmlText(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			b.WriteByte(' ')
		}
	}
}

// --- words -----------------------------------------------------------------

type wordPhrase struct {
	entry  string
	tokens []string
	prefix bool // the last token matches any word it starts
}

func compileWords(rule string, entries []string) (func(*postFacts) (string, bool), error) {
	exact := map[string]string{}
	var prefixes, phrases []wordPhrase
	for _, e := range entries {
		raw := strings.TrimSpace(e)
		prefix := strings.HasSuffix(raw, "*")
		tokens := tokenize(fold(strings.TrimSuffix(raw, "*")))
		if len(tokens) == 0 {
			return nil, ruleErrorf(rule, "%q has no letters to match", raw)
		}
		if prefix && utf8.RuneCountInString(tokens[len(tokens)-1]) < minPrefixLen {
			return nil, ruleErrorf(rule, "%q: put at least %d letters before the *", raw, minPrefixLen)
		}
		w := wordPhrase{entry: raw, tokens: tokens, prefix: prefix}
		switch {
		case len(tokens) > 1:
			phrases = append(phrases, w)
		case prefix:
			prefixes = append(prefixes, w)
		default:
			if _, dup := exact[tokens[0]]; !dup {
				exact[tokens[0]] = raw
			}
		}
	}
	return func(f *postFacts) (string, bool) {
		for _, fl := range f.fields {
			for i, tok := range fl.tokens {
				if e, ok := exact[tok]; ok {
					return fmt.Sprintf("blocked word %q in %s", e, fl.where), true
				}
				for _, w := range prefixes {
					if strings.HasPrefix(tok, w.tokens[0]) {
						return fmt.Sprintf("blocked word %q in %s", w.entry, fl.where), true
					}
				}
				for _, w := range phrases {
					if phraseAt(fl.tokens[i:], w) {
						return fmt.Sprintf("blocked phrase %q in %s", w.entry, fl.where), true
					}
				}
			}
		}
		return "", false
	}, nil
}

func phraseAt(tokens []string, w wordPhrase) bool {
	if len(tokens) < len(w.tokens) {
		return false
	}
	last := len(w.tokens) - 1
	for j, want := range w.tokens {
		if j == last && w.prefix {
			if !strings.HasPrefix(tokens[j], want) {
				return false
			}
			continue
		}
		if tokens[j] != want {
			return false
		}
	}
	return true
}

// --- patterns --------------------------------------------------------------

func compilePatterns(rule string, entries []string) (func(*postFacts) (string, bool), error) {
	type pattern struct {
		entry string
		re    *regexp.Regexp
	}
	var ps []pattern
	for _, e := range entries {
		if n := utf8.RuneCountInString(e); n > maxPatternLen {
			return nil, ruleErrorf(rule, "a pattern is %d characters long; at most %d", n, maxPatternLen)
		}
		// RE2 runs in linear time, so no pattern can hang a collection run.
		re, err := regexp.Compile("(?i)" + e)
		if err != nil {
			var se *syntax.Error
			msg := err.Error()
			if errors.As(err, &se) {
				msg = string(se.Code) + ": " + se.Expr
			}
			return nil, ruleErrorf(rule, "%q is not a valid pattern (%s)", e, msg)
		}
		if re.MatchString("") {
			return nil, ruleErrorf(rule, "%q matches every post", e)
		}
		ps = append(ps, pattern{e, re})
	}
	return func(f *postFacts) (string, bool) {
		for _, fl := range f.fields {
			for _, p := range ps {
				if p.re.MatchString(fl.raw) || p.re.MatchString(fl.folded) {
					return fmt.Sprintf("pattern %q matched %s", p.entry, fl.where), true
				}
			}
		}
		return "", false
	}, nil
}

// --- authors ---------------------------------------------------------------

func compileAuthors(r model.Rule) (func(*postFacts) (string, bool), error) {
	handles := map[string]string{}
	urls := map[string]string{}
	for _, e := range r.Entries() {
		if strings.ContainsAny(e, " \t") {
			return nil, ruleErrorf(r.Name, "%q: write one account per line", e)
		}
		if u := normalizeURL(e); u != "" {
			urls[u] = e
			continue
		}
		h := normalizeHandle(e)
		if h == "" {
			return nil, ruleErrorf(r.Name, "%q is not an account", e)
		}
		if r.Network == model.NetworkMastodon && !strings.Contains(h, "@") {
			return nil, ruleErrorf(r.Name, "%q: write a Mastodon account as @name@instance", e)
		}
		handles[h] = e
	}
	what := "trusted account"
	if r.Kind == model.RuleBanAuthor {
		what = "banned account"
	}
	network := r.Network
	return func(f *postFacts) (string, bool) {
		if network != "" && f.post.Network != network {
			return "", false
		}
		if e, ok := handles[f.handle]; ok {
			return fmt.Sprintf("%s %s", what, e), true
		}
		if e, ok := urls[f.authorURL]; ok && f.authorURL != "" {
			return fmt.Sprintf("%s %s", what, e), true
		}
		return "", false
	}, nil
}

func normalizeHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

// normalizeURL returns an http(s) URL lowercased up to its path and without
// a trailing slash, or "" for anything else.
func normalizeURL(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(strings.ToLower(s), "http://") && !strings.HasPrefix(strings.ToLower(s), "https://") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/"))
}

// --- domains ---------------------------------------------------------------

func compileDomains(r model.Rule) (func(*postFacts) (string, bool), error) {
	var domains []string
	for _, e := range r.Entries() {
		d, ok := normalizeDomain(e)
		if !ok {
			return nil, ruleErrorf(r.Name, "%q is not a domain (write it like example.social)", e)
		}
		domains = append(domains, d)
	}
	ban := r.Kind == model.RuleBanDomain
	return func(f *postFacts) (string, bool) {
		hosts := f.ownHosts
		if ban {
			hosts = f.allHosts
		}
		for _, h := range hosts {
			for _, d := range domains {
				if h == d || strings.HasSuffix(h, "."+d) {
					if ban {
						return "banned domain " + d, true
					}
					return "trusted domain " + d, true
				}
			}
		}
		return "", false
	}, nil
}

// normalizeDomain accepts "example.social", "*.example.social",
// "@example.social" or a URL, and returns the lowercase ASCII host.
func normalizeDomain(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if u := normalizeURL(s); u != "" {
		s = urlHost(u)
	}
	s = strings.TrimPrefix(s, "@")
	s = strings.TrimPrefix(s, "*.")
	s = strings.Trim(s, ".")
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", false
	}
	a = strings.ToLower(a)
	return a, isHostname(a)
}

func isHostname(s string) bool {
	if len(s) < 3 || len(s) > 253 || !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return !strings.Contains(s, "..")
}

func urlHost(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// --- toggles ---------------------------------------------------------------

// optOutRE finds #nobot and #nowall as whole hashtags, not #nobotanist.
var optOutRE = regexp.MustCompile(`(?i)[#＃]no(?:bot|wall)(?:$|[^\p{L}\p{N}_])`)

func hasOptOut(s string) bool { return s != "" && optOutRE.MatchString(s) }

func optOutTag(tags []string) bool {
	for _, t := range tags {
		if t = strings.ToLower(t); t == "nobot" || t == "nowall" {
			return true
		}
	}
	return false
}

func matchOptOut(f *postFacts) (string, bool) {
	if f.optOut == "" {
		return "", false
	}
	return "#nobot or #nowall in " + f.optOut, true
}

// The collectors for Mastodon, X and Bluesky already leave replies out and
// unwrap boosts into the post boosted, and a Post carries no reply or boost
// field. What reaches the rules is judged by how it reads: a reply opens by
// addressing someone (@name …), a manual retweet opens with "RT @name".
func matchReply(f *postFacts) (string, bool) {
	t := strings.TrimSpace(f.firstText())
	if r, _ := utf8.DecodeRuneInString(strings.TrimPrefix(t, "@")); strings.HasPrefix(t, "@") && (unicode.IsLetter(r) || unicode.IsNumber(r)) {
		return "a reply (it opens by addressing " + clip(strings.Fields(t)[0], 60) + ")", true
	}
	return "", false
}

func matchBoost(f *postFacts) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(f.firstText()))
	if strings.HasPrefix(t, "rt @") || strings.HasPrefix(t, "rt:") || strings.HasPrefix(t, "rt@") {
		return "a boost or repost (it opens with RT)", true
	}
	return "", false
}

func (f *postFacts) firstText() string {
	if len(f.fields) > 0 && f.fields[0].where == "the post text" {
		return f.fields[0].raw
	}
	return ""
}

func matchNoPhoto(f *postFacts) (string, bool) {
	if f.post.HasImage() {
		return "", false
	}
	return "no photo", true
}

func matchSensitive(f *postFacts) (string, bool) {
	switch {
	case strings.TrimSpace(f.post.ContentWarning) != "":
		return fmt.Sprintf("content warning %q", clip(f.post.ContentWarning, 120)), true
	case f.post.Sensitive:
		return "marked sensitive by its author", true
	}
	return "", false
}

// clip shortens s to at most n characters, for reasons that quote a post.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
