package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/bluesky"
	"github.com/cohesionalliance/campaignwall/collectors/demo"
	"github.com/cohesionalliance/campaignwall/collectors/facebook"
	"github.com/cohesionalliance/campaignwall/collectors/feed"
	"github.com/cohesionalliance/campaignwall/collectors/instagram"
	"github.com/cohesionalliance/campaignwall/collectors/mastodon"
	"github.com/cohesionalliance/campaignwall/collectors/webpage"
	"github.com/cohesionalliance/campaignwall/collectors/x"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/scheduler"
)

// collectorDeps is what building a collector may need beyond its source.
type collectorDeps struct {
	log *slog.Logger
	now func() time.Time // nil: time.Now
	// limiter is shared by every collector's client, so sources on the
	// same host take turns; nil: each client limits only itself.
	limiter *collectors.HostLimiter
	// localMedia reads media that are paths on this server (the demo's
	// embedded photos) for the media cache; nil outside the demo.
	localMedia func(path string) ([]byte, error)
}

// newCollector builds the collector for a source's kind, each with the shared
// guarded HTTP client, and maps the kind's config keys (src.Settings, already
// validated by config) to the collector's options.
func newCollector(src model.Source, deps collectorDeps) (scheduler.Collector, error) {
	client := func() *http.Client {
		return collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: src.AllowPrivateNetwork, Limiter: deps.limiter})
	}
	log := deps.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("source", src.Name))
	set := settings(src.Settings)
	switch src.Kind {
	case "mastodon":
		return mastodon.New(client(), mastodon.Options{Now: deps.now, Logger: log}), nil
	case "x":
		return x.New(client(), x.Options{
			MonthlyReadBudget: set.int("monthly_read_budget"), Languages: set.list("languages"),
			PageSize: set.int("page_size"), MaxPages: set.int("max_pages"), Now: deps.now, Logger: log,
		}), nil
	case "bluesky":
		return bluesky.New(client(), bluesky.Options{
			Identifier: set["identifier"], Languages: set.list("languages"), PageSize: set.int("page_size"),
			MaxPages: set.int("max_pages"), Backfill: set.duration("backfill"), Now: deps.now, Logger: log,
		}), nil
	case "instagram":
		return instagram.New(client(), instagram.Options{
			UserID: set["ig_user_id"], HashtagLimit: set.int("hashtag_limit"), PageSize: set.int("page_size"),
			MaxPages: set.int("max_pages"), Now: deps.now, Logger: log,
		}), nil
	case "facebook_page":
		return facebook.New(client(), facebook.Options{
			PageID: set["page_id"], PageSize: set.int("page_size"), MaxPages: set.int("max_pages"),
			Backfill: set.duration("backfill"), Now: deps.now, Logger: log,
		}), nil
	case "feed":
		return feed.New(client(), feed.Options{Logger: log}), nil
	case "webpage":
		return webpage.New(client(), webpage.Options{
			ItemSelector: set["item"], TitleSelector: set["title"], LinkSelector: set["link"],
			ImageSelector: set["image"], DateSelector: set["date"], DateLayout: set["date_layout"],
			SummarySelector: set["summary"], LanguageLinksSelector: set["language_links"],
			NextSelector: set["next"], MaxPages: set.int("max_pages"), Logger: log,
		}), nil
	case "demo":
		return demo.New(deps.now, 1), nil
	}
	return nil, fmt.Errorf("collecting %q sources is not supported by this build", src.Kind)
}

// settings reads config-validated per-kind keys; a missing key is the zero
// value, which every collector takes as "use the default".
type settings map[string]string

func (s settings) int(k string) int {
	n, _ := strconv.Atoi(s[k])
	return n
}

func (s settings) list(k string) []string {
	if s[k] == "" {
		return nil
	}
	return strings.Split(s[k], ",")
}

func (s settings) duration(k string) time.Duration {
	d, _ := time.ParseDuration(s[k])
	return d
}
