package wall

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/cohesionalliance/campaignwall/model"
)

// The wall speaks the 24 official EU languages. Every string a screen shows
// comes from a catalog embedded in the binary, one JSON file per language
// (locales/xx.json): a plain entry is a string, a plural one an object with
// the CLDR plural categories the language uses ("one", "few", …).
// Placeholders are written {name}; {n} is a number formatted for the
// language.
//
// The plural rules and number formats below are written out from current
// CLDR (TestPluralRulesMatchBrowser checks the rules against Chromium's
// copy) rather than taken from
// golang.org/x/text, whose data is older: it has Portuguese as spoken in
// Brazil, Maltese without "two", no "many" for a million in French, Spanish,
// Italian and Portuguese, French grouping with U+00A0 instead of U+202F, and
// no minimum grouping (Polish writes 1234, not 1 234).
//
// Live events: the hub renders a post's card once and sends the same frame
// to every screen (fan-out costs a pointer per screen, see hub.go), whatever
// its language. Rendering per language would multiply that work and the
// replay log by the languages in use. Instead the hub renders cards without
// a catalog (English), every translated element names its message in
// data-i18n (arguments in data-i18n-*), and wall.js puts an arriving card
// into the page's language from the catalog the page carries. A page
// rendered by the server is already in its language, so screens without
// JavaScript (which get no live events) lose nothing. Counter events carry
// only the number, which wall.js writes with the catalog's plural forms and
// grouping, exactly as the server does.

//go:embed locales/*.json
var localeFiles embed.FS

// defaultLanguage is the language of last resort, and the one cards are
// rendered in for live events (see localize in wall.js).
const defaultLanguage = "en"

// pluralForm is a CLDR plural category.
type pluralForm string

const (
	formZero  pluralForm = "zero"
	formOne   pluralForm = "one"
	formTwo   pluralForm = "two"
	formFew   pluralForm = "few"
	formMany  pluralForm = "many"
	formOther pluralForm = "other"
)

// pluralRule picks the category of a non-negative whole number. Counts on a
// wall (signatures, minutes) are never fractions, so the rules leave out
// the CLDR conditions on decimals.
type pluralRule struct {
	forms []pluralForm // every category the language uses for whole numbers
	pick  func(n int64) pluralForm
}

var (
	oneOther = pluralRule{[]pluralForm{formOne, formOther}, func(n int64) pluralForm {
		if n == 1 {
			return formOne
		}
		return formOther
	}}
	// Romance languages have a "many" form for exact millions ("1 milione
	// di firme": de/di before the noun).
	oneManyOther = pluralRule{[]pluralForm{formOne, formMany, formOther}, func(n int64) pluralForm {
		switch {
		case n == 1:
			return formOne
		case n != 0 && n%1000000 == 0:
			return formMany
		}
		return formOther
	}}
	french = pluralRule{[]pluralForm{formOne, formMany, formOther}, func(n int64) pluralForm {
		switch {
		case n == 0 || n == 1:
			return formOne
		case n%1000000 == 0:
			return formMany
		}
		return formOther
	}}
	// Czech and Slovak: "many" is for fractions only.
	westSlavic = pluralRule{[]pluralForm{formOne, formFew, formOther}, func(n int64) pluralForm {
		switch {
		case n == 1:
			return formOne
		case n >= 2 && n <= 4:
			return formFew
		}
		return formOther
	}}
	croatian = pluralRule{[]pluralForm{formOne, formFew, formOther}, func(n int64) pluralForm {
		d, h := n%10, n%100
		switch {
		case d == 1 && h != 11:
			return formOne
		case d >= 2 && d <= 4 && (h < 12 || h > 14):
			return formFew
		}
		return formOther
	}}
	polish = pluralRule{[]pluralForm{formOne, formFew, formMany}, func(n int64) pluralForm {
		d, h := n%10, n%100
		switch {
		case n == 1:
			return formOne
		case d >= 2 && d <= 4 && (h < 12 || h > 14):
			return formFew
		}
		return formMany
	}}
	// Lithuanian: "many" is for fractions only.
	lithuanian = pluralRule{[]pluralForm{formOne, formFew, formOther}, func(n int64) pluralForm {
		d, h := n%10, n%100
		switch {
		case h >= 11 && h <= 19:
			return formOther
		case d == 1:
			return formOne
		case d >= 2:
			return formFew
		}
		return formOther
	}}
	latvian = pluralRule{[]pluralForm{formZero, formOne, formOther}, func(n int64) pluralForm {
		d, h := n%10, n%100
		switch {
		case d == 0 || (h >= 11 && h <= 19):
			return formZero
		case d == 1:
			return formOne
		}
		return formOther
	}}
	romanian = pluralRule{[]pluralForm{formOne, formFew, formOther}, func(n int64) pluralForm {
		h := n % 100
		switch {
		case n == 1:
			return formOne
		case n == 0 || (h >= 1 && h <= 19):
			return formFew
		}
		return formOther
	}}
	slovenian = pluralRule{[]pluralForm{formOne, formTwo, formFew, formOther}, func(n int64) pluralForm {
		switch n % 100 {
		case 1:
			return formOne
		case 2:
			return formTwo
		case 3, 4:
			return formFew
		}
		return formOther
	}}
	irish = pluralRule{[]pluralForm{formOne, formTwo, formFew, formMany, formOther}, func(n int64) pluralForm {
		switch {
		case n == 1:
			return formOne
		case n == 2:
			return formTwo
		case n >= 3 && n <= 6:
			return formFew
		case n >= 7 && n <= 10:
			return formMany
		}
		return formOther
	}}
	maltese = pluralRule{[]pluralForm{formOne, formTwo, formFew, formMany, formOther}, func(n int64) pluralForm {
		h := n % 100
		switch {
		case n == 1:
			return formOne
		case n == 2:
			return formTwo
		case n == 0 || (h >= 3 && h <= 10):
			return formFew
		case h >= 11 && h <= 19:
			return formMany
		}
		return formOther
	}}
)

// numberFormat is how a language writes whole numbers: the grouping
// separator, and how many digits must precede the first group for it to be
// grouped at all (2: 1234 but 12 345).
type numberFormat struct {
	group       string
	minGrouping int
}

const (
	nbsp       = "\u00a0"
	narrowNBSP = "\u202f"
)

// locale is what a language needs besides its messages.
type locale struct {
	plural     pluralRule
	number     numberFormat
	pluralLang string // the tag browsers' Intl.PluralRules knows it by
	dir        string // text direction: every EU language is written left to right
}

var locales = map[string]locale{
	"bg": {oneOther, numberFormat{nbsp, 2}, "bg", "ltr"},
	"cs": {westSlavic, numberFormat{nbsp, 1}, "cs", "ltr"},
	"da": {oneOther, numberFormat{".", 1}, "da", "ltr"},
	"de": {oneOther, numberFormat{".", 1}, "de", "ltr"},
	"el": {oneOther, numberFormat{".", 1}, "el", "ltr"},
	"en": {oneOther, numberFormat{",", 1}, "en", "ltr"},
	"es": {oneManyOther, numberFormat{".", 2}, "es", "ltr"},
	"et": {oneOther, numberFormat{nbsp, 2}, "et", "ltr"},
	"fi": {oneOther, numberFormat{nbsp, 1}, "fi", "ltr"},
	"fr": {french, numberFormat{narrowNBSP, 1}, "fr", "ltr"},
	"ga": {irish, numberFormat{",", 1}, "ga", "ltr"},
	"hr": {croatian, numberFormat{".", 1}, "hr", "ltr"},
	"hu": {oneOther, numberFormat{nbsp, 2}, "hu", "ltr"},
	"it": {oneManyOther, numberFormat{".", 2}, "it", "ltr"},
	"lt": {lithuanian, numberFormat{nbsp, 1}, "lt", "ltr"},
	"lv": {latvian, numberFormat{nbsp, 2}, "lv", "ltr"},
	"mt": {maltese, numberFormat{",", 1}, "mt", "ltr"},
	"nl": {oneOther, numberFormat{".", 1}, "nl", "ltr"},
	"pl": {polish, numberFormat{nbsp, 2}, "pl", "ltr"},
	// European Portuguese: the EU's, and not CLDR's default "pt" (Brazil).
	"pt": {oneManyOther, numberFormat{nbsp, 2}, "pt-PT", "ltr"},
	"ro": {romanian, numberFormat{".", 1}, "ro", "ltr"},
	"sk": {westSlavic, numberFormat{nbsp, 1}, "sk", "ltr"},
	"sl": {slovenian, numberFormat{".", 2}, "sl", "ltr"},
	"sv": {oneOther, numberFormat{nbsp, 1}, "sv", "ltr"},
}

// formatNumber writes n with f's grouping.
func formatNumber(n int64, f numberFormat) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= 3 || len(s) < 3+f.minGrouping {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(s[:first])
	for i := first; i < len(s); i += 3 {
		b.WriteString(f.group)
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// catalog is one language's messages.
type catalog struct {
	lang    string
	locale  locale
	msgs    map[string]string
	plurals map[string]map[pluralForm]string
	js      string // the catalog as wall.js reads it, built once
}

// catalogs holds every embedded language; loading fails loudly at start, and
// the tests check every catalog is complete.
var catalogs = mustLoadCatalogs()

func mustLoadCatalogs() map[string]*catalog {
	out := make(map[string]*catalog, len(model.Languages))
	for _, lang := range model.Languages {
		c, err := loadCatalog(lang)
		if err != nil {
			panic(err) // embedded files: a broken one is a build error
		}
		out[lang] = c
	}
	return out
}

func loadCatalog(lang string) (*catalog, error) {
	b, err := localeFiles.ReadFile("locales/" + lang + ".json")
	if err != nil {
		return nil, fmt.Errorf("wall: catalog %s: %w", lang, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("wall: catalog %s: %w", lang, err)
	}
	c := &catalog{lang: lang, locale: locales[lang], msgs: map[string]string{}, plurals: map[string]map[pluralForm]string{}}
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			c.msgs[k] = s
			continue
		}
		var forms map[pluralForm]string
		if err := json.Unmarshal(v, &forms); err != nil {
			return nil, fmt.Errorf("wall: catalog %s: key %s: want a string or plural forms: %w", lang, k, err)
		}
		c.plurals[k] = forms
	}
	js, err := json.Marshal(jsCatalog{
		Lang:        lang,
		PluralLang:  c.locale.pluralLang,
		Group:       c.locale.number.group,
		MinGrouping: c.locale.number.minGrouping,
		Messages:    c.msgs,
		Plurals:     c.plurals,
	})
	if err != nil {
		return nil, fmt.Errorf("wall: catalog %s: %w", lang, err)
	}
	c.js = string(js)
	return c, nil
}

// jsCatalog is what the page hands wall.js in a data attribute: the strings
// it writes itself (status, relative times, live counts, cards that arrive
// over the stream) and how to write numbers. JSON in an attribute, not an
// inline script: the Content-Security-Policy allows no inline scripts.
type jsCatalog struct {
	Lang        string                           `json:"lang"`
	PluralLang  string                           `json:"pluralLang"`
	Group       string                           `json:"group"`
	MinGrouping int                              `json:"minGrouping"`
	Messages    map[string]string                `json:"messages"`
	Plurals     map[string]map[pluralForm]string `json:"plurals"`
}

// catalogFor returns lang's catalog, or English for a language the wall does
// not speak.
func catalogFor(lang string) *catalog {
	if c, ok := catalogs[lang]; ok {
		return c
	}
	return catalogs[defaultLanguage]
}

// T returns the message key with {name} placeholders replaced by args, given
// as name, value pairs. A key missing from the catalog (a bug the tests
// catch) shows as English rather than as nothing.
func (c *catalog) T(key string, args ...string) string {
	s, ok := c.msgs[key]
	if !ok {
		s = catalogs[defaultLanguage].msgs[key]
	}
	return fill(s, args)
}

// N returns the plural message key for n, with {n} written as the language
// writes numbers.
func (c *catalog) N(key string, n int64, args ...string) string {
	return fill(c.plural(key, n), append(args, "n", c.Number(n)))
}

// plural returns the form of the message key that fits n, unfilled.
func (c *catalog) plural(key string, n int64) string {
	forms, ok := c.plurals[key]
	if !ok {
		forms = catalogs[defaultLanguage].plurals[key]
		return forms[oneOther.pick(n)]
	}
	if s, ok := forms[c.locale.plural.pick(n)]; ok {
		return s
	}
	return forms[formOther]
}

// Number writes n as the language does: 12,345 in English, 12.345 in
// German, 12 345 (narrow no-break space) in French, 1234 in Polish.
func (c *catalog) Number(n int64) string { return formatNumber(n, c.locale.number) }

// Date writes t (in UTC) in the language's numeric date and time format.
func (c *catalog) Date(t time.Time) string { return t.UTC().Format(c.T("date")) + " UTC" }

func fill(s string, args []string) string {
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// placeholders lists the {names} in s, sorted, for the catalog tests.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		out = append(out, s[i:i+j+1])
		s = s[i+j+1:]
	}
	sort.Strings(out)
	return out
}

type catalogKey struct{}

// withCatalog returns ctx carrying c for the components rendered with it.
func withCatalog(ctx context.Context, c *catalog) context.Context {
	return context.WithValue(ctx, catalogKey{}, c)
}

// tr returns the catalog in ctx: the page's language. Without one (the
// hub rendering a card for every screen at once) it is English, and the
// card's data-i18n attributes let wall.js put it into the screen's language.
func tr(ctx context.Context) *catalog {
	if c, ok := ctx.Value(catalogKey{}).(*catalog); ok {
		return c
	}
	return catalogs[defaultLanguage]
}

// pageLanguage is the language a wall request asks for: ?lang= if the wall
// speaks it, else wallLang (the configured wall's own language, "" for
// none), else the campaign's language, else English. An unknown ?lang= is
// ignored rather than refused: a screen's URL typed by hand at a venue
// should show the wall, not an error.
func (h *Handler) pageLanguage(r *http.Request, wallLang string) string {
	for _, l := range []string{r.URL.Query().Get("lang"), wallLang, h.opts.Language} {
		if l = strings.ToLower(strings.TrimSpace(l)); model.IsLanguage(l) {
			return l
		}
	}
	return defaultLanguage
}

// localized renders c with cat as the language of every string in it.
func localized(cat *catalog, c templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return c.Render(withCatalog(ctx, cat), w)
	})
}
