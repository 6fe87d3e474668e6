package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // time zones load wherever the tests run, as in main

	"github.com/cohesionalliance/campaignwall/model"
)

func TestNoBotSection(t *testing.T) {
	cfg, err := Parse("campaignwall.toml", []byte(campaign), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bot != nil {
		t.Errorf("Bot = %+v, want nil without a [bot] section", cfg.Bot)
	}
}

func TestBotDefaults(t *testing.T) {
	tests := []struct {
		name   string
		toml   string
		dryRun bool
	}{
		{"empty [bot] is a dry run", "[bot]\n", true},
		{"an account without dry_run is a dry run", "[bot.mastodon]\nserver = \"https://mastodon.social\"\ntoken_env = \"BOT_TOKEN\"\n", true},
		{"dry_run = true", "[bot]\ndry_run = true\n", true},
		{"dry_run = false", "[bot]\ndry_run = false\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("campaignwall.toml", []byte(campaign+tt.toml), env(map[string]string{"BOT_TOKEN": secret}))
			if err != nil {
				t.Fatal(err)
			}
			b := cfg.Bot
			if b == nil {
				t.Fatal("Bot = nil, want the [bot] section")
			}
			if b.DryRun != tt.dryRun {
				t.Errorf("DryRun = %v, want %v", b.DryRun, tt.dryRun)
			}
			// Everything else is left for the bot's own defaults.
			if b.TimeZone != "" || b.QuietStart != "" || b.MaxAttempts != 0 || b.RetryBase != 0 || b.BatchSize != 0 ||
				b.Reminders.CadenceDays != 0 || b.SignatureCount.URL != "" || len(b.Campaigns) != 0 {
				t.Errorf("Bot = %+v, want zero values for what the file leaves out", *b)
			}
			if b.Mastodon != nil {
				if b.Mastodon.Token != secret || b.Mastodon.Caps.PerHour != nil || b.Mastodon.Caps.MinSpacing != nil {
					t.Errorf("Mastodon = token %q, caps %+v; want the token from BOT_TOKEN and nil caps", b.Mastodon.Token, b.Mastodon.Caps)
				}
			}
		})
	}
}

// uncommentBot turns the example file's commented [bot] section into live
// TOML: every "# key = value" and "# [table]" line after the bot's banner.
func uncommentBot(t *testing.T, example string) string {
	t.Helper()
	i := strings.Index(example, "# The amplification bot")
	if i < 0 {
		t.Fatal("the example file has no bot section")
	}
	live := regexp.MustCompile(`(?m)^# ((?:\[\[?[a-z._]+\]\]?)|(?:[a-z_]+ = .*))$`)
	return example[:i] + live.ReplaceAllString(example[i:], "$1")
}

func TestExampleBotSection(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "campaignwall.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "campaign"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "campaign", "joint-call.png"), []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"MASTODON_SOCIAL_TOKEN": "t"}
	for _, k := range []string{"MASTODON_TOKEN", "BLUESKY_APP_PASSWORD", "X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_SECRET"} {
		vars["CAMPAIGNWALL_BOT_"+k] = secret + "-" + k
	}
	text := uncommentBot(t, string(data))
	cfg, err := Parse(filepath.Join(dir, "campaignwall.toml"), []byte(text), env(vars))
	if err != nil {
		t.Fatalf("the example's bot section, uncommented, does not parse: %v", err)
	}
	b := cfg.Bot
	if b == nil || b.Mastodon == nil || b.Bluesky == nil || b.X == nil {
		t.Fatalf("Bot = %+v, want every account of the example", b)
	}
	deadline := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	checks := []struct {
		what      string
		got, want any
	}{
		{"dry run", b.DryRun, true},
		{"time zone", b.TimeZone, "Europe/Brussels"},
		{"quiet hours", b.QuietStart + "-" + b.QuietEnd, "22:00-07:00"},
		{"retry", fmt.Sprint(b.RetryBase, b.RetryMax), "30s 1h0m0s"},
		{"mastodon", b.Mastodon.Server + " " + b.Mastodon.Token, "https://social.network.europa.eu " + secret + "-MASTODON_TOKEN"},
		{"mastodon caps", fmt.Sprint(*b.Mastodon.Caps.PerHour, *b.Mastodon.Caps.PerDay, *b.Mastodon.Caps.MinSpacing, *b.Mastodon.Caps.PerAuthorPerDay), "4 20 10m0s 2"},
		{"bluesky", b.Bluesky.Handle + " " + b.Bluesky.AppPassword, "cohesionalliance.bsky.social " + secret + "-BLUESKY_APP_PASSWORD"},
		{"x secrets", b.X.ConsumerKey + b.X.ConsumerSecret + b.X.AccessToken + b.X.AccessSecret,
			secret + "-X_CONSUMER_KEY" + secret + "-X_CONSUMER_SECRET" + secret + "-X_ACCESS_TOKEN" + secret + "-X_ACCESS_SECRET"},
		{"x budget", fmt.Sprint(b.X.MonthlyBudget, b.X.CostPerPost, b.X.CostPerLinkPost, b.X.CostPerRepost), "20 0.01 0.2 0.01"},
		{"signature count", b.SignatureCount.Selector + " " + b.SignatureCount.Schedule, ".signature-count @every 15m"},
		{"deadline", b.Reminders.Deadline, deadline},
		{"reminder languages", len(b.Reminders.Texts), 3},
		{"campaigns", len(b.Campaigns), 3},
		{"campaign networks", b.Campaigns[0].Networks, []model.Network{model.NetworkMastodon, model.NetworkBluesky}},
		{"campaign image", b.Campaigns[0].Image, filepath.Join(dir, "campaign", "joint-call.png")},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if !strings.Contains(b.Reminders.Texts["fr"].Reminder, "{count}") || !strings.Contains(b.Campaigns[1].Text, "{days}") {
		t.Errorf("texts lost their placeholders: %q, %q", b.Reminders.Texts["fr"].Reminder, b.Campaigns[1].Text)
	}
	// The secrets never show when the config is printed or logged.
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", slog.Any("config", cfg), slog.Any("bot", b))
	for name, out := range map[string]string{"%+v": fmt.Sprintf("%+v", *b), "slog": logged.String(), "String": cfg.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("%s output holds a secret:\n%s", name, out)
		}
	}
}

func TestBotErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Lines 1-2 are the campaign; [bot.mastodon] is line 3.
	mastodon := campaign + "[bot.mastodon]\nserver = \"https://mastodon.social\"\ntoken_env = \"T\"\n"
	vars := map[string]string{"T": secret}
	tests := []struct {
		name string
		toml string
		want []string
		not  []string
	}{
		{
			name: "inline mastodon token",
			toml: campaign + "[bot.mastodon]\nserver = \"https://mastodon.social\"\ntoken = \"" + secret + "\"\n",
			want: []string{"campaignwall.toml:5: bot.mastodon.token: secrets never go in the config file: name an environment variable with token_env or a file with token_file"},
			not:  []string{secret},
		},
		{
			name: "inline mastodon access_token",
			toml: mastodon + "access_token = \"" + secret + "\"\n",
			want: []string{"campaignwall.toml:6: bot.mastodon.access_token: secrets never go in the config file", "token_env"},
			not:  []string{secret},
		},
		{
			name: "inline bluesky app password",
			toml: campaign + "[bot.bluesky]\nhandle = \"cohesion.bsky.social\"\napp_password = \"" + secret + "\"\napp_password_env = \"T\"\n",
			want: []string{"campaignwall.toml:5: bot.bluesky.app_password: secrets never go in the config file", "app_password_env"},
			not:  []string{secret},
		},
		{
			name: "inline x consumer secret",
			toml: campaign + "[bot.x]\nuser_id = \"1\"\nconsumer_key_env = \"T\"\nconsumer_secret = \"" + secret + "\"\n",
			want: []string{"campaignwall.toml:6: bot.x.consumer_secret: secrets never go in the config file: name an environment variable with consumer_secret_env"},
			not:  []string{secret},
		},
		{
			name: "secret pasted into token_env",
			toml: campaign + "[bot.mastodon]\nserver = \"https://mastodon.social\"\ntoken_env = \"" + secret + "\"\n",
			want: []string{"campaignwall.toml:5: bot.mastodon.token_env: want the name of an environment variable"},
			not:  []string{secret},
		},
		{
			name: "mastodon without a token",
			toml: campaign + "[bot.mastodon]\nserver = \"https://mastodon.social\"\n",
			want: []string{"campaignwall.toml:3: bot.mastodon.token_env: is required (or token_file)"},
		},
		{
			name: "token env and file both",
			toml: mastodon + "token_file = \"token\"\n",
			want: []string{"campaignwall.toml:6: bot.mastodon.token_file: set token_env or token_file, not both"},
			not:  []string{secret},
		},
		{
			name: "mastodon without server",
			toml: campaign + "[bot.mastodon]\ntoken_file = \"token\"\n",
			want: []string{"campaignwall.toml:3: bot.mastodon.server: is required"},
		},
		{
			name: "bad visibility",
			toml: mastodon + "visibility = \"direct\"\n",
			want: []string{`campaignwall.toml:6: bot.mastodon.visibility: "direct": want public or unlisted`},
		},
		{
			name: "unknown time zone",
			toml: campaign + "[bot]\ntime_zone = \"Europe/Atlantis\"\n",
			want: []string{`campaignwall.toml:4: bot.time_zone: "Europe/Atlantis" is not a time zone`},
		},
		{
			name: "quiet hours not a time",
			toml: campaign + "[bot.quiet_hours]\nstart = \"10pm\"\nend = \"07:00\"\n",
			want: []string{`campaignwall.toml:4: bot.quiet_hours.start: "10pm" is not a time of day`},
		},
		{
			name: "quiet hours without end",
			toml: campaign + "[bot]\nquiet_hours = { start = \"22:00\" }\n",
			want: []string{`campaignwall.toml:4: bot.quiet_hours.end: is required`},
		},
		{
			name: "retry_max shorter than retry_base",
			toml: campaign + "[bot]\nretry_base = \"10m\"\nretry_max = \"1m\"\n",
			want: []string{"campaignwall.toml:5: bot.retry_max: 1m0s is shorter than retry_base (10m0s)"},
		},
		{
			name: "duration not a duration",
			toml: campaign + "[bot]\nsend_timeout = \"soon\"\n",
			want: []string{`campaignwall.toml:4: bot.send_timeout: "soon" is not a duration`},
		},
		{
			name: "caps out of range and of the wrong type",
			toml: mastodon + "[bot.mastodon.caps]\nper_hour = -1\nmin_spacing = 10\n",
			want: []string{"campaignwall.toml:7: bot.mastodon.caps.per_hour: -1 is out of range", "campaignwall.toml:8: bot.mastodon.caps.min_spacing: want a string, got an integer"},
		},
		{
			name: "x without a budget",
			toml: campaign + "[bot.x]\nuser_id = \"1\"\nconsumer_key_env = \"T\"\nconsumer_secret_env = \"T\"\naccess_token_env = \"T\"\naccess_secret_env = \"T\"\ncost_per_post = 0.01\n",
			want: []string{"campaignwall.toml:3: bot.x.monthly_budget: is required with an X account", "bot.x.cost_per_repost: is required"},
			not:  []string{secret, "bot.x.cost_per_post:"},
		},
		{
			name: "x negative cost",
			toml: campaign + "[bot.x]\nuser_id = \"1\"\nconsumer_key_env = \"T\"\nconsumer_secret_env = \"T\"\naccess_token_env = \"T\"\naccess_secret_env = \"T\"\nmonthly_budget = 10\ncost_per_post = -1\ncost_per_link_post = 0.2\ncost_per_repost = 0\n",
			want: []string{"campaignwall.toml:10: bot.x.cost_per_post: must not be negative"},
		},
		{
			name: "x user id not numeric",
			toml: campaign + "[bot.x]\nuser_id = \"@cohesion\"\nconsumer_key_env = \"T\"\nconsumer_secret_env = \"T\"\naccess_token_env = \"T\"\naccess_secret_env = \"T\"\nmonthly_budget = 10\ncost_per_post = 0\ncost_per_link_post = 0\ncost_per_repost = 0\n",
			want: []string{`campaignwall.toml:4: bot.x.user_id: "@cohesion" is not a numeric X user ID`},
		},
		{
			name: "unknown placeholder in a campaign",
			toml: mastodon + "[[bot.campaigns]]\nname = \"weekly\"\nschedule = \"@weekly\"\ntext = \"{cout} signed: {url}\"\n",
			want: []string{"campaignwall.toml:9: bot.campaigns[0].text: unknown placeholder {cout} (this text may use {count}, {days}, {url})"},
		},
		{
			name: "campaign with a bad schedule in the second campaign",
			toml: mastodon + "[[bot.campaigns]]\nname = \"a\"\nschedule = \"@weekly\"\ntext = \"Sign: {url}\"\n[[bot.campaigns]]\nname = \"b\"\nschedule = \"tuesdays\"\ntext = \"Sign\"\n",
			want: []string{`campaignwall.toml:12: bot.campaigns[1].schedule: "tuesdays" is not a cron schedule`},
		},
		{
			name: "duplicate campaign names",
			toml: mastodon + "[[bot.campaigns]]\nname = \"a\"\nschedule = \"@weekly\"\ntext = \"Sign\"\n[[bot.campaigns]]\nname = \"a\"\nschedule = \"@daily\"\ntext = \"Sign\"\n",
			want: []string{`campaignwall.toml:11: bot.campaigns[1].name: "a" is already the name of bot.campaigns[0]`},
		},
		{
			name: "campaign on a network without an account",
			toml: mastodon + "[[bot.campaigns]]\nname = \"a\"\nschedule = \"@weekly\"\ntext = \"Sign\"\nnetworks = [\"mastodon\", \"x\", \"myspace\"]\n",
			want: []string{"campaignwall.toml:10: bot.campaigns[0].networks[1]: there is no [bot.x] account to post with",
				`bot.campaigns[0].networks[2]: "myspace" is not a network the bot posts on`},
		},
		{
			name: "campaign image without alt text",
			toml: mastodon + "[[bot.campaigns]]\nname = \"a\"\nschedule = \"@weekly\"\ntext = \"Sign\"\nimage = \"token\"\n",
			want: []string{"campaignwall.toml:6: bot.campaigns[0].image_alt: is required with image"},
		},
		{
			name: "campaign image missing",
			toml: mastodon + "[[bot.campaigns]]\nname = \"a\"\nschedule = \"@weekly\"\ntext = \"Sign\"\nimage = \"nope.png\"\nimage_alt = \"x\"\n",
			want: []string{"campaignwall.toml:10: bot.campaigns[0].image: cannot read " + filepath.Join(dir, "nope.png")},
		},
		{
			name: "campaign without text",
			toml: mastodon + "[[bot.campaigns]]\nname = \"a\"\nschedule = \"@weekly\"\n",
			want: []string{"campaignwall.toml:6: bot.campaigns[0].text: is required"},
		},
		{
			name: "reminder texts in an unknown language",
			toml: campaign + "[bot.reminders.texts.xx]\nreminder = \"Sign\"\n",
			want: []string{`campaignwall.toml:3: bot.reminders.texts.xx: "xx" is not one of the EU's languages`},
		},
		{
			name: "reminder text with a campaign placeholder",
			toml: campaign + "[bot.reminders.texts.de]\nreminder = \"Noch {days} Tage\"\n",
			want: []string{"campaignwall.toml:4: bot.reminders.texts.de.reminder: unknown placeholder {days}"},
		},
		{
			name: "bad deadline",
			toml: campaign + "[bot.reminders]\ndeadline = \"end of June\"\n",
			want: []string{`campaignwall.toml:4: bot.reminders.deadline: "end of June" is not a date`},
		},
		{
			name: "signature selector without a URL",
			toml: campaign + "[bot]\nsignature_count_selector = \".count\"\n",
			want: []string{"campaignwall.toml:4: bot.signature_count_selector: only means something with signature_count_url"},
		},
		{
			name: "signature URL without a selector",
			toml: campaign + "[bot]\nsignature_count_url = \"https://example.org/petition\"\n",
			want: []string{"campaignwall.toml:3: bot.signature_count_selector: is required with signature_count_url"},
		},
		{
			name: "unknown bot key",
			toml: campaign + "[bot]\ndryrun = false\n",
			want: []string{"campaignwall.toml:4: bot.dryrun: unknown key (known keys here:", "dry_run"},
		},
		{
			name: "dry_run as a string",
			toml: campaign + "[bot]\ndry_run = \"no\"\n",
			want: []string{"campaignwall.toml:4: bot.dry_run: want true or false, got a string"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "campaignwall.toml"), []byte(tt.toml), env(vars))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.want)
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Join(dir, "campaignwall.toml"), "campaignwall.toml")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error:\n%s\nwant it to contain:\n%s", msg, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(msg, n) {
					t.Errorf("error:\n%s\nmust not contain %q", msg, n)
				}
			}
		})
	}
}

func TestBotValues(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app-password"), []byte(" "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := campaign + `[bot]
dry_run = false
quiet_hours = { start = "00:00", end = "00:00" }
stale_after = "2h"
highlight_post = "Seen on the wall: {url} by {author}"
signature_count_url = "http://127.0.0.1:9/petition"
signature_count_selector = "#count"
signature_count_allow_private_network = true

[bot.bluesky]
handle = "@cohesion.bsky.social"
app_password_file = "app-password"
allow_private_network = true

[bot.bluesky.caps]
per_hour = 0
min_spacing = "0s"

[bot.reminders]
deadline = "2027-06-30"
signing_url = "https://example.org/sign"

[[bot.campaigns]]
name = "daily"
schedule = "CRON_TZ=Europe/Rome 0 9 * * *"
text = "{count} signed. {days} days left: {url}"
`
	cfg, err := Parse(filepath.Join(dir, "campaignwall.toml"), []byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Bot
	checks := []struct {
		what      string
		got, want any
	}{
		{"dry run off", b.DryRun, false},
		{"no quiet hours", b.QuietStart + "-" + b.QuietEnd, "00:00-00:00"},
		{"stale after", b.StaleAfter, 2 * time.Hour},
		{"handle without @", b.Bluesky.Handle, "cohesion.bsky.social"},
		{"app password from file, trimmed", b.Bluesky.AppPassword == secret, true},
		{"pds left to the bot", b.Bluesky.PDS, ""},
		{"private network", b.Bluesky.AllowPrivateNetwork, true},
		{"cap 0 kept (no limit), not nil", b.Bluesky.Caps.PerHour != nil && *b.Bluesky.Caps.PerHour == 0, true},
		{"unset cap nil", b.Bluesky.Caps.PerDay == nil, true},
		{"deadline as a string", b.Reminders.Deadline, time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)},
		{"campaign networks default", len(b.Campaigns[0].Networks), 0},
		{"signature schedule default", b.SignatureCount.Schedule, DefaultSignatureCountSchedule},
		{"signature private network", b.SignatureCount.AllowPrivateNetwork, true},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if s := fmt.Sprint(b.Bluesky); strings.Contains(s, secret) || !strings.Contains(s, "credentials set") {
		t.Errorf("Bluesky prints as %q: want it to say the password is set, without it", s)
	}
	if !slices.Contains(euLanguages, "ga") || len(euLanguages) != 24 {
		t.Errorf("euLanguages = %v, want the 24 official languages", euLanguages)
	}
}
