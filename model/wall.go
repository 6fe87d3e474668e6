package model

import (
	"strings"
	"time"
)

// WallMode is how a wall lays out its posts on a screen.
type WallMode string

const (
	ModeMasonry   WallMode = "masonry"   // cards in columns, the default
	ModeSpotlight WallMode = "spotlight" // one post at a time, large, highlights first
	ModePhotos    WallMode = "photos"    // posts with photos only, image first
	ModeTicker    WallMode = "ticker"    // one scrolling line for a stage's lower third
	ModeList      WallMode = "list"      // a plain list for slow hardware: no animation
)

// WallModes lists every mode, the default first.
func WallModes() []WallMode {
	return []WallMode{ModeMasonry, ModeSpotlight, ModePhotos, ModeTicker, ModeList}
}

// ParseWallMode returns the mode named by s, and false for anything else.
func ParseWallMode(s string) (WallMode, bool) {
	m := WallMode(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range WallModes() {
		if m == k {
			return m, true
		}
	}
	return "", false
}

// WallFilter selects which approved posts a wall shows. An empty list
// selects everything; lists are alternatives (any of them), the lists
// together must all match.
type WallFilter struct {
	Languages  []string // primary language subtags, lower case ("de" also matches "de-AT")
	Networks   []Network
	Categories []string // a source's category
	Sources    []string // source names
}

// IsZero reports whether the filter selects every post.
func (f WallFilter) IsZero() bool {
	return len(f.Languages) == 0 && len(f.Networks) == 0 && len(f.Categories) == 0 && len(f.Sources) == 0
}

// Matches reports whether the filter selects p. It is the same test the
// store's queries make, for posts the wall hears about one at a time.
func (f WallFilter) Matches(p Post) bool {
	if len(f.Languages) > 0 {
		lang := strings.ToLower(p.Language)
		if i := strings.IndexByte(lang, '-'); i >= 0 {
			lang = lang[:i]
		}
		if !containsString(f.Languages, lang) {
			return false
		}
	}
	if len(f.Networks) > 0 && !containsString(f.Networks, p.Network) {
		return false
	}
	if len(f.Categories) > 0 && !containsString(f.Categories, p.Category) {
		return false
	}
	if len(f.Sources) > 0 && !containsString(f.Sources, p.SourceName) {
		return false
	}
	return true
}

func containsString[S ~string](list []S, s S) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Wall is one wall of a campaign, at /w/{Slug}: which posts it shows and
// how. Files (Logo, CustomCSS) are paths config resolved and checked.
type Wall struct {
	Slug    string
	Title   string
	Default bool // shown at / too
	Mode    WallMode
	Filter  WallFilter

	Theme            string // "dark" or "light"
	Accent           string // #rrggbb, "" for the theme's
	Background       string // #rrggbb, "" for the theme's
	Logo             string // a local image file, "" for none
	CustomCSS        string // a local CSS file, "" for none
	SpotlightSeconds int
	FrameAncestors   []string // who may frame /embed/{slug}; empty: 'self'
	Language         string   // the wall's default UI language (BCP 47)
}

// WallSettings are what admins change on a running wall (/admin/walls);
// they override the config file's settings until reset.
type WallSettings struct {
	Slug      string
	Mode      WallMode
	Filter    WallFilter
	Look      *WallLook // nil: the config file's look
	UpdatedBy string
	UpdatedAt time.Time
}

// WallLook is what admins may change of a wall's look at runtime. Logo and
// custom CSS are files on disk and stay the config file's.
type WallLook struct {
	Title            string
	Theme            string // "dark" or "light"
	Accent           string // #rrggbb, "" for the theme's
	Background       string // #rrggbb, "" for the theme's
	SpotlightSeconds int
	Language         string // one of Languages, "" for the campaign's
}

// Apply returns w as the settings change it.
func (s WallSettings) Apply(w Wall) Wall {
	if m, ok := ParseWallMode(string(s.Mode)); ok {
		w.Mode = m
	}
	w.Filter = s.Filter
	if l := s.Look; l != nil {
		w.Title, w.Theme, w.Accent, w.Background = l.Title, l.Theme, l.Accent, l.Background
		w.SpotlightSeconds, w.Language = l.SpotlightSeconds, l.Language
	}
	return w
}

// LookOf returns the part of w admins may change at runtime.
func LookOf(w Wall) WallLook {
	return WallLook{Title: w.Title, Theme: w.Theme, Accent: w.Accent, Background: w.Background,
		SpotlightSeconds: w.SpotlightSeconds, Language: w.Language}
}
