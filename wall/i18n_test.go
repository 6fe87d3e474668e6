package wall

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// sameAsEnglish lists the keys a language may legitimately write as English
// does: borrowed words and short forms that are the same in both.
var sameAsEnglish = map[string][]string{
	"cs": {"net.webpage", "net.demo", "text.video"},
	"da": {"net.webpage", "net.demo", "text.video"},
	"de": {"status.live", "net.webpage", "net.demo", "text.video"},
	"es": {"net.webpage", "net.demo"},
	"et": {"net.demo", "text.video"},
	"fi": {"net.demo", "text.video"},
	"fr": {"net.webpage", "cta.signatures"},
	"hr": {"net.demo", "text.video"},
	"hu": {"net.webpage"},
	"it": {"net.webpage", "net.demo", "text.video"},
	"lv": {"text.video"},
	"mt": {"net.webpage", "net.demo"},
	"nl": {"status.live", "net.webpage", "net.demo", "text.video"},
	"pl": {"net.demo"},
	"pt": {"net.webpage"},
	"ro": {"net.webpage"},
	"sk": {"net.webpage", "text.video"},
	"sl": {"text.video"},
	"sv": {"net.demo", "text.video"},
}

// TestCatalogComplete checks every language has every English key, in the
// forms its plural rule needs, with the same placeholders, and translated.
func TestCatalogComplete(t *testing.T) {
	en := catalogs["en"]
	for _, lang := range model.Languages {
		t.Run(lang, func(t *testing.T) {
			c := catalogs[lang]
			if c == nil {
				t.Fatalf("no catalog for %s", lang)
			}
			if _, ok := locales[lang]; !ok {
				t.Fatalf("no locale (plural rule, number format) for %s", lang)
			}
			for key, want := range en.msgs {
				got, ok := c.msgs[key]
				switch {
				case !ok:
					t.Errorf("%s missing", key)
				case strings.TrimSpace(got) == "":
					t.Errorf("%s is empty", key)
				case lang != "en" && key != "date" && got == want && !slices.Contains(sameAsEnglish[lang], key):
					t.Errorf("%s = %q, the same as English (add it to sameAsEnglish if that is right)", key, got)
				}
				if p, w := placeholders(got), placeholders(want); ok && !slices.Equal(p, w) {
					t.Errorf("%s has placeholders %v, want %v", key, p, w)
				}
			}
			for key := range c.msgs {
				if _, ok := en.msgs[key]; !ok {
					t.Errorf("%s is not an English key", key)
				}
			}
			for key, wantForms := range en.plurals {
				forms, ok := c.plurals[key]
				if !ok {
					t.Errorf("%s missing (want plural forms)", key)
					continue
				}
				for _, f := range c.locale.plural.forms {
					s := forms[f]
					if strings.TrimSpace(s) == "" {
						t.Errorf("%s: form %q missing or empty", key, f)
						continue
					}
					if p := placeholders(s); !slices.Equal(p, []string{"{n}"}) {
						t.Errorf("%s[%s] = %q has placeholders %v, want [{n}]", key, f, s, p)
					}
					if lang != "en" && (s == wantForms[formOne] || s == wantForms[formOther]) && !slices.Contains(sameAsEnglish[lang], key) {
						t.Errorf("%s[%s] = %q, the same as English", key, f, s)
					}
				}
				for f := range forms {
					if !slices.Contains(c.locale.plural.forms, f) {
						t.Errorf("%s: form %q is not one %s uses (%v)", key, f, lang, c.locale.plural.forms)
					}
				}
			}
			if _, err := time.Parse(c.T("date"), time.Date(2026, 5, 7, 9, 3, 0, 0, time.UTC).Format(c.T("date"))); err != nil {
				t.Errorf("date layout %q does not round-trip: %v", c.T("date"), err)
			}
			if d := c.Date(time.Date(2026, 5, 7, 9, 3, 0, 0, time.UTC)); !strings.Contains(d, "2026") || !strings.Contains(d, "09") && !strings.Contains(d, "9") {
				t.Errorf("date %q lost the year or the hour", d)
			}
		})
	}
}

// TestPluralRules checks the tricky numbers of each rule against CLDR.
func TestPluralRules(t *testing.T) {
	tests := []struct {
		lang string
		want map[int64]pluralForm
	}{
		{"en", map[int64]pluralForm{0: formOther, 1: formOne, 2: formOther, 21: formOther}},
		{"de", map[int64]pluralForm{1: formOne, 2: formOther, 1000000: formOther}},
		{"fr", map[int64]pluralForm{0: formOne, 1: formOne, 2: formOther, 1000000: formMany, 2000000: formMany, 1000001: formOther}},
		{"es", map[int64]pluralForm{0: formOther, 1: formOne, 2: formOther, 1000000: formMany}},
		{"it", map[int64]pluralForm{1: formOne, 11: formOther, 3000000: formMany}},
		{"pt", map[int64]pluralForm{0: formOther, 1: formOne, 2: formOther, 1000000: formMany}},
		{"pl", map[int64]pluralForm{0: formMany, 1: formOne, 2: formFew, 4: formFew, 5: formMany, 12: formMany, 14: formMany, 21: formMany, 22: formFew, 25: formMany, 102: formFew, 112: formMany}},
		{"cs", map[int64]pluralForm{0: formOther, 1: formOne, 2: formFew, 4: formFew, 5: formOther, 21: formOther, 22: formOther}},
		{"sk", map[int64]pluralForm{1: formOne, 3: formFew, 5: formOther}},
		{"hr", map[int64]pluralForm{1: formOne, 2: formFew, 5: formOther, 11: formOther, 12: formOther, 21: formOne, 22: formFew, 101: formOne, 111: formOther}},
		{"lt", map[int64]pluralForm{0: formOther, 1: formOne, 2: formFew, 9: formFew, 10: formOther, 11: formOther, 19: formOther, 21: formOne, 22: formFew, 111: formOther}},
		{"lv", map[int64]pluralForm{0: formZero, 1: formOne, 2: formOther, 10: formZero, 11: formZero, 19: formZero, 21: formOne, 111: formZero, 101: formOne}},
		{"ro", map[int64]pluralForm{0: formFew, 1: formOne, 2: formFew, 19: formFew, 20: formOther, 101: formFew, 119: formFew, 120: formOther}},
		{"sl", map[int64]pluralForm{0: formOther, 1: formOne, 2: formTwo, 3: formFew, 4: formFew, 5: formOther, 101: formOne, 102: formTwo, 103: formFew, 111: formOther}},
		{"ga", map[int64]pluralForm{0: formOther, 1: formOne, 2: formTwo, 3: formFew, 6: formFew, 7: formMany, 10: formMany, 11: formOther, 21: formOther}},
		{"mt", map[int64]pluralForm{0: formFew, 1: formOne, 2: formTwo, 3: formFew, 10: formFew, 11: formMany, 19: formMany, 20: formOther, 102: formOther, 103: formFew, 111: formMany}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			rule := locales[tt.lang].plural
			for n, want := range tt.want {
				if got := rule.pick(n); got != want {
					t.Errorf("%s: %d is %q, want %q", tt.lang, n, got, want)
				}
				if !slices.Contains(rule.forms, want) {
					t.Errorf("%s: rule.forms %v lacks %q", tt.lang, rule.forms, want)
				}
			}
		})
	}
}

func TestPluralMessages(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 1, "1 signature"},
		{"en", 12345, "12,345 signatures"},
		{"pl", 1, "1 podpis"},
		{"pl", 22, "22 podpisy"},
		{"pl", 25, "25 podpisów"},
		{"pl", 12345, "12\u00a0345 podpisów"},
		{"cs", 3, "3 podpisy"},
		{"cs", 5, "5 podpisů"},
		{"lt", 21, "21 parašas"},
		{"lt", 10, "10 parašų"},
		{"ga", 2, "2 shíniú"},
		{"mt", 11, "11-il firma"},
		{"fr", 0, "0 signature"},
		{"fr", 1000000, "1\u202f000\u202f000 de signatures"},
		{"de", 12345, "12.345 Unterschriften"},
		{"xx", 2, "2 signatures"}, // unknown language: English
	}
	for _, tt := range tests {
		if got := catalogFor(tt.lang).N("cta.signatures", tt.n); got != tt.want {
			t.Errorf("%s %d: got %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 0, "0"},
		{"en", 999, "999"},
		{"en", 1234, "1,234"},
		{"en", 12345, "12,345"},
		{"en", 1234567, "1,234,567"},
		{"de", 12345, "12.345"},
		{"de", 1234, "1.234"},
		{"fr", 12345, "12\u202f345"},
		{"fr", 1234, "1\u202f234"},
		{"pl", 1234, "1234"}, // minimum grouping digits: 2
		{"pl", 12345, "12\u00a0345"},
		{"es", 1234, "1234"},
		{"es", 12345, "12.345"},
		{"pt", 12345, "12\u00a0345"},
		{"sv", 1234, "1\u00a0234"},
		{"ga", 12345, "12,345"},
		{"mt", 1234567, "1,234,567"},
		{"en", -1234, "-1,234"},
	}
	for _, tt := range tests {
		if got := catalogFor(tt.lang).Number(tt.n); got != tt.want {
			t.Errorf("%s %d: got %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestPageLanguage(t *testing.T) {
	tests := []struct {
		name, query, wall, configured, want string
	}{
		{"query", "?lang=pl", "", "de", "pl"},
		{"query upper case", "?lang=PL", "", "", "pl"},
		{"configured", "", "", "de", "de"},
		{"unknown query falls back to configured", "?lang=xx", "", "fr", "fr"},
		{"unknown query, nothing configured", "?lang=klingon", "", "", "en"},
		{"nothing", "", "", "", "en"},
		{"bad configured", "", "", "zz", "en"},
		{"query beats the wall's", "?lang=pl", "fr", "de", "pl"},
		{"the wall's beats the campaign's", "", "fr", "de", "fr"},
		{"unknown query falls back to the wall's", "?lang=xx", "fr", "de", "fr"},
		{"bad wall language falls back to the campaign's", "", "zz", "de", "de"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{opts: Options{Language: tt.configured}}
			if got := h.pageLanguage(httptest.NewRequest("GET", "/"+tt.query, nil), tt.wall); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
