package model

import (
	"strings"
	"testing"
)

func TestParseColor(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"#0A4FA8", "#0a4fa8", true},
		{"#fff", "#ffffff", true},
		{"#12345", "", false},
		{"yellow", "", false},
		{"0a4fa8", "", false},
		{"#0a4fa8;}", "", false},
	} {
		if got, ok := ParseColor(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseColor(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWallLookProblem(t *testing.T) {
	for _, tt := range []struct {
		name, theme, accent, background string
		field, msg                      string
	}{
		{"theme's own colours", "dark", "", "", "", ""},
		{"light with blue on white", "light", "#0a4fa8", "#ffffff", "", ""},
		{"unknown theme", "sepia", "", "", "theme", `"sepia" is not a theme`},
		{"dark background under dark text", "light", "", "#333333", "background", "#333333 with the light theme's text (#141a24)"},
		{"yellow on white", "light", "#ffff00", "#ffffff", "accent", "#ffff00 on the background #ffffff has a contrast of 1.1:1"},
		{"accent checked against the theme's background", "dark", "#0a4fa8", "", "accent", "on the background #0b0f17"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			field, msg := WallLookProblem(tt.theme, tt.accent, tt.background)
			if field != tt.field || !strings.Contains(msg, tt.msg) {
				t.Errorf("WallLookProblem = %q, %q; want %q, containing %q", field, msg, tt.field, tt.msg)
			}
		})
	}
}

func TestContrast(t *testing.T) {
	if got := Contrast("#000000", "#ffffff"); got < 20.99 || got > 21.01 {
		t.Errorf("black on white = %.3f, want 21", got)
	}
	if a, b := Contrast("#0a4fa8", "#ffffff"), Contrast("#ffffff", "#0a4fa8"); a != b {
		t.Errorf("contrast depends on order: %.3f, %.3f", a, b)
	}
}
