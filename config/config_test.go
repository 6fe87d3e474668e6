package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cohesionalliance/campaignwall/model"
)

const secret = "s3cr3t-T0KEN-value"

// env returns a lookup over vars, standing in for os.LookupEnv.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestExampleFileParses(t *testing.T) {
	path := filepath.Join("..", "campaignwall.example.toml")
	cfg, err := Load(path, env(map[string]string{"MASTODON_SOCIAL_TOKEN": secret + "\n"}))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if cfg.Path != path {
		t.Errorf("Path = %q, want %q", cfg.Path, path)
	}
	if cfg.Campaign.Name != "Cohesion Alliance" || !slices.Equal(cfg.Campaign.Hashtags, []string{"CohesionAlliance"}) {
		t.Errorf("Campaign = %+v, want Cohesion Alliance with [CohesionAlliance]", cfg.Campaign)
	}
	if cfg.Server.Addr != "127.0.0.1:8080" || cfg.Server.BaseURL != "" {
		t.Errorf("Server = %+v, want addr 127.0.0.1:8080 and no base URL", cfg.Server)
	}
	if want := filepath.Join("..", "campaignwall.db"); cfg.Store.Path != want {
		t.Errorf("Store.Path = %q, want %q (relative to the file)", cfg.Store.Path, want)
	}
	want := []model.Source{
		{
			Name: "mastodon.social", Kind: "mastodon", URL: "https://mastodon.social",
			Hashtags: []string{"CohesionAlliance"}, Token: secret, Schedule: "@every 1m", Category: "fediverse",
		},
		{
			Name: "social.network.europa.eu", Kind: "mastodon", URL: "https://social.network.europa.eu",
			Hashtags: []string{"CohesionAlliance", "CohesionPolicy"}, Schedule: "@every 5m", Category: "eu-institutions",
		},
	}
	if len(cfg.Sources) != len(want) {
		t.Fatalf("got %d sources, want %d: %+v", len(cfg.Sources), len(want), cfg.Sources)
	}
	for i := range want {
		if got := cfg.Sources[i]; !sourceEqual(got, want[i]) {
			t.Errorf("sources[%d] =\n%+v\nwant\n%+v", i, got, want[i])
		}
	}
}

func sourceEqual(a, b model.Source) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.URL == b.URL && slices.Equal(a.Hashtags, b.Hashtags) &&
		a.Token == b.Token && a.Schedule == b.Schedule && a.Category == b.Category &&
		a.AllowPrivateNetwork == b.AllowPrivateNetwork
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "campaignwall.toml")
	cfg, err := Parse(path, []byte(`
[campaign]
hashtags = ["#CohesionAlliance", "Regions4Cohesion"]

[[sources]]
name = "eu"
kind = "mastodon"
url = "https://social.network.europa.eu"

[[sources]]
name = "bsky"
kind = "bluesky"
identifier = "cohesionalliance.bsky.social"
hashtags = ["#EUCohesion"]
allow_private_network = true
`), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"campaign hashtags without #", cfg.Campaign.Hashtags, []string{"CohesionAlliance", "Regions4Cohesion"}},
		{"server addr", cfg.Server.Addr, DefaultAddr},
		{"store path", cfg.Store.Path, filepath.Join(dir, DefaultStorePath)},
		{"default schedule", cfg.Sources[0].Schedule, DefaultSchedule},
		{"hashtags default to the campaign's", cfg.Sources[0].Hashtags, []string{"CohesionAlliance", "Regions4Cohesion"}},
		{"own hashtags without #", cfg.Sources[1].Hashtags, []string{"EUCohesion"}},
		{"allow_private_network", cfg.Sources[1].AllowPrivateNetwork, true},
		{"no token", cfg.Sources[0].Token, ""},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// A source's default hashtags must not alias the campaign's slice.
	cfg.Sources[0].Hashtags[0] = "changed"
	if cfg.Campaign.Hashtags[0] != "CohesionAlliance" {
		t.Errorf("changing a source's hashtags changed the campaign's: %v", cfg.Campaign.Hashtags)
	}
}

func TestServerAndStore(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "elsewhere.db")
	tests := []struct {
		name, toml string
		addr, base string
		storePath  string
	}{
		{"all interfaces, base URL trailing slash trimmed",
			"[server]\naddr = \":9000\"\nbase_url = \"https://wall.example.org/\"\n[store]\npath = \"data/wall.db\"\n",
			":9000", "https://wall.example.org", filepath.Join(dir, "data", "wall.db")},
		{"IPv6 and absolute store path",
			"[server]\naddr = \"[::1]:8080\"\n[store]\npath = " + fmt.Sprintf("%q", abs) + "\n",
			"[::1]:8080", "", abs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := "[campaign]\nhashtags = [\"CohesionAlliance\"]\n" + tt.toml
			cfg, err := Parse(filepath.Join(dir, "campaignwall.toml"), []byte(data), nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if cfg.Server.Addr != tt.addr || cfg.Server.BaseURL != tt.base || cfg.Store.Path != tt.storePath {
				t.Errorf("got addr %q base %q store %q, want %q %q %q",
					cfg.Server.Addr, cfg.Server.BaseURL, cfg.Store.Path, tt.addr, tt.base, tt.storePath)
			}
		})
	}
}

// requiredSettings are the kind-specific keys each kind cannot do without.
var requiredSettings = map[string]string{
	"bluesky":       "identifier = \"cohesionalliance.bsky.social\"\n",
	"instagram":     "ig_user_id = \"17841400000000000\"\n",
	"facebook_page": "page_id = \"EuropeanCommitteeoftheRegions\"\n",
	"webpage":       "item = \"li.story\"\n",
}

func TestEveryKind(t *testing.T) {
	for _, name := range Kinds() {
		t.Run(name, func(t *testing.T) {
			k, _ := kindNamed(name)
			data := fmt.Sprintf("[campaign]\nhashtags = [\"CohesionAlliance\"]\n[[sources]]\nname = \"s\"\nkind = %q\n", name)
			if req := requiredSettings[name]; req != "" {
				_, err := Parse("campaignwall.toml", []byte(data+"url = \"https://example.org/x\"\n"), nil)
				key := strings.SplitN(req, " ", 2)[0]
				if err == nil || !strings.Contains(err.Error(), "sources[0]."+key+": required for "+name) {
					t.Fatalf("without %s: got %v, want a required error", key, err)
				}
				data += req
			}
			_, err := Parse("campaignwall.toml", []byte(data), nil)
			if k.needsURL {
				if err == nil || !strings.Contains(err.Error(), "campaignwall.toml:3: sources[0].url: is required for kind "+name) {
					t.Fatalf("without url: got %v, want a url required error", err)
				}
				data += "url = \"https://example.org/x\"\n"
				_, err = Parse("campaignwall.toml", []byte(data), nil)
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "bsky"), []byte("  "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "campaignwall.toml")
	if err := os.WriteFile(path, []byte(`[campaign]
hashtags = ["CohesionAlliance"]
[[sources]]
name = "bsky"
kind = "bluesky"
identifier = "cohesionalliance.bsky.social"
token_file = "secrets/bsky"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Sources[0].Token; got != secret {
		t.Errorf("token = %q, want %q (read relative to the config file, trimmed)", got, secret)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "campaignwall.toml")
	_, err := Load(path, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want one that is fs.ErrNotExist", err)
	}
	if want := path + ": no such config file"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want it to start with %q", err, want)
	}
}

const campaign = "[campaign]\nhashtags = [\"CohesionAlliance\"]\n" // lines 1-2

// TestErrors checks that each problem is reported with file:line, the key and
// what is expected. Line numbers count from the top of each case's text.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	emptyFile := filepath.Join(dir, "empty-token")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mastodon := func(extra string) string {
		return campaign + "[[sources]]\nname = \"m\"\nkind = \"mastodon\"\nurl = \"https://mastodon.social\"\n" + extra // extra starts on line 7
	}
	tests := []struct {
		name string
		toml string
		env  map[string]string
		want []string // each must appear in the error
		not  []string // none may appear in the error
	}{
		{
			name: "TOML syntax error",
			toml: campaign + "[server]\naddr = 127.0.0.1:8080\n",
			want: []string{"campaignwall.toml:4: invalid TOML"},
		},
		{
			name: "key defined twice",
			toml: campaign + "[server]\naddr = \":1\"\naddr = \":2\"\n",
			want: []string{"campaignwall.toml:5: invalid TOML", "addr"},
		},
		{
			name: "unknown top-level table",
			toml: campaign + "\n[wall]\ntheme = \"dark\"\n",
			want: []string{"campaignwall.toml:4: wall: unknown key (known keys here: bot, campaign, cta, media, server, sources, store, submissions, walls)"},
		},
		{
			name: "unknown campaign key",
			toml: "[campaign]\nhashtags = [\"CohesionAlliance\"]\nhashtag = \"x\"\n",
			want: []string{"campaignwall.toml:3: campaign.hashtag: unknown key (known keys here: hashtags, language, name)"},
		},
		{
			name: "unknown source key in the second source",
			toml: mastodon("") + "[[sources]]\nname = \"b\"\nkind = \"bluesky\"\ntoken = \"" + secret + "\"\n",
			want: []string{"campaignwall.toml:10: sources[1].token: unknown key", "token_env", "token_file"},
			not:  []string{secret},
		},
		{
			name: "unknown server key",
			toml: campaign + "[server]\nport = 8080\n",
			want: []string{"campaignwall.toml:4: server.port: unknown key (known keys here: addr, base_url)"},
		},
		{
			name: "no campaign table",
			toml: "[server]\naddr = \":8080\"\n",
			want: []string{"campaignwall.toml: campaign.hashtags: is required"},
		},
		{
			name: "empty campaign hashtags",
			toml: "[campaign]\nname = \"Cohesion Alliance\"\nhashtags = []\n",
			want: []string{"campaignwall.toml:3: campaign.hashtags: is required"},
		},
		{
			name: "campaign hashtags of the wrong type",
			toml: "[campaign]\nhashtags = \"CohesionAlliance\"\n",
			want: []string{`campaignwall.toml:2: campaign.hashtags: want a list of strings such as ["a", "b"], got a string`},
			not:  []string{"is required"},
		},
		{
			name: "a hashtag with a space",
			toml: "[campaign]\nhashtags = [\n  \"CohesionAlliance\",\n  \"Cohesion Alliance\",\n]\n",
			want: []string{`campaignwall.toml:2: campaign.hashtags[1]: "Cohesion Alliance" is not a hashtag`},
		},
		{
			name: "duplicate source names",
			toml: mastodon("") + "\n[[sources]]\nname = \"M\"\nkind = \"bluesky\"\n",
			want: []string{`campaignwall.toml:9: sources[1].name: "M" is already the name of sources[0] (line 4)`},
		},
		{
			name: "source without a name",
			toml: campaign + "[[sources]]\nkind = \"bluesky\"\n",
			want: []string{"campaignwall.toml:3: sources[0].name: is required"},
		},
		{
			name: "source without a kind",
			toml: campaign + "[[sources]]\nname = \"m\"\n",
			want: []string{"campaignwall.toml:3: sources[0].kind: is required: one of mastodon, x, bluesky, instagram, facebook_page, feed, webpage"},
		},
		{
			name: "unknown kind",
			toml: campaign + "[[sources]]\nname = \"m\"\nkind = \"myspace\"\n",
			want: []string{`campaignwall.toml:5: sources[0].kind: "myspace" is not a kind of source (want one of mastodon, x,`},
		},
		{
			name: "mastodon without url",
			toml: campaign + "[[sources]]\nname = \"m\"\nkind = \"mastodon\"\n",
			want: []string{`campaignwall.toml:3: sources[0].url: is required for kind mastodon, e.g. url = "https://mastodon.social"`},
		},
		{
			name: "url without scheme",
			toml: campaign + "[[sources]]\nname = \"m\"\nkind = \"mastodon\"\nurl = \"mastodon.social\"\n",
			want: []string{"campaignwall.toml:6: sources[0].url: want an absolute URL starting with https://"},
		},
		{
			name: "url with another scheme",
			toml: campaign + "[[sources]]\nname = \"f\"\nkind = \"feed\"\nurl = \"ftp://example.org/feed\"\n",
			want: []string{`campaignwall.toml:6: sources[0].url: want an http or https URL, got scheme "ftp"`},
		},
		{
			name: "url with a password",
			toml: campaign + "[[sources]]\nname = \"f\"\nkind = \"feed\"\nurl = \"https://me:" + secret + "@example.org/feed\"\n",
			want: []string{"campaignwall.toml:6: sources[0].url: must not carry a user or password"},
			not:  []string{secret},
		},
		{
			name: "bad schedule in the second source",
			toml: mastodon("") + "[[sources]]\nname = \"eu\"\nkind = \"mastodon\"\nurl = \"https://social.network.europa.eu\"\nschedule = \"every minute\"\n",
			want: []string{`campaignwall.toml:11: sources[1].schedule: "every minute" is not a cron schedule (want e.g. "@every 1m" or "*/5 * * * *"`},
		},
		{
			name: "schedule with seconds",
			toml: mastodon("schedule = \"*/5 * * * * *\"\n"),
			want: []string{`campaignwall.toml:7: sources[0].schedule: "*/5 * * * * *" is not a cron schedule`, "expected exactly 5 fields"},
		},
		{
			name: "schedule of the wrong type in the second source",
			toml: mastodon("schedule = \"@every 1m\"\n") + "[[sources]]\nname = \"b\"\nkind = \"bluesky\"\nschedule = 5\n",
			want: []string{"campaignwall.toml:11: sources[1].schedule: want a string, got an integer"},
		},
		{
			name: "token env var not set",
			toml: campaign + "\n[[sources]]\nname = \"mastodon.social\"\nkind = \"mastodon\"\nurl = \"https://mastodon.social\"\n\ntoken_env = \"MASTODON_SOCIAL_TOKEN\"\n",
			want: []string{"campaignwall.toml:9: sources[0].token_env: environment variable MASTODON_SOCIAL_TOKEN is not set"},
		},
		{
			name: "token env var empty",
			toml: mastodon("token_env = \"MASTODON_SOCIAL_TOKEN\"\n"),
			env:  map[string]string{"MASTODON_SOCIAL_TOKEN": " \n"},
			want: []string{"campaignwall.toml:7: sources[0].token_env: environment variable MASTODON_SOCIAL_TOKEN is empty"},
		},
		{
			name: "token pasted into token_env",
			toml: mastodon("token_env = \"" + secret + "\"\n"),
			want: []string{"campaignwall.toml:7: sources[0].token_env: want the name of an environment variable"},
			not:  []string{secret},
		},
		{
			name: "token file missing",
			toml: mastodon("token_file = \"no-such-file\"\n"),
			want: []string{"campaignwall.toml:7: sources[0].token_file: cannot read " + filepath.Join(dir, "no-such-file") + ": no such file or directory"},
		},
		{
			name: "token file empty",
			toml: mastodon("token_file = \"empty-token\"\n"),
			want: []string{"campaignwall.toml:7: sources[0].token_file: " + emptyFile + " is empty"},
		},
		{
			name: "token env and file both set",
			toml: mastodon("token_env = \"T\"\ntoken_file = \"t\"\n"),
			env:  map[string]string{"T": secret},
			want: []string{"campaignwall.toml:8: sources[0].token_file: set token_env or token_file, not both"},
			not:  []string{secret},
		},
		{
			name: "addr not host:port",
			toml: campaign + "[server]\naddr = \"localhost\"\n",
			want: []string{`campaignwall.toml:4: server.addr: "localhost" is not host:port (want e.g. "127.0.0.1:8080" or ":8080")`},
		},
		{
			name: "addr port out of range",
			toml: campaign + "[server]\naddr = \"127.0.0.1:80800\"\n",
			want: []string{`campaignwall.toml:4: server.addr: port "80800" is not a number from 0 to 65535`},
		},
		{
			name: "addr in an inline table",
			toml: "server = { addr = \"nope\" }\n" + campaign,
			want: []string{`campaignwall.toml:1: server.addr: "nope" is not host:port`},
		},
		{
			name: "base_url not absolute",
			toml: campaign + "[server]\nbase_url = \"/wall\"\n",
			want: []string{"campaignwall.toml:4: server.base_url: want an absolute URL starting with https://"},
		},
		{
			name: "empty store path",
			toml: campaign + "[store]\npath = \"\"\n",
			want: []string{`campaignwall.toml:4: store.path: want a file path`},
		},
		{
			name: "sources as a table",
			toml: campaign + "[sources]\nname = \"m\"\n",
			want: []string{"campaignwall.toml:3: sources: want tables ([[sources]]), got a table"},
		},
		{
			name: "allow_private_network as a string",
			toml: mastodon("allow_private_network = \"yes\"\n"),
			want: []string{"campaignwall.toml:7: sources[0].allow_private_network: want true or false, got a string"},
		},
		{
			name: "lines stay right after multi-line values",
			toml: campaign + "[[sources]]\nname = \"\"\"m\n[[sources]]\nx = 1\"\"\"\nhashtags = [\n  [\"nested\"],\n  \"a # b\",\n]\nkind = \"mastodon\"\nurl = \"https://mastodon.social\"\nextra = 1\n",
			want: []string{"campaignwall.toml:13: sources[0].extra: unknown key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "campaignwall.toml"), []byte(tt.toml), env(tt.env))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.want)
			}
			// Errors name the file as it was given.
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
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %T is not an *Error", err)
			}
		})
	}
}

func TestAllProblemsReportedInFileOrder(t *testing.T) {
	data := `[[sources]]
name = "m"
kind = "mastodon"
schedule = "sometimes"

[server]
addr = "nope"
`
	_, err := Parse("campaignwall.toml", []byte(data), nil)
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	want := []string{
		"campaignwall.toml: campaign.hashtags: is required",
		"campaignwall.toml:1: sources[0].url: is required for kind mastodon",
		`campaignwall.toml:4: sources[0].schedule: "sometimes" is not a cron schedule`,
		`campaignwall.toml:7: server.addr: "nope" is not host:port`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	data := campaign + `[[sources]]
name = "m"
kind = "mastodon"
url = "https://mastodon.social"
token_env = "TOKEN"
[[sources]]
name = "f"
kind = "feed"
url = "https://example.org/feed?key=` + secret + `"
`
	cfg, err := Parse("campaignwall.toml", []byte(data), env(map[string]string{"TOKEN": secret}))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Sources[0].Token != secret {
		t.Fatalf("token = %q, want it resolved from TOKEN", cfg.Sources[0].Token)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", slog.Any("config", cfg))
	outputs := map[string]string{
		"String()":  cfg.String(),
		"%v":        fmt.Sprintf("%v", cfg),
		"%+v":       fmt.Sprintf("%+v", *cfg),
		"slog JSON": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s output holds the secret:\n%s", name, out)
		}
	}
	if !strings.Contains(cfg.String(), `source "m": mastodon https://mastodon.social`) || !strings.Contains(cfg.String(), "token set") {
		t.Errorf("String() = %q, want it to describe source m and say it has a token", cfg.String())
	}
	if !strings.Contains(logged.String(), `"sources":["m","f"]`) {
		t.Errorf("slog output = %s, want the source names", logged.String())
	}
}

func TestKindSettings(t *testing.T) {
	head := "[campaign]\nhashtags = [\"CohesionAlliance\"]\n[[sources]]\nname = \"s\"\n"
	t.Run("read", func(t *testing.T) {
		data := head + "kind = \"x\"\nmonthly_read_budget = 10000\nlanguages = [\"en\", \"fr\"]\n"
		cfg, err := Parse("campaignwall.toml", []byte(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := cfg.Sources[0].Settings
		if got["monthly_read_budget"] != "10000" || got["languages"] != "en,fr" {
			t.Errorf("settings = %v, want budget 10000 and languages en,fr", got)
		}
	})
	t.Run("mastodon stream", func(t *testing.T) {
		for toml, want := range map[string]string{"stream = true\n": "true", "stream = false\n": "", "": ""} {
			cfg, err := Parse("campaignwall.toml", []byte(head+"kind = \"mastodon\"\nurl = \"https://eupolis.social\"\n"+toml), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Sources[0].Settings["stream"]; got != want {
				t.Errorf("%q: stream setting = %q, want %q", toml, got, want)
			}
		}
	})
	for _, tt := range []struct{ name, toml, want string }{
		{"not a number", "kind = \"x\"\nmonthly_read_budget = \"lots\"\n", "campaignwall.toml:6: sources[0].monthly_read_budget: want a whole number, got a string"},
		{"out of range", "kind = \"x\"\npage_size = 500\n", "campaignwall.toml:6: sources[0].page_size: 500 is out of range (want 10 to 100)"},
		{"bad duration", "kind = \"bluesky\"\nidentifier = \"a.bsky.social\"\nbackfill = \"a week\"\n", "campaignwall.toml:7: sources[0].backfill: \"a week\" is not a duration"},
		{"key of another kind", "kind = \"feed\"\nurl = \"https://example.org/feed\"\nitem = \"li\"\n", "campaignwall.toml:7: sources[0].item: unknown key"},
		{"stream not a bool", "kind = \"mastodon\"\nurl = \"https://eupolis.social\"\nstream = \"yes\"\n", "campaignwall.toml:7: sources[0].stream: want true or false, got a string"},
		{"stream on another kind", "kind = \"feed\"\nurl = \"https://example.org/feed\"\nstream = true\n", "campaignwall.toml:7: sources[0].stream: unknown key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("campaignwall.toml", []byte(head+tt.toml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
