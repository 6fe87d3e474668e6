package config

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cohesionalliance/campaignwall/model"
)

// Wall defaults.
const (
	DefaultSpotlightSeconds = 10
	maxLogoBytes            = 2 << 20
	maxCustomCSSBytes       = 256 << 10
)

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	langPattern = regexp.MustCompile(`^[a-z]{2,3}$`)
	tagPattern  = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)
	// A CSP source for frame-ancestors: a scheme and host, a wildcard
	// subdomain, an optional port; no path, no spaces, no semicolons.
	ancestorPattern = regexp.MustCompile(`^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$`)
)

// logoTypes are the image files a logo may be.
var logoTypes = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".webp": true, ".svg": true, ".gif": true}

// walls reads the [[walls]] tables. sources are the configured sources, which
// a wall's sources filter must name.
func (l *loader) walls(root *table, c Campaign, sources []model.Source) []model.Wall {
	var walls []model.Wall
	bySlug := map[string]string{} // slug → key of the wall using it
	defaultKey := ""
	for _, t := range root.tables("walls") {
		w := l.wall(t, c, sources)
		if w.Slug != "" {
			if first, dup := bySlug[w.Slug]; dup {
				t.fail("slug", "%q is already the slug of %s (line %d): wall slugs must be unique", w.Slug, first, l.p.lines.find(first+".slug"))
			} else {
				bySlug[w.Slug] = t.path
			}
		}
		if w.Default {
			if defaultKey != "" {
				t.fail("default", "%s (line %d) is already the default wall: only one may be", defaultKey, l.p.lines.find(defaultKey+".default"))
			}
			defaultKey = t.path
		}
		walls = append(walls, w)
	}
	if len(walls) > 0 && defaultKey == "" {
		walls[0].Default = true // the first wall is the one at /
	}
	return walls
}

func (l *loader) wall(t *table, c Campaign, sources []model.Source) model.Wall {
	w := model.Wall{
		Slug:             t.str("slug"),
		Title:            t.str("title"),
		Default:          t.boolean("default"),
		Mode:             model.ModeMasonry,
		Theme:            "dark",
		SpotlightSeconds: DefaultSpotlightSeconds,
		Language:         t.str("language"),
	}
	switch {
	case t.blank("slug"):
		t.fail("slug", `is required: the wall's address /w/SLUG, e.g. slug = "plenary"`)
	case !slugPattern.MatchString(w.Slug):
		t.fail("slug", "%q is not a slug (want lower-case letters, digits and dashes, e.g. \"plenary-hall\")", w.Slug)
	}
	if w.Title == "" {
		w.Title = c.Name
	}
	if t.has("mode") {
		m, ok := model.ParseWallMode(t.str("mode"))
		if !ok {
			t.fail("mode", "%q is not a mode (want one of %s)", t.str("mode"), modeNames())
		}
		w.Mode = m
	}
	if w.Mode == "" {
		w.Mode = model.ModeMasonry
	}

	// Filters.
	for i, lang := range t.list("languages") {
		lang = strings.ToLower(lang)
		if !langPattern.MatchString(lang) {
			l.p.add(t.key("languages")+"["+strconv.Itoa(i)+"]", "%q is not a language code (want a two- or three-letter code such as \"de\" or \"ga\"; \"de\" also matches \"de-AT\")", lang)
			continue
		}
		w.Filter.Languages = append(w.Filter.Languages, lang)
	}
	for i, n := range t.list("networks") {
		if !knownNetwork(n) {
			l.p.add(t.key("networks")+"["+strconv.Itoa(i)+"]", "%q is not a network (want one of %s)", n, strings.Join(networkNames(), ", "))
			continue
		}
		w.Filter.Networks = append(w.Filter.Networks, model.Network(n))
	}
	for i, cat := range t.list("categories") {
		if cat == "" {
			l.p.add(t.key("categories")+"["+strconv.Itoa(i)+"]", "is empty (want a category some source has, e.g. \"regions\")")
			continue
		}
		w.Filter.Categories = append(w.Filter.Categories, cat)
	}
	for i, s := range t.list("sources") {
		if !hasSource(sources, s) {
			l.p.add(t.key("sources")+"["+strconv.Itoa(i)+"]", "%q is not the name of a [[sources]] entry", s)
			continue
		}
		w.Filter.Sources = append(w.Filter.Sources, s)
	}

	// Look.
	if t.has("theme") {
		w.Theme = t.str("theme")
		if _, ok := model.WallThemes[w.Theme]; !ok {
			t.fail("theme", `%q is not a theme (want "dark" or "light")`, w.Theme)
			w.Theme = "dark"
		}
	}
	w.Background = l.color(t, "background")
	w.Accent = l.color(t, "accent")
	// The same check /admin/walls makes (model.WallLookProblem).
	if field, msg := model.WallLookProblem(w.Theme, w.Accent, w.Background); field != "" {
		t.fail(field, "%s", msg)
	}
	w.Logo = l.file(t, "logo", maxLogoBytes, func(path string) string {
		if !logoTypes[strings.ToLower(filepath.Ext(path))] {
			return "want a PNG, JPEG, WebP, GIF or SVG file (by its extension)"
		}
		return ""
	})
	w.CustomCSS = l.file(t, "custom_css", maxCustomCSSBytes, func(path string) string {
		if !strings.EqualFold(filepath.Ext(path), ".css") {
			return "want a .css file"
		}
		return ""
	})
	if n, ok := t.integer("spotlight_seconds", 3, 600); ok {
		w.SpotlightSeconds = int(n)
	}
	for i, a := range t.list("frame_ancestors") {
		if a != "'self'" && a != "'none'" && !ancestorPattern.MatchString(a) {
			l.p.add(t.key("frame_ancestors")+"["+strconv.Itoa(i)+"]", `%q is not a frame ancestor (want "'self'", "'none'" or an origin such as "https://cor.europa.eu" or "https://*.europa.eu")`, a)
			continue
		}
		w.FrameAncestors = append(w.FrameAncestors, a)
	}
	if len(w.FrameAncestors) > 1 && slices.Contains(w.FrameAncestors, "'none'") {
		t.fail("frame_ancestors", `"'none'" must stand alone (browsers ignore it next to other sources)`)
	}
	if w.Language != "" {
		// The wall's screens speak it (wall/locales): one of the EU's
		// languages. A region ("pt-PT") is accepted and dropped, the
		// catalogs have one variant of each language.
		base, _, _ := strings.Cut(strings.ToLower(w.Language), "-")
		if !tagPattern.MatchString(w.Language) || !slices.Contains(euLanguages, base) {
			t.fail("language", "%q is not one of the EU's languages (want a two-letter code: %s)", w.Language, strings.Join(euLanguages, ", "))
		}
		w.Language = base
	}
	t.reportUnknown()
	return w
}

// color reads a #rgb or #rrggbb colour, returned as #rrggbb in lower case.
func (l *loader) color(t *table, k string) string {
	if !t.has(k) {
		return ""
	}
	s := t.str(k)
	if _, ok := t.m[k].(string); !ok {
		return "" // str reported it
	}
	c, ok := model.ParseColor(s)
	if !ok {
		t.fail(k, "%q is not a colour (want a hex colour such as \"#ffd617\")", s)
		return ""
	}
	return c
}

// file reads the path of a local file the wall serves, checking it exists,
// is not too large and passes kind.
func (l *loader) file(t *table, k string, maxBytes int64, kind func(string) string) string {
	if !t.has(k) {
		return ""
	}
	raw := t.str(k)
	if _, ok := t.m[k].(string); !ok {
		return "" // str reported it
	}
	if raw == "" {
		t.fail(k, "want the path of a file")
		return ""
	}
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		t.fail(k, "want a local file path, not a URL: campaignwall serves the file itself, so screens load nothing from other sites")
		return ""
	}
	if msg := kind(raw); msg != "" {
		t.fail(k, "%s", msg)
		return ""
	}
	path := l.resolve(raw)
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		t.fail(k, "cannot read %s: %v", path, cause(err))
		return ""
	case fi.IsDir():
		t.fail(k, "%s is a directory, want a file", path)
		return ""
	case fi.Size() > maxBytes:
		t.fail(k, "%s is %s, more than the %s allowed", path, formatBytes(fi.Size()), formatBytes(maxBytes))
		return ""
	}
	return path
}

func modeNames() string {
	var names []string
	for _, m := range model.WallModes() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

func networkNames() []string {
	return []string{string(model.NetworkMastodon), string(model.NetworkX), string(model.NetworkBluesky), string(model.NetworkInstagram),
		string(model.NetworkFacebook), string(model.NetworkFeed), string(model.NetworkWebpage), string(model.NetworkSubmission), string(model.NetworkDemo)}
}

func knownNetwork(n string) bool {
	for _, k := range networkNames() {
		if k == n {
			return true
		}
	}
	return false
}

func hasSource(sources []model.Source, name string) bool {
	for _, s := range sources {
		if s.Name == name {
			return true
		}
	}
	return false
}

// DefaultWall returns the wall shown at /, and false without [[walls]].
func (c *Config) DefaultWall() (model.Wall, bool) {
	for _, w := range c.Walls {
		if w.Default {
			return w, true
		}
	}
	return model.Wall{}, false
}
