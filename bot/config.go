package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// Config is the bot's configuration. Its fields are plain values: the config
// package reads the TOML file, resolves secrets (env vars, files) and fills
// them in. Start from DefaultConfig: a Config built any other way is refused
// by New, so a forgotten default can never switch the bot from dry run to live.
//
// TOML keys (all under [bot]) the config package maps to these fields:
//
//	dry_run                 DryRun (default true)
//	time_zone               TimeZone (IANA name, default "Europe/Brussels")
//	quiet_hours.start       QuietStart ("22:00"; equal start and end: no quiet hours)
//	quiet_hours.end         QuietEnd ("07:00")
//	max_attempts            MaxAttempts (default 8)
//	retry_base              RetryBase (duration, default "30s"; doubles per attempt)
//	retry_max               RetryMax (duration, default "1h")
//	send_timeout            SendTimeout (duration, default "30s")
//	batch_size              BatchSize (rows per Tick, default 20)
//	stale_after             StaleAfter (duration, default "24h")
//	highlight_post          HighlightPost (e.g. "From the #CohesionAlliance wall: {url}"; empty: none)
//
//	[bot.mastodon]  server, token_env → Mastodon.ServerURL, Mastodon.AccessToken;
//	                visibility → Mastodon.Visibility (default "public")
//	[bot.bluesky]   pds (default "https://bsky.social"), handle, app_password_env
//	                → Bluesky.PDSURL, Bluesky.Handle, Bluesky.AppPassword
//	[bot.x]         api_base (default "https://api.x.com"), user_id, consumer_key_env,
//	                consumer_secret_env, access_token_env, access_secret_env
//	                → X.APIBaseURL, X.UserID, X.ConsumerKey, X.ConsumerSecret,
//	                  X.AccessToken, X.AccessSecret;
//	                monthly_budget, cost_per_post, cost_per_link_post, cost_per_repost
//	                → X.MonthlyBudget, X.CostPerPost, X.CostPerLinkPost, X.CostPerRepost
//	[bot.<network>.caps]  per_hour, per_day, min_spacing (duration), per_author_per_day
//	                → <Network>.Caps
//	[bot.reminders] cadence_days, max_reminders, waking_start, waking_end, signing_url,
//	                deadline (date), [bot.reminders.texts.<lang>] confirm, reminder,
//	                stopped, signed → Reminders (see ReminderConfig)
//	[[bot.campaigns]] name, schedule, networks, language, text, image, image_alt
//	                → Reminders.Campaigns
type Config struct {
	DryRun      bool
	TimeZone    string
	QuietStart  string // "HH:MM" in TimeZone; the bot posts nothing public from QuietStart to QuietEnd
	QuietEnd    string
	MaxAttempts int
	RetryBase   time.Duration
	RetryMax    time.Duration
	SendTimeout time.Duration
	BatchSize   int
	// StaleAfter: a planned action never attempted and overdue by more than this
	// (say after a long pause or dry run) is skipped rather than sent late.
	StaleAfter time.Duration
	// HighlightPost, if set, is a short post planned on the campaign's other
	// networks when a highlight is reposted on its own: {url} is the post's
	// link, {author} its author's name.
	HighlightPost string

	Mastodon  MastodonConfig
	Bluesky   BlueskyConfig
	X         XConfig
	Reminders ReminderConfig

	fromDefault bool
}

// Caps limit how much a bot account posts publicly (reposts and posts).
// Zero means no limit for that cap.
type Caps struct {
	PerHour         int
	PerDay          int
	MinSpacing      time.Duration
	PerAuthorPerDay int // reposts of one author's posts per day
}

// MastodonConfig is the campaign's Mastodon bot account. Empty ServerURL or
// AccessToken: no Mastodon account.
type MastodonConfig struct {
	ServerURL   string
	AccessToken string // needs scopes write:statuses, write:media, read:statuses, read:search, read:accounts
	Visibility  string // of the bot's own posts: public (default) or unlisted
	Caps        Caps
}

// BlueskyConfig is the campaign's Bluesky bot account, signed in with an app
// password (never the account password). Empty Handle or AppPassword: none.
type BlueskyConfig struct {
	PDSURL      string
	Handle      string
	AppPassword string
	Caps        Caps
}

// XConfig is the campaign's X bot account, with OAuth 1.0a user-context
// credentials, and the monthly spend budget X's pay-per-use pricing calls for.
// Empty UserID or any credential: no X account.
type XConfig struct {
	APIBaseURL     string
	UserID         string
	ConsumerKey    string
	ConsumerSecret string
	AccessToken    string
	AccessSecret   string
	// MonthlyBudget is checked before every send; 0 means nothing is sent on X.
	MonthlyBudget   float64
	CostPerPost     float64
	CostPerLinkPost float64 // X charges much more for a post carrying a link
	CostPerRepost   float64
	Caps            Caps
}

// ReminderConfig governs petition reminders to supporters who opted in.
type ReminderConfig struct {
	CadenceDays  int    // default days between reminders (7)
	MaxReminders int    // never more reminders than this per supporter (4)
	WakingStart  string // "HH:MM" in the supporter's time zone (default "09:00")
	WakingEnd    string // (default "20:00")
	SigningURL   string
	Deadline     time.Time // when signing closes, for {days}; zero: unknown
	// Texts are reminder and confirmation texts per language (ISO 639-1);
	// missing languages fall back to English, then to the built-in texts.
	Texts map[string]ReminderTexts
	// Campaigns are public reminders the bot accounts post on a schedule.
	Campaigns []Campaign
}

// Campaign is a public petition reminder. The scheduler runs PlanCampaign
// on Schedule; each run plans one post per network.
type Campaign struct {
	Name     string          // unique; part of the posts' idempotency keys
	Schedule string          // cron expression, read by the scheduler
	Networks []model.Network // empty: every network the bot has an account on
	Language string
	// Text may use {count} (signatures), {url} (signing URL) and {days}
	// (days left until Deadline).
	Text      string
	ImagePath string
	ImageAlt  string // required with ImagePath: every image gets alt text
}

// ReminderTexts are one language's texts. {handle}, {url} and {count} are
// replaced by the supporter's handle, the signing URL and the signature count.
type ReminderTexts struct {
	Confirm  string // reply to an opt-in
	Reminder string // the direct message
	Stopped  string // reply to "stop"
	Signed   string // reply to "signed"
}

// DefaultConfig returns the bot's defaults: dry run, no accounts.
func DefaultConfig() Config {
	return Config{
		DryRun:      true,
		TimeZone:    "Europe/Brussels",
		QuietStart:  "22:00",
		QuietEnd:    "07:00",
		MaxAttempts: 8,
		RetryBase:   30 * time.Second,
		RetryMax:    time.Hour,
		SendTimeout: 30 * time.Second,
		BatchSize:   20,
		StaleAfter:  24 * time.Hour,
		Mastodon: MastodonConfig{
			Visibility: "public",
			Caps:       Caps{PerHour: 4, PerDay: 20, MinSpacing: 10 * time.Minute, PerAuthorPerDay: 2},
		},
		Bluesky: BlueskyConfig{
			PDSURL: "https://bsky.social",
			Caps:   Caps{PerHour: 4, PerDay: 20, MinSpacing: 10 * time.Minute, PerAuthorPerDay: 2},
		},
		X: XConfig{
			APIBaseURL: "https://api.x.com",
			Caps:       Caps{PerHour: 2, PerDay: 10, MinSpacing: 20 * time.Minute, PerAuthorPerDay: 1},
		},
		Reminders: ReminderConfig{
			CadenceDays:  7,
			MaxReminders: 4,
			WakingStart:  "09:00",
			WakingEnd:    "20:00",
		},
		fromDefault: true,
	}
}

func (c MastodonConfig) enabled() bool { return c.ServerURL != "" && c.AccessToken != "" }
func (c BlueskyConfig) enabled() bool  { return c.PDSURL != "" && c.Handle != "" && c.AppPassword != "" }
func (c XConfig) enabled() bool {
	return c.APIBaseURL != "" && c.UserID != "" && c.ConsumerKey != "" && c.ConsumerSecret != "" &&
		c.AccessToken != "" && c.AccessSecret != ""
}

// clockTime is a time of day in minutes after midnight.
type clockTime int

func parseClock(s string) (clockTime, error) {
	var h, m int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time of day %q: want HH:MM", s)
	}
	return clockTime(h*60 + m), nil
}

// window is a daily span of local time; it may wrap midnight (22:00–07:00).
type window struct{ start, end clockTime }

func (w window) empty() bool { return w.start == w.end }

// contains reports whether t's wall-clock time in loc is inside the window.
func (w window) contains(t time.Time, loc *time.Location) bool {
	if w.empty() {
		return false
	}
	lt := t.In(loc)
	m := clockTime(lt.Hour()*60 + lt.Minute())
	if w.start < w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end
}

// endAfter returns the first moment after t when the window is over.
func (w window) endAfter(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), int(w.end)/60, int(w.end)%60, 0, 0, loc)
	if !end.After(lt) {
		end = time.Date(lt.Year(), lt.Month(), lt.Day()+1, int(w.end)/60, int(w.end)%60, 0, 0, loc)
	}
	return end
}

// nextInside returns t when t is inside the window, else the moment the
// window next begins.
func (w window) nextInside(t time.Time, loc *time.Location) time.Time {
	if w.contains(t, loc) {
		return t
	}
	lt := t.In(loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), int(w.start)/60, int(w.start)%60, 0, 0, loc)
	if start.Before(lt) {
		start = time.Date(lt.Year(), lt.Month(), lt.Day()+1, int(w.start)/60, int(w.start)%60, 0, 0, loc)
	}
	return start
}

func parseWindow(start, end string) (window, error) {
	s, err := parseClock(start)
	if err != nil {
		return window{}, err
	}
	e, err := parseClock(end)
	if err != nil {
		return window{}, err
	}
	return window{s, e}, nil
}

// validate checks the config and fills zero values that have safe defaults.
func (c *Config) validate() error {
	if !c.fromDefault {
		return errors.New("bot: config must start from bot.DefaultConfig() (it keeps dry_run on unless set off)")
	}
	d := DefaultConfig()
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = d.MaxAttempts
	}
	if c.RetryBase <= 0 {
		c.RetryBase = d.RetryBase
	}
	if c.RetryMax < c.RetryBase {
		c.RetryMax = max(d.RetryMax, c.RetryBase)
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = d.SendTimeout
	}
	if c.BatchSize <= 0 {
		c.BatchSize = d.BatchSize
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = d.StaleAfter
	}
	if c.TimeZone == "" {
		c.TimeZone = d.TimeZone
	}
	switch c.Mastodon.Visibility {
	case "":
		c.Mastodon.Visibility = "public"
	case "public", "unlisted":
	default:
		return fmt.Errorf("bot: mastodon visibility %q: want public or unlisted", c.Mastodon.Visibility)
	}
	if c.X.MonthlyBudget < 0 || c.X.CostPerPost < 0 || c.X.CostPerLinkPost < 0 || c.X.CostPerRepost < 0 {
		return errors.New("bot: x budget and costs must not be negative")
	}
	if c.Reminders.CadenceDays <= 0 {
		c.Reminders.CadenceDays = d.Reminders.CadenceDays
	}
	if c.Reminders.MaxReminders <= 0 {
		c.Reminders.MaxReminders = d.Reminders.MaxReminders
	}
	if c.Reminders.WakingStart == "" {
		c.Reminders.WakingStart = d.Reminders.WakingStart
	}
	if c.Reminders.WakingEnd == "" {
		c.Reminders.WakingEnd = d.Reminders.WakingEnd
	}
	names := map[string]bool{}
	for _, cp := range c.Reminders.Campaigns {
		switch {
		case cp.Name == "" || names[cp.Name]:
			return fmt.Errorf("bot: campaign %q: a campaign needs a unique name", cp.Name)
		case strings.TrimSpace(cp.Text) == "":
			return fmt.Errorf("bot: campaign %q: empty text", cp.Name)
		case cp.ImagePath != "" && strings.TrimSpace(cp.ImageAlt) == "":
			return fmt.Errorf("bot: campaign %q: image %s has no alt text", cp.Name, cp.ImagePath)
		}
		names[cp.Name] = true
	}
	return nil
}
