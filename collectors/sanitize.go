package collectors

import (
	"html"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/microcosm-cc/bluemonday"
)

var ugc = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.RequireNoReferrerOnLinks(true)
	// Photos are shown from the media list, through the local cache; an <img>
	// inside post HTML would hot-link the network's servers from every screen.
	p.AllowElements("br", "p")
	return p
}()

var noImages = regexp.MustCompile(`(?is)<img\b[^>]*>`)

// SanitizeHTML turns a network's post HTML into the safe HTML stored with a
// post, and the same content as plain text.
//
// Mastodon shortens links with <span class="invisible"> around the parts it
// hides and <span class="ellipsis"> around the shown part; bluemonday's UGC
// policy drops class attributes, so the invisible parts are removed first,
// or they would become visible on the wall.
func SanitizeHTML(raw string) (safeHTML, text string) {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(raw))
	if err == nil {
		doc.Find("span.invisible").Remove()
		doc.Find("span.ellipsis").Each(func(_ int, s *goquery.Selection) {
			s.SetText(s.Text() + "…")
		})
		if body, err := doc.Find("body").Html(); err == nil {
			raw = body
		}
	}
	safe := strings.TrimSpace(ugc.Sanitize(noImages.ReplaceAllString(raw, "")))
	return safe, HTMLToText(safe)
}

var (
	blockEnd = regexp.MustCompile(`(?i)</p>\s*|<br\s*/?>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
	blankRun = regexp.MustCompile(`\n{3,}`)
)

// HTMLToText returns the visible text of already-sanitized HTML, keeping
// paragraph and line breaks.
func HTMLToText(safeHTML string) string {
	s := blockEnd.ReplaceAllString(safeHTML, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	return strings.TrimSpace(blankRun.ReplaceAllString(s, "\n\n"))
}

var textTokens = regexp.MustCompile(`https?://[^\s<>"']+|#[\p{L}\p{N}_]+`)

// TextToHTML escapes plain text (X, Bluesky, feeds) into safe HTML, turning
// web links and hashtags into links and line breaks into <br>.
func TextToHTML(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range textTokens.FindAllStringIndex(text, -1) {
		b.WriteString(html.EscapeString(text[last:m[0]]))
		tok := text[m[0]:m[1]]
		if strings.HasPrefix(tok, "#") {
			b.WriteString(`<span class="hashtag">` + html.EscapeString(tok) + `</span>`)
		} else {
			trimmed := strings.TrimRight(tok, ".,;:!?)")
			b.WriteString(`<a href="` + html.EscapeString(trimmed) + `" rel="nofollow noreferrer noopener" target="_blank">` +
				html.EscapeString(trimmed) + `</a>`)
			b.WriteString(html.EscapeString(tok[len(trimmed):]))
		}
		last = m[1]
	}
	b.WriteString(html.EscapeString(text[last:]))
	return strings.ReplaceAll(b.String(), "\n", "<br>")
}
