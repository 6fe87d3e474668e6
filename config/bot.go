package config

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// The [bot] section: the amplification bot's accounts, limits and petition
// reminders. It is read into plain values here (package config imports
// only model); main turns them into the bot's own config, starting from the
// bot's defaults, so a key left out keeps the bot's default. The one
// default decided here is the one that matters most: dry_run is true unless
// the file says dry_run = false.
//
// Secrets (the Mastodon token, the Bluesky app password, X's four OAuth
// credentials) are only ever read from an environment variable (<key>_env)
// or a file (<key>_file). The key itself, written inline, is an error: a
// config file ends up in backups, tickets and screen shares.

// Bot is a validated [bot] section. Zero values (and nil caps) mean "the
// bot's default"; DryRun is already defaulted to true.
type Bot struct {
	DryRun      bool
	TimeZone    string // IANA name, checked to load; "" for the bot's default (Europe/Brussels)
	QuietStart  string // "HH:MM"; "" for the bot's default. Equal start and end: no quiet hours.
	QuietEnd    string
	MaxAttempts int
	RetryBase   time.Duration
	RetryMax    time.Duration
	SendTimeout time.Duration
	BatchSize   int
	StaleAfter  time.Duration
	// HighlightPost is a short post planned on the campaign's other
	// networks when a highlight is reposted on its own ({url}, {author}).
	HighlightPost string

	Mastodon *BotMastodon // nil: no Mastodon account
	Bluesky  *BotBluesky  // nil: no Bluesky account
	X        *BotX        // nil: no X account

	Reminders BotReminders
	Campaigns []BotCampaign
	// SignatureCount is where the petition's signature count is scraped
	// from, for reminders ({count}); empty URL: not scraped.
	SignatureCount BotSignatureCount
}

// BotCaps limit an account's public posts. A nil field keeps the bot's
// default for that cap; 0 means no limit.
type BotCaps struct {
	PerHour         *int
	PerDay          *int
	MinSpacing      *time.Duration
	PerAuthorPerDay *int
}

// BotMastodon is [bot.mastodon]: the campaign's Mastodon account.
type BotMastodon struct {
	Server              string // the account's instance, e.g. https://mastodon.social
	Token               string // read from token_env or token_file
	Visibility          string // public or unlisted; "" for public
	AllowPrivateNetwork bool
	Caps                BotCaps
}

// BotBluesky is [bot.bluesky]: the campaign's Bluesky account.
type BotBluesky struct {
	PDS                 string // "" for the bot's default, https://bsky.social
	Handle              string
	AppPassword         string // read from app_password_env or app_password_file
	AllowPrivateNetwork bool
	Caps                BotCaps
}

// BotX is [bot.x]: the campaign's X account and its spend budget.
type BotX struct {
	APIBase        string // "" for the bot's default, https://api.x.com
	UserID         string
	ConsumerKey    string // the four OAuth 1.0a credentials, each read from <key>_env or <key>_file
	ConsumerSecret string
	AccessToken    string
	AccessSecret   string
	// MonthlyBudget and the costs are in one currency (X bills in USD);
	// the budget is checked before every send.
	MonthlyBudget       float64
	CostPerPost         float64
	CostPerLinkPost     float64
	CostPerRepost       float64
	AllowPrivateNetwork bool
	Caps                BotCaps
}

// BotReminders is [bot.reminders]: direct-message reminders to supporters
// who opted in. Zero values keep the bot's defaults.
type BotReminders struct {
	CadenceDays  int
	MaxReminders int
	WakingStart  string // "HH:MM" in the supporter's time zone
	WakingEnd    string
	SigningURL   string
	// Deadline is the last day to sign, as a date (midnight UTC of that
	// day); signing closes at the end of that day in the bot's time zone.
	// Zero: no deadline, and {days} is empty.
	Deadline time.Time
	Texts    map[string]BotTexts // by ISO 639-1 language
}

// BotTexts are one language's supporter texts; "" keeps the built-in text.
type BotTexts struct {
	Confirm  string
	Reminder string
	Stopped  string
	Signed   string
}

// BotCampaign is one [[bot.campaigns]]: a public reminder posted on a schedule.
type BotCampaign struct {
	Name     string
	Schedule string          // cron spec, checked
	Networks []model.Network // empty: every configured account
	Language string
	Text     string
	Image    string // a readable image file, resolved against the config's directory
	ImageAlt string
}

// BotSignatureCount is where the petition page shows its signature count.
type BotSignatureCount struct {
	URL                 string
	Selector            string // CSS selector of the element holding the number
	Schedule            string // default "@every 15m"
	AllowPrivateNetwork bool
}

// DefaultSignatureCountSchedule is how often the petition page is read.
const DefaultSignatureCountSchedule = "@every 15m"

// euLanguages are the 24 official languages of the EU (ISO 639-1): the
// languages reminder texts and campaigns may be written in.
var euLanguages = []string{"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
	"hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"}

// Placeholders each kind of text may use; anything else in braces is a typo
// that would be posted as is.
var (
	campaignPlaceholders  = []string{"{count}", "{days}", "{url}"}
	reminderPlaceholders  = []string{"{cadence}", "{count}", "{handle}", "{max}", "{url}"}
	highlightPlaceholders = []string{"{author}", "{url}"}
	placeholder           = regexp.MustCompile(`\{[^{}\s]*\}`)
	clockPattern          = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)
)

func (l *loader) bot(root *table) *Bot {
	if !root.has("bot") {
		return nil
	}
	t := root.sub("bot")
	b := &Bot{DryRun: true}
	if t.has("dry_run") {
		b.DryRun = t.boolean("dry_run")
	}
	if t.has("time_zone") {
		b.TimeZone = t.str("time_zone")
		if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "" || b.TimeZone == "Local" {
			t.fail("time_zone", "%q is not a time zone (want an IANA name such as \"Europe/Brussels\")", b.TimeZone)
		}
	}
	if t.has("quiet_hours") {
		q := t.sub("quiet_hours")
		b.QuietStart = botClock(q, "start", true)
		b.QuietEnd = botClock(q, "end", true)
		q.reportUnknown()
	}
	b.MaxAttempts = botCount(t, "max_attempts", 1, 100)
	b.RetryBase = botDuration(t, "retry_base", time.Second)
	b.RetryMax = botDuration(t, "retry_max", time.Second)
	b.SendTimeout = botDuration(t, "send_timeout", time.Second)
	b.BatchSize = botCount(t, "batch_size", 1, 1000)
	b.StaleAfter = botDuration(t, "stale_after", time.Minute)
	if b.RetryBase > 0 && b.RetryMax > 0 && b.RetryMax < b.RetryBase {
		t.fail("retry_max", "%s is shorter than retry_base (%s)", b.RetryMax, b.RetryBase)
	}
	b.HighlightPost = t.str("highlight_post")
	checkPlaceholders(t, "highlight_post", b.HighlightPost, highlightPlaceholders)

	if t.has("mastodon") {
		b.Mastodon = l.botMastodon(t.sub("mastodon"))
	}
	if t.has("bluesky") {
		b.Bluesky = l.botBluesky(t.sub("bluesky"))
	}
	if t.has("x") {
		b.X = l.botX(t.sub("x"))
	}
	b.Reminders = l.botReminders(t.sub("reminders"))
	names := map[string]string{}
	for _, ct := range t.tables("campaigns") {
		c := l.botCampaign(ct, b)
		if c.Name != "" {
			if first, dup := names[c.Name]; dup {
				ct.fail("name", "%q is already the name of %s: campaign names must be unique (they key the posts, so a post is never planned twice)", c.Name, first)
			} else {
				names[c.Name] = ct.path
			}
		}
		b.Campaigns = append(b.Campaigns, c)
	}
	b.SignatureCount = botSignatureCount(t)
	t.reportUnknown()
	return b
}

func (l *loader) botMastodon(t *table) *BotMastodon {
	m := &BotMastodon{
		Server:              t.str("server"),
		Visibility:          t.str("visibility"),
		AllowPrivateNetwork: t.boolean("allow_private_network"),
	}
	refuseInline(t, map[string]string{"token": "token", "access_token": "token"})
	m.Token = l.botSecret(t, "token", true, "CAMPAIGNWALL_BOT_MASTODON_TOKEN")
	switch {
	case t.blank("server"):
		t.has("server")
		t.fail("server", `is required: the bot account's instance, e.g. server = "https://mastodon.social"`)
	default:
		if msg := checkURL(m.Server, "https://mastodon.social"); msg != "" {
			t.fail("server", "%s", msg)
		}
	}
	m.Server = strings.TrimRight(m.Server, "/")
	switch m.Visibility {
	case "", "public", "unlisted":
	default:
		t.fail("visibility", "%q: want public or unlisted", m.Visibility)
	}
	m.Caps = botCaps(t)
	t.reportUnknown()
	return m
}

func (l *loader) botBluesky(t *table) *BotBluesky {
	b := &BotBluesky{
		PDS:                 strings.TrimRight(t.str("pds"), "/"),
		Handle:              strings.TrimPrefix(t.str("handle"), "@"),
		AllowPrivateNetwork: t.boolean("allow_private_network"),
	}
	refuseInline(t, map[string]string{"app_password": "app_password", "password": "app_password"})
	b.AppPassword = l.botSecret(t, "app_password", true, "CAMPAIGNWALL_BOT_BLUESKY_APP_PASSWORD")
	if b.PDS != "" {
		if msg := checkURL(b.PDS, "https://bsky.social"); msg != "" {
			t.fail("pds", "%s", msg)
		}
	}
	if b.Handle == "" {
		t.has("handle")
		t.fail("handle", `is required: the bot account's handle, e.g. handle = "cohesionalliance.bsky.social"`)
	}
	b.Caps = botCaps(t)
	t.reportUnknown()
	return b
}

func (l *loader) botX(t *table) *BotX {
	x := &BotX{
		APIBase:             strings.TrimRight(t.str("api_base"), "/"),
		UserID:              t.str("user_id"),
		AllowPrivateNetwork: t.boolean("allow_private_network"),
	}
	refuseInline(t, map[string]string{"consumer_key": "consumer_key", "consumer_secret": "consumer_secret",
		"access_token": "access_token", "access_secret": "access_secret"})
	x.ConsumerKey = l.botSecret(t, "consumer_key", true, "CAMPAIGNWALL_BOT_X_CONSUMER_KEY")
	x.ConsumerSecret = l.botSecret(t, "consumer_secret", true, "CAMPAIGNWALL_BOT_X_CONSUMER_SECRET")
	x.AccessToken = l.botSecret(t, "access_token", true, "CAMPAIGNWALL_BOT_X_ACCESS_TOKEN")
	x.AccessSecret = l.botSecret(t, "access_secret", true, "CAMPAIGNWALL_BOT_X_ACCESS_SECRET")
	if x.APIBase != "" {
		if msg := checkURL(x.APIBase, "https://api.x.com"); msg != "" {
			t.fail("api_base", "%s", msg)
		}
	}
	if x.UserID == "" {
		t.has("user_id")
		t.fail("user_id", `is required: the bot account's numeric user ID, e.g. user_id = "1234567890"`)
	} else if strings.Trim(x.UserID, "0123456789") != "" {
		t.fail("user_id", "%q is not a numeric X user ID", x.UserID)
	}
	// X bills every post: without a budget and the prices it is checked
	// against, the bot could spend without bound.
	for _, k := range []struct {
		key string
		v   *float64
	}{{"monthly_budget", &x.MonthlyBudget}, {"cost_per_post", &x.CostPerPost},
		{"cost_per_link_post", &x.CostPerLinkPost}, {"cost_per_repost", &x.CostPerRepost}} {
		if !t.has(k.key) {
			t.fail(k.key, "is required with an X account: X charges per post, and the bot checks a monthly budget before every send (0 sends nothing)")
			continue
		}
		*k.v = botMoney(t, k.key)
	}
	x.Caps = botCaps(t)
	t.reportUnknown()
	return x
}

func (l *loader) botReminders(t *table) BotReminders {
	r := BotReminders{
		CadenceDays:  botCount(t, "cadence_days", 1, 365),
		MaxReminders: botCount(t, "max_reminders", 1, 100),
		WakingStart:  botClock(t, "waking_start", false),
		WakingEnd:    botClock(t, "waking_end", false),
		SigningURL:   t.str("signing_url"),
	}
	if r.SigningURL != "" {
		if msg := checkURL(r.SigningURL, "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"); msg != "" {
			t.fail("signing_url", "%s", msg)
		}
	}
	if t.has("deadline") {
		switch v := t.m["deadline"].(type) {
		case time.Time:
			r.Deadline = time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
		case string:
			d, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
			if err != nil {
				t.fail("deadline", "%q is not a date (want e.g. deadline = 2027-06-30)", v)
			}
			r.Deadline = d
		default:
			t.fail("deadline", "want a date such as 2027-06-30, got %s", typeName(v))
		}
	}
	if t.has("texts") {
		tt := t.sub("texts")
		r.Texts = map[string]BotTexts{}
		for _, lang := range slices.Sorted(maps.Keys(tt.m)) {
			if !slices.Contains(euLanguages, lang) {
				tt.has(lang)
				tt.fail(lang, "%q is not one of the EU's languages (want a two-letter code: %s)", lang, strings.Join(euLanguages, ", "))
				continue
			}
			lt := tt.sub(lang)
			texts := BotTexts{Confirm: lt.str("confirm"), Reminder: lt.str("reminder"), Stopped: lt.str("stopped"), Signed: lt.str("signed")}
			for k, v := range map[string]string{"confirm": texts.Confirm, "reminder": texts.Reminder, "stopped": texts.Stopped, "signed": texts.Signed} {
				checkPlaceholders(lt, k, v, reminderPlaceholders)
			}
			lt.reportUnknown()
			r.Texts[lang] = texts
		}
		tt.reportUnknown()
	}
	t.reportUnknown()
	return r
}

func (l *loader) botCampaign(t *table, b *Bot) BotCampaign {
	c := BotCampaign{
		Name:     t.str("name"),
		Schedule: t.str("schedule"),
		Language: t.str("language"),
		Text:     t.str("text"),
		Image:    t.str("image"),
		ImageAlt: t.str("image_alt"),
	}
	if c.Name == "" {
		t.has("name")
		t.fail("name", `is required: a unique name for this campaign, e.g. name = "weekly-reminder"`)
	} else if strings.ContainsFunc(c.Name, func(r rune) bool { return r == ':' || r < ' ' }) {
		t.fail("name", "must not contain ':' or control characters (it is part of the posts' keys)")
	}
	switch {
	case c.Schedule == "":
		t.has("schedule")
		t.fail("schedule", `is required: when to post, e.g. schedule = "0 10 * * 2" (Tuesdays at 10:00)`)
	default:
		if _, err := scheduleParser.Parse(c.Schedule); err != nil {
			t.fail("schedule", `%q is not a cron schedule (want e.g. "0 10 * * 2" or "@weekly"; %v)`, c.Schedule, err)
		}
	}
	if c.Text == "" {
		t.has("text")
		t.fail("text", `is required: what to post, e.g. text = "{count} regions and cities have signed. Sign the Joint Call: {url}"`)
	}
	checkPlaceholders(t, "text", c.Text, campaignPlaceholders)
	if c.Language != "" && !slices.Contains(euLanguages, c.Language) {
		t.fail("language", "%q is not one of the EU's languages (want a two-letter code such as \"en\")", c.Language)
	}
	for i, n := range t.list("networks") {
		key := fmt.Sprintf("%s[%d]", t.key("networks"), i)
		net := model.Network(n)
		switch {
		case net != model.NetworkMastodon && net != model.NetworkBluesky && net != model.NetworkX:
			l.p.add(key, "%q is not a network the bot posts on (want mastodon, bluesky or x)", n)
		case net == model.NetworkMastodon && b.Mastodon == nil,
			net == model.NetworkBluesky && b.Bluesky == nil,
			net == model.NetworkX && b.X == nil:
			l.p.add(key, "there is no [bot.%s] account to post with", n)
		default:
			c.Networks = append(c.Networks, net)
		}
	}
	if c.Image != "" {
		c.Image = l.resolve(c.Image)
		if f, err := os.Open(c.Image); err != nil {
			t.fail("image", "cannot read %s: %v", c.Image, cause(err))
		} else {
			f.Close()
		}
		if c.ImageAlt == "" {
			t.has("image_alt")
			t.fail("image_alt", "is required with image: every image the bot posts gets a description for people who cannot see it")
		}
	} else if c.ImageAlt != "" {
		t.fail("image_alt", "only means something with image")
	}
	t.reportUnknown()
	return c
}

func botSignatureCount(t *table) BotSignatureCount {
	s := BotSignatureCount{
		URL:                 t.str("signature_count_url"),
		Selector:            t.str("signature_count_selector"),
		Schedule:            t.str("signature_count_schedule"),
		AllowPrivateNetwork: t.boolean("signature_count_allow_private_network"),
	}
	if s.URL == "" {
		for _, k := range []string{"signature_count_selector", "signature_count_schedule", "signature_count_allow_private_network"} {
			if _, set := t.m[k]; set {
				t.fail(k, "only means something with signature_count_url")
			}
		}
		return s
	}
	if msg := checkURL(s.URL, "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"); msg != "" {
		t.fail("signature_count_url", "%s", msg)
	}
	if s.Selector == "" {
		t.fail("signature_count_selector", `is required with signature_count_url: a CSS selector for the element holding the number, e.g. ".signature-count"`)
	}
	if s.Schedule == "" {
		s.Schedule = DefaultSignatureCountSchedule
	} else if _, err := scheduleParser.Parse(s.Schedule); err != nil {
		t.fail("signature_count_schedule", `%q is not a cron schedule (want e.g. "@every 15m"; %v)`, s.Schedule, err)
	}
	return s
}

// refuseInline reports secrets written into the file itself: inline maps
// each key people try to the key whose _env and _file variants hold it. The
// value is neither printed nor quoted.
func refuseInline(t *table, inline map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(inline)) {
		if t.has(k) {
			base := inline[k]
			t.fail(k, "secrets never go in the config file: name an environment variable with %s_env or a file with %s_file", base, base)
		}
	}
}

// botSecret reads <base>_env or <base>_file, like a source's token. required
// reports when neither is set.
func (l *loader) botSecret(t *table, base string, required bool, exampleEnv string) string {
	envKey, fileKey := base+"_env", base+"_file"
	setEnv, setFile := t.has(envKey), t.has(fileKey)
	switch {
	case setEnv && setFile:
		t.fail(fileKey, "set %s or %s, not both", envKey, fileKey)
	case setEnv:
		env := t.str(envKey)
		if !envName.MatchString(env) {
			// Not echoed: a secret pasted here by mistake must not reach a log.
			t.fail(envKey, "want the name of an environment variable, e.g. %s (the secret itself goes in that variable, not in this file)", exampleEnv)
			return ""
		}
		v, ok := l.lookupEnv(env)
		v = strings.TrimSpace(v)
		switch {
		case !ok:
			t.fail(envKey, "environment variable %s is not set", env)
		case v == "":
			t.fail(envKey, "environment variable %s is empty", env)
		}
		return v
	case setFile:
		file := t.str(fileKey)
		if file == "" {
			t.fail(fileKey, "want the path of a file holding the secret")
			return ""
		}
		path := l.resolve(file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.fail(fileKey, "cannot read %s: %v", path, cause(err))
			return ""
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			t.fail(fileKey, "%s is empty", path)
		}
		return v
	case required:
		t.fail(envKey, "is required (or %s): the environment variable holding the secret, e.g. %s = %q", fileKey, envKey, exampleEnv)
	}
	return ""
}

// caps reads [bot.<network>.caps].
func botCaps(parent *table) BotCaps {
	var c BotCaps
	if !parent.has("caps") {
		return c
	}
	t := parent.sub("caps")
	for _, k := range []struct {
		key string
		v   **int
	}{{"per_hour", &c.PerHour}, {"per_day", &c.PerDay}, {"per_author_per_day", &c.PerAuthorPerDay}} {
		if t.has(k.key) {
			n := botCount(t, k.key, 0, 10000)
			*k.v = &n
		}
	}
	if t.has("min_spacing") {
		d := botDuration(t, "min_spacing", 0)
		c.MinSpacing = &d
	}
	t.reportUnknown()
	return c
}

// count reads a whole number in [lo, hi]; 0 when the key is missing or wrong.
func botCount(t *table, k string, lo, hi int64) int {
	if !t.has(k) {
		return 0
	}
	n, ok := t.m[k].(int64)
	if !ok {
		t.fail(k, "want a whole number, got %s", typeName(t.m[k]))
		return 0
	}
	if n < lo || n > hi {
		t.fail(k, "%d is out of range (want %d to %d)", n, lo, hi)
		return 0
	}
	return int(n)
}

// duration reads a duration of at least least, written as a string ("30s").
func botDuration(t *table, k string, least time.Duration) time.Duration {
	v := t.str(k)
	if v == "" {
		if t.has(k) {
			if _, isString := t.m[k].(string); isString {
				t.fail(k, `want a duration such as "30s", "10m" or "1h"`)
			}
		}
		return 0
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		t.fail(k, "%q is not a duration (want e.g. \"30s\", \"10m\" or \"1h\")", v)
		return 0
	case d < least:
		t.fail(k, "%s is too short (want at least %s)", d, least)
		return 0
	}
	return d
}

// money reads a non-negative amount, whole or with a fraction.
func botMoney(t *table, k string) float64 {
	var f float64
	switch v := t.m[k].(type) {
	case int64:
		f = float64(v)
	case float64:
		f = v
	default:
		t.fail(k, "want an amount such as 0.01, got %s", typeName(v))
		return 0
	}
	if f < 0 {
		t.fail(k, "must not be negative")
		return 0
	}
	return f
}

// clock reads a time of day, "HH:MM".
func botClock(t *table, k string, required bool) string {
	if !t.has(k) {
		if required {
			t.fail(k, `is required: a time of day such as "22:00"`)
		}
		return ""
	}
	v := t.str(k)
	if !clockPattern.MatchString(v) {
		t.fail(k, "%q is not a time of day (want HH:MM, e.g. \"07:00\")", v)
		return ""
	}
	return v
}

// checkPlaceholders reports {placeholders} a text may not use: they would
// be posted literally.
func checkPlaceholders(t *table, k, text string, allowed []string) {
	for _, p := range placeholder.FindAllString(text, -1) {
		if !slices.Contains(allowed, p) {
			t.fail(k, "unknown placeholder %s (this text may use %s)", p, strings.Join(allowed, ", "))
			return
		}
	}
}

// String says whether the account's token is set, never what it is, so a
// printed or logged config carries no secret.
func (m BotMastodon) String() string {
	return fmt.Sprintf("mastodon %s (%s)", m.Server, setOrNot(m.Token != ""))
}

// String describes the account without its app password.
func (b BotBluesky) String() string {
	pds := b.PDS
	if pds == "" {
		pds = "the default PDS"
	}
	return fmt.Sprintf("bluesky %s at %s (%s)", b.Handle, pds, setOrNot(b.AppPassword != ""))
}

// String describes the account and budget without its credentials.
func (x BotX) String() string {
	all := x.ConsumerKey != "" && x.ConsumerSecret != "" && x.AccessToken != "" && x.AccessSecret != ""
	return fmt.Sprintf("x user %s (%s), budget %.2f a month", x.UserID, setOrNot(all), x.MonthlyBudget)
}

// LogValue keeps a logged [bot] section free of secrets: slog would
// otherwise print every field of every account.
func (b Bot) LogValue() slog.Value {
	var accounts, campaigns []string
	if b.Mastodon != nil {
		accounts = append(accounts, b.Mastodon.String())
	}
	if b.Bluesky != nil {
		accounts = append(accounts, b.Bluesky.String())
	}
	if b.X != nil {
		accounts = append(accounts, b.X.String())
	}
	for _, c := range b.Campaigns {
		campaigns = append(campaigns, c.Name)
	}
	return slog.GroupValue(
		slog.Bool("dry_run", b.DryRun),
		slog.Any("accounts", accounts),
		slog.Any("campaigns", campaigns),
	)
}

// LogValue logs the account as String describes it.
func (m BotMastodon) LogValue() slog.Value { return slog.StringValue(m.String()) }

// LogValue logs the account as String describes it.
func (b BotBluesky) LogValue() slog.Value { return slog.StringValue(b.String()) }

// LogValue logs the account as String describes it.
func (x BotX) LogValue() slog.Value { return slog.StringValue(x.String()) }

func setOrNot(set bool) string {
	if set {
		return "credentials set"
	}
	return "no credentials"
}
