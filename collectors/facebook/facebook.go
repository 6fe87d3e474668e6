package facebook

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
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// ErrBadConfig is returned for a source that cannot be read as configured.
var ErrBadConfig = errors.New("facebook: bad source configuration")

// Each run asks for posts from a little before the newest one already read:
// since is in whole seconds and a post published in the same second must not
// be lost; the store drops the repeats.
const overlap = time.Minute

// Options tunes a Collector.
type Options struct {
	// PageID is the Facebook page whose posts are read (required).
	PageID string
	// PageSize is the limit per request, 1–100 (default 25).
	PageSize int
	// MaxPages bounds the requests per run (default 5).
	MaxPages int
	// Backfill is how far back the first run reads (default 7 days).
	Backfill time.Duration
	// RequestTimeout bounds each request (default 20s).
	RequestTimeout time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Logger receives warnings and debug lines (default: discard).
	Logger *slog.Logger
}

// Collector reads one Facebook page. It is safe for concurrent use.
type Collector struct {
	client *http.Client
	opts   Options
}

// New returns a Collector using client, which should come from
// collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 25
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

// Cursor is what a Facebook page source keeps between runs, stored as JSON.
type Cursor struct {
	// Newest is the creation time of the newest post read; the next run asks
	// for posts since then.
	Newest time.Time `json:"newest,omitzero"`
}

// ParseCursor reads a stored cursor; the empty string is a fresh start.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("facebook: unreadable cursor %q: %w", s, err)
	}
	return c, nil
}

func (c Cursor) String() string {
	b, _ := json.Marshal(c) // a time always marshals
	return string(b)
}

const postFields = "id,message,created_time,permalink_url,from,attachments{media,type,url,description,subattachments}"

// Collect reads the page's posts created since the cursor.
//
// It returns the posts read, the cursor to store with them ("" when
// unchanged) and an error. The cursor only moves once every page of new posts
// has been read: after a failure or when more than max_pages are waiting, the
// next run asks again from the same time and the store drops what it has.
func (c *Collector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	if c.opts.PageID == "" {
		return nil, "", fmt.Errorf("%w: source %q has no page_id", ErrBadConfig, src.Name)
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
	base := src.URL
	if base == "" {
		base = DefaultBaseURL
	}
	g := &Graph{Client: c.client, Base: base, Token: src.Token, Timeout: c.opts.RequestTimeout, Now: c.opts.Now}
	now := c.opts.Now().UTC()
	since := now.Add(-c.opts.Backfill)
	if !cur.Newest.IsZero() {
		since = cur.Newest.Add(-overlap)
	}

	var (
		posts  []model.Post
		newest = cur.Newest
		next   string
		done   bool
	)
	for page := 0; page < c.opts.MaxPages; page++ {
		var resp postsPage
		var err error
		if next == "" {
			params := url.Values{
				"fields": {postFields},
				"since":  {strconv.FormatInt(since.Unix(), 10)},
				"limit":  {strconv.Itoa(c.opts.PageSize)},
			}
			err = g.Get(ctx, "/"+url.PathEscape(c.opts.PageID)+"/posts", params, &resp)
		} else {
			err = g.GetNext(ctx, next, &resp)
		}
		if err != nil {
			return posts, "", fmt.Errorf("facebook: posts of page %s: %w", c.opts.PageID, err)
		}
		for _, fp := range resp.Data {
			p, ok := mapPost(fp, now)
			if !ok {
				continue
			}
			if p.PublishedAt.After(newest) {
				newest = p.PublishedAt
			}
			if matches(p.Text, tags) {
				posts = append(posts, p)
			}
		}
		next = resp.Paging.Next
		if next == "" || len(resp.Data) == 0 {
			done = true
			break
		}
	}
	if !done {
		c.opts.Logger.WarnContext(ctx, "facebook page has more new posts than max_pages reads; the rest waits for the next run",
			slog.String("page_id", c.opts.PageID), slog.Int("max_pages", c.opts.MaxPages))
		return posts, "", g.Saturated()
	}
	cur.Newest = newest
	out := cur.String()
	if out == cursor {
		out = ""
	}
	// Usage near Meta's limit does not spoil what was read: the posts and
	// cursor stand, and the error makes the source wait.
	return posts, out, g.Saturated()
}

// postsPage is a page of GET /{page-id}/posts, as documented at
// https://developers.facebook.com/docs/graph-api/reference/page/feed/ and
// https://developers.facebook.com/docs/graph-api/reference/pagepost/.
type postsPage struct {
	Data   []pagePost `json:"data"`
	Paging struct {
		Cursors struct {
			Before string `json:"before"`
			After  string `json:"after"`
		} `json:"cursors"`
		Previous string `json:"previous"`
		Next     string `json:"next"`
	} `json:"paging"`
}

type pagePost struct {
	ID           string `json:"id"` // {page-id}_{post-id}
	Message      string `json:"message"`
	CreatedTime  string `json:"created_time"`
	PermalinkURL string `json:"permalink_url"`
	From         struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"from"`
	Attachments struct {
		Data []attachment `json:"data"`
	} `json:"attachments"`
}

type attachment struct {
	Type        string `json:"type"` // photo, album, video_inline, video_autoplay, share, …
	URL         string `json:"url"`
	Description string `json:"description"`
	Media       *struct {
		Image *struct {
			Src    string `json:"src"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
		} `json:"image"`
		Source string `json:"source"` // the video file, for videos
	} `json:"media"`
	Subattachments struct {
		Data []attachment `json:"data"`
	} `json:"subattachments"`
}

func mapPost(fp pagePost, now time.Time) (model.Post, bool) {
	if fp.ID == "" || strings.ContainsAny(fp.ID, "/?#") {
		return model.Post{}, false
	}
	created, err := ParseTime(fp.CreatedTime)
	if err != nil {
		return model.Post{}, false
	}
	// The ID form never changes, while permalinks of the same post differ
	// (pfbid, story_fbid); it is the dedupe key, the permalink is for people.
	uri := "https://www.facebook.com/" + fp.ID
	link := uri
	if strings.HasPrefix(fp.PermalinkURL, "https://") {
		link = fp.PermalinkURL
	}
	p := model.Post{
		Network:  model.NetworkFacebook,
		URI:      uri,
		URL:      link,
		RemoteID: fp.ID,
		Author: model.Author{
			Network:     model.NetworkFacebook,
			Handle:      fp.From.ID,
			DisplayName: fp.From.Name,
		},
		Text:        fp.Message,
		HTML:        collectors.TextToHTML(fp.Message),
		PublishedAt: created,
		CollectedAt: now,
	}
	if fp.From.ID != "" {
		p.Author.URL = "https://www.facebook.com/" + fp.From.ID
	}
	for _, m := range hashtagInText.FindAllStringSubmatch(fp.Message, -1) {
		if !slices.ContainsFunc(p.Tags, func(t string) bool { return strings.EqualFold(t, m[1]) }) {
			p.Tags = append(p.Tags, m[1])
		}
	}
	for _, a := range fp.Attachments.Data {
		p.Media = append(p.Media, attachmentMedia(a)...)
	}
	if p.Text == "" && len(p.Media) == 0 {
		return model.Post{}, false // a cover photo change or the like: nothing to show
	}
	return p, true
}

func attachmentMedia(a attachment) []model.Media {
	if a.Type == "album" {
		var out []model.Media
		for _, sub := range a.Subattachments.Data {
			out = append(out, attachmentMedia(sub)...)
		}
		return out
	}
	if a.Media == nil || a.Media.Image == nil || a.Media.Image.Src == "" {
		return nil
	}
	img := a.Media.Image
	m := model.Media{Kind: model.MediaImage, URL: img.Src, Width: img.Width, Height: img.Height, AltText: a.Description}
	switch {
	case strings.HasPrefix(a.Type, "video") && a.Media.Source != "":
		m.Kind, m.URL, m.PreviewURL = model.MediaVideo, a.Media.Source, img.Src
	case a.Type == "photo" || strings.HasPrefix(a.Type, "video"):
		// A video without a playable file still shows its still image.
	default:
		return nil // link previews and the like belong to other sites
	}
	return []model.Media{m}
}

var hashtagInText = regexp.MustCompile(`#([\p{L}\p{N}_]+)`)

func hashtags(in []string) ([]string, error) {
	var out []string
	for _, h := range in {
		h = strings.TrimPrefix(strings.TrimSpace(h), "#")
		if h == "" {
			continue
		}
		for _, r := range h {
			if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return nil, fmt.Errorf("%w: hashtag %q may hold only letters, digits and _", ErrBadConfig, h)
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// matches reports whether text carries one of tags as a hashtag; no tags
// match everything.
func matches(text string, tags []string) bool {
	if len(tags) == 0 {
		return true
	}
	for _, m := range hashtagInText.FindAllStringSubmatch(text, -1) {
		for _, t := range tags {
			if strings.EqualFold(m[1], t) {
				return true
			}
		}
	}
	return false
}
