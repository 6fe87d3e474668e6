// Package instagram collects public Instagram photos and videos by hashtag
// through the Instagram Graph API (hashtag search for a business or creator
// account: GET /ig_hashtag_search, then GET /{hashtag-id}/recent_media), and
// turns them into model.Post.
//
// Instagram lets an account query at most 30 unique hashtags in a rolling
// seven days; a hashtag counts from its first query for seven days, and
// querying it again in that time costs nothing. The cursor remembers, per
// hashtag, its ID (hashtag IDs are static and global, so a hashtag is searched
// for once) and when its current seven-day window began; the collector refuses
// a new hashtag past the limit with ErrHashtagLimit instead of letting the
// API fail. recent_media only returns media of the last 24 hours, newest
// first, and hides the author's username.
//
// Config (TOML keys of a source with kind = "instagram") maps to Options as:
//
//	url                  → model.Source.URL, the Graph API base (default https://graph.facebook.com/v21.0)
//	token_env/token_file → model.Source.Token, a user access token with instagram_basic
//	                       and the Instagram Public Content Access feature
//	hashtags             → model.Source.Hashtags
//	ig_user_id           → Options.UserID, the Instagram business account querying
//	hashtag_limit        → Options.HashtagLimit (default 30; lower it when several
//	                       sources share one account)
//	page_size            → Options.PageSize
//	max_pages            → Options.MaxPages
package instagram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/facebook"
	"github.com/cohesionalliance/campaignwall/model"
)

// ErrHashtagLimit is returned when querying another hashtag would exceed
// Instagram's limit of unique hashtags per account and seven days. Its text
// says which hashtags wait and until when.
var ErrHashtagLimit = errors.New("instagram: unique hashtag limit reached")

// ErrBadConfig is returned for a source that cannot be queried as configured.
var ErrBadConfig = errors.New("instagram: bad source configuration")

// ErrHashtagNotFound is returned when Instagram knows no such hashtag (it
// also answers so for hashtags it deems sensitive).
var ErrHashtagNotFound = errors.New("instagram: hashtag not found")

const (
	hashtagWindow = 7 * 24 * time.Hour
	// recent_media only reaches back a day; a first run reads that.
	recentWindow = 24 * time.Hour
	// Each run looks this far below the newest media already read: media
	// published a little late still get in, the store drops repeats.
	overlap = 5 * time.Minute
)

// Options tunes a Collector.
type Options struct {
	// UserID is the Instagram business or creator account that queries (required).
	UserID string
	// HashtagLimit is how many unique hashtags the account may query per
	// seven days (default 30, Instagram's limit).
	HashtagLimit int
	// PageSize is the recent_media page size, 1–50 (default 50).
	PageSize int
	// MaxPages bounds the requests per hashtag and run (default 5).
	MaxPages int
	// RequestTimeout bounds each request (default 20s).
	RequestTimeout time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Logger receives warnings and debug lines (default: discard).
	Logger *slog.Logger
}

// Collector reads one Instagram source. It is safe for concurrent use.
type Collector struct {
	client *http.Client
	opts   Options
}

// New returns a Collector using client, which should come from
// collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.HashtagLimit <= 0 {
		opts.HashtagLimit = 30
	}
	if opts.PageSize <= 0 || opts.PageSize > 50 {
		opts.PageSize = 50
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = 5
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

// Cursor is what an Instagram source keeps between runs, stored as JSON.
type Cursor struct {
	Hashtags map[string]HashtagState `json:"hashtags,omitempty"` // by lowercased hashtag
}

// HashtagState is what the source knows about one hashtag.
type HashtagState struct {
	ID string `json:"id,omitempty"` // the hashtag's Graph ID: static and global
	// WindowStart is when the hashtag was first queried in its current
	// seven-day window; it counts against the limit until seven days later.
	WindowStart time.Time `json:"window_start,omitzero"`
	// Newest is the publication time of the newest media read.
	Newest time.Time `json:"newest,omitzero"`
}

// ParseCursor reads a stored cursor; the empty string is a fresh start.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("instagram: unreadable cursor %q: %w", s, err)
	}
	return c, nil
}

func (c Cursor) String() string {
	b, _ := json.Marshal(c) // strings and times always marshal
	return string(b)
}

// Collect queries each hashtag's recent media newer than the cursor says
// were read.
//
// It returns the posts read, the cursor to store with them ("" when
// unchanged) and an error. When the error is non-nil but the cursor is not
// empty, the posts and cursor are still valid and should be saved: that is the
// case for ErrHashtagLimit (the hashtags within the limit were read) and for
// a failure after some hashtags were read.
func (c *Collector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	if c.opts.UserID == "" {
		return nil, "", fmt.Errorf("%w: source %q has no ig_user_id (the Instagram business account that queries)", ErrBadConfig, src.Name)
	}
	if src.Token == "" {
		return nil, "", fmt.Errorf("%w: source %q has no access token", ErrBadConfig, src.Name)
	}
	tags, err := hashtags(src.Hashtags)
	if err != nil {
		return nil, "", err
	}
	cur, err := ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if cur.Hashtags == nil {
		cur.Hashtags = map[string]HashtagState{}
	}
	base := src.URL
	if base == "" {
		base = facebook.DefaultBaseURL
	}
	g := &facebook.Graph{Client: c.client, Base: base, Token: src.Token, Timeout: c.opts.RequestTimeout, Now: c.opts.Now}
	now := c.opts.Now().UTC()

	var (
		posts   []model.Post
		seen    = map[string]bool{}
		refused []string
		failure error
	)
	for _, tag := range tags {
		key := strings.ToLower(tag)
		st := cur.Hashtags[key]
		if !inWindow(st, now) {
			if active := activeCount(cur, now); active >= c.opts.HashtagLimit {
				refused = append(refused, tag)
				continue
			}
			st.WindowStart = now
		}
		found, st, err := c.collectTag(ctx, g, tag, st, now)
		cur.Hashtags[key] = st // a queried hashtag counts even when the query failed
		for _, p := range found {
			if !seen[p.URI] {
				seen[p.URI] = true
				posts = append(posts, p)
			}
		}
		if err != nil {
			failure = err
			break
		}
	}

	var errs []error
	if failure == nil {
		failure = g.Saturated() // the hashtags read stand; later runs wait
	}
	if failure != nil {
		errs = append(errs, failure)
	}
	if len(refused) > 0 {
		errs = append(errs, c.limitError(cur, refused, now))
	}
	next := cur.String()
	if next == cursor || (cursor == "" && len(cur.Hashtags) == 0) {
		next = ""
	}
	return posts, next, errors.Join(errs...)
}

func inWindow(st HashtagState, now time.Time) bool {
	return !st.WindowStart.IsZero() && now.Sub(st.WindowStart) < hashtagWindow
}

func activeCount(cur Cursor, now time.Time) int {
	n := 0
	for _, st := range cur.Hashtags {
		if inWindow(st, now) {
			n++
		}
	}
	return n
}

func (c *Collector) limitError(cur Cursor, refused []string, now time.Time) error {
	var ends []time.Time
	for _, st := range cur.Hashtags {
		if inWindow(st, now) {
			ends = append(ends, st.WindowStart.Add(hashtagWindow))
		}
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i].Before(ends[j]) })
	when := "later"
	if len(ends) > 0 {
		when = "from " + ends[0].UTC().Format("2006-01-02 15:04") + " UTC"
	}
	return fmt.Errorf("%w: Instagram allows %d unique hashtags per account in 7 days and all are in use; #%s will be queried %s",
		ErrHashtagLimit, c.opts.HashtagLimit, strings.Join(refused, ", #"), when)
}

// collectTag reads one hashtag's recent media down to what earlier runs read.
func (c *Collector) collectTag(ctx context.Context, g *facebook.Graph, tag string, st HashtagState, now time.Time) ([]model.Post, HashtagState, error) {
	if st.ID == "" {
		var found struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		params := url.Values{"user_id": {c.opts.UserID}, "q": {tag}}
		if err := g.Get(ctx, "/ig_hashtag_search", params, &found); err != nil {
			return nil, st, fmt.Errorf("instagram: search hashtag #%s: %w", tag, err)
		}
		if len(found.Data) == 0 || found.Data[0].ID == "" {
			return nil, st, fmt.Errorf("%w: #%s", ErrHashtagNotFound, tag)
		}
		st.ID = found.Data[0].ID
	}

	floor := now.Add(-recentWindow)
	if !st.Newest.IsZero() {
		floor = st.Newest.Add(-overlap)
	}
	var (
		posts  []model.Post
		newest = st.Newest
		next   string
		done   bool
	)
	for page := 0; page < c.opts.MaxPages; page++ {
		var resp mediaPage
		var err error
		if next == "" {
			params := url.Values{
				"user_id": {c.opts.UserID},
				"fields":  {mediaFields},
				"limit":   {strconv.Itoa(c.opts.PageSize)},
			}
			err = g.Get(ctx, "/"+url.PathEscape(st.ID)+"/recent_media", params, &resp)
		} else {
			err = g.GetNext(ctx, next, &resp)
		}
		if err != nil {
			// Media of earlier pages are returned, but Newest stays: the next
			// run reads from the top again and the store drops the repeats.
			return posts, st, fmt.Errorf("instagram: recent media of #%s: %w", tag, err)
		}
		for _, m := range resp.Data {
			p, ok := mapMedia(m, now)
			if !ok {
				continue
			}
			posts = append(posts, p)
			if p.PublishedAt.After(newest) {
				newest = p.PublishedAt
			}
			if p.PublishedAt.Before(floor) {
				done = true // reached media earlier runs read
			}
		}
		next = resp.Paging.Next
		if done || next == "" || len(resp.Data) == 0 {
			done = true
			break
		}
	}
	if done {
		st.Newest = newest
	} else {
		c.opts.Logger.WarnContext(ctx, "instagram hashtag has more new media than max_pages reads; the rest waits for the next run",
			slog.String("hashtag", tag), slog.Int("max_pages", c.opts.MaxPages))
	}
	return posts, st, nil
}

const mediaFields = "id,caption,media_type,media_url,permalink,timestamp,children{media_url,media_type}"

// mediaPage is a page of GET /{ig-hashtag-id}/recent_media, as documented at
// https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-hashtag/recent-media
type mediaPage struct {
	Data   []igMedia `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

type igMedia struct {
	ID        string `json:"id"`
	Caption   string `json:"caption"`
	MediaType string `json:"media_type"` // IMAGE, VIDEO, CAROUSEL_ALBUM
	MediaURL  string `json:"media_url"`
	Permalink string `json:"permalink"`
	Timestamp string `json:"timestamp"`
	Children  struct {
		Data []struct {
			ID        string `json:"id"`
			MediaType string `json:"media_type"`
			MediaURL  string `json:"media_url"`
		} `json:"data"`
	} `json:"children"`
}

var hashtagInText = regexp.MustCompile(`#([\p{L}\p{N}_]+)`)

func mapMedia(m igMedia, now time.Time) (model.Post, bool) {
	if m.ID == "" || !strings.HasPrefix(m.Permalink, "https://") {
		return model.Post{}, false // no address to show or dedupe by
	}
	published, err := facebook.ParseTime(m.Timestamp)
	if err != nil {
		return model.Post{}, false
	}
	p := model.Post{
		Network:  model.NetworkInstagram,
		URI:      m.Permalink,
		URL:      m.Permalink,
		RemoteID: m.ID,
		// Instagram hides who posted hashtag media; moderators see the
		// permalink. The author stays unnamed rather than guessed.
		Author:      model.Author{Network: model.NetworkInstagram},
		Text:        m.Caption,
		HTML:        collectors.TextToHTML(m.Caption),
		PublishedAt: published,
		CollectedAt: now,
	}
	for _, match := range hashtagInText.FindAllStringSubmatch(m.Caption, -1) {
		if !slices.ContainsFunc(p.Tags, func(t string) bool { return strings.EqualFold(t, match[1]) }) {
			p.Tags = append(p.Tags, match[1])
		}
	}
	addMedia := func(kind, u string) {
		switch {
		case u == "":
		case kind == "IMAGE":
			p.Media = append(p.Media, model.Media{Kind: model.MediaImage, URL: u})
		case kind == "VIDEO":
			p.Media = append(p.Media, model.Media{Kind: model.MediaVideo, URL: u})
		}
	}
	if m.MediaType == "CAROUSEL_ALBUM" {
		for _, ch := range m.Children.Data {
			addMedia(ch.MediaType, ch.MediaURL)
		}
	} else {
		addMedia(m.MediaType, m.MediaURL)
	}
	return p, true
}

func hashtags(in []string) ([]string, error) {
	var out []string
	for _, h := range in {
		h = strings.TrimPrefix(strings.TrimSpace(h), "#")
		if h == "" {
			continue
		}
		for _, r := range h {
			if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return nil, fmt.Errorf("%w: hashtag %q may hold only letters, digits and _ (Instagram refuses emoji)", ErrBadConfig, h)
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
