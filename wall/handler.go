// Package wall owns what screens and visitors see of approved posts: the wall
// page (templ), the SSE hub that pushes moderation changes to every screen,
// the public JSON API and the wall's embedded static files.
//
// Later additions (screen modes, languages, call-to-action and QR panels,
// embeds, RSS) extend pageView, Options and Routes; Card stays the one
// component a post is drawn with, on the page and in live events.
package wall

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Options configure the wall.
type Options struct {
	CampaignName string
	Hashtags     []string // shown in the header, "#" added where missing
	// PageSize is how many recent posts the page shows, after the pinned ones.
	// Default MaxCards: a screen that reloads shows as many cards as it kept.
	PageSize int
	// MaxCards is how many cards a screen keeps as live posts arrive, dropping
	// the oldest unpinned ones. Default 100.
	MaxCards int
	// NoScriptRefresh is how often a screen without JavaScript reloads the
	// page to show new posts. Default 60s.
	NoScriptRefresh time.Duration
	// Walls are the campaign's walls (walls.go), each at /w/{slug}; the
	// default one is also at /. Without any, / shows every approved post.
	Walls []model.Wall
	// BaseURL is the wall's public URL without a trailing slash, for
	// absolute links in feeds; "" takes them from the request.
	BaseURL string
	// Language is the campaign's language: a page's when the request has no
	// ?lang= and its wall no language of its own. One of model.Languages;
	// anything else means English.
	Language string
	// CTA is the call-to-action panel (cta.go); hidden when SigningURL is "".
	CTA CTAOptions
}

// Handler serves the wall's pages, events and API.
type Handler struct {
	st     *store.Store
	hub    *Hub
	log    *slog.Logger
	opts   Options
	assets *assets
	pages  *pageCache
	walls  *wallSet
	qr     string // the CTA's QR code (SVG); "" without a panel
}

// NewHandler returns the wall's HTTP handler. hub is the one moderation
// notifies; the handler serves its stream and reads its position for pages.
func NewHandler(st *store.Store, hub *Hub, log *slog.Logger, opts Options) *Handler {
	if opts.MaxCards <= 0 {
		opts.MaxCards = 100
	}
	if opts.PageSize <= 0 {
		opts.PageSize = opts.MaxCards
	}
	if opts.NoScriptRefresh < time.Second {
		opts.NoScriptRefresh = time.Minute
	}
	if opts.CampaignName == "" {
		opts.CampaignName = "Social wall"
	}
	h := &Handler{st: st, hub: hub, log: log, opts: opts, assets: loadAssets(), pages: newPageCache(hub), walls: newWallSet(opts.Walls, log)}
	if opts.CTA.SigningURL != "" {
		svg, err := qrSVG(opts.CTA.SigningURL)
		if err != nil {
			// Config validation keeps signing URLs short enough; a wall
			// without its panel beats no wall.
			log.Error("wall: call-to-action panel left out", slog.Any("error", err))
		}
		h.qr = svg
	}
	return h
}

// Routes registers the wall's routes.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.wallPage)
	mux.Handle("GET /wall/events", h.hub)
	mux.HandleFunc("GET /api/posts", h.apiPosts)
	mux.Handle("GET /static/wall/", h.assets.handler("/static/wall/"))
	h.wallRoutes(mux)
}

// wallPage serves the wall: pinned posts, then the newest approved ones.
func (h *Handler) wallPage(w http.ResponseWriter, r *http.Request) {
	if v, ws, ok := h.walls.get(h.walls.def); ok {
		h.wallPageOf(w, r, v, ws)
		return
	}
	cat := catalogFor(h.pageLanguage(r, ""))
	h.servePage(w, r, cat, func(ctx context.Context, at uint64) (templ.Component, error) {
		posts, err := h.wallPosts(ctx)
		if err != nil {
			return nil, err
		}
		return page(pageView{
			CampaignName:   h.opts.CampaignName,
			Hashtags:       h.opts.Hashtags,
			Lang:           cat.lang,
			Dir:            cat.locale.dir,
			Catalog:        cat.js,
			CTA:            h.ctaView(ctx, cat),
			Posts:          posts,
			LastEventID:    at,
			EventsURL:      "/wall/events",
			MaxCards:       h.opts.MaxCards,
			HeartbeatMS:    h.hub.HeartbeatEvery().Milliseconds(),
			RefreshSeconds: int(h.opts.NoScriptRefresh / time.Second),
			CSSURL:         h.assets.url("wall.css"),
			JSURL:          h.assets.url("wall.js"),
		}), nil
	})
}

// wallPosts returns the pinned approved posts, then the newest approved ones
// not already listed.
func (h *Handler) wallPosts(ctx context.Context) ([]model.Post, error) {
	pinned, err := h.st.PinnedPosts(ctx, h.opts.PageSize)
	if err != nil {
		return nil, err
	}
	recent, err := h.st.Posts(ctx, store.PostFilter{Status: model.StatusApproved, Limit: h.opts.PageSize})
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(pinned))
	posts := make([]model.Post, 0, len(pinned)+len(recent))
	for _, p := range pinned {
		seen[p.ID] = true
		posts = append(posts, p)
	}
	for _, p := range recent {
		if !seen[p.ID] {
			posts = append(posts, p)
		}
	}
	return posts, nil
}

// render writes c through a buffer, so a failed render is a clean 500 and not
// half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		h.log.Error("wall: render page", slog.String("path", r.URL.Path), slog.Any("error", err))
		w.Header().Set("Refresh", "30") // a screen without JavaScript tries again by itself
		http.Error(w, catalogFor(h.pageLanguage(r, "")).T("error.render"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
