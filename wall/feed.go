package wall

import (
	"bytes"
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
)

// The Atom 1.0 document (RFC 4287), written with encoding/xml, which escapes
// every text and attribute: post HTML goes in as escaped text of a
// type="html" content element, never as markup of the feed.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel   string `xml:"rel,attr,omitempty"`
	Type  string `xml:"type,attr,omitempty"`
	Href  string `xml:"href,attr"`
	Title string `xml:"title,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	Title     atomText   `xml:"title"`
	ID        string     `xml:"id"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Author    atomPerson `xml:"author"`
	Links     []atomLink `xml:"link"`
	Summary   *atomText  `xml:"summary,omitempty"`
	Content   *atomText  `xml:"content,omitempty"`
}

const feedSize = 50

// wallFeed serves /w/{slug}/feed.atom: the wall's newest approved posts.
func (h *Handler) wallFeed(w http.ResponseWriter, r *http.Request, v wallView, _ *wallState) {
	posts, err := h.st.WallPosts(r.Context(), wallPostFilter(v, 0, feedSize))
	if err != nil {
		h.log.Error("wall: feed", slog.String("wall", v.Slug), slog.Any("error", err))
		http.Error(w, "The feed is unavailable right now.", http.StatusServiceUnavailable)
		return
	}
	base := h.origin(r)
	wallURL := base + "/w/" + url.PathEscape(v.Slug)
	f := atomFeed{
		Title:   v.Title,
		ID:      wallURL,
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: wallURL + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: wallURL},
		},
		Author: atomPerson{Name: v.Title},
	}
	for _, p := range posts {
		e, updated := h.atomEntry(r.Context(), base, p)
		if updated > f.Updated {
			f.Updated = updated
		}
		f.Entries = append(f.Entries, e)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		h.log.Error("wall: encode feed", slog.String("wall", v.Slug), slog.Any("error", err))
		http.Error(w, "The feed is unavailable right now.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = buf.WriteTo(w)
}

// atomEntry is one post as a feed entry. Posts behind a content warning
// carry only the warning, as on screens, until a moderator uncovers them.
func (h *Handler) atomEntry(ctx context.Context, base string, p model.Post) (atomEntry, string) {
	published := p.PublishedAt.UTC().Format(time.RFC3339)
	updated := published
	if !p.DecidedAt.IsZero() {
		if d := p.DecidedAt.UTC().Format(time.RFC3339); d > updated {
			updated = d
		}
	}
	e := atomEntry{
		Title:     atomText{Type: "text", Body: entryTitle(p)},
		ID:        entryID(base, p),
		Updated:   updated,
		Published: published,
		Author:    atomPerson{Name: authorName(p.Author), URI: webURL(p.Author.URL)},
	}
	if u := webURL(p.URL); u != "" && !strings.HasPrefix(u, "/") {
		e.Links = append(e.Links, atomLink{Rel: "alternate", Type: "text/html", Href: u})
	}
	if covered(p) && p.ContentWarning != "" {
		e.Summary = &atomText{Type: "text", Body: "Content warning: " + p.ContentWarning}
		return e, updated
	}
	var content bytes.Buffer
	if err := feedContent(p, base).Render(ctx, &content); err != nil {
		h.log.Error("wall: render feed entry", slog.Int64("post_id", p.ID), slog.Any("error", err))
	}
	e.Content = &atomText{Type: "html", Body: content.String()}
	if !covered(p) {
		for _, ph := range photos(p) {
			e.Links = append(e.Links, atomLink{Rel: "enclosure", Type: "image/jpeg", Href: base + ph.Src, Title: ph.Alt})
		}
	}
	return e, updated
}

// entryTitle is the post's first words: feed readers list entries by title.
func entryTitle(p model.Post) string {
	text := strings.Join(strings.Fields(p.Text), " ")
	if covered(p) && p.ContentWarning != "" {
		text = "Content warning: " + p.ContentWarning
	}
	if r := []rune(text); len(r) > 80 {
		text = string(r[:79]) + "…"
	}
	return authorName(p.Author) + ": " + text
}

// entryID is the post's canonical URI when it is one, else a tag URI.
func entryID(base string, p model.Post) string {
	if u, err := url.Parse(p.URI); err == nil && u.Scheme != "" && u.Opaque == "" && u.Host != "" {
		return p.URI
	}
	host := "campaignwall"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "tag:" + host + ",2026:post:" + strconv.FormatInt(p.ID, 10)
}

// origin is where the wall is reached from outside: the configured base URL,
// else the request's own.
func (h *Handler) origin(r *http.Request) string {
	if h.opts.BaseURL != "" {
		return h.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var _ templ.Component = feedContent(model.Post{}, "")
