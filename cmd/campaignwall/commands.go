package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/scheduler"
	"github.com/cohesionalliance/campaignwall/store"
)

const usage = `campaignwall: a live, moderated social wall and campaign bot.

Usage:
  campaignwall demo [--addr HOST:PORT] [--db FILE]
        run with built-in demo posts: no config, no network, no API keys
  campaignwall serve --config FILE
        collect on schedule; serve the wall and the moderation pages
  campaignwall collect --config FILE --once
        collect every source once and print a summary per source
  campaignwall moderator add|remove|reset-password|list --config FILE [--admin] [NAME]
        manage moderator accounts (the password is read from stdin, or generated)
  campaignwall posts --config FILE [--status pending|approved|rejected|removed] [--json]
        list stored posts
  campaignwall check-config --config FILE
        validate a config file and print what it configures
  campaignwall backup --config FILE OUTPUT
        write a consistent copy of the database
  campaignwall bot preview --config FILE
        print what the bot plans to do in the next 24 hours
  campaignwall supporter forget --config FILE HANDLE
        delete everything kept about a supporter, and print what it was
  campaignwall supporter export --config FILE [--out FILE]
        write the supporters' consent records as CSV

Run 'campaignwall COMMAND --help' for a command's flags.
`

func run(ctx context.Context, args []string, env environment) error {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, rest, env)
	case "serve":
		return runServe(ctx, rest, env)
	case "collect":
		return runCollect(ctx, rest, env)
	case "moderator":
		return runModerator(ctx, rest, env)
	case "posts":
		return runPosts(ctx, rest, env)
	case "check-config":
		return runCheckConfig(ctx, rest, env)
	case "backup":
		return runBackup(ctx, rest, env)
	case "bot":
		return runBot(ctx, rest, env)
	case "supporter":
		return runSupporter(ctx, rest, env)
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, usage)
		return nil
	}
	fmt.Fprint(env.stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// flags returns a FlagSet whose --help prints to stdout and whose errors are returned.
func flags(env environment, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: campaignwall %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; --help is a success, not an error.
func parse(fs *flag.FlagSet, args []string, env environment) (done bool, err error) {
	fs.SetOutput(io.Discard)
	err = fs.Parse(args)
	fs.SetOutput(env.stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(env.stdout)
		fs.Usage()
		return true, nil
	}
	if err != nil {
		fs.Usage()
		return true, err
	}
	return false, nil
}

func loadConfig(path string, env environment) (*config.Config, error) {
	if path == "" {
		return nil, errors.New("--config FILE is required (see campaignwall.example.toml)")
	}
	return config.Load(path, env.lookup)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func runCheckConfig(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "check-config", "check-config --config FILE")
	path := fs.String("config", "", "config `file`")
	if done, err := parse(fs, args, env); done {
		return err
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: ok\ncampaign %q, hashtags %s\nserver %s, database %s\n",
		cfg.Path, cfg.Campaign.Name, strings.Join(cfg.Campaign.Hashtags, ", "), cfg.Server.Addr, cfg.Store.Path)
	for _, src := range cfg.Sources {
		token := "no token"
		if src.Token != "" {
			token = "token set"
		}
		fmt.Fprintf(env.stdout, "source %q: %s %s, schedule %q, hashtags %s, %s\n",
			src.Name, src.Kind, src.URL, src.Schedule, strings.Join(src.Hashtags, ", "), token)
	}
	printBotConfig(env.stdout, cfg.Bot)
	return nil
}

func runCollect(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "collect", "collect --config FILE --once")
	path := fs.String("config", "", "config `file`")
	once := fs.Bool("once", false, "collect every source once, then exit (required)")
	if done, err := parse(fs, args, env); done {
		return err
	}
	if !*once {
		return errors.New("collect needs --once (use 'serve' to collect on a schedule)")
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SyncSources(ctx, cfg.Sources); err != nil {
		return err
	}
	log := newLogger(env.stderr)
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tNEW\tKNOWN\tERROR")
	failed := 0
	deps := collectorDeps{log: log, limiter: collectors.NewHostLimiter(collectors.HostLimiterOptions{})}
	for _, src := range cfg.Sources {
		c, err := newCollector(src, deps)
		var sum scheduler.Summary
		if err != nil {
			sum = scheduler.Summary{Source: src.Name, Err: err}
		} else {
			// As serve's "Run now" does: the status page shows this run,
			// and a source waiting for a rate limit is not called.
			sum = newCollection(st, c, src, deps, nil).Run(scheduler.ManualRun(ctx))
		}
		errText := "-"
		if sum.Err != nil {
			failed++
			errText = sum.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", src.Name, src.Kind, sum.New, sum.Known, errText)
	}
	tw.Flush()
	if len(cfg.Sources) > 0 && failed == len(cfg.Sources) {
		return fmt.Errorf("every source failed (%d)", failed)
	}
	return nil
}

const collectTimeout = 2 * time.Minute

func runPosts(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "posts", "posts --config FILE [--status STATUS] [--json] [--limit N]")
	path := fs.String("config", "", "config `file`")
	status := fs.String("status", "", "only posts with this `status`: pending, approved, rejected or removed")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	limit := fs.Int("limit", 50, "at most `N` posts, newest first")
	if done, err := parse(fs, args, env); done {
		return err
	}
	var st model.Status
	if *status != "" {
		var ok bool
		if st, ok = model.ParseStatus(*status); !ok {
			return fmt.Errorf("--status %q: want pending, approved, rejected or removed", *status)
		}
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	defer db.Close()
	posts, err := db.Posts(ctx, store.PostFilter{Status: st, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		for _, p := range posts {
			if err := enc.Encode(postJSON(p)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tNETWORK\tAUTHOR\tPUBLISHED\tTEXT")
	for _, p := range posts {
		text := strings.Join(strings.Fields(p.Text), " ")
		if r := []rune(text); len(r) > 60 {
			text = string(r[:59]) + "…"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Status, p.Network, p.Author.Handle,
			p.PublishedAt.Format(time.DateTime), text)
	}
	return tw.Flush()
}

type postLine struct {
	ID          int64     `json:"id"`
	Status      string    `json:"status"`
	Network     string    `json:"network"`
	URI         string    `json:"uri"`
	URL         string    `json:"url"`
	Author      string    `json:"author"`
	Text        string    `json:"text"`
	Language    string    `json:"language"`
	PublishedAt time.Time `json:"published_at"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	Media       int       `json:"media"`
}

func postJSON(p model.Post) postLine {
	return postLine{ID: p.ID, Status: string(p.Status), Network: string(p.Network), URI: p.URI, URL: p.URL,
		Author: p.Author.Handle, Text: p.Text, Language: p.Language, PublishedAt: p.PublishedAt,
		DecidedBy: p.DecidedBy, Media: len(p.Media)}
}

func runModerator(ctx context.Context, args []string, env environment) error {
	if len(args) == 0 {
		return errors.New("moderator needs a subcommand: add, remove, reset-password or list")
	}
	sub, args := args[0], args[1:]
	fs := flags(env, "moderator "+sub, "moderator "+sub+" --config FILE [--admin] NAME")
	path := fs.String("config", "", "config `file`")
	admin := fs.Bool("admin", false, "with add: give the moderator the admin role")
	if done, err := parse(fs, args, env); done {
		return err
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "list" {
		mods, err := st.Moderators(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, m := range mods {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, m.Role, m.CreatedAt.Format(time.DateTime))
		}
		return tw.Flush()
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("moderator %s needs exactly one NAME", sub)
	}
	name := fs.Arg(0)
	switch sub {
	case "add", "reset-password":
		password, generated, err := readPassword(env.stdin)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		if sub == "add" {
			role := model.RoleModerator
			if *admin {
				role = model.RoleAdmin
			}
			if _, err := st.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: hash, Role: role}); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "moderator %q added (%s)\n", name, role)
		} else {
			m, err := st.ModeratorByName(ctx, name)
			if err != nil {
				return err
			}
			if err := st.UpdateModeratorPassword(ctx, m.ID, hash); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "password of %q reset; their sessions were ended\n", name)
		}
		if generated {
			fmt.Fprintf(env.stdout, "password: %s\n(shown once: store it now)\n", password)
		}
		return nil
	case "remove":
		m, err := st.ModeratorByName(ctx, name)
		if err != nil {
			return err
		}
		if err := st.RemoveModerator(ctx, m.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "moderator %q removed; their decisions stay in the audit log\n", name)
		return nil
	}
	return fmt.Errorf("unknown moderator subcommand %q: want add, remove, reset-password or list", sub)
}

// readPassword reads one line from stdin when it is not a terminal; with
// nothing piped in it generates a password.
func readPassword(stdin io.Reader) (password string, generated bool, err error) {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return auth.GeneratePassword(), true, nil
		}
	}
	data, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return auth.GeneratePassword(), true, nil
	}
	return line, false, nil
}

func runBackup(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "backup", "backup --config FILE OUTPUT")
	path := fs.String("config", "", "config `file`")
	if done, err := parse(fs, args, env); done {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("backup needs the OUTPUT file name")
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	if _, err := os.Stat(fs.Arg(0)); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", fs.Arg(0))
	}
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\n", fs.Arg(0))
	return nil
}
