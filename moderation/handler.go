// Package moderation owns the moderators' side of campaignwall: the queue of
// collected posts, the pages where moderators approve, reject and retract
// them (server-rendered with templ, working without JavaScript), and the
// login pages in front of them. Every decision goes through the store's
// audit-logged Decide and is announced to a Notifier (the wall's hub).
package moderation

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Notifier hears about every post whose state a moderator changed. The
// wall's hub implements it: an approved post goes on screens, any other
// status comes off them.
type Notifier interface {
	PostChanged(p model.Post)
}

// Options configure a Handler. The zero value is usable.
type Options struct {
	CampaignName string                       // shown in page titles and headers
	Location     *time.Location               // for times on pages; nil means UTC
	ClientIP     func(r *http.Request) string // the client's address for login limits; nil means r.RemoteAddr's host (set it behind a reverse proxy)
	Bot          BotAdmin                     // the bot on /admin/bot; nil: the page says it is not configured
	Sources      SourcesOptions               // the sources status page (sources.go)
	Now          func() time.Time             // the clock of undo windows and leases (hands.go); nil means time.Now
	Walls        WallsOptions                 // the walls' settings page (walls.go)
	Counter      SignatureCounter             // sets the signature count on /admin/counter (counter.go); nil: the page only shows it
	LeaseSweep   time.Duration                // how often open queues look for leases that ran out (live.go); 0 means every 2 seconds
}

// Handler serves the login and moderation pages.
type Handler struct {
	st         *store.Store
	auth       *auth.Service
	notifier   Notifier
	log        *slog.Logger
	opts       Options
	events     *queueEvents // the moderators' live stream (live.go)
	sweep      leaseSweep   // brings posts whose lease expired back to open queues (live.go)
	announceMu sync.Mutex   // orders post events as their posts were read (announce)
	swept      func()       // tests: called after each lease sweep
}

// NewHandler returns the moderation pages' Handler. n may be nil until the
// wall exists; log may be nil to discard.
func NewHandler(st *store.Store, a *auth.Service, n Notifier, log *slog.Logger, opts Options) *Handler {
	if n == nil {
		n = nopNotifier{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.CampaignName == "" {
		opts.CampaignName = "campaignwall"
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.ClientIP == nil {
		opts.ClientIP = remoteIP
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LeaseSweep <= 0 {
		opts.LeaseSweep = 2 * time.Second
	}
	h := &Handler{st: st, auth: a, log: log, opts: opts, events: newQueueEvents()}
	// Open queues hear of every change the screens hear of.
	h.notifier = queueNotifier{wall: n, h: h}
	return h
}

func (h *Handler) clock() time.Time { return h.opts.Now() }

type nopNotifier struct{}

func (nopNotifier) PostChanged(model.Post) {}

// Routes registers the moderation pages on mux. Every response carries the
// security headers; every POST is checked for cross-origin requests before
// anything else, and every /moderate route needs a session.
func (h *Handler) Routes(mux *http.ServeMux) {
	page := func(f http.HandlerFunc) http.Handler { return auth.SecurityHeaders(f) }
	form := func(f http.Handler) http.Handler { return auth.SecurityHeaders(auth.CrossOrigin(f)) }

	mux.Handle("GET /login", page(h.loginPage))
	mux.Handle("POST /login", form(http.HandlerFunc(h.login)))
	mux.Handle("POST /logout", form(http.HandlerFunc(h.logout)))
	mux.Handle("GET /moderate", auth.SecurityHeaders(h.auth.Require(http.HandlerFunc(h.queue))))
	for _, a := range []model.Action{model.ActionApprove, model.ActionReject, model.ActionRetract} {
		mux.Handle("POST /moderate/posts/{id}/"+string(a), form(h.auth.Require(h.decide(a))))
	}
	mux.Handle("GET /static/moderation/moderation.css", page(serveCSS))
	h.highlightRoutes(mux, form)
	h.bulkRoutes(mux, form)
	h.auditRoutes(mux)
	h.moderatorRoutes(mux, form)
	h.handsRoutes(mux, form)
	h.botRoutes(mux)
	h.rulesRoutes(mux)
	h.sourceRoutes(mux)
	h.submissionRoutes(mux)
	h.wallRoutes(mux)
	h.counterRoutes(mux)
}

// PostsCollected is called by the scheduler with newly stored posts. What
// rules leave pending appears in every open queue (live.go).
func (h *Handler) PostsCollected(ctx context.Context, posts []model.Post) {
	posts = h.applyRules(ctx, posts) // what rules decided is no longer pending
	if len(posts) > 0 {
		h.log.DebugContext(ctx, "posts collected for moderation", slog.Int("posts", len(posts)))
	}
	for _, p := range posts {
		h.announce(p.ID)
	}
}

// render writes a page only once it rendered completely, so a failure
// becomes a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		h.log.ErrorContext(r.Context(), "render page", slog.String("path", r.URL.Path), slog.Any("error", err))
		http.Error(w, "Something went wrong showing this page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Moderation pages hold unapproved posts: no shared caches, and no stale
	// copy under the back button after logging out.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

//go:embed static/moderation.css
var css []byte

var serveCSS = staticAsset("moderation.css", "text/css; charset=utf-8", css)

// staticAsset serves one embedded file. Its ETag, a hash of the bytes,
// lets browsers revalidate it cheaply; it changes with every build that
// changes the file.
func staticAsset(name, contentType string, body []byte) http.HandlerFunc {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	}
}
