package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/bot"
	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/x"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/media"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/moderation"
	"github.com/cohesionalliance/campaignwall/scheduler"
	"github.com/cohesionalliance/campaignwall/store"
	"github.com/cohesionalliance/campaignwall/wall"
)

// app is the running daemon: the store, the wall's hub, moderation, the
// scheduler driving the collectors, and the HTTP handler serving it all.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	store   *store.Store
	hub     *wall.Hub
	auth    *auth.Service
	mod     *moderation.Handler
	media   *media.Cache
	bot     *bot.Service // nil without a [bot] section
	sched   *scheduler.Scheduler
	mux     *http.ServeMux
	handler http.Handler

	limiter  *collectors.HostLimiter // shared by every client: one host is never hammered
	budgets  map[string]*x.Collector // X sources by name, for their read budget
	streamed []streamedSource        // Mastodon sources followed live
	streams  streams
}

// newApp opens the store and wires every part. The caller owns the result and
// must call serve (which closes everything when its context ends) or close.
func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, deps collectorDeps) (*app, error) {
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return nil, err
	}
	if err := st.SyncSources(ctx, cfg.Sources); err != nil {
		st.Close()
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, budgets: map[string]*x.Collector{}}
	a.limiter = deps.limiter
	if a.limiter == nil {
		a.limiter = collectors.NewHostLimiter(collectors.HostLimiterOptions{})
	}
	deps.limiter = a.limiter
	// The hub logs its events in the store, so screens resume across restarts.
	if a.hub, err = wall.OpenHub(ctx, st, log, wall.HubOptions{}); err != nil {
		st.Close()
		return nil, err
	}
	a.auth = auth.New(st, auth.Options{Log: log, CookieSecure: strings.HasPrefix(cfg.Server.BaseURL, "https://")})
	a.sched = scheduler.New(st, log)
	if a.bot, err = newBot(st, cfg.Bot, log); err != nil {
		a.close()
		return nil, err
	}
	if err := a.loadSignatureCount(ctx); err != nil {
		a.close()
		return nil, err
	}
	wl := wall.NewHandler(st, a.hub, log, wall.Options{
		CampaignName: cfg.Campaign.Name,
		Hashtags:     cfg.Campaign.Hashtags,
		Language:     cfg.Campaign.Language,
		CTA:          ctaOptions(cfg.CTA),
		Walls:        cfg.Walls,
		BaseURL:      cfg.Server.BaseURL,
	})
	if err := wl.LoadWallSettings(ctx); err != nil {
		a.close()
		return nil, err
	}
	a.mod = moderation.NewHandler(st, a.auth, a.postNotifier(), log, moderation.Options{
		CampaignName: cfg.Campaign.Name,
		Bot:          a.botAdmin(),
		Counter:      adminCounter{a},
		Sources:      moderation.SourcesOptions{Sources: cfg.Sources, Runner: a.sched, Budget: a.sourceBudget, Now: deps.now},
		Walls:        moderation.WallsOptions{Walls: cfg.Walls, Notifier: wl},
		Now:          deps.now, // undo windows and leases; tests move it by hand
	})
	if err := a.mod.InstallDefaultRules(ctx); err != nil {
		a.close()
		return nil, err
	}

	// Photos live next to the database, fetched once through the guarded
	// client (never from private addresses) and served from here.
	maxBytes, diskBudget := mediaLimits(cfg.Media)
	a.media = media.New(st, collectors.NewClient(collectors.ClientOptions{MaxBodyBytes: maxBytes + 1<<20, Timeout: 90 * time.Second, Limiter: a.limiter}),
		filepath.Join(filepath.Dir(cfg.Store.Path), "media"), media.Options{
			Sizes:      []int{480, wall.PhotoWidth},
			MaxBytes:   maxBytes,
			DiskBudget: diskBudget,
			Logger:     log,
			Local:      deps.localMedia,
			OnCached:   a.mediaCached,
		})

	a.mux = http.NewServeMux()
	wl.Routes(a.mux)
	a.mod.Routes(a.mux)
	a.media.Handler().Routes(a.mux)
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.handler = auth.SecurityHeaders(a.mux)

	deps.log = log
	if err := a.addSources(deps); err != nil {
		a.close()
		return nil, err
	}
	if err := a.sched.Add("media", mediaSchedule, a.media.FetchPending); err != nil {
		a.close()
		return nil, err
	}
	if err := a.addBotJobs(); err != nil {
		a.close()
		return nil, err
	}
	if err := a.wireSubmissions(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// mediaSchedule is how often photos of new posts are fetched into the cache.
const mediaSchedule = "@every 15s"

// mediaCached shows an approved post again once its photo is in the cache:
// screens only show cached photos.
func (a *app) mediaCached(ctx context.Context, postID int64) {
	p, err := a.store.PostByID(ctx, postID)
	if err != nil {
		a.log.Warn("post of cached media", slog.Int64("post_id", postID), slog.Any("error", err))
		return
	}
	if p.Status == model.StatusApproved {
		a.hub.PostChanged(p)
	}
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := a.store.CountPosts(r.Context()); err != nil {
		a.log.Error("health check", slog.Any("error", err))
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// serve listens on addr, starts the scheduler and the Mastodon streams and
// serves until ctx ends, then shuts down in order: scheduler, Mastodon
// streams, SSE streams, HTTP server (with a deadline), the bot's outbox,
// store. ready, if set, is called with the address actually bound.
func (a *app) serve(ctx context.Context, addr string, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.close()
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.sched.Start()
	a.startStreams()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.Info("serving", slog.String("addr", ln.Addr().String()))
	if ready != nil {
		ready(ln.Addr().String())
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	a.log.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.sched.Stop(stopCtx); err != nil {
		a.log.Warn("scheduler stop", slog.Any("error", err))
	}
	if err := a.stopStreams(stopCtx); err != nil {
		a.log.Warn("mastodon streams stop", slog.Any("error", err))
	}
	a.hub.Close()
	a.mod.Close() // the moderators' event streams
	if err := srv.Shutdown(stopCtx); err != nil {
		a.log.Warn("http shutdown", slog.Any("error", err))
	}
	if serveErr == nil {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	a.stopBot()
	if err := a.store.Close(); err != nil {
		a.log.Warn("store close", slog.Any("error", err))
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// close releases what newApp opened, for paths that never reach serve.
func (a *app) close() {
	a.hub.Close()
	if a.mod != nil {
		a.mod.Close()
	}
	a.store.Close()
}

func runServe(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "serve", "serve --config FILE")
	path := fs.String("config", "", "config `file`")
	if done, err := parse(fs, args, env); done {
		return err
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	log := newLogger(env.stderr)
	a, err := newApp(ctx, cfg, log, collectorDeps{})
	if err != nil {
		return err
	}
	mods, err := a.store.Moderators(ctx)
	if err == nil && len(mods) == 0 {
		log.Warn("no moderator yet: add one with 'campaignwall moderator add --config " + cfg.Path + " NAME'")
	}
	return a.serve(ctx, cfg.Server.Addr, func(addr string) {
		fmt.Fprintf(env.stdout, "wall:       http://%s/\nmoderation: http://%s/moderate\n", addr, addr)
		if cfg.Submissions.Enabled {
			fmt.Fprintf(env.stdout, "submit:     http://%s/submit\n", addr)
		}
		if env.ready != nil {
			env.ready(addr)
		}
	})
}
