package wall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// wallSet holds the configured walls as they are now: the config file's,
// with what admins changed on /admin/walls applied.
type wallSet struct {
	mu     sync.RWMutex
	order  []string // slugs as the file lists them
	byslug map[string]*wallState
	def    string // the slug of the wall at /, "" without walls
}

// wallState is one wall and the files it serves, read once at start.
// wall is as configured; cur, changed and themeCSS change when an admin
// changes the wall (under wallSet.mu).
type wallState struct {
	wall     model.Wall // as configured
	cur      model.Wall // as it is now: the config's with an admin's settings applied
	changed  string     // who changed it at runtime, "" if nobody
	logo     []byte
	logoType string
	css      []byte
	themeCSS []byte // from cur's colours
}

func newWallSet(walls []model.Wall, log *slog.Logger) *wallSet {
	s := &wallSet{byslug: map[string]*wallState{}}
	for _, w := range walls {
		if w.Mode == "" {
			w.Mode = model.ModeMasonry
		}
		ws := &wallState{wall: w, cur: w}
		if w.Logo != "" {
			b, err := os.ReadFile(w.Logo)
			if err != nil {
				log.Error("wall: read logo", slog.String("wall", w.Slug), slog.Any("error", err))
			}
			ws.logo = b
			ws.logoType = mime.TypeByExtension(strings.ToLower(filepath.Ext(w.Logo)))
			if ws.logoType == "" {
				ws.logoType = http.DetectContentType(b)
			}
		}
		if w.CustomCSS != "" {
			b, err := os.ReadFile(w.CustomCSS)
			if err != nil {
				log.Error("wall: read custom css", slog.String("wall", w.Slug), slog.Any("error", err))
			}
			ws.css = b
		}
		ws.themeCSS = themeCSS(w)
		s.byslug[w.Slug] = ws
		s.order = append(s.order, w.Slug)
		if w.Default && s.def == "" {
			s.def = w.Slug
		}
	}
	if s.def == "" && len(s.order) > 0 {
		s.def = s.order[0]
	}
	return s
}

// themeCSS sets the colours a wall's config (or an admin) chose, "" for
// none. They were validated as #rrggbb by config or /admin/walls; anything
// else is left out rather than written into CSS.
func themeCSS(w model.Wall) []byte {
	var b strings.Builder
	for _, v := range []struct{ name, value string }{{"--accent", w.Accent}, {"--bg", w.Background}} {
		if hexColor.MatchString(v.value) {
			fmt.Fprintf(&b, "  %s: %s;\n", v.name, v.value)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	// Doubled class: wins over the theme's own variables on body.
	return []byte(".wall-page.wall-page {\n" + b.String() + "}\n")
}

// wallView is a copy of a wall's current state, safe to use after the lock.
type wallView struct {
	model.Wall
	ThemeCSS []byte // the stylesheet of its colours; never changed in place
}

func (s *wallSet) get(slug string) (wallView, *wallState, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ws, ok := s.byslug[slug]
	if !ok {
		return wallView{}, nil, false
	}
	return wallView{Wall: ws.cur, ThemeCSS: ws.themeCSS}, ws, true
}

// WallSummary is what the admin page shows of a wall.
type WallSummary struct {
	Wall      model.Wall // as it is now: the config's with an admin's settings
	ChangedBy string     // who changed it at runtime; "" when the config applies
}

// Walls returns every configured wall as it is now, in the file's order.
func (h *Handler) Walls() []WallSummary {
	h.walls.mu.RLock()
	defer h.walls.mu.RUnlock()
	out := make([]WallSummary, 0, len(h.walls.order))
	for _, slug := range h.walls.order {
		ws := h.walls.byslug[slug]
		out = append(out, WallSummary{Wall: ws.cur, ChangedBy: ws.changed})
	}
	return out
}

// LoadWallSettings applies what admins changed on running walls (stored by
// the admin page) over the config file's settings.
func (h *Handler) LoadWallSettings(ctx context.Context) error {
	settings, err := h.st.WallSettings(ctx)
	if err != nil {
		return err
	}
	h.walls.mu.Lock()
	defer h.walls.mu.Unlock()
	for slug, ws := range h.walls.byslug {
		ws.cur, ws.changed = ws.wall, ""
		if s, ok := settings[slug]; ok {
			ws.cur, ws.changed = s.Apply(ws.wall), s.UpdatedBy
		}
		ws.themeCSS = themeCSS(ws.cur)
	}
	return nil
}

// WallSettingsChanged reads the walls' settings again after an admin changed
// wall slug, and tells its screens to reload into them.
func (h *Handler) WallSettingsChanged(ctx context.Context, slug string) error {
	if err := h.LoadWallSettings(ctx); err != nil {
		return err
	}
	h.hub.ReloadWall(slug)
	return nil
}

// wallRoutes registers the routes of configured walls.
func (h *Handler) wallRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /w/{slug}", h.wallBySlug(h.wallPageOf))
	mux.HandleFunc("GET /w/{slug}/text", h.wallBySlug(h.textPage))
	mux.HandleFunc("GET /w/{slug}/events", h.wallBySlug(h.wallEvents))
	mux.HandleFunc("GET /w/{slug}/api/posts", h.wallBySlug(h.wallAPIPosts))
	mux.HandleFunc("GET /w/{slug}/feed.atom", h.wallBySlug(h.wallFeed))
	mux.HandleFunc("GET /w/{slug}/logo", h.wallBySlug(h.wallLogo))
	mux.HandleFunc("GET /w/{slug}/custom.css", h.wallBySlug(h.wallCustomCSS))
	mux.HandleFunc("GET /w/{slug}/theme.css", h.wallBySlug(h.wallThemeCSS))
	mux.HandleFunc("GET /embed/{file}", h.embed)
}

func (h *Handler) wallBySlug(next func(w http.ResponseWriter, r *http.Request, v wallView, ws *wallState)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ws, ok := h.walls.get(r.PathValue("slug"))
		if !ok {
			h.notFound(w, r)
			return
		}
		next(w, r, v, ws)
	}
}

// notFound is the page for a wall that does not exist (an old screen URL),
// in the campaign's language.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	cat := catalogFor(h.pageLanguage(r, ""))
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	v := notFoundView{Campaign: h.opts.CampaignName, Lang: cat.lang, Dir: cat.locale.dir,
		CSSURL: h.assets.url("wall.css"), ModesCSSURL: h.assets.url("modes.css")}
	if d, _, ok := h.walls.get(h.walls.def); ok {
		v.Theme = d.Theme
		if len(d.ThemeCSS) > 0 {
			v.ThemeCSSURL = "/w/" + d.Slug + "/theme.css?v=" + contentVersion(d.ThemeCSS)
		}
	}
	_ = localized(cat, notFoundPage(v)).Render(r.Context(), w)
}

// screenMode is the mode a request asks for (?mode=), else the wall's.
// "text" asks for the text-only view.
func screenMode(r *http.Request, v wallView) (mode model.WallMode, text bool) {
	q := r.URL.Query().Get("mode")
	if q == "text" {
		return v.Mode, true
	}
	if m, ok := model.ParseWallMode(q); ok {
		return m, false
	}
	return v.Mode, false
}

func (h *Handler) wallPageOf(w http.ResponseWriter, r *http.Request, v wallView, ws *wallState) {
	mode, text := screenMode(r, v)
	if text {
		h.textPage(w, r, v, ws)
		return
	}
	h.serveWall(w, r, v, ws, mode, false)
}

// serveWall serves a wall's page in mode, for a screen or an embed, in the
// language the request asks for, else the wall's.
func (h *Handler) serveWall(w http.ResponseWriter, r *http.Request, v wallView, ws *wallState, mode model.WallMode, embed bool) {
	cat := catalogFor(h.pageLanguage(r, v.Language))
	h.servePage(w, r, cat, func(ctx context.Context, at uint64) (templ.Component, error) {
		posts, err := h.postsOf(ctx, v.Filter, mode == model.ModePhotos, 0, h.opts.PageSize)
		if err != nil {
			return nil, err
		}
		pv := h.wallPageView(ctx, cat, v, ws, mode, embed, posts, at)
		pv.Wall.TextURL += langQuery(r, cat)
		return page(pv), nil
	})
}

// langQuery is the ?lang= to keep on links to a wall's other pages when the
// request chose the language, "" when the wall's own applies.
func langQuery(r *http.Request, cat *catalog) string {
	if r.URL.Query().Has("lang") {
		return "?lang=" + cat.lang
	}
	return ""
}

// wallPageView builds a configured wall's page in cat's language. An embed
// gets no call-to-action panel: it sits in someone else's page, which has
// its own.
func (h *Handler) wallPageView(ctx context.Context, cat *catalog, v wallView, ws *wallState, mode model.WallMode, embed bool, posts []model.Post, at uint64) pageView {
	base := "/w/" + v.Slug
	pv := pageView{
		CampaignName:   v.Title,
		Hashtags:       h.opts.Hashtags,
		Lang:           cat.lang,
		Dir:            cat.locale.dir,
		Catalog:        cat.js,
		Posts:          posts,
		LastEventID:    at,
		EventsURL:      base + "/events",
		MaxCards:       h.opts.MaxCards,
		HeartbeatMS:    h.hub.HeartbeatEvery().Milliseconds(),
		RefreshSeconds: int(h.opts.NoScriptRefresh.Seconds()),
		CSSURL:         h.assets.url("wall.css"),
		JSURL:          h.assets.url("wall.js"),
		Wall: &wallPage{
			Slug:        v.Slug,
			Mode:        string(mode),
			Theme:       v.Theme,
			Embed:       embed,
			SpotlightMS: v.SpotlightSeconds * 1000,
			ModesCSSURL: h.assets.url("modes.css"),
			ModesJSURL:  h.assets.url("modes.js"),
			TextURL:     base + "/text",
			FeedURL:     base + "/feed.atom",
		},
	}
	if !embed {
		pv.CTA = h.ctaView(ctx, cat)
	}
	if pv.Wall.SpotlightMS <= 0 {
		pv.Wall.SpotlightMS = 10000
	}
	if len(ws.logo) > 0 {
		pv.Wall.LogoURL = base + "/logo?v=" + contentVersion(ws.logo)
	}
	if len(ws.css) > 0 {
		pv.Wall.CustomCSSURL = base + "/custom.css?v=" + contentVersion(ws.css)
	}
	if len(v.ThemeCSS) > 0 {
		pv.Wall.ThemeCSSURL = base + "/theme.css?v=" + contentVersion(v.ThemeCSS)
	}
	return pv
}

// postsOf returns a wall's pinned posts, then its newest ones not already
// listed; before pages through the newest (pinned ones come only on the
// first page).
func (h *Handler) postsOf(ctx context.Context, f model.WallFilter, photosOnly bool, before int64, limit int) ([]model.Post, error) {
	wf := store.WallPostFilter{Filter: f, PhotosOnly: photosOnly, Before: before, Limit: limit}
	var pinned []model.Post
	if before == 0 {
		var err error
		// Pinned posts show in every mode, photo or not.
		if pinned, err = h.st.WallPinnedPosts(ctx, store.WallPostFilter{Filter: f, Limit: limit}); err != nil {
			return nil, err
		}
	}
	recent, err := h.st.WallPosts(ctx, wf)
	if err != nil {
		return nil, err
	}
	posts := slices.Clip(pinned)
	for _, p := range recent {
		if !slices.ContainsFunc(pinned, func(q model.Post) bool { return q.ID == p.ID }) {
			posts = append(posts, p)
		}
	}
	return posts, nil
}

func (h *Handler) wallEvents(w http.ResponseWriter, r *http.Request, v wallView, _ *wallState) {
	f := v.Filter
	h.hub.Stream(v.Slug, &f).ServeHTTP(w, r)
}

func (h *Handler) wallLogo(w http.ResponseWriter, r *http.Request, _ wallView, ws *wallState) {
	if len(ws.logo) == 0 {
		h.notFound(w, r)
		return
	}
	// An SVG logo is the admin's file, but it still runs no script.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	serveVersioned(w, r, ws.logoType, ws.logo)
}

func (h *Handler) wallCustomCSS(w http.ResponseWriter, r *http.Request, _ wallView, ws *wallState) {
	if len(ws.css) == 0 {
		h.notFound(w, r)
		return
	}
	serveVersioned(w, r, "text/css; charset=utf-8", ws.css)
}

func (h *Handler) wallThemeCSS(w http.ResponseWriter, r *http.Request, v wallView, _ *wallState) {
	serveVersioned(w, r, "text/css; charset=utf-8", v.ThemeCSS)
}

// serveVersioned serves a wall's file, cached for good when the request
// names its current version (the page does).
func serveVersioned(w http.ResponseWriter, r *http.Request, contentType string, b []byte) {
	if v := r.URL.Query().Get("v"); v != "" && v == contentVersion(b) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

var hexColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// contentVersion names a file's content, for URLs cached for good.
func contentVersion(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
