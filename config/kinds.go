package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// kind is what the config file must say about one kind of source.
// To add a kind, add an entry to kinds; its collector is wired in main.
type kind struct {
	name       string
	needsURL   bool   // the source has no meaning without a url
	exampleURL string // shown in errors about the url

	// extra reads the keys only this kind understands (a monthly read budget,
	// CSS selectors, …) from the source's table into src. Keys it reads are
	// known for this kind only, so setting them on another kind is reported.
	// nil while a kind has none.
	extra func(t *table, src *model.Source)
}

// kinds lists every kind of source, in the order errors name them.
var kinds = []kind{
	{name: "mastodon", needsURL: true, exampleURL: "https://mastodon.social", extra: func(t *table, src *model.Source) {
		// stream = true follows the hashtags live in `serve` as well as polling.
		setBool(t, src, "stream")
	}},
	{name: "x", extra: func(t *table, src *model.Source) {
		setInt(t, src, "monthly_read_budget", 0, 1<<31)
		setList(t, src, "languages")
		setInt(t, src, "page_size", 10, 100)
		setInt(t, src, "max_pages", 1, 100)
	}},
	{name: "bluesky", extra: func(t *table, src *model.Source) {
		setString(t, src, "identifier", true, "the account's handle, e.g. cohesionalliance.bsky.social")
		setList(t, src, "languages")
		setInt(t, src, "page_size", 1, 100)
		setInt(t, src, "max_pages", 1, 100)
		setDuration(t, src, "backfill")
	}},
	{name: "instagram", extra: func(t *table, src *model.Source) {
		setString(t, src, "ig_user_id", true, "the Instagram business account's numeric ID")
		setInt(t, src, "hashtag_limit", 1, 30)
		setInt(t, src, "page_size", 1, 50)
		setInt(t, src, "max_pages", 1, 100)
	}},
	{name: "facebook_page", extra: func(t *table, src *model.Source) {
		setString(t, src, "page_id", true, "the page's numeric ID or name")
		setInt(t, src, "page_size", 1, 100)
		setInt(t, src, "max_pages", 1, 100)
		setDuration(t, src, "backfill")
	}},
	{name: "feed", needsURL: true, exampleURL: "https://example.org/news/feed.xml"},
	{name: "webpage", needsURL: true, exampleURL: "https://example.org/news", extra: func(t *table, src *model.Source) {
		setString(t, src, "item", true, "a CSS selector matching each item, e.g. \"li.story\"")
		for _, k := range []string{"title", "link", "image", "date", "date_layout", "summary", "language_links", "next"} {
			setString(t, src, k, false, "")
		}
		setInt(t, src, "max_pages", 1, 50)
	}},
}

func setting(src *model.Source, k, v string) {
	if src.Settings == nil {
		src.Settings = map[string]string{}
	}
	src.Settings[k] = v
}

func setString(t *table, src *model.Source, k string, required bool, want string) {
	if required && t.blank(k) {
		t.has(k)
		t.fail(k, "required for %s sources: %s", src.Kind, want)
		return
	}
	if v := t.str(k); v != "" {
		setting(src, k, v)
	}
}

func setInt(t *table, src *model.Source, k string, lo, hi int64) {
	if !t.has(k) {
		return
	}
	n, ok := t.m[k].(int64)
	if !ok {
		t.fail(k, "want a whole number, got %s", typeName(t.m[k]))
		return
	}
	if n < lo || n > hi {
		t.fail(k, "%d is out of range (want %d to %d)", n, lo, hi)
		return
	}
	setting(src, k, strconv.FormatInt(n, 10))
}

// setBool records a true flag as "true"; false and absent leave no setting.
func setBool(t *table, src *model.Source, k string) {
	if t.boolean(k) {
		setting(src, k, "true")
	}
}

func setList(t *table, src *model.Source, k string) {
	if l := t.list(k); len(l) > 0 {
		setting(src, k, strings.Join(l, ","))
	}
}

func setDuration(t *table, src *model.Source, k string) {
	v := t.str(k)
	if v == "" {
		return
	}
	if d, err := time.ParseDuration(v); err != nil || d < 0 {
		t.fail(k, "%q is not a duration (want e.g. \"24h\" or \"30m\")", v)
		return
	}
	setting(src, k, v)
}

// Kinds returns the names of the source kinds a config file may use.
func Kinds() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return names
}

func kindNamed(name string) (kind, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kind{}, false
}
