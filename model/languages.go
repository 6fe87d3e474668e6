package model

import "slices"

// Languages are the 24 official languages of the European Union as ISO 639-1
// codes: the languages the wall's interface speaks, and the values a config
// file may give as a wall's language.
var Languages = []string{
	"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
	"hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
}

// IsLanguage reports whether code is one of Languages (lower case, as listed).
func IsLanguage(code string) bool { return slices.Contains(Languages, code) }
