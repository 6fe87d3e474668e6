package moderation

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// WallsNotifier is told when an admin changed a wall, so its screens reload
// into the new settings. The wall's handler implements it.
type WallsNotifier interface {
	WallSettingsChanged(ctx context.Context, slug string) error
}

// WallsOptions configure /admin/walls, where admins change a running wall's
// mode, filters and look. Without walls or a Notifier the page is not served.
type WallsOptions struct {
	Walls    []model.Wall // as configured, in the config file's order
	Notifier WallsNotifier
}

// WallRow is one wall on the admin page.
type WallRow struct {
	Wall       model.Wall // as it is now: the config's with an admin's settings
	Config     model.Wall // as the config file has it
	ChangedBy  string     // "" when the config file's settings apply
	ChangedAt  time.Time
	FormURL    string
	ResetURL   string
	Languages  string // comma-separated, for the form
	Categories string // comma-separated, for the form
	Spotlight  string // spotlight seconds, for the form
}

// WallsView is the admin page of walls.
type WallsView struct {
	CampaignName string
	Moderator    string
	Walls        []WallRow
	Modes        []model.WallMode
	Themes       []string
	Languages    []string // a wall's interface languages
	Networks     []model.Network
	Sources      []string
	Notice       string
	Error        string
}

var wallLanguage = regexp.MustCompile(`^[a-z]{2,3}$`)

// wallNetworks are the networks a wall may be filtered by.
var wallNetworks = []model.Network{model.NetworkMastodon, model.NetworkX, model.NetworkBluesky, model.NetworkInstagram,
	model.NetworkFacebook, model.NetworkFeed, model.NetworkWebpage, model.NetworkSubmission, model.NetworkDemo}

func (h *Handler) sourceNames() []string {
	var names []string
	for _, s := range h.opts.Sources.Sources {
		names = append(names, s.Name)
	}
	return names
}

func (h *Handler) wallRoutes(mux *http.ServeMux) {
	if len(h.opts.Walls.Walls) == 0 || h.opts.Walls.Notifier == nil {
		return
	}
	mux.Handle("GET /admin/walls", auth.SecurityHeaders(h.auth.RequireAdmin(http.HandlerFunc(h.wallsPage))))
	mux.Handle("POST /admin/walls/{slug}", auth.SecurityHeaders(auth.CrossOrigin(h.auth.RequireAdmin(http.HandlerFunc(h.saveWall)))))
	mux.Handle("POST /admin/walls/{slug}/reset", auth.SecurityHeaders(auth.CrossOrigin(h.auth.RequireAdmin(http.HandlerFunc(h.resetWall)))))
}

func (h *Handler) wallsView(ctx context.Context) (WallsView, error) {
	m, _ := auth.ModeratorFromContext(ctx)
	settings, err := h.st.WallSettings(ctx)
	if err != nil {
		return WallsView{}, err
	}
	v := WallsView{
		CampaignName: h.opts.CampaignName,
		Moderator:    m.Name,
		Modes:        model.WallModes(),
		Themes:       []string{"dark", "light"},
		Languages:    model.Languages,
		Networks:     wallNetworks,
		Sources:      h.sourceNames(),
	}
	for _, w := range h.opts.Walls.Walls {
		row := WallRow{Wall: w, Config: w, FormURL: "/admin/walls/" + url.PathEscape(w.Slug), ResetURL: "/admin/walls/" + url.PathEscape(w.Slug) + "/reset"}
		if s, ok := settings[w.Slug]; ok {
			row.Wall, row.ChangedBy, row.ChangedAt = s.Apply(w), s.UpdatedBy, s.UpdatedAt
		}
		row.Spotlight = strconv.Itoa(row.Wall.SpotlightSeconds)
		row.Languages = strings.Join(row.Wall.Filter.Languages, ", ")
		row.Categories = strings.Join(row.Wall.Filter.Categories, ", ")
		v.Walls = append(v.Walls, row)
	}
	return v, nil
}

func (h *Handler) wallsPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.wallsView(r.Context())
	if err != nil {
		h.serverError(w, r, "walls page", err)
		return
	}
	switch q := r.URL.Query(); {
	case h.configuredWall(q.Get("saved")):
		v.Notice = "Saved. Screens of wall " + q.Get("saved") + " reload within seconds."
	case h.configuredWall(q.Get("reset")):
		v.Notice = "Wall " + q.Get("reset") + " uses the config file's settings again. Its screens reload within seconds."
	}
	h.render(w, r, http.StatusOK, WallsPage(v))
}

func (h *Handler) configuredWall(slug string) bool {
	return slug != "" && slices.ContainsFunc(h.opts.Walls.Walls, func(w model.Wall) bool { return w.Slug == slug })
}

// saveWall stores an admin's mode, filters and look for a wall and reloads
// its screens.
func (h *Handler) saveWall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	slug := r.PathValue("slug")
	if !h.configuredWall(slug) {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	ws, msg := h.wallForm(r.PostForm)
	if msg != "" {
		v, err := h.wallsView(ctx)
		if err != nil {
			h.serverError(w, r, "walls page", err)
			return
		}
		v.Error = "Wall " + slug + " was not changed: " + msg
		keepTyped(&v, slug, r.PostForm)
		h.render(w, r, http.StatusBadRequest, WallsPage(v))
		return
	}
	ws.Slug, ws.UpdatedBy = slug, m.Name
	if err := h.st.SaveWallSettings(ctx, ws); err != nil {
		h.serverError(w, r, "save wall", err)
		return
	}
	h.wallChanged(ctx, slug, m.Name, "changed", slog.String("mode", string(ws.Mode)), slog.String("title", ws.Look.Title),
		slog.String("theme", ws.Look.Theme), slog.String("accent", ws.Look.Accent), slog.String("background", ws.Look.Background),
		slog.Int("spotlight_seconds", ws.Look.SpotlightSeconds), slog.String("language", ws.Look.Language))
	http.Redirect(w, r, "/admin/walls?saved="+url.QueryEscape(slug), http.StatusSeeOther)
}

func (h *Handler) resetWall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	slug := r.PathValue("slug")
	if !h.configuredWall(slug) {
		http.NotFound(w, r)
		return
	}
	if err := h.st.ResetWallSettings(ctx, slug); err != nil {
		h.serverError(w, r, "reset wall", err)
		return
	}
	h.wallChanged(ctx, slug, m.Name, "reset")
	http.Redirect(w, r, "/admin/walls?reset="+url.QueryEscape(slug), http.StatusSeeOther)
}

// wallChanged logs an admin's change of a wall (who, and what it is now)
// and reloads its screens.
func (h *Handler) wallChanged(ctx context.Context, slug, admin, what string, attrs ...any) {
	h.log.InfoContext(ctx, "wall "+what, append([]any{slog.String("wall", slug), slog.String("moderator", admin)}, attrs...)...)
	if err := h.opts.Walls.Notifier.WallSettingsChanged(ctx, slug); err != nil {
		// Stored: screens pick it up at their next reload at the latest.
		h.log.ErrorContext(ctx, "wall changed: tell screens", slog.String("wall", slug), slog.Any("error", err))
	}
}

// wallForm reads the mode, filters and look of the form, or says what is
// wrong, naming the field.
func (h *Handler) wallForm(f url.Values) (model.WallSettings, string) {
	var ws model.WallSettings
	mode, ok := model.ParseWallMode(f.Get("mode"))
	if !ok {
		return ws, "choose a mode."
	}
	ws.Mode = mode
	for _, l := range splitList(f.Get("languages")) {
		l = strings.ToLower(l)
		if !wallLanguage.MatchString(l) {
			return ws, "languages are two- or three-letter codes such as de or fr, separated by commas."
		}
		ws.Filter.Languages = append(ws.Filter.Languages, l)
	}
	for _, n := range f["network"] {
		if !slices.Contains(wallNetworks, model.Network(n)) {
			return ws, "unknown network."
		}
		ws.Filter.Networks = append(ws.Filter.Networks, model.Network(n))
	}
	for _, s := range f["source"] {
		if !slices.Contains(h.sourceNames(), s) {
			return ws, "unknown source."
		}
		ws.Filter.Sources = append(ws.Filter.Sources, s)
	}
	ws.Filter.Categories = splitList(f.Get("categories"))
	look, msg := wallLookForm(f)
	if msg != "" {
		return ws, msg
	}
	ws.Look = &look
	return ws, ""
}

// wallLookForm reads a wall's look from the form, with the checks config
// makes of the file's (model.WallLookProblem for contrast).
func wallLookForm(f url.Values) (model.WallLook, string) {
	l := model.WallLook{Title: strings.TrimSpace(f.Get("title")), Theme: f.Get("theme"), Language: f.Get("language")}
	switch n := utf8.RuneCountInString(l.Title); {
	case n == 0:
		return l, "Title: a wall needs a title."
	case n > maxWallTitle:
		return l, fmt.Sprintf("Title: at most %d characters (it is %d).", maxWallTitle, n)
	}
	if !slices.Contains([]string{"dark", "light"}, l.Theme) {
		return l, `Theme: choose "dark" or "light".`
	}
	for _, c := range []struct {
		field, label string
		dst          *string
	}{{"accent", "Accent colour", &l.Accent}, {"background", "Background colour", &l.Background}} {
		v := strings.TrimSpace(f.Get(c.field))
		if v == "" {
			continue // the theme's own
		}
		hex, ok := model.ParseColor(v)
		if !ok {
			return l, fmt.Sprintf("%s: %q is not a colour (want a hex colour such as #ffd617, or empty for the theme's).", c.label, v)
		}
		*c.dst = hex
	}
	if field, msg := model.WallLookProblem(l.Theme, l.Accent, l.Background); field != "" {
		label := map[string]string{"accent": "Accent colour", "background": "Background colour"}[field]
		return l, label + ": " + msg + "."
	}
	secs, err := strconv.Atoi(strings.TrimSpace(f.Get("spotlight_seconds")))
	if err != nil || secs < 3 || secs > 600 {
		return l, "Spotlight seconds: a whole number from 3 to 600."
	}
	l.SpotlightSeconds = secs
	if l.Language != "" && !model.IsLanguage(l.Language) {
		return l, fmt.Sprintf("Language: %q is not one of the EU's 24 languages.", l.Language)
	}
	return l, ""
}

// maxWallTitle keeps a title to what a screen's masthead shows on one line
// or two.
const maxWallTitle = 200

// keepTyped puts what the admin typed back into wall slug's form after a
// mistake, so fixing one field does not mean typing the others again.
// templ escapes it like any value.
func keepTyped(v *WallsView, slug string, f url.Values) {
	for i := range v.Walls {
		r := &v.Walls[i]
		if r.Wall.Slug != slug {
			continue
		}
		if m, ok := model.ParseWallMode(f.Get("mode")); ok {
			r.Wall.Mode = m
		}
		r.Wall.Title, r.Wall.Theme, r.Wall.Language = f.Get("title"), f.Get("theme"), f.Get("language")
		r.Wall.Accent, r.Wall.Background, r.Spotlight = f.Get("accent"), f.Get("background"), f.Get("spotlight_seconds")
		r.Languages, r.Categories = f.Get("languages"), f.Get("categories")
		r.Wall.Filter.Networks = nil
		for _, n := range f["network"] {
			r.Wall.Filter.Networks = append(r.Wall.Filter.Networks, model.Network(n))
		}
		r.Wall.Filter.Sources = f["source"]
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
