package bot

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Bluesky shows links, hashtags and mentions only where a post's facets say
// so (https://docs.bsky.app/docs/advanced-guides/post-richtext). Facet
// indexes count bytes of the UTF-8 text, which is what Go's string indexes
// are, so the regexp match offsets are used as they are.
var (
	facetURL     = regexp.MustCompile(`(?:^|[\s(])(https?://[^\s]+)`)
	facetTag     = regexp.MustCompile(`(?:^|\s)(#[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)`)
	facetMention = regexp.MustCompile(`(?:^|[\s(])(@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)`)
)

// facet is one app.bsky.richtext.facet.
type facet struct {
	Index    facetIndex       `json:"index"`
	Features []map[string]any `json:"features"`
}

type facetIndex struct {
	ByteStart int `json:"byteStart"`
	ByteEnd   int `json:"byteEnd"`
}

// richTextFacets finds links, hashtags and mentions in text. resolve turns a
// handle into a DID; a mention it cannot resolve gets no facet.
func richTextFacets(text string, resolve func(handle string) string) []facet {
	var out []facet
	for _, m := range facetURL.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		end = start + len(strings.TrimRight(text[start:end], ".,;:!?)'\""))
		out = append(out, facet{facetIndex{start, end},
			[]map[string]any{{"$type": "app.bsky.richtext.facet#link", "uri": text[start:end]}}})
	}
	for _, m := range facetTag.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		if utf8.RuneCountInString(text[start+1:end]) > 64 || inside(out, start) {
			continue
		}
		out = append(out, facet{facetIndex{start, end},
			[]map[string]any{{"$type": "app.bsky.richtext.facet#tag", "tag": text[start+1 : end]}}})
	}
	for _, m := range facetMention.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		if inside(out, start) {
			continue
		}
		did := ""
		if resolve != nil {
			did = resolve(text[start+1 : end])
		}
		if did == "" {
			continue
		}
		out = append(out, facet{facetIndex{start, end},
			[]map[string]any{{"$type": "app.bsky.richtext.facet#mention", "did": did}}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index.ByteStart < out[j].Index.ByteStart })
	return out
}

// inside reports whether a byte offset falls in a facet already found (a
// "#fragment" or "@" inside a URL is not a tag or mention).
func inside(fs []facet, at int) bool {
	for _, f := range fs {
		if at >= f.Index.ByteStart && at < f.Index.ByteEnd {
			return true
		}
	}
	return false
}

func (b *Bluesky) facets(ctx context.Context, text string) []facet {
	return richTextFacets(text, func(handle string) string { return b.resolveHandle(ctx, handle) })
}
