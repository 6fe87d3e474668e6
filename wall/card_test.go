package wall

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

func TestCardShowsPost(t *testing.T) {
	p := fixture(t, "mastodon_with_photo")
	doc, _ := renderCard(t, p)

	card := doc.Find(`[data-testid="wall-post"]`)
	if card.Length() != 1 {
		t.Fatalf("wall-post elements = %d, want 1", card.Length())
	}
	checks := []struct {
		name, got, want string
	}{
		{"post id", card.AttrOr("data-post-id", ""), "1"},
		{"author", card.Find(`[data-testid="post-author"]`).Text(), "Anna Kowalska"},
		{"handle", card.Find(`[data-testid="post-handle"]`).Text(), "@anna@regions.social"},
		{"network", card.Find(`[data-testid="post-network"]`).Text(), "Mastodon"},
		{"remote avatar not loaded", card.Find("img.card__avatar").AttrOr("src", "none"), "none"},
		{"avatar initial", card.Find(".card__avatar--initial").Text(), "A"},
		{"text", strings.TrimSpace(card.Find(`[data-testid="post-text"]`).Text()), "Our region signed the #CohesionAlliance call!"},
		{"text lang", card.Find(`[data-testid="post-text"]`).AttrOr("lang", ""), "pl"},
		{"hashtag link kept", card.Find(`[data-testid="post-text"] a`).AttrOr("href", ""), "https://regions.social/tags/CohesionAlliance"},
		{"photo alt", card.Find(".card__photo img").AttrOr("alt", ""), "A new bridge over the Vistula, funded by cohesion policy"},
		{"photo src", card.Find(".card__photo img").AttrOr("src", ""), "/media/" + bridgeKey + "/1280"},
		{"photo lazy", card.Find(".card__photo img").AttrOr("loading", ""), "lazy"},
		{"photo width", card.Find(".card__photo img").AttrOr("width", ""), "1200"},
		{"time datetime", card.Find("time").AttrOr("datetime", ""), "2026-10-13T09:30:00Z"},
		{"time text", card.Find("time").Text(), "13 Oct 2026, 09:30 UTC"},
		{"link", card.Find(`[data-testid="post-link"]`).AttrOr("href", ""), "https://regions.social/@anna/1"},
		{"link text", card.Find(`[data-testid="post-link"]`).Text(), "View on Mastodon"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	if n := card.Find("details").Length(); n != 0 {
		t.Errorf("details elements = %d, want 0 for a post without a content warning", n)
	}
}

func TestCardNeverHotlinksUncachedPhotos(t *testing.T) {
	p := fixture(t, "mastodon_with_photo")
	p.Media[0].CacheKey = ""
	doc, html := renderCard(t, p)
	if n := doc.Find("img").Length(); n != 0 {
		t.Errorf("images = %d, want 0 until the photo is in the media cache", n)
	}
	if strings.Contains(html, "regions.social/media") || strings.Contains(html, "avatars/anna.png") {
		t.Errorf("card references the network's servers:\n%s", html)
	}
}

func TestCardHidesContentWarnedPostInDetails(t *testing.T) {
	doc, _ := renderCard(t, fixture(t, "with_content_warning"))

	cw := doc.Find(`details[data-testid="post-cw"]`)
	if cw.Length() != 1 {
		t.Fatalf("content warning details = %d, want 1", cw.Length())
	}
	if _, open := cw.Attr("open"); open {
		t.Errorf("content warning details is open, want closed")
	}
	if got, want := strings.Join(strings.Fields(cw.Find("summary").Text()), " "), "Content warning flood damage Show"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if n := cw.Find(`[data-testid="post-text"]`).Length(); n != 1 {
		t.Errorf("text inside details = %d, want 1", n)
	}
	if n := cw.Find(`.card__photo img[alt="A flooded street"]`).Length(); n != 1 {
		t.Errorf("photo inside details = %d, want 1", n)
	}
	// Nothing of the post may show outside the details.
	outside := doc.Find(`[data-testid="post-text"], .card__photo`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Closest("details").Length() == 0
	})
	if outside.Length() != 0 {
		t.Errorf("%d text/photo elements outside the details, want 0", outside.Length())
	}
}

func TestCardSensitiveMediaWithoutWarningHidesOnlyPhotos(t *testing.T) {
	p := fixture(t, "with_content_warning")
	p.ContentWarning = ""
	doc, _ := renderCard(t, p)

	if n := doc.Find(`details[data-testid="post-sensitive"] .card__photo img`).Length(); n != 1 {
		t.Errorf("photos inside sensitive-media details = %d, want 1", n)
	}
	if n := doc.Find(`details [data-testid="post-text"]`).Length(); n != 0 {
		t.Errorf("text inside details = %d, want 0: only the media is sensitive", n)
	}
}

func TestCardPlainTextAndMissingAvatar(t *testing.T) {
	doc, _ := renderCard(t, fixture(t, "plain_text_only"))

	text := doc.Find(`[data-testid="post-text"]`)
	if got, want := text.Text(), "Cohesion policy explained\nin two lines"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := doc.Find(".card__avatar--initial").Text(), "N"; got != want {
		t.Errorf("avatar placeholder = %q, want %q", got, want)
	}
	if n := doc.Find(`[data-testid="post-handle"]`).Length(); n != 0 {
		t.Errorf("handle shown %d times, want 0 when it equals the name", n)
	}
	if got, want := doc.Find(`[data-testid="post-link"]`).Text(), "View original"; got != want {
		t.Errorf("link text = %q, want %q", got, want)
	}
	if got, want := doc.Find(`[data-testid="post-network"]`).Text(), "News"; got != want {
		t.Errorf("network = %q, want %q", got, want)
	}
}

func TestCardPinnedAndHighlighted(t *testing.T) {
	doc, _ := renderCard(t, fixture(t, "pinned_highlighted"))
	card := doc.Find(`[data-testid="wall-post"]`)

	if got := card.AttrOr("data-pinned", ""); got != "true" {
		t.Errorf("data-pinned = %q, want %q", got, "true")
	}
	for _, class := range []string{"card--pinned", "card--highlighted"} {
		if !card.HasClass(class) {
			t.Errorf("class %q missing; got %q", class, card.AttrOr("class", ""))
		}
	}
	if n := card.Find(`[data-testid="post-pinned"]`).Length(); n != 1 {
		t.Errorf("pinned flags = %d, want 1", n)
	}
}

// TestCardEscapesHostileInput feeds markup and script through every field a
// network controls and checks that none of it becomes an element, an event
// handler attribute or a script URL.
func TestCardEscapesHostileInput(t *testing.T) {
	doc, raw := renderCard(t, fixture(t, "hostile"))

	if n := doc.Find("script").Length(); n != 0 {
		t.Errorf("script elements = %d, want 0\n%s", n, raw)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") {
					t.Errorf("<%s> has event handler attribute %s=%q", n.Data, a.Key, a.Val)
				}
				if (key == "href" && !strings.HasPrefix(a.Val, "https://")) || (key == "src" && !strings.HasPrefix(a.Val, "/media/")) {
					t.Errorf("<%s %s=%q>: want only https links and cached photos", n.Data, a.Key, a.Val)
				}
			}
			if n.Data == "img" && n.Parent != nil && n.Parent.Data != "figure" {
				t.Errorf("unexpected <img> inside <%s>: markup from a field became an element", n.Parent.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range doc.Nodes {
		walk(n)
	}

	// The hostile text is still shown, as text.
	if got, want := doc.Find(`[data-testid="post-author"]`).Text(), `"><img src=x onerror=alert("name")><script>alert("name")</script>`; got != want {
		t.Errorf("author = %q, want %q", got, want)
	}
	if got, want := doc.Find(".card__photo img").First().AttrOr("alt", ""), `" onerror="alert('alt')"><script>alert("alt")</script>`; got != want {
		t.Errorf("alt = %q, want %q", got, want)
	}
	if got, want := strings.TrimSpace(doc.Find(`[data-testid="post-text"]`).Text()), `<script>alert("text")</script> <img src=x onerror=alert("text")>`; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if n := doc.Find(".card__photo img").Length(); n != 1 {
		t.Errorf("photos = %d, want 1: javascript: and protocol-relative sources are dropped", n)
	}
	if n := doc.Find("[lang]").Length(); n != 0 {
		t.Errorf("lang attributes = %d, want 0 for an invalid language tag", n)
	}
	if n := doc.Find(`[data-testid="post-link"]`).Length(); n != 0 {
		t.Errorf("links to the original = %d, want 0 for a javascript: URL", n)
	}
}
