package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/collectors/demo"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// demoModerator is the account `campaignwall demo` creates and prints.
const demoModerator = "demo"

func runDemo(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "demo", "demo [--addr HOST:PORT] [--db FILE]")
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`")
	dbPath := fs.String("db", "", "keep the demo database in this `file` (default: a temporary file, removed on exit)")
	every := fs.String("every", "@every 8s", "how often a new demo post arrives (a cron `schedule`)")
	if done, err := parse(fs, args, env); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo takes no arguments, got %q", fs.Args())
	}
	path := *dbPath
	if path == "" {
		dir, err := os.MkdirTemp("", "campaignwall-demo-")
		if err != nil {
			return fmt.Errorf("create a temporary folder for the demo database: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "demo.db")
	}
	cfg := demoConfig(*addr, path, *every)
	log := newLogger(env.stderr)
	a, err := newApp(ctx, cfg, log, collectorDeps{localMedia: demoPhoto})
	if err != nil {
		return err
	}
	password, err := seedDemo(ctx, a.store, log)
	if err == nil {
		err = seedDemoCount(ctx, a)
	}
	if err == nil {
		// The seeded posts' photos are cached before the first screen opens.
		_, err = a.media.FetchPending(ctx)
	}
	if err != nil {
		a.close()
		return err
	}
	return a.serve(ctx, cfg.Server.Addr, func(bound string) {
		fmt.Fprintf(env.stdout, `campaignwall demo is running (Ctrl-C to stop)

  wall:        http://%[1]s/
  more walls:  http://%[1]s/w/spotlight, /w/photos, /w/stage (a ticker),
               /w/list (English, Dutch, French and German posts only),
               /w/main/text (text only), /embed/main
  moderation:  http://%[1]s/moderate
  submit:      http://%[1]s/submit
  signatures:  http://%[1]s/admin/counter
  in Polish:   http://%[1]s/?lang=pl   (any of the 24 EU languages)
  moderator:   %[2]s
  password:    %[3]s

A new demo post arrives in the moderation queue every few seconds;
approve it there and watch it appear on the wall.
`, bound, demoModerator, password)
		if env.ready != nil {
			env.ready(bound)
		}
	})
}

// demoPhoto reads one of the demo's embedded photos for the media cache.
func demoPhoto(path string) ([]byte, error) {
	name, ok := strings.CutPrefix(path, demo.PhotoPath)
	if !ok {
		return nil, fmt.Errorf("demo: no photo at %s", path)
	}
	return fs.ReadFile(demo.Photos(), name)
}

func demoConfig(addr, dbPath, every string) *config.Config {
	submissions := config.DefaultSubmissions()
	submissions.Enabled = true // the demo shows /submit too
	return &config.Config{
		Path:        "(demo)",
		Campaign:    config.Campaign{Name: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance"}},
		Server:      config.Server{Addr: addr},
		Store:       config.Store{Path: dbPath},
		Media:       config.DefaultMedia(),
		Submissions: submissions,
		// A sample panel, so newcomers see the QR code and the live count.
		CTA: config.CTA{
			Enabled:    true,
			SigningURL: demoSigningURL,
			Message:    "Cohesion is Europe's promise. Add your name.",
			Messages: map[string]string{
				"de": "Zusammenhalt ist Europas Versprechen. Unterzeichnen Sie!",
				"fr": "La cohésion est la promesse de l’Europe. Signez\u202f!",
				"pl": "Spójność to obietnica Europy. Dodaj swój podpis!",
			},
		},
		Sources: []model.Source{{
			Name:     demo.SourceName,
			Kind:     "demo",
			Schedule: every,
			Hashtags: []string{"CohesionAlliance"},
		}},
		Walls: demoWalls(),
	}
}

// demoWalls show what [[walls]] do: the default wall at / and /w/main, and
// a few others in other modes, with filters and a language of their own.
func demoWalls() []model.Wall {
	w := func(slug, title string, mode model.WallMode, theme string) model.Wall {
		return model.Wall{Slug: slug, Title: title, Mode: mode, Theme: theme, SpotlightSeconds: config.DefaultSpotlightSeconds}
	}
	main := w("main", "Cohesion Alliance", model.ModeMasonry, "dark")
	main.Default = true
	list := w("list", "Cohesion Alliance: English, Nederlands, Français, Deutsch", model.ModeList, "light")
	list.Filter.Languages = []string{"en", "nl", "fr", "de"}
	list.Language = "fr" // a wall in its own language; ?lang= still wins
	return []model.Wall{
		main,
		w("spotlight", "Cohesion Alliance", model.ModeSpotlight, "dark"),
		w("photos", "Cohesion Alliance in pictures", model.ModePhotos, "light"),
		w("stage", "Cohesion Alliance", model.ModeTicker, "dark"),
		list,
	}
}

// seedDemo stores the first demo posts, approves a few so the wall is never
// empty, and (re)creates the demo moderator with a fresh password.
func seedDemo(ctx context.Context, st *store.Store, log *slog.Logger) (password string, err error) {
	seed := demo.New(nil, 1).Seed()
	res, err := st.SavePosts(ctx, demo.SourceName, seed, "")
	if err != nil {
		return "", err
	}
	for i, p := range res.New {
		if i >= demo.SeedApproved {
			break
		}
		_, err := st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: demoModerator, Reason: "demo seed"})
		var se *store.StateError
		if err != nil && !errors.As(err, &se) {
			return "", err
		}
	}
	password = auth.GeneratePassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	m, err := st.ModeratorByName(ctx, demoModerator)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = st.CreateModerator(ctx, model.Moderator{Name: demoModerator, PasswordHash: hash, Role: model.RoleAdmin})
	case err == nil:
		err = st.UpdateModeratorPassword(ctx, m.ID, hash)
	}
	if err != nil {
		return "", err
	}
	log.Info("demo seeded", slog.Int("new_posts", len(res.New)))
	return password, nil
}

// demoSigningURL is where the demo's QR code points: the Cohesion Alliance's
// page, as a sample.
const demoSigningURL = "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"

// seedDemoCount gives the demo's panel a signature count, unless the
// demo database already has one.
func seedDemoCount(ctx context.Context, a *app) error {
	if _, err := a.store.SignatureCount(ctx); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return a.recordSignatureCount(ctx, model.SignatureCount{Value: 12847, Source: model.SignaturesAdmin, By: "demo"})
}
