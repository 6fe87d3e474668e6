package bluesky

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// The wire format of app.bsky.feed.searchPosts and the views it returns, as
// defined by the lexicons in github.com/bluesky-social/atproto/lexicons:
// app/bsky/feed/searchPosts.json, app/bsky/feed/defs.json#postView,
// app/bsky/feed/post.json, app/bsky/richtext/facet.json,
// app/bsky/embed/{images,video,external,record,recordWithMedia}.json#view and
// com/atproto/label/defs.json#label.

type searchResponse struct {
	Cursor    string     `json:"cursor"`
	HitsTotal int        `json:"hitsTotal"`
	Posts     []postView `json:"posts"`
}

type postView struct {
	URI       string     `json:"uri"`
	CID       string     `json:"cid"`
	Author    profile    `json:"author"`
	Record    postRecord `json:"record"`
	Embed     *embedView `json:"embed"`
	IndexedAt string     `json:"indexedAt"`
	Labels    []label    `json:"labels"`
}

type profile struct {
	DID         string  `json:"did"`
	Handle      string  `json:"handle"`
	DisplayName string  `json:"displayName"`
	Avatar      string  `json:"avatar"`
	Labels      []label `json:"labels"`
}

type postRecord struct {
	Type      string          `json:"$type"`
	Text      string          `json:"text"`
	CreatedAt string          `json:"createdAt"`
	Langs     []string        `json:"langs"`
	Reply     json.RawMessage `json:"reply"`
	Facets    []facet         `json:"facets"`
	Tags      []string        `json:"tags"`
}

type facet struct {
	Index struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	} `json:"index"`
	Features []struct {
		Type string `json:"$type"`
		URI  string `json:"uri"`
		Tag  string `json:"tag"`
		DID  string `json:"did"`
	} `json:"features"`
}

// embedView covers the embed views a post can carry; Type says which fields
// are set. recordWithMedia nests another view in Media.
type embedView struct {
	Type        string      `json:"$type"`
	Images      []imageView `json:"images"`      // images#view
	Playlist    string      `json:"playlist"`    // video#view
	Thumbnail   string      `json:"thumbnail"`   // video#view
	Alt         string      `json:"alt"`         // video#view
	AspectRatio *aspect     `json:"aspectRatio"` // video#view
	Media       *embedView  `json:"media"`       // recordWithMedia#view
}

type imageView struct {
	Thumb       string  `json:"thumb"`
	Fullsize    string  `json:"fullsize"`
	Alt         string  `json:"alt"`
	AspectRatio *aspect `json:"aspectRatio"`
}

type aspect struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

type label struct {
	Src string `json:"src"`
	URI string `json:"uri"`
	Val string `json:"val"`
	Neg bool   `json:"neg"`
	Cts string `json:"cts"`
}

// sortAt is the time the search sorts by: the earlier of createdAt and
// indexedAt, so a post dated in the future cannot jump the queue.
func (p postView) sortAt() time.Time {
	created, errC := time.Parse(time.RFC3339Nano, p.Record.CreatedAt)
	indexed, errI := time.Parse(time.RFC3339Nano, p.IndexedAt)
	switch {
	case errC != nil && errI != nil:
		return time.Time{}
	case errC != nil:
		return indexed.UTC()
	case errI != nil || created.Before(indexed):
		return created.UTC()
	}
	return indexed.UTC()
}

func (c *Collector) mapPost(pv postView, now time.Time) (model.Post, bool) {
	r := pv.Record
	if len(r.Reply) > 0 && string(r.Reply) != "null" {
		return model.Post{}, false // replies belong to their thread, not the wall
	}
	if r.Type != "" && r.Type != "app.bsky.feed.post" {
		return model.Post{}, false
	}
	did, rkey, ok := parsePostURI(pv.URI)
	if !ok {
		c.opts.Logger.Debug("bluesky post with an unusable uri skipped", "uri", pv.URI)
		return model.Post{}, false
	}
	if !c.wantLanguage(r.Langs) {
		return model.Post{}, false
	}
	profileRef := pv.Author.Handle
	if profileRef == "" || profileRef == "handle.invalid" {
		profileRef = did
	}
	text := expandLinks(r.Text, r.Facets)
	p := model.Post{
		Network:  model.NetworkBluesky,
		URI:      pv.URI,
		CID:      pv.CID,
		RemoteID: pv.URI,
		URL:      "https://bsky.app/profile/" + profileRef + "/post/" + rkey,
		Author: model.Author{
			Network:     model.NetworkBluesky,
			Handle:      profileRef,
			DisplayName: pv.Author.DisplayName,
			URL:         "https://bsky.app/profile/" + profileRef,
			AvatarURL:   pv.Author.Avatar,
		},
		Text:        text,
		HTML:        collectors.TextToHTML(text),
		Tags:        tagsOf(r),
		Media:       mediaOf(pv.Embed),
		CollectedAt: now,
	}
	if len(r.Langs) > 0 {
		p.Language = r.Langs[0]
	}
	if t, err := time.Parse(time.RFC3339Nano, r.CreatedAt); err == nil {
		p.PublishedAt = t.UTC()
	} else {
		p.PublishedAt = pv.sortAt()
	}
	p.ContentWarning = contentWarning(pv.Labels)
	p.Sensitive = p.ContentWarning != ""
	return p, true
}

// parsePostURI splits at://{did}/app.bsky.feed.post/{rkey}.
func parsePostURI(uri string) (did, rkey string, ok bool) {
	rest, found := strings.CutPrefix(uri, "at://")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] != "app.bsky.feed.post" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

func (c *Collector) wantLanguage(langs []string) bool {
	if len(c.opts.Languages) == 0 || len(langs) == 0 {
		return true
	}
	for _, l := range langs {
		base, _, _ := strings.Cut(l, "-")
		for _, want := range c.opts.Languages {
			if strings.EqualFold(l, want) || strings.EqualFold(base, want) {
				return true
			}
		}
	}
	return false
}

// expandLinks replaces the shortened text of link facets ("example.com/lo…")
// with the full address the facet holds. Facet offsets count UTF-8 bytes;
// facets that overlap, fall outside the text or split a character are ignored.
func expandLinks(text string, facets []facet) string {
	type span struct {
		start, end int
		uri        string
	}
	var spans []span
	for _, f := range facets {
		s, e := f.Index.ByteStart, f.Index.ByteEnd
		if s < 0 || e <= s || e > len(text) || !utf8.RuneStart(text[s]) || (e < len(text) && !utf8.RuneStart(text[e])) {
			continue
		}
		for _, feat := range f.Features {
			if feat.Type == "app.bsky.richtext.facet#link" &&
				(strings.HasPrefix(feat.URI, "https://") || strings.HasPrefix(feat.URI, "http://")) &&
				!strings.ContainsAny(feat.URI, " \t\n<>\"") {
				spans = append(spans, span{s, e, feat.URI})
				break
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp.start < last {
			continue
		}
		b.WriteString(text[last:sp.start])
		b.WriteString(sp.uri)
		last = sp.end
	}
	b.WriteString(text[last:])
	return b.String()
}

func tagsOf(r postRecord) []string {
	var tags []string
	add := func(t string) {
		t = strings.TrimPrefix(strings.TrimSpace(t), "#")
		if t != "" && !slices.ContainsFunc(tags, func(s string) bool { return strings.EqualFold(s, t) }) {
			tags = append(tags, t)
		}
	}
	for _, f := range r.Facets {
		for _, feat := range f.Features {
			if feat.Type == "app.bsky.richtext.facet#tag" {
				add(feat.Tag)
			}
		}
	}
	for _, t := range r.Tags {
		add(t)
	}
	return tags
}

func mediaOf(e *embedView) []model.Media {
	if e == nil {
		return nil
	}
	switch e.Type {
	case "app.bsky.embed.images#view":
		var out []model.Media
		for _, img := range e.Images {
			if img.Fullsize == "" {
				continue
			}
			m := model.Media{Kind: model.MediaImage, URL: img.Fullsize, PreviewURL: img.Thumb, AltText: img.Alt}
			if img.AspectRatio != nil {
				m.Width, m.Height = img.AspectRatio.Width, img.AspectRatio.Height
			}
			out = append(out, m)
		}
		return out
	case "app.bsky.embed.video#view":
		if e.Playlist == "" {
			return nil
		}
		m := model.Media{Kind: model.MediaVideo, URL: e.Playlist, PreviewURL: e.Thumbnail, AltText: e.Alt}
		if e.AspectRatio != nil {
			m.Width, m.Height = e.AspectRatio.Width, e.AspectRatio.Height
		}
		return []model.Media{m}
	case "app.bsky.embed.recordWithMedia#view":
		return mediaOf(e.Media)
	}
	return nil // link cards and quoted posts carry no media of this post
}

// contentWarning names what the labels on a post warn about; empty when
// nothing does. A negation label (neg) withdraws an earlier label.
func contentWarning(labels []label) string {
	active := map[string]bool{}
	for _, l := range labels {
		active[l.Val] = !l.Neg
	}
	var warnings []string
	add := func(w string) {
		if !slices.Contains(warnings, w) {
			warnings = append(warnings, w)
		}
	}
	for _, l := range labels {
		if !active[l.Val] {
			continue
		}
		switch l.Val {
		case "porn", "sexual", "nudity":
			add("Adult content")
		case "graphic-media", "gore", "nsfl":
			add("Graphic media")
		case "!warn", "!hide":
			add("Content warning")
		}
	}
	return strings.Join(warnings, ", ")
}
