package model

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The wall's look is checked in two places: config (the file) and
// moderation (/admin/walls, at runtime). moderation may not import config,
// so the checks live here, pure and shared, and both say the same thing
// about the same colours.

// ThemeColors are the colours a wall theme's CSS uses (wall/static/wall.css);
// an accent and a background are checked for contrast against them.
type ThemeColors struct{ Text, Background, Accent string }

// WallThemes are the themes a wall may have, by name.
var WallThemes = map[string]ThemeColors{
	"dark":  {Text: "#f2f5f9", Background: "#0b0f17", Accent: "#ffd617"},
	"light": {Text: "#141a24", Background: "#f7f8fa", Accent: "#0a4fa8"},
}

var colorPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// ParseColor returns a #rgb or #rrggbb colour as #rrggbb in lower case, and
// false for anything else.
func ParseColor(s string) (string, bool) {
	if !colorPattern.MatchString(s) {
		return "", false
	}
	s = strings.ToLower(s)
	if len(s) == 4 {
		s = "#" + strings.Repeat(s[1:2], 2) + strings.Repeat(s[2:3], 2) + strings.Repeat(s[3:4], 2)
	}
	return s, true
}

// WallLookProblem checks a wall's background and accent (#rrggbb, "" for
// the theme's own) against its theme for WCAG AA contrast. It returns the
// field at fault ("background" or "accent") and why, or "", "".
func WallLookProblem(theme, accent, background string) (field, msg string) {
	t, ok := WallThemes[theme]
	if !ok {
		return "theme", fmt.Sprintf("%q is not a theme (want \"dark\" or \"light\")", theme)
	}
	bg := background
	if bg == "" {
		bg = t.Background
	}
	if background != "" {
		if r := Contrast(t.Text, bg); r < 4.5 {
			return "background", fmt.Sprintf("%s with the %s theme's text (%s) has a contrast of %.1f:1; want at least 4.5:1 (WCAG AA), or another theme", background, theme, t.Text, r)
		}
	}
	if accent != "" {
		if r := Contrast(accent, bg); r < 3 {
			return "accent", fmt.Sprintf("%s on the background %s has a contrast of %.1f:1; want at least 3:1 (WCAG AA for the large text it colours)", accent, bg, r)
		}
	}
	return "", ""
}

// Contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil {
		return 0
	}
	ch := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}
