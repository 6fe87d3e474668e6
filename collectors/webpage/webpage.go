// Package webpage owns collecting from web pages that have no feed, such as
// the Cohesion Alliance site's lists of project stories and documents. CSS
// selectors from the source's config say where the items are; each item
// becomes a model.Post with Network model.NetworkWebpage and, as its URI, the
// item's link resolved against the page.
//
// A source has kind = "webpage"; its selector keys map to Options like this:
//
//	[[sources]]
//	name     = "cohesion-stories"
//	kind     = "webpage"
//	url      = "https://cohesionalliance.example/en/stories"
//	category = "story"
//	item           = "li.story"              # ItemSelector (required): one element per item
//	title          = "h3"                    # TitleSelector: the item's title text (default: the link text)
//	link           = "h3 a"                  # LinkSelector: the item's link, href (default: the first a[href])
//	image          = "img"                   # ImageSelector: src, data-src or srcset of the first match
//	date           = "time"                  # DateSelector: datetime/content attribute, or the text
//	date_layout    = "02.01.2006"            # DateLayout: a Go time layout (default: common ISO and EU forms)
//	summary        = "p.teaser"              # SummarySelector: HTML kept (sanitized), links resolved
//	language_links = "ul.languages a"        # LanguageLinksSelector: one link per language version
//	next           = "a[rel=next]"           # NextSelector: the next page of the list
//	max_pages      = 3                       # MaxPages: pages read per run (default 1, or 5 with next)
//
// Several language versions of one document (a list of language links under
// one item) stay ONE post. Because model.Post has no field for them, they are
// kept in fields it has: each language as a tag "lang:xx" (so the queue and
// the wall can filter on them) and the links to every version as a line of
// language-code links at the end of the post's HTML. No schema change needed.
//
// The collector respects robots.txt (RFC 9309): it reads /robots.txt once per
// host per run and obeys the group for "campaignwall", else the "*" group.
//
// Cursor format (JSON, owned by this package), for a conditional GET of the
// first page:
//
//	{"etag":"\"abc\"","last_modified":"…","config":"3f2a…"}
//
// config is a hash of the selectors: after an admin fixes a selector the
// page is read again even if it has not changed.
package webpage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/language"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// ErrNoMatch is returned (inside a *SelectorError) when a selector matches
// nothing where it must: usually the site's layout changed and the source's
// selectors need updating.
var ErrNoMatch = errors.New("selector matched nothing")

// SelectorError says which selector found nothing on which page, in words an
// admin can act on: "selector `li.story` matched nothing on https://…".
type SelectorError struct {
	Selector string
	URL      string
	Items    int // for a link selector: in how many items it found no link
}

func (e *SelectorError) Error() string {
	if e.Items > 0 {
		return fmt.Sprintf("selector `%s` matched no link in any of the %d items on %s", e.Selector, e.Items, e.URL)
	}
	return fmt.Sprintf("selector `%s` matched nothing on %s", e.Selector, e.URL)
}

// Unwrap makes errors.Is(err, ErrNoMatch) true.
func (e *SelectorError) Unwrap() error { return ErrNoMatch }

// ErrNotHTML is returned when a source URL does not serve an HTML page.
var ErrNotHTML = errors.New("not an HTML page")

// Options are one webpage source's selectors and limits. See the package
// comment for the config keys.
type Options struct {
	ItemSelector          string
	TitleSelector         string
	LinkSelector          string
	ImageSelector         string
	DateSelector          string
	DateLayout            string
	SummarySelector       string
	LanguageLinksSelector string
	NextSelector          string
	MaxPages              int

	// MaxItems caps the posts one run returns (all pages together). Default 100.
	MaxItems int
	// Timeout bounds one run, robots.txt and every page included. Default 60s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Collector collects one webpage source, with that source's selectors.
// It is safe for concurrent use.
type Collector struct {
	client *http.Client
	opts   Options
	config string
	log    *slog.Logger
}

// New returns a collector for pages shaped as opts describes, fetching with
// client, the shared guarded client from collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.MaxPages <= 0 {
		opts.MaxPages = 1
		if opts.NextSelector != "" {
			opts.MaxPages = 5
		}
	}
	opts.MaxPages = min(opts.MaxPages, 50)
	if opts.MaxItems <= 0 {
		opts.MaxItems = 100
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := sha256.Sum256([]byte(strings.Join([]string{opts.ItemSelector, opts.TitleSelector, opts.LinkSelector,
		opts.ImageSelector, opts.DateSelector, opts.DateLayout, opts.SummarySelector,
		opts.LanguageLinksSelector, opts.NextSelector, fmt.Sprint(opts.MaxPages)}, "\x00")))
	return &Collector{client: client, opts: opts, config: hex.EncodeToString(h[:8]), log: log}
}

type cursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Config       string `json:"config,omitempty"`
}

// Collect reads src.URL and the pages after it, up to MaxPages, and returns
// their items as posts. See the package comment for the cursor.
func (c *Collector) Collect(ctx context.Context, src model.Source, cur string) ([]model.Post, string, error) {
	if strings.TrimSpace(c.opts.ItemSelector) == "" {
		return nil, "", fmt.Errorf("webpage source %q: no item selector configured", src.Name)
	}
	start, err := url.Parse(strings.TrimSpace(src.URL))
	if err != nil || !isWeb(start) {
		return nil, "", fmt.Errorf("webpage source %q: url %q is not an http(s) URL", src.Name, src.URL)
	}
	var prev cursor
	if cur != "" {
		if err := json.Unmarshal([]byte(cur), &prev); err != nil {
			c.log.Warn("ignoring unreadable webpage cursor", slog.String("source", src.Name), slog.String("error", err.Error()))
		}
	}
	if prev.Config != c.config {
		prev = cursor{}
	}

	ctx, cancel := collectors.WithDeadline(ctx, c.opts.Timeout)
	defer cancel()
	robotsByHost := map[string]*robots{}
	var next string
	var posts []model.Post
	seen := map[string]bool{}
	visited := map[string]bool{}
	pageURL := start
	for page := 1; page <= c.opts.MaxPages && pageURL != nil; page++ {
		visited[pageURL.String()] = true
		if err := c.checkRobots(ctx, robotsByHost, pageURL); err != nil {
			if page == 1 {
				return nil, "", err
			}
			c.log.Warn("stopping pagination", slog.String("source", src.Name), slog.String("error", err.Error()))
			break
		}
		var cond cursor
		if page == 1 {
			cond = prev
		}
		doc, final, got, err := c.fetch(ctx, pageURL, cond)
		if err != nil {
			return posts, "", err
		}
		if doc == nil { // 304: the first page has not changed
			return nil, "", nil
		}
		if page == 1 {
			got.Config = c.config
			b, err := json.Marshal(got)
			if err != nil {
				return nil, "", fmt.Errorf("webpage %s: cursor: %w", pageURL, err)
			}
			next = string(b)
		}
		items := doc.Find(c.opts.ItemSelector)
		if items.Length() == 0 {
			if page == 1 {
				return nil, "", &SelectorError{Selector: c.opts.ItemSelector, URL: final.String()}
			}
			break // a list that runs out on a later page is not a broken layout
		}
		pagePosts, err := c.items(src, doc, final, items)
		if err != nil {
			return posts, "", err
		}
		for _, p := range pagePosts {
			if !seen[p.URI] && len(posts) < c.opts.MaxItems {
				seen[p.URI] = true
				posts = append(posts, p)
			}
		}
		pageURL = nil
		if c.opts.NextSelector != "" && len(posts) < c.opts.MaxItems {
			if href, ok := doc.Find(c.opts.NextSelector).First().Attr("href"); ok {
				if u, err := final.Parse(strings.TrimSpace(href)); err == nil && isWeb(u) &&
					u.Host == final.Host && !visited[u.String()] {
					u.Fragment = ""
					pageURL = u
				}
			}
		}
	}
	return posts, next, nil
}

func (c *Collector) checkRobots(ctx context.Context, cache map[string]*robots, u *url.URL) error {
	key := u.Scheme + "://" + u.Host
	r, ok := cache[key]
	if !ok {
		var err error
		if r, err = fetchRobots(ctx, c.client, u); err != nil {
			return err
		}
		cache[key] = r
	}
	if !r.allowed(u) {
		return fmt.Errorf("%w: %s for %s", ErrDisallowed, u, robotsToken)
	}
	return nil
}

// fetch GETs one page. A nil document with a nil error means 304 Not Modified.
func (c *Collector) fetch(ctx context.Context, u *url.URL, cond cursor) (*goquery.Document, *url.URL, cursor, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, cursor{}, fmt.Errorf("webpage %s: %w", u, err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, cursor{}, fmt.Errorf("webpage %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return nil, nil, cursor{}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, cursor{}, &collectors.HTTPError{
			URL:        u.String(),
			StatusCode: resp.StatusCode,
			RetryAfter: collectors.RetryAfter(resp.Header, time.Now()),
		}
	}
	ctype := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ctype); ctype != "" && (err != nil || (mt != "text/html" && mt != "application/xhtml+xml")) {
		return nil, nil, cursor{}, fmt.Errorf("%w: %s is %q", ErrNotHTML, u, ctype)
	}
	// Pages in windows-1251 or ISO-8859-7 still exist; goquery expects UTF-8.
	body, err := charset.NewReader(resp.Body, ctype)
	if err != nil {
		return nil, nil, cursor{}, fmt.Errorf("webpage %s: charset: %w", u, err)
	}
	doc, err := goquery.NewDocumentFromReader(body)
	if err != nil {
		if errors.Is(err, collectors.ErrResponseTooLarge) {
			return nil, nil, cursor{}, fmt.Errorf("webpage %s: %w", u, err)
		}
		return nil, nil, cursor{}, fmt.Errorf("webpage %s: parse: %w", u, err)
	}
	// A truncated body makes a truncated document; the reader's error says so.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return nil, nil, cursor{}, fmt.Errorf("webpage %s: %w", u, err)
	}
	got := cursor{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	return doc, resp.Request.URL, got, nil
}

// items turns the matched item elements of one page into posts.
func (c *Collector) items(src model.Source, doc *goquery.Document, pageURL *url.URL, items *goquery.Selection) ([]model.Post, error) {
	pageLang := primaryLanguage(doc.Find("html").AttrOr("lang", ""))
	author := siteAuthor(doc, pageURL)
	var posts []model.Post
	var noLink int
	found := map[string]bool{}
	items.Each(func(_ int, item *goquery.Selection) {
		variants := c.languageLinks(item, pageURL)
		link, linkText := c.link(item, pageURL)
		lang := primaryLanguage(item.Closest("[lang]").AttrOr("lang", pageLang))
		if link == "" && len(variants) > 0 {
			link = variants[0].url
			for _, v := range variants {
				if v.lang == lang {
					link = v.url
					break
				}
			}
		}
		if link == "" {
			noLink++
			return
		}
		if len(variants) > 0 {
			found["language_links"] = true
		}

		title := c.text(item, c.opts.TitleSelector, found, "title")
		if title == "" {
			title = linkText
		}
		var b strings.Builder
		if title != "" {
			b.WriteString("<p><strong>" + html.EscapeString(title) + "</strong></p>")
		}
		if c.opts.SummarySelector != "" {
			if s := item.Find(c.opts.SummarySelector).First(); s.Length() > 0 {
				found["summary"] = true
				s.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
					a.SetAttr("href", resolve(pageURL, a.AttrOr("href", "")))
				})
				inner, _ := s.Html()
				safe, _ := collectors.SanitizeHTML(inner)
				if !strings.HasPrefix(strings.TrimSpace(safe), "<p>") {
					safe = "<p>" + safe + "</p>"
				}
				b.WriteString(safe)
			}
		}
		var tags []string
		if len(variants) > 0 {
			links := make([]string, 0, len(variants))
			for _, v := range variants {
				links = append(links, `<a href="`+html.EscapeString(v.url)+`" hreflang="`+html.EscapeString(v.lang)+`">`+
					html.EscapeString(strings.ToUpper(v.lang))+`</a>`)
				tags = append(tags, "lang:"+v.lang)
			}
			b.WriteString("<p>" + strings.Join(links, " · ") + "</p>")
		}
		safe, text := collectors.SanitizeHTML(b.String())

		p := model.Post{
			Network:    model.NetworkWebpage,
			URI:        link,
			URL:        link,
			RemoteID:   link,
			SourceName: src.Name,
			Category:   src.Category,
			Author:     author,
			HTML:       safe,
			Text:       text,
			Language:   lang,
			Tags:       tags,
			Media:      c.image(item, pageURL, title, found),
		}
		if t, ok := c.date(item, found); ok {
			p.PublishedAt = t
		}
		posts = append(posts, p)
	})
	if len(posts) == 0 && noLink > 0 {
		sel := c.opts.LinkSelector
		if sel == "" {
			sel = "a[href]"
		}
		return nil, &SelectorError{Selector: sel, URL: pageURL.String(), Items: noLink}
	}
	for key, sel := range map[string]string{"title": c.opts.TitleSelector, "image": c.opts.ImageSelector,
		"date": c.opts.DateSelector, "summary": c.opts.SummarySelector, "language_links": c.opts.LanguageLinksSelector} {
		if sel != "" && !found[key] {
			c.log.Warn("webpage selector matched nothing in any item", slog.String("source", src.Name),
				slog.String("selector", sel), slog.String("key", key), slog.String("url", pageURL.String()))
		}
	}
	return posts, nil
}

// link returns the item's link and its text: the LinkSelector's href, the
// item itself if it is a link, or its first link that is not a language link.
func (c *Collector) link(item *goquery.Selection, pageURL *url.URL) (string, string) {
	var s *goquery.Selection
	switch {
	case c.opts.LinkSelector != "":
		s = item.Find(c.opts.LinkSelector)
		if s.Length() == 0 && item.Is(c.opts.LinkSelector) {
			s = item
		}
	case item.Is("a[href]"):
		s = item
	default:
		s = item.Find("a[href]")
		if c.opts.LanguageLinksSelector != "" {
			// A document's language links are its variants, not its link.
			s = s.NotSelection(item.Find(c.opts.LanguageLinksSelector))
		}
	}
	for i := range s.Length() {
		if u := resolve(pageURL, s.Eq(i).AttrOr("href", "")); u != "" {
			return u, collapse(s.Eq(i).Text())
		}
	}
	return "", ""
}

func (c *Collector) text(item *goquery.Selection, sel string, found map[string]bool, key string) string {
	if sel == "" {
		return ""
	}
	s := item.Find(sel).First()
	if s.Length() == 0 {
		return ""
	}
	found[key] = true
	return collapse(s.Text())
}

func (c *Collector) image(item *goquery.Selection, pageURL *url.URL, title string, found map[string]bool) []model.Media {
	if c.opts.ImageSelector == "" {
		return nil
	}
	s := item.Find(c.opts.ImageSelector).First()
	if s.Length() == 0 {
		return nil
	}
	found["image"] = true
	src := s.AttrOr("src", "")
	if src == "" || strings.HasPrefix(src, "data:") {
		src = s.AttrOr("data-src", "")
	}
	if src == "" {
		// "a.jpg 480w, b.jpg 1280w": the first candidate will do; the media
		// cache makes its own sizes.
		if first, _, _ := strings.Cut(s.AttrOr("srcset", ""), ","); first != "" {
			src = strings.Fields(first)[0]
		}
	}
	u := resolve(pageURL, src)
	if u == "" {
		return nil
	}
	alt := collapse(s.AttrOr("alt", ""))
	if alt == "" {
		alt = title
	}
	return []model.Media{{Kind: model.MediaImage, URL: u, AltText: alt}}
}

var defaultLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02",
	"02/01/2006", "02.01.2006", "2.1.2006", "2 January 2006", "02 January 2006",
	"2 Jan 2006", "January 2, 2006", "Jan 2, 2006",
}

func (c *Collector) date(item *goquery.Selection, found map[string]bool) (time.Time, bool) {
	if c.opts.DateSelector == "" {
		return time.Time{}, false
	}
	s := item.Find(c.opts.DateSelector).First()
	if s.Length() == 0 {
		return time.Time{}, false
	}
	found["date"] = true
	v := s.AttrOr("datetime", s.AttrOr("content", ""))
	if v == "" {
		v = collapse(s.Text())
	}
	layouts := defaultLayouts
	if c.opts.DateLayout != "" {
		layouts = append([]string{c.opts.DateLayout}, defaultLayouts...)
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	c.log.Debug("unparsed webpage date", slog.String("value", v))
	return time.Time{}, false
}

type variant struct{ lang, url string }

// languageLinks returns an item's language versions, one per language.
func (c *Collector) languageLinks(item *goquery.Selection, pageURL *url.URL) []variant {
	if c.opts.LanguageLinksSelector == "" {
		return nil
	}
	var out []variant
	seen := map[string]bool{}
	item.Find(c.opts.LanguageLinksSelector).Each(func(_ int, a *goquery.Selection) {
		u := resolve(pageURL, a.AttrOr("href", ""))
		if u == "" {
			return
		}
		lang := linkLanguage(a, u)
		if lang == "" || seen[lang] {
			return
		}
		seen[lang] = true
		out = append(out, variant{lang: lang, url: u})
	})
	return out
}

// langInURL finds a language code in a link: "/el/…", "…_el.pdf",
// "…-EL.pdf", "?lang=el".
var langInURL = []*regexp.Regexp{
	regexp.MustCompile(`[?&](?:lang|language|locale|hl)=([A-Za-z]{2,3})\b`),
	regexp.MustCompile(`[_\-.]([A-Za-z]{2})\.[A-Za-z0-9]{2,5}$`),
	regexp.MustCompile(`/([a-z]{2})/`),
}

// linkLanguage names the language of one language link: its hreflang or
// lang attribute, its text when that is a code ("EL", "bg"), or a code in
// its URL.
func linkLanguage(a *goquery.Selection, u string) string {
	for _, v := range []string{a.AttrOr("hreflang", ""), a.AttrOr("lang", ""), collapse(a.Text())} {
		if l := languageCode(v); l != "" {
			return l
		}
	}
	for _, re := range langInURL {
		if m := re.FindStringSubmatch(u); m != nil {
			if l := languageCode(m[1]); l != "" {
				return l
			}
		}
	}
	return ""
}

// languageCode returns the primary language subtag of a BCP 47 tag written
// as a short code ("EL", "bg-BG", "pt_PT"), or "" for anything else.
func languageCode(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" || len(s) > 12 {
		return ""
	}
	primary, _, _ := strings.Cut(s, "-")
	if len(primary) < 2 || len(primary) > 3 {
		return ""
	}
	tag, err := language.Parse(s)
	if err != nil {
		return ""
	}
	base, conf := tag.Base()
	if conf == language.No {
		return ""
	}
	return base.String()
}

func primaryLanguage(l string) string {
	return languageCode(l)
}

// siteAuthor names the site a page belongs to: its og:site_name, else its host.
func siteAuthor(doc *goquery.Document, pageURL *url.URL) model.Author {
	name := collapse(doc.Find(`meta[property="og:site_name"]`).AttrOr("content", ""))
	if name == "" {
		name = pageURL.Hostname()
	}
	site := &url.URL{Scheme: pageURL.Scheme, Host: pageURL.Host, Path: "/"}
	return model.Author{Network: model.NetworkWebpage, Handle: pageURL.Hostname(), DisplayName: name, URL: site.String()}
}

func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
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

func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
