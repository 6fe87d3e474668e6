package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cohesionalliance/campaignwall/bot"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// previewWindow is how far ahead `bot preview` looks.
const previewWindow = 24 * time.Hour

func runBot(ctx context.Context, args []string, env environment) error {
	if len(args) == 0 || args[0] != "preview" {
		return errors.New("bot needs a subcommand: preview")
	}
	fs := flags(env, "bot preview", "bot preview --config FILE")
	path := fs.String("config", "", "config `file`")
	if done, err := parse(fs, args[1:], env); done {
		return err
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	if cfg.Bot == nil {
		return fmt.Errorf("%s has no [bot] section: the bot is not configured (see campaignwall.example.toml)", cfg.Path)
	}
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := newBot(st, cfg.Bot, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	items, err := svc.Preview(ctx, previewWindow)
	if err != nil {
		return err
	}
	bc, err := botConfig(cfg.Bot)
	if err != nil {
		return err
	}
	return printPreview(env.stdout, items, bc, time.Now())
}

// printPreview prints the outbox rows due within the window (and overdue
// ones), then the campaign posts whose schedule fires within it: those are
// written to the outbox only when they fire.
func printPreview(w io.Writer, items []model.OutboxItem, bc bot.Config, now time.Time) error {
	loc, err := time.LoadLocation(bc.TimeZone)
	if err != nil {
		return fmt.Errorf("bot time zone %q: %w", bc.TimeZone, err)
	}
	if bc.DryRun {
		fmt.Fprintln(w, "DRY RUN: nothing is sent (dry_run = true); this is what would be.")
	} else {
		fmt.Fprintln(w, "LIVE: the bot sends these from the campaign's accounts.")
	}
	fmt.Fprintf(w, "\nOutbox, next %d hours (times in %s):\n", int(previewWindow.Hours()), loc)
	if len(items) == 0 {
		fmt.Fprintln(w, "  nothing planned")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  DUE\tNETWORK\tACTION\tSTATUS\tCOST\tKEY\tTEXT")
		for _, it := range items {
			due := it.NextAttemptAt.In(loc).Format("Mon 02 Jan 15:04")
			if it.NextAttemptAt.Before(now.Add(-time.Minute)) {
				due += " (overdue)"
			}
			cost := "-"
			if it.Network == model.NetworkX {
				cost = strconv.FormatFloat(it.EstimatedCost, 'f', 2, 64)
			}
			text := oneLine(it.Text, 70)
			if it.Kind == model.OutboxRepost {
				text = "repost " + it.Target
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", due, it.Network, it.Kind, it.Status, cost, it.IdempotencyKey, text)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	runs := campaignRuns(bc, now, now.Add(previewWindow))
	if len(runs) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nCampaign posts due to be planned (caps and quiet hours may move them; placeholders are filled then):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  AT\tCAMPAIGN\tNETWORKS\tTEXT")
	listed, more := map[string]int{}, map[string]int{}
	for _, r := range runs {
		// A campaign that fires often would drown the rest.
		if listed[r.c.Name] == maxRunsListed {
			more[r.c.Name]++
			continue
		}
		listed[r.c.Name]++
		networks := "every account"
		if len(r.c.Networks) > 0 {
			var names []string
			for _, n := range r.c.Networks {
				names = append(names, string(n))
			}
			networks = strings.Join(names, ",")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.at.In(loc).Format("Mon 02 Jan 15:04"), r.c.Name, networks, oneLine(r.c.Text, 70))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range bc.Reminders.Campaigns {
		if more[c.Name] > 0 {
			fmt.Fprintf(w, "  … and %d more runs of %s\n", more[c.Name], c.Name)
		}
	}
	return nil
}

// maxRunsListed is how many runs of one campaign the preview lists.
const maxRunsListed = 8

type campaignRun struct {
	at time.Time
	c  bot.Campaign
}

// campaignRuns lists when each campaign's schedule fires in [from, to).
func campaignRuns(bc bot.Config, from, to time.Time) []campaignRun {
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	var runs []campaignRun
	for _, c := range bc.Reminders.Campaigns {
		sched, err := parser.Parse(c.Schedule)
		if err != nil {
			continue // config validated it; nothing to list
		}
		for t := sched.Next(from); !t.IsZero() && t.Before(to) && len(runs) < 10000; t = sched.Next(t) {
			runs = append(runs, campaignRun{at: t, c: c})
		}
	}
	slices.SortStableFunc(runs, func(a, b campaignRun) int { return a.at.Compare(b.at) })
	return runs
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

func runSupporter(ctx context.Context, args []string, env environment) error {
	if len(args) == 0 {
		return errors.New("supporter needs a subcommand: forget or export")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "forget":
		return runSupporterForget(ctx, args, env)
	case "export":
		return runSupporterExport(ctx, args, env)
	}
	return fmt.Errorf("unknown supporter subcommand %q: want forget or export", sub)
}

// openBot opens the store and a bot over it. Forgetting and exporting work
// without a [bot] section too: the data may outlive the section.
func openBot(ctx context.Context, cfg *config.Config) (*store.Store, *bot.Service, error) {
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		return nil, nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	var svc *bot.Service
	if cfg.Bot != nil {
		svc, err = newBot(st, cfg.Bot, quiet)
	} else {
		svc, err = bot.New(st, bot.DefaultConfig(), bot.Options{Logger: quiet})
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, svc, nil
}

func runSupporterForget(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "supporter forget", "supporter forget --config FILE HANDLE")
	path := fs.String("config", "", "config `file`")
	if done, err := parse(fs, args, env); done {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(strings.TrimPrefix(fs.Arg(0), "@")) == "" {
		return errors.New("supporter forget needs exactly one HANDLE (e.g. anna@regions.example)")
	}
	handle := strings.TrimPrefix(strings.TrimSpace(fs.Arg(0)), "@")
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	st, svc, err := openBot(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	what, err := describeSupporter(ctx, st, handle)
	if err != nil {
		return err
	}
	n, err := svc.Forget(ctx, handle)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(env.stdout, "nothing stored about %s\n", handle)
		return nil
	}
	fmt.Fprintf(env.stdout, "forgot %s:\n", handle)
	for _, line := range what {
		fmt.Fprintf(env.stdout, "  %s\n", line)
	}
	fmt.Fprintf(env.stdout, "%d rows deleted\n", n)
	return nil
}

// describeSupporter lists what is stored about a handle, in the words the
// forget command prints before deleting it.
func describeSupporter(ctx context.Context, st *store.Store, handle string) ([]string, error) {
	sups, err := st.Supporters(ctx)
	if err != nil {
		return nil, err
	}
	hist, err := st.Reminders(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	reminders := 0
	for _, s := range sups {
		if !strings.EqualFold(s.Handle, handle) {
			continue
		}
		out = append(out, fmt.Sprintf("consent on %s: %s, language %s, time zone %s, given %s, %d reminders sent",
			s.Network, s.Status, s.Language, s.TimeZone, s.ConsentAt.UTC().Format(time.DateTime), s.RemindersSent))
		reminders += len(hist[s.ID])
	}
	if reminders > 0 {
		out = append(out, fmt.Sprintf("reminder history: %d entries", reminders))
	}
	items, err := st.OutboxItems(ctx, store.OutboxFilter{Author: handle, Limit: 1000})
	if err != nil {
		return nil, err
	}
	byKind := map[model.OutboxKind]int{}
	for _, it := range items {
		byKind[it.Kind]++
	}
	for _, k := range []model.OutboxKind{model.OutboxReply, model.OutboxDM, model.OutboxRepost, model.OutboxPost} {
		if byKind[k] > 0 {
			out = append(out, fmt.Sprintf("outbox: %d %s", byKind[k], k))
		}
	}
	return out, nil
}

func runSupporterExport(ctx context.Context, args []string, env environment) error {
	fs := flags(env, "supporter export", "supporter export --config FILE [--out FILE]")
	path := fs.String("config", "", "config `file`")
	out := fs.String("out", "", "write the CSV to this `file` (default: standard output)")
	if done, err := parse(fs, args, env); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("supporter export takes no arguments, got %q", fs.Args())
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		return err
	}
	st, svc, err := openBot(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *out == "" {
		return svc.ExportConsent(ctx, env.stdout)
	}
	// Consent records are personal data: never overwrite a file by
	// surprise, and keep the new one readable by its owner only.
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; choose a new file", *out)
		}
		return err
	}
	if err := svc.ExportConsent(ctx, f); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\n", *out)
	return nil
}

// printBotConfig describes the [bot] section for check-config: whether it
// sends, its accounts (saying whether credentials are set, never what they
// are) and its campaigns.
func printBotConfig(w io.Writer, b *config.Bot) {
	if b == nil {
		fmt.Fprintln(w, "bot: not configured (no [bot] section)")
		return
	}
	mode := "dry run, nothing is sent"
	if !b.DryRun {
		mode = "LIVE, it posts"
	}
	fmt.Fprintf(w, "bot: %s\n", mode)
	var accounts []string
	if b.Mastodon != nil {
		accounts = append(accounts, b.Mastodon.String())
	}
	if b.Bluesky != nil {
		accounts = append(accounts, b.Bluesky.String())
	}
	if b.X != nil {
		accounts = append(accounts, b.X.String())
	}
	for _, a := range accounts {
		fmt.Fprintf(w, "bot account: %s\n", a)
	}
	if len(accounts) == 0 {
		fmt.Fprintln(w, "bot account: none (add [bot.mastodon], [bot.bluesky] or [bot.x])")
	}
	for _, c := range b.Campaigns {
		fmt.Fprintf(w, "bot campaign %q: schedule %q\n", c.Name, c.Schedule)
	}
	if b.SignatureCount.URL != "" {
		fmt.Fprintf(w, "bot signature count: %s, schedule %q\n", b.SignatureCount.Selector, b.SignatureCount.Schedule)
	}
}
