package wall

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
)

// pageView is everything the wall page shows. Components get it built; they
// never query.
type pageView struct {
	CampaignName string
	Hashtags     []string
	Lang         string
	Dir          string // text direction of Lang
	Catalog      string // the language's catalog as wall.js reads it (jsCatalog)
	CTA          *CTAView
	Posts        []model.Post // pinned first, then newest first
	LastEventID  uint64
	EventsURL    string
	MaxCards     int
	// HeartbeatMS is how often the stream pings; wall.js takes a silence
	// of a few pings as a dead stream.
	HeartbeatMS int64
	// RefreshSeconds is how often the page reloads itself without JavaScript.
	RefreshSeconds int
	CSSURL         string
	JSURL          string
	// Wall is set on the pages of configured walls (/w/{slug}, /embed/{slug},
	// and / when there are walls); nil on the plain wall.
	Wall *wallPage
}

// wallPage is what a configured wall's page adds to the plain one.
type wallPage struct {
	Slug         string
	Mode         string
	Theme        string
	Embed        bool
	SpotlightMS  int
	LogoURL      string
	ThemeCSSURL  string
	CustomCSSURL string
	ModesCSSURL  string
	ModesJSURL   string
	TextURL      string
	FeedURL      string
}

// networkLabels name networks as people know them.
var networkLabels = map[model.Network]string{
	model.NetworkMastodon:   "Mastodon",
	model.NetworkX:          "X",
	model.NetworkBluesky:    "Bluesky",
	model.NetworkInstagram:  "Instagram",
	model.NetworkFacebook:   "Facebook",
	model.NetworkFeed:       "News",
	model.NetworkWebpage:    "Web",
	model.NetworkSubmission: "Submitted",
	model.NetworkDemo:       "Demo",
}

func networkLabel(n model.Network) string {
	if l, ok := networkLabels[n]; ok {
		return l
	}
	return string(n)
}

// networkKey is the catalog key of a network's label, "" for networks
// called by their brand name in every language.
func networkKey(n model.Network) string {
	switch n {
	case model.NetworkFeed:
		return "net.feed"
	case model.NetworkWebpage:
		return "net.webpage"
	case model.NetworkSubmission:
		return "net.submission"
	case model.NetworkDemo:
		return "net.demo"
	}
	return ""
}

// networkText is a network's label in the page's language.
func networkText(ctx context.Context, n model.Network) string {
	if k := networkKey(n); k != "" {
		return tr(ctx).T(k)
	}
	return networkLabel(n)
}

// linkKey is the catalog key of the text of the link to the original.
func linkKey(n model.Network) string {
	switch n {
	case model.NetworkMastodon, model.NetworkX, model.NetworkBluesky, model.NetworkInstagram, model.NetworkFacebook:
		return "card.view_on"
	}
	return "card.view_original"
}

// linkText names where the link to the original goes.
func linkText(ctx context.Context, n model.Network) string {
	return tr(ctx).T(linkKey(n), "network", networkLabel(n))
}

// networkClass is a CSS class for the network's badge colour. Unknown networks
// share one class, so a network name never becomes an arbitrary class.
func networkClass(n model.Network) string {
	if _, ok := networkLabels[n]; ok {
		return "badge badge--" + string(n)
	}
	return "badge"
}

// authorName is what a card calls the author.
func authorName(a model.Author) string {
	if n := strings.TrimSpace(a.DisplayName); n != "" {
		return n
	}
	return a.Handle
}

// handle is the author's handle as the network writes it: @name on social
// networks, as it is for feeds and web pages (usually a site name). A direct
// submission's handle is only an ID: its card shows the organisation the
// submitter gave instead, if any.
func handle(p model.Post) string {
	if p.Network == model.NetworkSubmission {
		return p.Author.Bio
	}
	h := p.Author.Handle
	if h == "" || strings.HasPrefix(h, "@") {
		return h
	}
	switch p.Network {
	case model.NetworkMastodon, model.NetworkX, model.NetworkBluesky, model.NetworkInstagram:
		return "@" + h
	}
	return h
}

// initial is shown in place of a missing avatar.
func initial(a model.Author) string {
	for _, r := range authorName(a) {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// webURL returns s if it is an absolute http(s) URL or a local path, and ""
// otherwise. templ checks href on links but not src on images, and no
// javascript:, data: or protocol-relative URL from a network belongs on a wall.
func webURL(s string) string {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/\\") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return s
}

// localURL returns s if it is a path on this server, and "" otherwise.
// Avatars are not in the media cache yet, so remote ones are not shown: a
// screen loads nothing from a network's servers.
func localURL(s string) string {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/\\") {
		return s
	}
	return ""
}

// langTag matches a BCP 47 language tag closely enough to put it in a lang
// attribute; anything else is left out rather than mislabel the text.
var langTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)

func langAttr(s string) string {
	if langTag.MatchString(s) {
		return s
	}
	return ""
}

func postID(p model.Post) string { return strconv.FormatInt(p.ID, 10) }

// published is the machine-readable time; the page's script turns the shown
// text into "5 minutes ago" in the screen's language and time zone.
func published(p model.Post) string { return p.PublishedAt.UTC().Format(time.RFC3339) }

func publishedMS(p model.Post) string { return strconv.FormatInt(p.PublishedAt.UnixMilli(), 10) }

// cardClass adds the states a screen styles differently.
func cardClass(p model.Post) string {
	c := "card"
	if p.Pinned {
		c += " card--pinned"
	}
	if p.Highlighted {
		c += " card--highlighted"
	}
	if len(photos(p)) > 0 {
		c += " card--photo"
	}
	return c
}

// PhotoWidth is the width of the cached copy a card shows; main configures
// the media cache to make copies of this width.
const PhotoWidth = 1280

// photos are the media a card shows as pictures: photos themselves, and the
// still preview of a video (screens play no sound or video). Only copies in
// campaignwall's own media cache are shown: screens never load media from a
// network's servers, so they keep showing photos when the venue network or an
// instance fails, and small instances are not hit by every screen. A photo
// not cached yet appears when it is (the media job re-announces the post).
func photos(p model.Post) []photo {
	var out []photo
	for _, m := range p.Media {
		if m.CacheKey == "" {
			continue
		}
		src := "/media/" + m.CacheKey + "/" + strconv.Itoa(PhotoWidth)
		out = append(out, photo{Src: src, Alt: m.AltText, Width: m.Width, Height: m.Height, Video: m.Kind != model.MediaImage,
			VideoSrc: m.StoredVideo()})
	}
	return out
}

type photo struct {
	Src, Alt      string
	Width, Height int
	Video         bool
	// VideoSrc is a video campaignwall stores itself (a direct submission):
	// screens play it muted and looping over its poster, once wall.js has
	// checked the screen does not ask for reduced motion; without script, or
	// with reduced motion, the poster stands still. Videos that stay on a
	// network are shown as their poster only.
	VideoSrc string
}

// altKey is the catalog key of the text a photo without alt text gets.
func (ph photo) altKey() string {
	if ph.Video {
		return "card.video_alt"
	}
	return "card.photo_alt"
}

func dim(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// hashtag writes a configured tag the way people type it.
func hashtag(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "#") {
		return s
	}
	return "#" + s
}

// bodyClass is the page's body class: the mode, theme and embed layout of a
// configured wall, on top of the plain wall's.
func bodyClass(v pageView) string {
	c := "wall-page"
	if w := v.Wall; w != nil {
		c += " mode-" + w.Mode + " theme-" + w.Theme
		if w.Embed {
			c += " wall-embed"
		}
	}
	return c
}

// wallAttrs tell wall.js and modes.js which wall and mode the page shows.
func wallAttrs(v pageView) templ.Attributes {
	if v.Wall == nil {
		return nil
	}
	attrs := templ.Attributes{
		"data-wall":         v.Wall.Slug,
		"data-mode":         v.Wall.Mode,
		"data-spotlight-ms": strconv.Itoa(v.Wall.SpotlightMS),
	}
	if v.Wall.Mode == string(model.ModePhotos) {
		// Live posts without a photo are not shown (pinned ones are).
		attrs["data-accept"] = ".card--photo, [data-pinned]"
	}
	return attrs
}

// covered reports whether a post behind a content warning or with sensitive
// media shows only its warning: until a moderator uncovers it.
func covered(p model.Post) bool {
	return !p.ShowOnScreens && (p.ContentWarning != "" || p.Sensitive)
}
