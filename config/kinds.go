package config

import "github.com/cohesionalliance/campaignwall/model"

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
	{name: "mastodon", needsURL: true, exampleURL: "https://mastodon.social"},
	{name: "x"},
	{name: "bluesky"},
	{name: "instagram"},
	{name: "facebook_page"},
	{name: "feed", needsURL: true, exampleURL: "https://example.org/news/feed.xml"},
	{name: "webpage", needsURL: true, exampleURL: "https://example.org/news"},
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
