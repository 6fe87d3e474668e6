// Package bluesky collects posts from Bluesky through app.bsky.feed.searchPosts,
// one search per hashtag, and turns them into model.Post. It talks XRPC over
// net/http: a session from an app password (com.atproto.server.createSession,
// refreshed with refreshSession), and the search; the indigo SDK would add
// megabytes for three calls.
//
// searchPosts pages backwards in time with an opaque cursor, so the API cursor
// cannot carry a source from one run to the next. The collector's own cursor
// keeps, per hashtag, the newest post time it has read; a run pages back until
// it reaches that time (minus a small overlap the store's dedupe absorbs). A
// sweep cut short by the page bound or an error resumes below the oldest post
// it reached (the until parameter) instead of starting again from the top.
//
// Config (TOML keys of a source with kind = "bluesky") maps to Options as:
//
//	url                  → model.Source.URL: the account's PDS or entryway for the
//	                       session (default https://bsky.social); without an
//	                       identifier, the AppView searched anonymously (default
//	                       https://public.api.bsky.app)
//	token_env/token_file → model.Source.Token, the app password
//	hashtags             → model.Source.Hashtags
//	identifier           → Options.Identifier, the account's handle or DID
//	languages            → Options.Languages
//	page_size            → Options.PageSize
//	max_pages            → Options.MaxPages
//	backfill             → Options.Backfill
package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/cohesionalliance/campaignwall/model"
)

const (
	// DefaultAuthURL is the entryway where app-password sessions are created.
	DefaultAuthURL = "https://bsky.social"
	// DefaultPublicURL is the AppView searched when no account is configured.
	DefaultPublicURL = "https://public.api.bsky.app"
)

// ErrLogin is returned when the identifier and app password are refused.
var ErrLogin = errors.New("bluesky: login refused")

// ErrBadConfig is returned for a source that cannot be searched as configured.
var ErrBadConfig = errors.New("bluesky: bad source configuration")

// Overlap is how far below the newest post already read each run looks
// again: posts indexed a little late still get in, and the store drops the
// repeats.
const Overlap = 2 * time.Minute

// Options tunes a Collector.
type Options struct {
	// Identifier is the handle or DID of the account whose app password is
	// the source's token. Empty: search anonymously.
	Identifier string
	// Languages keeps only posts tagged with one of these languages
	// (record.langs); posts without a language tag are kept.
	Languages []string
	// PageSize is the search limit, 1–100 (default 100).
	PageSize int
	// MaxPages bounds the requests per hashtag and run (default 5).
	MaxPages int
	// Backfill is how far back the first run of a hashtag reads (default 7 days).
	Backfill time.Duration
	// RequestTimeout bounds each request (default 20s).
	RequestTimeout time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Logger receives debug lines (default: discard).
	Logger *slog.Logger
}

// Collector reads one Bluesky source. It keeps the session between runs and
// is safe for concurrent use.
type Collector struct {
	client *http.Client
	opts   Options

	mu   sync.Mutex
	sess *session
}

// New returns a Collector using client, which should come from
// collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 100
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = 5
	}
	if opts.Backfill <= 0 {
		opts.Backfill = 7 * 24 * time.Hour
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 20 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{client: client, opts: opts}
}

// Cursor is what a Bluesky source keeps between runs, stored as JSON.
type Cursor struct {
	Tags map[string]TagState `json:"tags,omitempty"` // by lowercased hashtag
}

// TagState is the progress of one hashtag's search.
type TagState struct {
	// Newest is the sort time of the newest post of the last finished sweep.
	Newest time.Time `json:"newest,omitzero"`
	// Until, SweepNewest and Floor describe a sweep cut short: the next run
	// reads posts older than Until down to Floor, then moves Newest to
	// SweepNewest.
	Until       time.Time `json:"until,omitzero"`
	SweepNewest time.Time `json:"sweep_newest,omitzero"`
	Floor       time.Time `json:"floor,omitzero"`
}

// ParseCursor reads a stored cursor; the empty string is a fresh start.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("bluesky: unreadable cursor %q: %w", s, err)
	}
	return c, nil
}

func (c Cursor) String() string {
	b, _ := json.Marshal(c) // times and strings always marshal
	return string(b)
}

// Collect searches each of the source's hashtags for posts newer than the
// cursor says were read.
//
// It returns the posts read, the cursor to store with them ("" when
// unchanged) and an error. When the error is non-nil but the cursor is not
// empty, the posts and cursor are still valid and should be saved (the
// hashtags and pages completed before the failure).
func (c *Collector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	tags, err := hashtags(src.Hashtags)
	if err != nil {
		return nil, "", err
	}
	cur, err := ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if cur.Tags == nil {
		cur.Tags = map[string]TagState{}
	}
	auth, err := c.authFor(src)
	if err != nil {
		return nil, "", err
	}

	var posts []model.Post
	seen := map[string]bool{}
	progressed := false
	for _, tag := range tags {
		key := strings.ToLower(tag)
		found, st, n, err := c.collectTag(ctx, auth, tag, cur.Tags[key])
		if n > 0 {
			progressed = true
			cur.Tags[key] = st
		}
		for _, p := range found {
			if !seen[p.URI] {
				seen[p.URI] = true
				posts = append(posts, p)
			}
		}
		if err != nil {
			if !progressed {
				return nil, "", err
			}
			return posts, changed(cur, cursor), err
		}
	}
	c.opts.Logger.DebugContext(ctx, "bluesky search done", slog.String("source", src.Name), slog.Int("posts", len(posts)))
	return posts, changed(cur, cursor), nil
}

// changed returns the cursor to store, or "" when it equals the old one.
func changed(cur Cursor, old string) string {
	if next := cur.String(); next != old {
		return next
	}
	return ""
}

// collectTag reads one hashtag's new posts. It returns the posts, the tag's
// state after the last completed page, and how many pages completed.
func (c *Collector) collectTag(ctx context.Context, auth *authState, tag string, st TagState) ([]model.Post, TagState, int, error) {
	now := c.opts.Now().UTC()
	resuming := !st.Until.IsZero()
	floor := now.Add(-c.opts.Backfill)
	switch {
	case resuming:
		floor = st.Floor
	case !st.Newest.IsZero():
		floor = st.Newest.Add(-Overlap)
	}
	sweepNewest, oldest := st.SweepNewest, time.Time{}
	if !resuming {
		sweepNewest = time.Time{}
	}

	var posts []model.Post
	apiCursor := ""
	pages := 0
	for pages < c.opts.MaxPages {
		params := url.Values{
			"q":     {"#" + tag},
			"tag":   {tag},
			"sort":  {"latest"},
			"limit": {strconv.Itoa(c.opts.PageSize)},
		}
		if resuming {
			params.Set("until", st.Until.Format(time.RFC3339Nano))
		}
		if apiCursor != "" {
			params.Set("cursor", apiCursor)
		}
		var resp searchResponse
		if err := c.xrpcSearch(ctx, auth, params, &resp); err != nil {
			return posts, st, pages, fmt.Errorf("bluesky: search #%s: %w", tag, err)
		}
		pages++
		reachedFloor := false
		for _, pv := range resp.Posts {
			at := pv.sortAt()
			if at.IsZero() {
				continue // no usable time: cannot tell whether it is new
			}
			if at.Before(floor) {
				reachedFloor = true
				break
			}
			if at.After(sweepNewest) {
				sweepNewest = at
			}
			if oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
			if p, ok := c.mapPost(pv, now); ok {
				posts = append(posts, p)
			}
		}
		if reachedFloor || resp.Cursor == "" || len(resp.Posts) == 0 || oldest.IsZero() {
			// The sweep met what earlier runs read: start above it next time.
			if sweepNewest.After(st.Newest) {
				st.Newest = sweepNewest
			}
			st.Until, st.SweepNewest, st.Floor = time.Time{}, time.Time{}, time.Time{}
			return posts, st, pages, nil
		}
		// Until is exclusive; one millisecond more keeps posts that share the
		// oldest time (the store drops the repeats).
		st.Until, st.SweepNewest, st.Floor = oldest.Add(time.Millisecond), sweepNewest, floor
		apiCursor = resp.Cursor
	}
	return posts, st, pages, nil
}

// hashtags returns the configured hashtags without their #, refusing what
// cannot be a hashtag.
func hashtags(in []string) ([]string, error) {
	var out []string
	for _, h := range in {
		h = strings.TrimPrefix(strings.TrimSpace(h), "#")
		if h == "" {
			continue
		}
		for _, r := range h {
			if r != '_' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return nil, fmt.Errorf("%w: hashtag %q may hold only letters, digits, - and _", ErrBadConfig, h)
			}
		}
		if !slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, h) }) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no hashtags configured", ErrBadConfig)
	}
	return out, nil
}
