package moderation

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/cohesionalliance/campaignwall/model"
)

// blocklists holds the default blocked words, one file per EU language.
//
//go:embed blocklists/*.txt
var blocklists embed.FS

// euLanguages names the 24 official EU languages in their own words, keyed
// by ISO 639-1 code; there is one default word list per language.
var euLanguages = map[string]string{
	"bg": "Български", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
	"en": "English", "es": "Español", "et": "Eesti", "fi": "Suomi", "fr": "Français",
	"ga": "Gaeilge", "hr": "Hrvatski", "hu": "Magyar", "it": "Italiano", "lt": "Lietuvių",
	"lv": "Latviešu", "mt": "Malti", "nl": "Nederlands", "pl": "Polski", "pt": "Português",
	"ro": "Română", "sk": "Slovenčina", "sl": "Slovenščina", "sv": "Svenska",
}

// languageName is a language's own name, or its code when unknown.
func languageName(code string) string {
	if n, ok := euLanguages[code]; ok {
		return n
	}
	return code
}

// defaultRulesActor is who the audit of rule changes names for the defaults.
const defaultRulesActor = "campaignwall"

// DefaultRules returns the rules a new database starts with: one blocked-word
// list per EU language, rejecting what matches. Admins edit or delete them
// like any rule.
func DefaultRules() ([]model.Rule, error) {
	files, err := blocklists.ReadDir("blocklists")
	if err != nil {
		return nil, fmt.Errorf("moderation: default word lists: %w", err)
	}
	var rules []model.Rule
	for _, f := range files { // ReadDir sorts by name, so by language code
		code := strings.TrimSuffix(f.Name(), ".txt")
		b, err := blocklists.ReadFile(path.Join("blocklists", f.Name()))
		if err != nil {
			return nil, fmt.Errorf("moderation: default word list %s: %w", code, err)
		}
		rules = append(rules, model.Rule{
			Name:      "Blocked words (" + languageName(code) + ")",
			Kind:      model.RuleBlockWords,
			Value:     string(b),
			Action:    model.RuleReject,
			Language:  code,
			Enabled:   true,
			CreatedBy: defaultRulesActor,
		})
	}
	return rules, nil
}

// InstallDefaultRules stores DefaultRules the first time campaignwall starts
// on a database; afterwards it does nothing, so lists an admin edited or
// deleted stay as they left them. Call it once after NewHandler.
func (h *Handler) InstallDefaultRules(ctx context.Context) error {
	rules, err := DefaultRules()
	if err != nil {
		return err
	}
	n, err := h.st.InstallDefaultRules(ctx, rules)
	if err != nil {
		return fmt.Errorf("moderation: %w", err)
	}
	if n > 0 {
		h.log.InfoContext(ctx, "default rules installed", slog.Int("rules", n))
	}
	return nil
}
