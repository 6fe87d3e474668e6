// Package feed owns collecting from syndication feeds: RSS 2.0, Atom 1.0 and
// JSON Feed, including podcast feeds (audio enclosures) and YouTube channel
// feeds (Atom with media:group). It turns each feed item into a model.Post
// with Network model.NetworkFeed; sources use kind = "feed" in the config.
//
// The feed is fetched with the shared guarded client (never gofeed's own HTTP
// code, which has no address guard) and only parsed by gofeed. Requests are
// conditional: the cursor remembers the feed's ETag and Last-Modified, so an
// unchanged feed costs the publisher a 304 and no parsing.
//
// Cursor format (JSON, owned by this package):
//
//	{"etag":"\"abc\"","last_modified":"Mon, 02 Mar 2026 10:00:00 GMT"}
//
// Either field may be missing. A 304 returns no posts and an empty next cursor
// (unchanged); an error never advances it.
package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// ErrInvalidFeed is returned when a response is not a feed gofeed can parse
// (broken XML, an HTML page, invalid JSON). The error text names the URL and
// the parser's own message, so the status page says what is wrong.
var ErrInvalidFeed = errors.New("invalid feed")

// Options tunes a Collector. The zero value is usable.
type Options struct {
	// MaxItems is how many items, newest first, one run turns into posts.
	// A first run on a podcast with ten years of episodes should not flood the
	// moderation queue. Default 50.
	MaxItems int
	// MaxMedia caps the media items kept per post. Default 4.
	MaxMedia int
	// Timeout bounds one run, whatever the client does. Default 60s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Collector collects one kind of source: feeds. It is safe for concurrent use.
type Collector struct {
	client *http.Client
	opts   Options
	log    *slog.Logger
}

// New returns a feed collector using client, the shared guarded client from
// collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.MaxItems <= 0 {
		opts.MaxItems = 50
	}
	if opts.MaxMedia <= 0 {
		opts.MaxMedia = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{client: client, opts: opts, log: log}
}

// cursor is what a feed's conditional GET needs next time.
type cursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Collect fetches src.URL and returns its newest items as posts. See the
// package comment for the cursor.
func (c *Collector) Collect(ctx context.Context, src model.Source, cur string) ([]model.Post, string, error) {
	feedURL, err := url.Parse(strings.TrimSpace(src.URL))
	if err != nil || (feedURL.Scheme != "http" && feedURL.Scheme != "https") || feedURL.Host == "" {
		return nil, "", fmt.Errorf("feed source %q: url %q is not an http(s) URL", src.Name, src.URL)
	}
	var prev cursor
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &prev); err != nil {
			// A cursor we cannot read only costs one unconditional fetch;
			// dedupe by URI keeps the posts from doubling.
			c.log.Warn("ignoring unreadable feed cursor", slog.String("source", src.Name), slog.String("error", err.Error()))
			prev = cursor{}
		}
	}

	ctx, cancel := collectors.WithDeadline(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("feed %s: %w", feedURL, err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("feed %s: %w", feedURL, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, "", nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, "", &collectors.HTTPError{
			URL:        feedURL.String(),
			StatusCode: resp.StatusCode,
			RetryAfter: collectors.RetryAfter(resp.Header, time.Now()),
			Message:    firstLine(string(msg)),
		}
	}
	// Read it all first: a size-cap error then stays an ErrResponseTooLarge
	// instead of turning into a confusing parser error halfway through.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("feed %s: read body: %w", feedURL, err)
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: %w", ErrInvalidFeed, feedURL, err)
	}

	next, err := json.Marshal(cursor{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")})
	if err != nil {
		return nil, "", fmt.Errorf("feed %s: cursor: %w", feedURL, err)
	}
	// The final URL after redirects is the base for relative links; bare
	// GUIDs are qualified with the configured URL, which stays the same when
	// a publisher moves its feed behind a redirect.
	posts := c.posts(src, feedURL, resp.Request.URL, parsed)
	return posts, string(next), nil
}

func (c *Collector) posts(src model.Source, feedURL, finalURL *url.URL, f *gofeed.Feed) []model.Post {
	site := finalURL
	if u, err := finalURL.Parse(strings.TrimSpace(f.Link)); err == nil && f.Link != "" && isWeb(u) {
		site = u
	}
	items := make([]*gofeed.Item, 0, len(f.Items))
	for _, it := range f.Items {
		if it != nil {
			items = append(items, it)
		}
	}
	// Newest first, so MaxItems keeps the newest; undated items keep feed order
	// after dated ones.
	sort.SliceStable(items, func(i, j int) bool {
		ti, tj := itemTime(items[i]), itemTime(items[j])
		return ti.After(tj)
	})

	var feedImage string
	if f.Image != nil {
		feedImage = resolve(site, f.Image.URL)
	}
	lang := primaryLanguage(f.Language)
	seen := map[string]bool{}
	var posts []model.Post
	for _, it := range items {
		if len(posts) >= c.opts.MaxItems {
			break
		}
		p, ok := c.post(src, feedURL, site, f, feedImage, lang, it)
		if !ok {
			c.log.Warn("feed item without guid or link skipped", slog.String("source", src.Name), slog.String("title", it.Title))
			continue
		}
		if seen[p.URI] {
			continue
		}
		seen[p.URI] = true
		posts = append(posts, p)
	}
	return posts
}

func (c *Collector) post(src model.Source, feedURL, site *url.URL, f *gofeed.Feed, feedImage, lang string, it *gofeed.Item) (model.Post, bool) {
	link := resolve(site, it.Link)
	if link == "" {
		for _, l := range it.Links {
			if link = resolve(site, l); link != "" {
				break
			}
		}
	}
	uri := guidURI(feedURL, it.GUID)
	if uri == "" {
		uri = link
	}
	if uri == "" {
		return model.Post{}, false
	}

	group := mediaGroup(it.Extensions)
	body := it.Content
	if strings.TrimSpace(body) == "" {
		body = it.Description
	}
	var bodyHTML string
	if strings.TrimSpace(body) != "" {
		bodyHTML, _ = collectors.SanitizeHTML(body)
	} else if d := extValue(group, "description"); d != "" {
		// YouTube puts the video's description, plain text, in media:group.
		bodyHTML = collectors.TextToHTML(d)
	}
	title := strings.TrimSpace(html.UnescapeString(it.Title))
	if title == "" {
		title = extValue(group, "title")
	}
	safe := bodyHTML
	if title != "" && !strings.HasPrefix(collectors.HTMLToText(bodyHTML), title) {
		safe = "<p><strong>" + html.EscapeString(title) + "</strong></p>" + bodyHTML
	}

	author := model.Author{Network: model.NetworkFeed, URL: site.String(), AvatarURL: feedImage}
	switch {
	case len(it.Authors) > 0 && it.Authors[0] != nil && strings.TrimSpace(it.Authors[0].Name) != "":
		author.DisplayName = strings.TrimSpace(it.Authors[0].Name)
	case it.Author != nil && strings.TrimSpace(it.Author.Name) != "":
		author.DisplayName = strings.TrimSpace(it.Author.Name)
	case len(f.Authors) > 0 && f.Authors[0] != nil && strings.TrimSpace(f.Authors[0].Name) != "":
		// Atom entries inherit the feed's author (RFC 4287, 4.2.1).
		author.DisplayName = strings.TrimSpace(f.Authors[0].Name)
	default:
		author.DisplayName = strings.TrimSpace(f.Title)
	}
	if author.DisplayName == "" {
		author.DisplayName = site.Hostname()
	}
	// Qualified by the site's host, as fediverse handles are: two feeds each
	// with an author called "Press Office" stay two authors.
	author.Handle = author.DisplayName + "@" + site.Hostname()

	p := model.Post{
		Network:    model.NetworkFeed,
		URI:        uri,
		URL:        link,
		RemoteID:   strings.TrimSpace(it.GUID),
		SourceName: src.Name,
		Category:   src.Category,
		Author:     author,
		HTML:       safe,
		Text:       collectors.HTMLToText(safe),
		Language:   lang,
		Tags:       tags(it.Categories),
		Media:      c.media(site, it, group, link, feedImage),
	}
	if p.URL == "" && isWebString(uri) {
		p.URL = uri
	}
	if t := itemTime(it); !t.IsZero() {
		p.PublishedAt = t.UTC()
	}
	return p, true
}

// media collects what an item carries: enclosures (podcast audio, video,
// photos), Media RSS thumbnails and content, and the image gofeed found
// (itunes:image, media:content, an <img> in the content).
func (c *Collector) media(site *url.URL, it *gofeed.Item, group map[string][]ext.Extension, link, feedImage string) []model.Media {
	var out []model.Media
	seen := map[string]bool{}
	add := func(m model.Media) {
		if m.URL == "" || seen[m.URL] || len(out) >= c.opts.MaxMedia {
			return
		}
		seen[m.URL] = true
		out = append(out, m)
	}

	var thumb thumbnail
	if group != nil {
		thumb = bestThumbnail(site, group["thumbnail"])
	}
	if t := bestThumbnail(site, mediaExt(it.Extensions, "thumbnail")); thumb.url == "" {
		thumb = t
	}
	poster := thumb.url
	if poster == "" && it.Image != nil {
		poster = resolve(site, it.Image.URL)
	}

	// A YouTube entry: the video is the watch page, its thumbnail the preview.
	if isYouTube(it) && link != "" {
		add(model.Media{Kind: model.MediaVideo, URL: link, PreviewURL: poster, AltText: strings.TrimSpace(it.Title), Width: thumb.width, Height: thumb.height})
		return out
	}

	for _, e := range it.Enclosures {
		if e == nil {
			continue
		}
		u := resolve(site, e.URL)
		typ := strings.ToLower(strings.TrimSpace(e.Type))
		switch {
		case strings.HasPrefix(typ, "audio/"):
			p := poster
			if p == "" {
				p = feedImage
			}
			add(model.Media{Kind: model.MediaAudio, URL: u, PreviewURL: p, AltText: strings.TrimSpace(it.Title)})
		case strings.HasPrefix(typ, "video/"):
			add(model.Media{Kind: model.MediaVideo, URL: u, PreviewURL: poster, AltText: strings.TrimSpace(it.Title)})
		case strings.HasPrefix(typ, "image/"):
			add(model.Media{Kind: model.MediaImage, URL: u})
		}
	}
	hasPoster := false
	for _, m := range out {
		hasPoster = hasPoster || m.PreviewURL != ""
	}
	for _, mc := range append(mediaExt(it.Extensions, "content"), group["content"]...) {
		typ, medium := mc.Attrs["type"], mc.Attrs["medium"]
		if strings.HasPrefix(typ, "image/") || medium == "image" {
			add(model.Media{Kind: model.MediaImage, URL: resolve(site, mc.Attrs["url"]), AltText: extValue(mc.Children, "description")})
		}
	}
	if !hasPoster {
		if thumb.url != "" {
			add(model.Media{Kind: model.MediaImage, URL: thumb.url, Width: thumb.width, Height: thumb.height})
		} else if it.Image != nil {
			add(model.Media{Kind: model.MediaImage, URL: resolve(site, it.Image.URL)})
		}
	}
	return out
}

type thumbnail struct {
	url           string
	width, height int
}

// bestThumbnail picks the widest Media RSS thumbnail.
func bestThumbnail(site *url.URL, exts []ext.Extension) thumbnail {
	var best thumbnail
	for _, e := range exts {
		u := resolve(site, e.Attrs["url"])
		if u == "" {
			continue
		}
		var w, h int
		fmt.Sscan(e.Attrs["width"], &w)
		fmt.Sscan(e.Attrs["height"], &h)
		if best.url == "" || w > best.width {
			best = thumbnail{url: u, width: w, height: h}
		}
	}
	return best
}

func mediaExt(e ext.Extensions, name string) []ext.Extension {
	if e == nil || e["media"] == nil {
		return nil
	}
	return e["media"][name]
}

// mediaGroup returns the children of the item's first media:group.
func mediaGroup(e ext.Extensions) map[string][]ext.Extension {
	groups := mediaExt(e, "group")
	if len(groups) == 0 {
		return nil
	}
	return groups[0].Children
}

func extValue(children map[string][]ext.Extension, name string) string {
	if children == nil || len(children[name]) == 0 {
		return ""
	}
	return strings.TrimSpace(children[name][0].Value)
}

func isYouTube(it *gofeed.Item) bool {
	if it.Extensions != nil && len(it.Extensions["yt"]["videoId"]) > 0 {
		return true
	}
	return strings.HasPrefix(it.GUID, "yt:video:")
}

func itemTime(it *gofeed.Item) time.Time {
	if it.PublishedParsed != nil {
		return *it.PublishedParsed
	}
	if it.UpdatedParsed != nil {
		return *it.UpdatedParsed
	}
	return time.Time{}
}

// guidURI makes an item's GUID a dedupe key. A GUID that is an absolute URI
// (a permalink, tag:, urn:, yt:video:…) is globally unique as it is; a bare
// one like "42" is only unique within its feed, so it is qualified with the
// feed's URL.
func guidURI(feedURL *url.URL, guid string) string {
	guid = strings.TrimSpace(guid)
	if guid == "" {
		return ""
	}
	if u, err := url.Parse(guid); err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "") {
		return guid
	}
	return feedURL.String() + "#" + guid
}

// resolve makes ref absolute against base; it returns "" for anything that is
// not an http(s) URL (javascript:, data:, mailto:).
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := base.Parse(ref)
	if err != nil || !isWeb(u) {
		return ""
	}
	return u.String()
}

func isWeb(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isWebString(s string) bool {
	u, err := url.Parse(s)
	return err == nil && isWeb(u)
}

// tags turns feed categories into single-word lowercase tags, the form
// hashtags take elsewhere, because the store keeps tags space-separated.
func tags(categories []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range categories {
		t := strings.ToLower(strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(c), "#")), ""))
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// primaryLanguage turns "en-US" or "el_GR" into "en" / "el".
func primaryLanguage(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	return l
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
