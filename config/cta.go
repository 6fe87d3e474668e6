package config

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CTA is the [cta] table: the call-to-action panel on the wall, with a QR
// code of the Joint Call's signing URL (drawn by campaignwall), the live
// signature count and a short message. Without the table there is no panel.
type CTA struct {
	Enabled    bool   // default true when the table is there
	SigningURL string // required when enabled
	Message    string // optional; shown in every language without its own
	// Messages are the message in other languages, by language code
	// ([cta.messages] de = "…").
	Messages map[string]string
}

// ctaMaxURL keeps the QR code small enough to scan from across a room:
// longer URLs make denser codes. Use a short link for a long URL.
const ctaMaxURL = 300

// ctaMaxMessage keeps the message to a line or two on a screen.
const ctaMaxMessage = 200

func (l *loader) cta(root *table) CTA {
	present := root.has("cta")
	t := root.sub("cta")
	c := CTA{Enabled: present}
	if t.has("enabled") {
		c.Enabled = t.boolean("enabled")
	}
	c.SigningURL = t.str("signing_url")
	const example = "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"
	switch {
	case c.Enabled && c.SigningURL == "" && present:
		t.fail("signing_url", "is required: the page where people sign, shown as a QR code, e.g. signing_url = %q (or enabled = false)", example)
	case c.SigningURL != "":
		if msg := checkURL(c.SigningURL, example); msg != "" {
			t.fail("signing_url", "%s", msg)
		} else if len(c.SigningURL) > ctaMaxURL {
			t.fail("signing_url", "is %d characters long: at most %d fit a QR code people can scan from afar (use a short link)", len(c.SigningURL), ctaMaxURL)
		}
	}
	c.Message = ctaMessage(t, "message")
	if t.has("messages") {
		mt := t.sub("messages")
		c.Messages = map[string]string{}
		for _, lang := range slices.Sorted(maps.Keys(mt.m)) {
			if !slices.Contains(euLanguages, lang) {
				mt.has(lang) // reported here, not again as unknown
				mt.fail(lang, "%q is not one of the EU's languages (want a two-letter code: %s)", lang, strings.Join(euLanguages, ", "))
				continue
			}
			if m := ctaMessage(mt, lang); m != "" {
				c.Messages[lang] = m
			}
		}
		mt.reportUnknown()
	}
	t.reportUnknown()
	return c
}

func ctaMessage(t *table, k string) string {
	s := t.str(k)
	switch {
	case strings.ContainsFunc(s, unicode.IsControl):
		t.fail(k, "must be one line without control characters")
	case utf8.RuneCountInString(s) > ctaMaxMessage:
		t.fail(k, "is %d characters long: at most %d fit the panel", utf8.RuneCountInString(s), ctaMaxMessage)
	}
	return s
}
