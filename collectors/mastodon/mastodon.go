// Package mastodon collects public posts carrying a source's hashtags from a
// Mastodon-API server (Mastodon, GoToSocial, Pleroma/Akkoma, …): the hashtag
// timeline, paged forward with min_id from a per-hashtag cursor, and the
// hashtag stream for near-real-time delivery, deletions and edits. It turns
// the wire format into model.Post and never writes to the store.
//
// Requests go through the shared guarded *http.Client with plain net/http;
// go-mastodon supplies the ID type. Its client is not used for requests
// because it retries HTTP 429 internally for up to an hour (hiding the
// server's Retry-After from the scheduler), overwrites the Pagination it is
// given, and its streams reconnect without backoff.
package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/cohesionalliance/campaignwall/model"
)

var (
	// ErrNeedsToken means the server refuses its tag timeline (or stream)
	// without an access token: a configuration problem, not a passing one.
	ErrNeedsToken = errors.New("this server requires an access token for tag timelines: set token_env")
	// ErrBadToken means the server refused the configured access token.
	ErrBadToken = errors.New("the server refused the access token: check the token named by token_env")
	// ErrMalformedResponse means a response could not be read as the
	// documented JSON (truncated, an HTML error page, another API).
	ErrMalformedResponse = errors.New("malformed response")
	// ErrNoHashtags means the source names no hashtag to collect.
	ErrNoHashtags = errors.New("no hashtags configured")
	// ErrNotMastodon means the server answered 404 with something other
	// than the Mastodon API's JSON error: the source's url is probably not
	// the server.
	ErrNotMastodon = errors.New("no Mastodon API at this address")
	// ErrBadSourceURL means the source's url is not an http(s) server address.
	ErrBadSourceURL = errors.New("source url must be the server's http(s) address, like https://mastodon.social")
)

// maxPageLimit is the API's cap on statuses per page.
const maxPageLimit = 40

// Options tunes a Collector. Zero values take the defaults.
type Options struct {
	PageLimit   int           // statuses per request, default and maximum 40
	MaxPages    int           // requests per hashtag per run, default 10
	CallTimeout time.Duration // deadline of each HTTP call, default 20s
	Now         func() time.Time
	Logger      *slog.Logger

	// Streaming (Stream); see there.
	FirstEventTimeout time.Duration // default 40s: Mastodon greets at once and sends a heartbeat every 15s
	IdleTimeout       time.Duration // default 90s without a byte: the connection is dead
	StableAfter       time.Duration // a connection up this long resets the backoff, default 1m
	BackoffMin        time.Duration // default 1s
	BackoffMax        time.Duration // default 5m
	Jitter            func(time.Duration) time.Duration
	Sleep             func(ctx context.Context, d time.Duration) error // waits between reconnects; tests record instead
}

// Collector collects hashtag timelines from Mastodon-API servers. It holds
// no per-source state, so one Collector serves every Mastodon source.
type Collector struct {
	client *http.Client
	opts   Options
	log    *slog.Logger
}

// New returns a Collector using client, normally built by collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.PageLimit <= 0 || opts.PageLimit > maxPageLimit {
		opts.PageLimit = maxPageLimit
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = 10
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 20 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FirstEventTimeout <= 0 {
		opts.FirstEventTimeout = 40 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 90 * time.Second
	}
	if opts.StableAfter <= 0 {
		opts.StableAfter = time.Minute
	}
	return &Collector{client: client, opts: opts, log: opts.Logger}
}

// Collect fetches the public posts carrying src's hashtags that are newer
// than cursor, oldest first.
//
// The cursor is a JSON object mapping each lowercased hashtag to the newest
// status ID seen for it on this server, {"cohesionalliance":"113145..."}:
// each hashtag is paged forward with min_id from its own ID. With no ID yet
// a hashtag starts with its newest page (PageLimit posts), not its whole
// history. A run stops after MaxPages pages of a hashtag and the next run
// continues from there. The returned cursor is "" when nothing moved.
//
// On an error Collect returns the posts of the pages completed before it
// together with the cursor that matches exactly those pages ("" if none),
// so saving both never skips a post.
func (c *Collector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	base, err := apiBase(src.URL)
	if err != nil {
		return nil, "", fmt.Errorf("mastodon source %q: %w", src.Name, err)
	}
	tags := normalizeTags(src.Hashtags)
	if len(tags) == 0 {
		return nil, "", fmt.Errorf("mastodon source %q: %w", src.Name, ErrNoHashtags)
	}
	state := c.parseCursor(src, cursor)
	next := maps.Clone(state)
	var posts []model.Post
	seen := map[string]bool{}
	var runErr error
	for _, tag := range tags {
		tagPosts, minID, err := c.collectTag(ctx, src, base, tag, state[tag])
		for _, p := range tagPosts {
			if !seen[p.URI] { // a status carrying two of the hashtags
				seen[p.URI] = true
				posts = append(posts, p)
			}
		}
		if minID != "" {
			next[tag] = minID
		}
		if err != nil {
			runErr = fmt.Errorf("mastodon source %q, #%s: %w", src.Name, tag, err)
			break // auth, rate limits and outages concern the whole server
		}
	}
	slices.SortStableFunc(posts, func(a, b model.Post) int { return a.PublishedAt.Compare(b.PublishedAt) })
	if maps.Equal(state, next) {
		return posts, "", runErr
	}
	enc, err := json.Marshal(next)
	if err != nil {
		return nil, "", fmt.Errorf("mastodon source %q: encode cursor: %w", src.Name, err)
	}
	return posts, string(enc), runErr
}

// collectTag pages forward through one hashtag's timeline from minID and
// returns the posts and the min_id to continue from.
func (c *Collector) collectTag(ctx context.Context, src model.Source, base *url.URL, tag, minID string) ([]model.Post, string, error) {
	var posts []model.Post
	host := base.Hostname()
	for page := 0; page < c.opts.MaxPages; page++ {
		q := url.Values{"limit": {strconv.Itoa(c.opts.PageLimit)}}
		if minID != "" {
			q.Set("min_id", minID)
		}
		u := endpoint(base, "api/v1/timelines/tag/"+url.PathEscape(tag), q)
		body, err := c.get(ctx, src, u)
		if errors.Is(err, errNotFound) {
			return posts, minID, nil // nobody used the hashtag on this server yet
		}
		if err != nil {
			return posts, minID, err
		}
		statuses, bad, err := decodePage(body)
		if err != nil {
			return posts, minID, fmt.Errorf("%w from %s: %w", ErrMalformedResponse, u, err)
		}
		// With min_id the server returns the statuses right after it,
		// newest first; the next page starts after the newest one. IDs are
		// compared as go-mastodon does (length, then bytes), which orders
		// Mastodon's numeric IDs and ULIDs alike. Skipped statuses count
		// too, or a page of replies would be fetched forever.
		newest := minID
		advance := func(id string) {
			if id != "" && gomastodon.ID(id).Compare(gomastodon.ID(newest)) > 0 {
				newest = id
			}
		}
		for _, b := range bad {
			c.log.Warn("mastodon: skipping a status of unexpected shape",
				slog.String("source", src.Name), slog.String("hashtag", tag),
				slog.String("status_id", b.ID), slog.Int("index", b.Index), slog.String("error", b.Err.Error()))
			advance(b.ID)
		}
		for _, st := range statuses {
			advance(string(st.ID))
			if why := skipReason(st); why != "" {
				c.log.Debug("mastodon: skipping status", slog.String("source", src.Name),
					slog.String("status_id", string(st.ID)), slog.String("reason", why))
				continue
			}
			posts = append(posts, toPost(st, src, host, c.opts.Now()))
		}
		n := len(statuses) + len(bad)
		progressed := newest != minID
		first := minID == ""
		minID = newest
		switch {
		case n < c.opts.PageLimit: // caught up
			return posts, minID, nil
		case first: // the newest page of a new hashtag: nothing newer to page to
			return posts, minID, nil
		case !progressed: // a server ignoring min_id would serve this page forever
			c.log.Warn("mastodon: server did not page forward; stopping this run",
				slog.String("source", src.Name), slog.String("hashtag", tag))
			return posts, minID, nil
		}
	}
	c.log.Info("mastodon: more posts remain; the next run continues",
		slog.String("source", src.Name), slog.String("hashtag", tag), slog.Int("max_pages", c.opts.MaxPages))
	return posts, minID, nil
}

// parseCursor reads a stored cursor. One that is not ours (the source was
// another kind before, or it was edited by hand) is logged and ignored: the
// hashtags start again from their newest page, and the store's dedupe keeps
// posts seen before from doubling. Failing instead would stop the source
// until someone cleared the cursor by hand.
func (c *Collector) parseCursor(src model.Source, cursor string) map[string]string {
	if cursor == "" {
		return map[string]string{}
	}
	var state map[string]string
	if err := json.Unmarshal([]byte(cursor), &state); err != nil || state == nil { // "null" decodes to a nil map
		msg := "not a JSON object"
		if err != nil {
			msg = err.Error()
		}
		c.log.Warn("mastodon: ignoring a stored cursor that is not a mastodon cursor",
			slog.String("source", src.Name), slog.String("error", msg))
		return map[string]string{}
	}
	return state
}

// normalizeTags returns the distinct hashtags, without '#', lowercased as
// Mastodon stores them.
func normalizeTags(hashtags []string) []string {
	var tags []string
	for _, h := range hashtags {
		t := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "#")))
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// apiBase checks and parses a source's server address.
func apiBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w (got %q)", ErrBadSourceURL, raw)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// endpoint joins an API path (already escaped) to the server's address,
// keeping a path prefix for servers behind one.
func endpoint(base *url.URL, escapedPath string, q url.Values) string {
	s := strings.TrimSuffix(base.String(), "/") + "/" + escapedPath
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}
