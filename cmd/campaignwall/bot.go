package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/bot"
	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/moderation"
	"github.com/cohesionalliance/campaignwall/store"
)

// How often the scheduler drives the bot.
const (
	botTickSchedule     = "@every 15s" // dispatch due outbox rows
	botMentionsSchedule = "@every 1m"  // read mentions of the bot accounts (opt-ins, stop, signed)
	// botClientTimeout bounds one request to a network; the bot's own
	// send_timeout (default 30 s) is usually shorter and wins.
	botClientTimeout = 2 * time.Minute
)

// botConfig turns the file's [bot] section into the bot's config. It starts
// from bot.DefaultConfig, so whatever the file leaves out keeps the bot's
// default, and dry run stays on unless the file turned it off.
func botConfig(c *config.Bot) (bot.Config, error) {
	bc := bot.DefaultConfig()
	bc.DryRun = c.DryRun
	setString(&bc.TimeZone, c.TimeZone)
	setString(&bc.QuietStart, c.QuietStart)
	setString(&bc.QuietEnd, c.QuietEnd)
	setInt(&bc.MaxAttempts, c.MaxAttempts)
	setDuration(&bc.RetryBase, c.RetryBase)
	setDuration(&bc.RetryMax, c.RetryMax)
	setDuration(&bc.SendTimeout, c.SendTimeout)
	setInt(&bc.BatchSize, c.BatchSize)
	setDuration(&bc.StaleAfter, c.StaleAfter)
	bc.HighlightPost = c.HighlightPost

	if m := c.Mastodon; m != nil {
		bc.Mastodon.ServerURL, bc.Mastodon.AccessToken = m.Server, m.Token
		setString(&bc.Mastodon.Visibility, m.Visibility)
		setCaps(&bc.Mastodon.Caps, m.Caps)
	}
	if b := c.Bluesky; b != nil {
		setString(&bc.Bluesky.PDSURL, b.PDS)
		bc.Bluesky.Handle, bc.Bluesky.AppPassword = b.Handle, b.AppPassword
		setCaps(&bc.Bluesky.Caps, b.Caps)
	}
	if x := c.X; x != nil {
		setString(&bc.X.APIBaseURL, x.APIBase)
		bc.X.UserID = x.UserID
		bc.X.ConsumerKey, bc.X.ConsumerSecret = x.ConsumerKey, x.ConsumerSecret
		bc.X.AccessToken, bc.X.AccessSecret = x.AccessToken, x.AccessSecret
		bc.X.MonthlyBudget, bc.X.CostPerPost, bc.X.CostPerLinkPost, bc.X.CostPerRepost =
			x.MonthlyBudget, x.CostPerPost, x.CostPerLinkPost, x.CostPerRepost
		setCaps(&bc.X.Caps, x.Caps)
	}

	r := c.Reminders
	setInt(&bc.Reminders.CadenceDays, r.CadenceDays)
	setInt(&bc.Reminders.MaxReminders, r.MaxReminders)
	setString(&bc.Reminders.WakingStart, r.WakingStart)
	setString(&bc.Reminders.WakingEnd, r.WakingEnd)
	bc.Reminders.SigningURL = r.SigningURL
	if !r.Deadline.IsZero() {
		loc, err := time.LoadLocation(bc.TimeZone)
		if err != nil {
			return bot.Config{}, fmt.Errorf("bot time zone %q: %w", bc.TimeZone, err)
		}
		// Signing is open through the whole last day, in the campaign's zone.
		bc.Reminders.Deadline = time.Date(r.Deadline.Year(), r.Deadline.Month(), r.Deadline.Day()+1, 0, 0, 0, 0, loc)
	}
	if len(r.Texts) > 0 {
		bc.Reminders.Texts = map[string]bot.ReminderTexts{}
		for lang, t := range r.Texts {
			bc.Reminders.Texts[lang] = bot.ReminderTexts{Confirm: t.Confirm, Reminder: t.Reminder, Stopped: t.Stopped, Signed: t.Signed}
		}
	}
	for _, cp := range c.Campaigns {
		bc.Reminders.Campaigns = append(bc.Reminders.Campaigns, bot.Campaign{
			Name:      cp.Name,
			Schedule:  campaignSchedule(cp.Schedule, bc.TimeZone),
			Networks:  cp.Networks,
			Language:  cp.Language,
			Text:      cp.Text,
			ImagePath: cp.Image,
			ImageAlt:  cp.ImageAlt,
		})
	}
	return bc, nil
}

// campaignSchedule runs a campaign's cron spec in the bot's time zone
// (where quiet hours are counted too) rather than the server's, unless the
// spec names its own.
func campaignSchedule(spec, zone string) string {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return spec
	}
	return "CRON_TZ=" + zone + " " + spec
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

func setDuration(dst *time.Duration, v time.Duration) {
	if v != 0 {
		*dst = v
	}
}

func setCaps(dst *bot.Caps, c config.BotCaps) {
	if c.PerHour != nil {
		dst.PerHour = *c.PerHour
	}
	if c.PerDay != nil {
		dst.PerDay = *c.PerDay
	}
	if c.MinSpacing != nil {
		dst.MinSpacing = *c.MinSpacing
	}
	if c.PerAuthorPerDay != nil {
		dst.PerAuthorPerDay = *c.PerAuthorPerDay
	}
}

// newBot returns the bot for the file's [bot] section, or nil without one.
// Each network's publisher gets the shared guarded client, allowed to reach
// private addresses only when that account's section says so. That client
// never retries a request by itself (the collectors' backoff is a helper
// they call, not part of the transport): a transparently retried POST could
// post twice, which the outbox exists to prevent.
func newBot(st *store.Store, c *config.Bot, log *slog.Logger) (*bot.Service, error) {
	if c == nil {
		return nil, nil
	}
	bc, err := botConfig(c)
	if err != nil {
		return nil, err
	}
	public := collectors.NewClient(collectors.ClientOptions{Timeout: botClientTimeout})
	private := collectors.NewClient(collectors.ClientOptions{Timeout: botClientTimeout, AllowPrivateNetwork: true})
	var pubs []bot.Publisher
	if c.Mastodon != nil && c.Mastodon.AllowPrivateNetwork {
		p, err := bot.NewMastodon(bc.Mastodon, private)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, p)
	}
	if c.Bluesky != nil && c.Bluesky.AllowPrivateNetwork {
		p, err := bot.NewBluesky(bc.Bluesky, private)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, p)
	}
	if c.X != nil && c.X.AllowPrivateNetwork {
		p, err := bot.NewX(bc.X, private)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, p)
	}
	svc, err := bot.New(st, bc, bot.Options{HTTPClient: public, Logger: log.With(slog.String("component", "bot")), Publishers: pubs})
	if err != nil {
		return nil, err
	}
	if bc.DryRun {
		log.Info("bot in dry run: the outbox fills, nothing is sent (see /admin/bot)")
	} else {
		log.Warn("bot is live: it posts from the campaign's accounts")
	}
	return svc, nil
}

// addBotJobs schedules the bot: dispatching the outbox, reading mentions,
// each reminder campaign on its schedule, and reading the petition's
// signature count when the file says where.
func (a *app) addBotJobs() error {
	if a.bot == nil {
		return nil
	}
	svc := a.bot
	if err := a.sched.Add("bot:tick", botTickSchedule, func(ctx context.Context) (int, error) {
		return 0, svc.Tick(ctx)
	}); err != nil {
		return err
	}
	if err := a.sched.Add("bot:mentions", botMentionsSchedule, svc.PollMentions); err != nil {
		return err
	}
	bc, err := botConfig(a.cfg.Bot)
	if err != nil {
		return err
	}
	sig := a.cfg.Bot.SignatureCount
	var refresh func(context.Context) error
	if sig.URL != "" {
		client := collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: sig.AllowPrivateNetwork})
		refresh = func(ctx context.Context) error {
			n, err := scrapeSignatureCount(ctx, client, sig.URL, sig.Selector)
			if err != nil {
				return err
			}
			return a.recordSignatureCount(ctx, model.SignatureCount{Value: n, Source: model.SignaturesScraped})
		}
		if err := a.sched.Add("bot:signatures", sig.Schedule, func(ctx context.Context) (int, error) {
			return 0, refresh(ctx)
		}); err != nil {
			return err
		}
	}
	for _, cp := range bc.Reminders.Campaigns {
		err := a.sched.Add("bot:campaign:"+cp.Name, cp.Schedule, func(ctx context.Context) (int, error) {
			if refresh != nil {
				// A public post quotes the count: read it fresh, but post
				// with the last one known rather than not at all.
				if err := refresh(ctx); err != nil {
					a.log.Warn("signature count not refreshed before a campaign post",
						slog.String("campaign", cp.Name), slog.Any("error", err))
				}
			}
			items, err := svc.PlanCampaign(ctx, cp)
			return len(items), err
		})
		if err != nil {
			return fmt.Errorf("bot campaign %q: %w", cp.Name, err)
		}
	}
	return nil
}

// errNoCount is returned when the petition page has no number where the
// selector points: the page's layout probably changed.
var errNoCount = errors.New("no number found")

// countDigits finds a number as petition pages print it: "12,345",
// "12.345", "12 345" (with plain, no-break or narrow no-break spaces) or
// "12'345".
var countDigits = regexp.MustCompile(`\d{1,3}(?:[.,' \x{00a0}\x{202f}]\d{3})+|\d+`)

// scrapeSignatureCount reads the number in the first element of the page
// at pageURL that matches selector.
func scrapeSignatureCount(ctx context.Context, hc *http.Client, pageURL, selector string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return 0, fmt.Errorf("signature count: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("signature count: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("signature count: %s answered %s", req.URL.Host, resp.Status)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("signature count: read %s: %w", req.URL.Host, err)
	}
	text := strings.TrimSpace(doc.Find(selector).First().Text())
	m := countDigits.FindString(text)
	if m == "" {
		return 0, fmt.Errorf("signature count: %w in the element matching %q on %s", errNoCount, selector, req.URL.Host)
	}
	n, err := strconv.ParseInt(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("signature count: %q: %w", m, err)
	}
	return n, nil
}

// postNotifier is what moderation tells about every changed post: the
// wall's hub, and the bot, which reposts what moderators highlight.
func (a *app) postNotifier() moderation.Notifier {
	if a.bot == nil {
		return a.hub
	}
	return notifiers{a.hub, botHighlights{svc: a.bot, log: a.log}}
}

// notifiers hands each change to every notifier, in order.
type notifiers []moderation.Notifier

func (ns notifiers) PostChanged(p model.Post) {
	for _, n := range ns {
		n.PostChanged(p)
	}
}

// botHighlights plans the repost of each approved post a moderator
// highlights. Planning is idempotent by the post's key, so hearing of the
// same post again (an edit, a photo arriving) plans nothing new.
type botHighlights struct {
	svc *bot.Service
	log *slog.Logger
}

// planTimeout bounds planning a highlight: a few SQLite statements, run
// inside the moderator's request.
const planTimeout = 10 * time.Second

func (b botHighlights) PostChanged(p model.Post) {
	if p.Status != model.StatusApproved || !p.Highlighted {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), planTimeout)
	defer cancel()
	log := b.log.With(slog.Int64("post_id", p.ID), slog.String("network", string(p.Network)))
	it, err := b.svc.PlanHighlight(ctx, p)
	switch {
	case errors.Is(err, bot.ErrNoAccount):
		log.Info("highlight not reposted: the bot has no account on this network")
	case err != nil:
		log.Error("planning a highlight repost", slog.Any("error", err))
	case it.Status == model.OutboxSkipped:
		log.Info("highlight not reposted", slog.String("reason", it.Reason))
	default:
		log.Info("highlight repost planned", slog.Int64("outbox_id", it.ID), slog.Time("due", it.NextAttemptAt))
	}
}

// botAdmin is the bot as the admin page sees it; nil without a bot.
func (a *app) botAdmin() moderation.BotAdmin {
	if a.bot == nil {
		return nil
	}
	return botAdminAdapter{a.bot}
}

type botAdminAdapter struct{ svc *bot.Service }

func (b botAdminAdapter) Status(ctx context.Context) (moderation.BotStatus, error) {
	states, err := b.svc.State(ctx)
	if err != nil {
		return moderation.BotStatus{}, err
	}
	var out moderation.BotStatus
	for _, s := range states {
		out.DryRun = out.DryRun || s.DryRun
		out.Networks = append(out.Networks, moderation.BotNetwork{
			Network:          s.Network,
			Enabled:          s.Enabled,
			Paused:           s.Paused,
			PausedBy:         s.PausedBy,
			PausedAt:         s.PausedAt,
			Halted:           s.Halted,
			RateLimitedUntil: s.RateLimitedUntil,
			HasBudget:        s.Network == model.NetworkX,
			SpentThisMonth:   s.SpentThisMonth,
			MonthlyBudget:    s.MonthlyBudget,
		})
	}
	return out, nil
}

func (b botAdminAdapter) Pause(ctx context.Context, n model.Network, by string) error {
	return b.svc.Pause(ctx, n, by)
}

func (b botAdminAdapter) Resume(ctx context.Context, n model.Network) error {
	return b.svc.Resume(ctx, n)
}

func (b botAdminAdapter) Preview(ctx context.Context, d time.Duration) ([]model.OutboxItem, error) {
	return b.svc.Preview(ctx, d)
}

// stopBot is the outbox's place in the shutdown order (after the
// scheduler, which ran every send, and the HTTP server, which planned
// highlights; before the store). The bot has no goroutine of its own, so
// this only reports rows left mid-send: the next start asks the network
// about them before anything is resent.
func (a *app) stopBot() {
	if a.bot == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := a.store.CountOutbox(ctx)
	if err != nil {
		a.log.Warn("bot outbox at shutdown", slog.Any("error", err))
		return
	}
	if n := counts[model.OutboxSending]; n > 0 {
		a.log.Info("bot stopped with actions whose outcome is unknown; they are checked with the network on the next start",
			slog.Int("sending", n))
	}
	a.log.Info("bot stopped", slog.Int("planned", counts[model.OutboxPlanned]))
}
