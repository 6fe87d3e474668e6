package moderation

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// WallsNotifier is told when an admin changed a wall, so its screens reload
// into the new settings. The wall's handler implements it.
type WallsNotifier interface {
	WallSettingsChanged(ctx context.Context, slug string) error
}

// WallsOptions configure /admin/walls, where admins switch a running wall's
// mode and filters. Without walls or a Notifier the page is not served.
type WallsOptions struct {
	Walls    []model.Wall // as configured, in the config file's order
	Notifier WallsNotifier
}

// WallRow is one wall on the admin page.
type WallRow struct {
	Wall       model.Wall // Mode and Filter as they are now
	ChangedBy  string     // "" when the config file's settings apply
	FormURL    string
	ResetURL   string
	Languages  string // comma-separated, for the form
	Categories string // comma-separated, for the form
}

// WallsView is the admin page of walls.
type WallsView struct {
	CampaignName string
	Moderator    string
	Walls        []WallRow
	Modes        []model.WallMode
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
		Networks:     wallNetworks,
		Sources:      h.sourceNames(),
	}
	for _, w := range h.opts.Walls.Walls {
		row := WallRow{Wall: w, FormURL: "/admin/walls/" + url.PathEscape(w.Slug), ResetURL: "/admin/walls/" + url.PathEscape(w.Slug) + "/reset"}
		if s, ok := settings[w.Slug]; ok {
			if m, ok := model.ParseWallMode(string(s.Mode)); ok {
				row.Wall.Mode = m
			}
			row.Wall.Filter, row.ChangedBy = s.Filter, s.UpdatedBy
		}
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

// saveWall stores an admin's mode and filters for a wall and reloads its screens.
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
		h.render(w, r, http.StatusBadRequest, WallsPage(v))
		return
	}
	ws.Slug, ws.UpdatedBy = slug, m.Name
	if err := h.st.SaveWallSettings(ctx, ws); err != nil {
		h.serverError(w, r, "save wall", err)
		return
	}
	h.wallChanged(ctx, slug, m.Name, "changed")
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

func (h *Handler) wallChanged(ctx context.Context, slug, admin, what string) {
	h.log.InfoContext(ctx, "wall "+what, slog.String("wall", slug), slog.String("moderator", admin))
	if err := h.opts.Walls.Notifier.WallSettingsChanged(ctx, slug); err != nil {
		// Stored: screens pick it up at their next reload at the latest.
		h.log.ErrorContext(ctx, "wall changed: tell screens", slog.String("wall", slug), slog.Any("error", err))
	}
}

// wallForm reads the mode and filters of the form, or says what is wrong.
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
	return ws, ""
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
