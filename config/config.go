// Package config owns campaignwall's TOML file: its format, the defaults,
// reading secrets from the environment or from files, and validation whose
// errors name the file, the line and the key (campaignwall.toml:14:
// sources[1].schedule: …), so an admin can fix a file without reading code.
//
// Nothing here reads the process environment directly: Load and Parse take
// the lookup function, so tests and main decide where secrets come from.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/robfig/cron/v3"

	"github.com/cohesionalliance/campaignwall/model"
)

// Defaults for what a file may leave out.
const (
	DefaultAddr      = "127.0.0.1:8080"
	DefaultStorePath = "campaignwall.db"
	DefaultSchedule  = "@every 1m"
)

// Config is a loaded, validated config file. Paths in it are resolved against
// the file's directory and source tokens are read, so nothing downstream needs
// to know where the file was.
type Config struct {
	Path     string // the file it was loaded from
	Campaign Campaign
	Server   Server
	Store    Store
	Sources  []model.Source // fully resolved: Token read, Hashtags defaulted to the campaign's
	Bot      *Bot           // the [bot] section (config/bot.go); nil when the file has none
	Walls    []model.Wall   // the [[walls]] tables (walls.go); exactly one is Default when there are any

	Media       Media       // media.go
	Submissions Submissions // submissions.go
	CTA         CTA         // cta.go
}

// Campaign is what the wall is about.
type Campaign struct {
	Name     string
	Hashtags []string // without a leading '#', spelled as given
	// Language is the wall's language (one of the 24 EU languages, as a
	// two-letter code) where a wall sets none and a screen asks for none
	// with ?lang=. Default "en".
	Language string
}

// Server is where the HTTP server listens and how it is reached from outside.
type Server struct {
	Addr    string // host:port
	BaseURL string // public URL without a trailing slash; empty when not set
}

// Store is where the database lives.
type Store struct {
	Path string
}

// scheduleParser accepts the specs package scheduler runs: five fields or a
// descriptor (@every 1m, @hourly). Seconds are left out on purpose: no
// network wants to be polled every second.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Load reads and validates the config file at path. lookupEnv resolves the
// environment variables named by token_env (os.LookupEnv in main); nil means
// none is set. Every problem in the file is reported at once, each as an
// *Error; errors.Is(err, fs.ErrNotExist) tells a missing file.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		e := &Error{File: path, Msg: "cannot read the config file: " + cause(err).Error(), Err: err}
		if errors.Is(err, fs.ErrNotExist) {
			e.Msg = "no such config file (campaignwall.example.toml is a commented one to start from)"
		}
		return nil, e
	}
	return Parse(path, data, lookupEnv)
}

// Parse validates data as the config file at path (path names the file in
// errors and anchors relative paths). See Load.
func Parse(path string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: path, Line: pe.Position.Line, Msg: "invalid TOML: " + pe.Message, Err: err}
		}
		return nil, &Error{File: path, Msg: "invalid TOML: " + err.Error(), Err: err}
	}

	p := &problems{file: path, lines: indexLines(string(data))}
	l := &loader{p: p, dir: filepath.Dir(path), lookupEnv: lookupEnv}
	root := newTable(p, "", raw)
	cfg := &Config{
		Path:     path,
		Campaign: l.campaign(root.sub("campaign")),
		Server:   l.server(root.sub("server")),
		Store:    l.store(root.sub("store")),
	}
	cfg.Media = l.media(root.sub("media"))
	cfg.Submissions = l.submissions(root.sub("submissions"), cfg.Media)
	cfg.CTA = l.cta(root)
	byName := map[string]string{} // lower-case name → key of the source using it
	for _, t := range root.tables("sources") {
		src := l.source(t, cfg.Campaign)
		if src.Name != "" {
			lower := strings.ToLower(src.Name)
			if first, dup := byName[lower]; dup {
				t.fail("name", "%q is already the name of %s (line %d): source names must be unique", src.Name, first, p.lines.find(first+".name"))
			} else {
				byName[lower] = t.path
			}
		}
		cfg.Sources = append(cfg.Sources, src)
	}
	cfg.Bot = l.bot(root)
	cfg.Walls = l.walls(root, cfg.Campaign, cfg.Sources)
	root.reportUnknown()
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// loader holds what reading the tables needs besides the tables themselves.
type loader struct {
	p         *problems
	dir       string // the config file's directory
	lookupEnv func(string) (string, bool)
}

func (l *loader) campaign(t *table) Campaign {
	c := Campaign{Name: t.str("name"), Language: "en"}
	if t.has("language") {
		c.Language = t.str("language")
		if !slices.Contains(euLanguages, c.Language) {
			t.fail("language", "%q is not one of the EU's languages (want a two-letter code: %s)", c.Language, strings.Join(euLanguages, ", "))
		}
	}
	before := len(l.p.list)
	c.Hashtags = l.hashtags(t, "hashtags")
	if len(c.Hashtags) == 0 && len(l.p.list) == before {
		t.fail("hashtags", `is required: the hashtags to collect, e.g. hashtags = ["CohesionAlliance"]`)
	}
	t.reportUnknown()
	return c
}

func (l *loader) server(t *table) Server {
	s := Server{Addr: DefaultAddr}
	if t.has("addr") {
		s.Addr = t.str("addr")
		if msg := checkAddr(s.Addr); msg != "" {
			t.fail("addr", "%s", msg)
		}
	}
	if t.has("base_url") {
		s.BaseURL = strings.TrimRight(t.str("base_url"), "/")
		if msg := checkURL(s.BaseURL, "https://wall.example.org"); msg != "" {
			t.fail("base_url", "%s", msg)
		} else if u, _ := url.Parse(s.BaseURL); u.RawQuery != "" || u.Fragment != "" {
			t.fail("base_url", "want a base URL without ? or #, e.g. https://wall.example.org")
		}
	}
	t.reportUnknown()
	return s
}

func (l *loader) store(t *table) Store {
	s := Store{Path: DefaultStorePath}
	if t.has("path") {
		s.Path = t.str("path")
		if s.Path == "" {
			t.fail("path", `want a file path such as "campaignwall.db"`)
		}
	}
	s.Path = l.resolve(s.Path)
	t.reportUnknown()
	return s
}

func (l *loader) source(t *table, c Campaign) model.Source {
	src := model.Source{
		Name:                t.str("name"),
		Kind:                t.str("kind"),
		URL:                 t.str("url"),
		Schedule:            t.str("schedule"),
		Category:            t.str("category"),
		Hashtags:            l.hashtags(t, "hashtags"),
		AllowPrivateNetwork: t.boolean("allow_private_network"),
		Token:               l.token(t),
	}

	switch {
	case t.blank("name"):
		t.fail("name", `is required: a unique name for this source, e.g. name = "mastodon.social"`)
	case strings.ContainsFunc(src.Name, unicode.IsControl):
		t.fail("name", "must not contain control characters")
	}

	k, known := kindNamed(src.Kind)
	switch {
	case t.blank("kind"):
		t.fail("kind", "is required: one of %s", strings.Join(Kinds(), ", "))
	case src.Kind != "" && !known:
		t.fail("kind", "%q is not a kind of source (want one of %s)", src.Kind, strings.Join(Kinds(), ", "))
	}

	example := k.exampleURL
	if example == "" {
		example = "https://example.org"
	}
	switch {
	case t.blank("url") && k.needsURL:
		t.fail("url", "is required for kind %s, e.g. url = %q", k.name, example)
	case src.URL != "":
		if msg := checkURL(src.URL, example); msg != "" {
			t.fail("url", "%s", msg)
		}
	}

	if src.Schedule == "" {
		src.Schedule = DefaultSchedule
	} else if _, err := scheduleParser.Parse(src.Schedule); err != nil {
		t.fail("schedule", `%q is not a cron schedule (want e.g. "@every 1m" or "*/5 * * * *"; %v)`, src.Schedule, err)
	}

	if len(src.Hashtags) == 0 {
		src.Hashtags = append([]string(nil), c.Hashtags...)
	}

	if known && k.extra != nil {
		k.extra(t, &src)
	}
	t.reportUnknown()
	return src
}

// token returns the source's secret from the environment variable named by
// token_env or the file named by token_file. Neither the secret nor anything
// that might be one is ever put into an error.
func (l *loader) token(t *table) string {
	env, file := t.str("token_env"), t.str("token_file")
	switch setEnv, setFile := t.has("token_env"), t.has("token_file"); {
	case setEnv && setFile:
		t.fail("token_file", "set token_env or token_file, not both")
	case setEnv:
		if !envName.MatchString(env) {
			// Not echoed: a token pasted here by mistake must not reach a log.
			t.fail("token_env", "want the name of an environment variable, e.g. MASTODON_SOCIAL_TOKEN (the token itself goes in that variable, not in this file)")
			return ""
		}
		v, ok := l.lookupEnv(env)
		v = strings.TrimSpace(v)
		switch {
		case !ok:
			t.fail("token_env", "environment variable %s is not set", env)
		case v == "":
			t.fail("token_env", "environment variable %s is empty", env)
		}
		return v
	case setFile:
		if file == "" {
			t.fail("token_file", "want the path of a file holding the token")
			return ""
		}
		path := l.resolve(file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.fail("token_file", "cannot read %s: %v", path, cause(err))
			return ""
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			t.fail("token_file", "%s is empty", path)
		}
		return v
	}
	return ""
}

// hashtags reads a list of hashtags, dropping a leading '#' people tend to write.
func (l *loader) hashtags(t *table, k string) []string {
	tags := t.list(k)
	for i, tag := range tags {
		tag = strings.TrimPrefix(tag, "#")
		tags[i] = tag
		if tag == "" || strings.ContainsFunc(tag, notHashtagRune) {
			l.p.add(t.key(k)+"["+strconv.Itoa(i)+"]", `%q is not a hashtag (want letters, digits and _ only, e.g. "CohesionAlliance")`, tag)
		}
	}
	return tags
}

func notHashtagRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_')
}

// resolve makes a path from the file relative to the file's directory, so a
// config works the same whatever directory campaignwall is started from.
func (l *loader) resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(l.dir, path)
}

// checkAddr returns what is wrong with a listen address, or "".
func checkAddr(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf(`%q is not host:port (want e.g. "127.0.0.1:8080" or ":8080")`, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf(`port %q is not a number from 0 to 65535 (want e.g. "127.0.0.1:8080")`, port)
	}
	return ""
}

// checkURL returns what is wrong with an absolute http(s) URL, or "". It does
// not quote the URL: feed URLs sometimes carry a private key in their query.
func checkURL(raw, example string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("is not a valid URL (want e.g. %q)", example)
	case u.Scheme == "":
		return fmt.Sprintf("want an absolute URL starting with https://, e.g. %q", example)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("want an http or https URL, got scheme %q (e.g. %q)", u.Scheme, example)
	case u.Host == "":
		return fmt.Sprintf("has no host (want e.g. %q)", example)
	case u.User != nil:
		return "must not carry a user or password: use token_env or token_file for secrets"
	}
	return ""
}

// cause strips the operation and path from a file error, for messages that
// name the path themselves.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// String describes the config for humans (campaignwall config check),
// saying whether each source has a token but never what it is.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config %s\n", c.Path)
	fmt.Fprintf(&b, "campaign %q: #%s\n", c.Campaign.Name, strings.Join(c.Campaign.Hashtags, " #"))
	fmt.Fprintf(&b, "server %s", c.Server.Addr)
	if c.Server.BaseURL != "" {
		fmt.Fprintf(&b, " (public at %s)", c.Server.BaseURL)
	}
	fmt.Fprintf(&b, "\nstore %s\n", c.Store.Path)
	fmt.Fprintf(&b, "media: disk budget %s, photos up to %s\n", formatBytes(c.Media.DiskBudget), formatBytes(c.Media.MaxBytes))
	if s := c.Submissions; s.Enabled {
		fmt.Fprintf(&b, "submissions at /submit: photos up to %s, videos up to %s and %d s, %d per address per %s, emails kept %s\n",
			formatBytes(s.MaxPhotoBytes), formatBytes(s.MaxVideoBytes), s.MaxVideoSeconds, s.RateLimit,
			formatDuration(s.RateWindow), formatDuration(s.EmailRetention))
	}
	for _, w := range c.Walls {
		fmt.Fprintf(&b, "wall /w/%s %q: %s, %s theme", w.Slug, w.Title, w.Mode, w.Theme)
		if w.Default {
			b.WriteString(", also at /")
		}
		if !w.Filter.IsZero() {
			b.WriteString(", filtered")
		}
		b.WriteString("\n")
	}
	for _, s := range c.Sources {
		fmt.Fprintf(&b, "source %q: %s", s.Name, s.Kind)
		if s.URL != "" {
			fmt.Fprintf(&b, " %s", redactURL(s.URL))
		}
		fmt.Fprintf(&b, ", schedule %q, #%s", s.Schedule, strings.Join(s.Hashtags, " #"))
		if s.Category != "" {
			fmt.Fprintf(&b, ", category %q", s.Category)
		}
		if s.Token != "" {
			b.WriteString(", token set")
		}
		if s.AllowPrivateNetwork {
			b.WriteString(", private network allowed")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// LogValue keeps a logged config free of secrets: without it slog would print
// every field of every source, tokens included.
func (c Config) LogValue() slog.Value {
	names := make([]string, len(c.Sources))
	for i, s := range c.Sources {
		names[i] = s.Name
	}
	return slog.GroupValue(
		slog.String("path", c.Path),
		slog.String("addr", c.Server.Addr),
		slog.String("store", c.Store.Path),
		slog.Any("sources", names),
	)
}

// redactURL drops a URL's query, which may hold a feed's private key.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}
