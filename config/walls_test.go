package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestWalls(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>", "wall.css": "body{}"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "campaignwall.toml")
	data := `[campaign]
name = "Cohesion Alliance"
hashtags = ["CohesionAlliance"]
[[sources]]
name = "eupolis"
kind = "mastodon"
url = "https://eupolis.social"
[[walls]]
slug = "plenary"
[[walls]]
slug = "stage"
title = "Stage"
default = true
mode = "ticker"
languages = ["DE", "fr"]
networks = ["mastodon", "bluesky"]
categories = ["regions"]
sources = ["eupolis"]
theme = "light"
accent = "#0A4FA8"
background = "#fff"
logo = "logo.svg"
custom_css = "wall.css"
spotlight_seconds = 20
frame_ancestors = ["'self'", "https://cor.europa.eu", "https://*.europa.eu"]
language = "pt-PT"
`
	cfg, err := Parse(path, []byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Wall{
		{Slug: "plenary", Title: "Cohesion Alliance", Mode: model.ModeMasonry, Theme: "dark", SpotlightSeconds: DefaultSpotlightSeconds},
		{
			Slug: "stage", Title: "Stage", Default: true, Mode: model.ModeTicker,
			Filter: model.WallFilter{Languages: []string{"de", "fr"}, Networks: []model.Network{"mastodon", "bluesky"},
				Categories: []string{"regions"}, Sources: []string{"eupolis"}},
			Theme: "light", Accent: "#0a4fa8", Background: "#ffffff",
			Logo: filepath.Join(dir, "logo.svg"), CustomCSS: filepath.Join(dir, "wall.css"), SpotlightSeconds: 20,
			FrameAncestors: []string{"'self'", "https://cor.europa.eu", "https://*.europa.eu"}, Language: "pt",
		},
	}
	if !reflect.DeepEqual(cfg.Walls, want) {
		t.Errorf("walls =\n%+v\nwant\n%+v", cfg.Walls, want)
	}
	if out := cfg.String(); !strings.Contains(out, `wall /w/plenary "Cohesion Alliance": masonry, dark theme`+"\n") ||
		!strings.Contains(out, `wall /w/stage "Stage": ticker, light theme, also at /, filtered`+"\n") {
		t.Errorf("String() = %s, want a line per wall", out)
	}
	if w, ok := cfg.DefaultWall(); !ok || w.Slug != "stage" {
		t.Errorf("default wall = %q, %v; want stage", w.Slug, ok)
	}

	first, err := Parse(path, []byte("[campaign]\nhashtags = [\"a\"]\n[[walls]]\nslug = \"a\"\n[[walls]]\nslug = \"b\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := first.DefaultWall(); w.Slug != "a" {
		t.Errorf("default wall without default = true: %q, want the first", w.Slug)
	}
	none, err := Parse(path, []byte("[campaign]\nhashtags = [\"a\"]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := none.DefaultWall(); ok || len(none.Walls) != 0 {
		t.Errorf("no [[walls]]: %v, want none", none.Walls)
	}
}

func TestWallErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, make([]byte, maxLogoBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "campaignwall.toml")
	// The wall's first key is on line 4, the second on line 5.
	head := "[campaign]\nhashtags = [\"CohesionAlliance\"]\n[[walls]]\n"
	wall := func(keys string) string { return head + "slug = \"w\"\n" + keys }
	tests := []struct{ name, toml, want string }{
		{"slug missing", head + "title = \"T\"\n", "campaignwall.toml:3: walls[0].slug: is required"},
		{"slug not URL-safe", head + "slug = \"Big Hall\"\n", `campaignwall.toml:4: walls[0].slug: "Big Hall" is not a slug`},
		{"slug twice", wall("") + "[[walls]]\nslug = \"w\"\n", `campaignwall.toml:6: walls[1].slug: "w" is already the slug of walls[0] (line 4)`},
		{"two defaults", wall("default = true\n") + "[[walls]]\nslug = \"v\"\ndefault = true\n", "campaignwall.toml:8: walls[1].default: walls[0] (line 5) is already the default wall"},
		{"mode", wall("mode = \"carousel\"\n"), `campaignwall.toml:5: walls[0].mode: "carousel" is not a mode (want one of masonry, spotlight, photos, ticker, list)`},
		{"language filter", wall("languages = [\"en\", \"english\"]\n"), `campaignwall.toml:5: walls[0].languages[1]: "english" is not a language code`},
		{"network filter", wall("networks = [\"myspace\"]\n"), `campaignwall.toml:5: walls[0].networks[0]: "myspace" is not a network`},
		{"category filter", wall("categories = [\"\"]\n"), "campaignwall.toml:5: walls[0].categories[0]: is empty"},
		{"source filter", wall("sources = [\"nowhere\"]\n"), `campaignwall.toml:5: walls[0].sources[0]: "nowhere" is not the name of a [[sources]] entry`},
		{"theme", wall("theme = \"neon\"\n"), `campaignwall.toml:5: walls[0].theme: "neon" is not a theme (want "dark" or "light")`},
		{"accent not hex", wall("accent = \"yellow\"\n"), `campaignwall.toml:5: walls[0].accent: "yellow" is not a colour`},
		{"accent without contrast", wall("accent = \"#222222\"\n"), "campaignwall.toml:5: walls[0].accent: #222222 on the background #0b0f17 has a contrast of 1.2:1; want at least 3:1"},
		{"background without contrast", wall("background = \"#ffffff\"\n"), "campaignwall.toml:5: walls[0].background: #ffffff with the dark theme's text (#f2f5f9) has a contrast of 1.1:1; want at least 4.5:1"},
		{"background not a string", wall("background = 0xffffff\n"), "campaignwall.toml:5: walls[0].background: want a string, got an integer"},
		{"logo missing", wall("logo = \"nope.png\"\n"), "campaignwall.toml:5: walls[0].logo: cannot read " + filepath.Join(dir, "nope.png") + ": no such file or directory"},
		{"logo a URL", wall("logo = \"https://example.org/logo.png\"\n"), "campaignwall.toml:5: walls[0].logo: want a local file path, not a URL"},
		{"logo not an image", wall("logo = \"campaignwall.toml\"\n"), "campaignwall.toml:5: walls[0].logo: want a PNG, JPEG, WebP, GIF or SVG file"},
		{"logo too big", wall("logo = \"big.png\"\n"), "campaignwall.toml:5: walls[0].logo: " + big + " is 2097153 bytes, more than the 2MiB allowed"},
		{"custom css not css", wall("custom_css = \"big.png\"\n"), "campaignwall.toml:5: walls[0].custom_css: want a .css file"},
		{"custom css missing", wall("custom_css = \"x.css\"\n"), "campaignwall.toml:5: walls[0].custom_css: cannot read"},
		{"spotlight seconds", wall("spotlight_seconds = 1\n"), "campaignwall.toml:5: walls[0].spotlight_seconds: 1 is out of range (want 3 to 600)"},
		{"frame ancestor with a path", wall("frame_ancestors = [\"https://cor.europa.eu/page\"]\n"), `campaignwall.toml:5: walls[0].frame_ancestors[0]: "https://cor.europa.eu/page" is not a frame ancestor`},
		{"frame ancestor injecting a directive", wall("frame_ancestors = [\"'self'; script-src *\"]\n"), `walls[0].frame_ancestors[0]: "'self'; script-src *" is not a frame ancestor`},
		{"frame ancestor 'none' with others", wall("frame_ancestors = [\"'none'\", \"https://cor.europa.eu\"]\n"), `campaignwall.toml:5: walls[0].frame_ancestors: "'none'" must stand alone`},
		{"language", wall("language = \"english please\"\n"), `campaignwall.toml:5: walls[0].language: "english please" is not one of the EU's languages`},
		{"language outside the EU's", wall("language = \"ja\"\n"), `campaignwall.toml:5: walls[0].language: "ja" is not one of the EU's languages`},
		{"unknown key", wall("colour = \"#fff\"\n"), "campaignwall.toml:5: walls[0].colour: unknown key (known keys here: accent, background, categories, custom_css, default, frame_ancestors, language, languages, logo, mode, networks, slug, sources, spotlight_seconds, theme, title)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(path, []byte(tt.toml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
