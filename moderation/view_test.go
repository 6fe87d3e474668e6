package moderation

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/cohesionalliance/campaignwall/model"
)

const (
	scriptTag = `<script>alert(1)</script>`
	imgTag    = `<img src=x onerror=alert(1)>`
)

// posts are named fixtures for the component tests.
var posts = map[string]model.Post{
	"pending_with_photo": {
		ID: 7, Network: model.NetworkMastodon, SourceName: "mastodon-social", Status: model.StatusPending,
		URL:    "https://example.social/@anna/7",
		Author: model.Author{Network: model.NetworkMastodon, Handle: "anna@example.social", DisplayName: "Anna", AvatarURL: "https://example.social/a.png"},
		HTML:   `<p>Regions <a href="https://example.social/tags/CohesionAlliance" rel="nofollow">#CohesionAlliance</a></p>`,
		Text:   "Regions #CohesionAlliance", Language: "de", ContentWarning: "politics",
		PublishedAt: time.Date(2026, 10, 1, 12, 30, 0, 0, time.UTC),
		Media: []model.Media{
			{Kind: model.MediaImage, URL: "https://example.social/m/1.jpg", PreviewURL: "https://example.social/m/1s.jpg", AltText: "a bridge over the Danube", CacheKey: "aaaa1111"},
			{Kind: model.MediaImage, URL: "https://example.social/m/2.jpg"},
			{Kind: model.MediaVideo, URL: "https://example.social/m/3.mp4"},
		},
	},
	"approved_by_anna": {
		ID: 8, Network: model.NetworkX, Status: model.StatusApproved,
		Author: model.Author{Network: model.NetworkX, Handle: "cityofgraz", DisplayName: "Graz"},
		Text:   "Signed the Joint Call", PublishedAt: time.Date(2026, 10, 1, 11, 0, 0, 0, time.UTC),
		DecidedBy: "anna", DecidedAt: time.Date(2026, 10, 1, 14, 2, 0, 0, time.UTC),
	},
	"hostile": {
		ID: 9, Network: model.NetworkBluesky, SourceName: scriptTag, Status: model.StatusPending,
		URL: "javascript:alert(1)",
		Author: model.Author{Network: model.NetworkBluesky, Handle: imgTag, DisplayName: scriptTag + imgTag,
			AvatarURL: "javascript:alert(1)"},
		Text:           "hello " + scriptTag + " " + imgTag,
		Language:       scriptTag,
		ContentWarning: imgTag,
		PublishedAt:    time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC),
		Media:          []model.Media{{Kind: model.MediaImage, URL: "https://cdn.example/x.jpg", AltText: `"><script>alert(1)</script>`, CacheKey: "bbbb2222"}},
	},
}

func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func queueView(status model.Status, ps ...model.Post) QueueView {
	v := QueueView{CampaignName: "#CohesionAlliance", Moderator: "anna", Status: status, Posts: ps}
	for _, s := range tabStatuses {
		v.Tabs = append(v.Tabs, Tab{Status: s, Label: statusLabel(s), Count: len(s), URL: queueURL(s, 0), Current: s == status})
	}
	return v
}

func card(t *testing.T, doc *goquery.Document, id string) *goquery.Selection {
	t.Helper()
	s := doc.Find(`[data-testid="queue-post"][data-post-id="` + id + `"]`)
	if s.Length() != 1 {
		t.Fatalf("found %d cards for post %s, want 1", s.Length(), id)
	}
	return s
}

func TestQueuePagePostCard(t *testing.T) {
	doc := renderDoc(t, QueuePage(queueView(model.StatusPending, posts["pending_with_photo"])))
	c := card(t, doc, "7")

	texts := []struct{ testid, want string }{
		{"post-author", "Anna"},
		{"post-handle", "@anna@example.social"},
		{"post-source", "mastodon · mastodon-social"},
		{"post-language", "de"},
		{"post-cw", "Content warning: politics"},
		{"post-published", "1 Oct 2026 12:30 UTC"},
		{"post-text", "Regions #CohesionAlliance"},
		{"photo-alt", "Alt: a bridge over the Danube"},
		{"photo-alt-missing", "No alt text"},
		{"post-media-other", "Video open"},
	}
	for _, tt := range texts {
		t.Run(tt.testid, func(t *testing.T) {
			got := strings.Join(strings.Fields(c.Find(`[data-testid="`+tt.testid+`"]`).Text()), " ")
			if got != tt.want {
				t.Errorf("%s text = %q, want %q", tt.testid, got, tt.want)
			}
		})
	}

	t.Run("sanitized HTML renders as markup", func(t *testing.T) {
		link := c.Find(`[data-testid="post-text"] a`)
		if href, _ := link.Attr("href"); href != "https://example.social/tags/CohesionAlliance" {
			t.Errorf("hashtag link href = %q, want the tag URL", href)
		}
	})
	t.Run("cached photos carry alt text, uncached ones are flagged", func(t *testing.T) {
		imgs := c.Find(`img[data-testid="post-photo"]`)
		if imgs.Length() != 1 {
			t.Fatalf("got %d photos, want 1 (the cached one)", imgs.Length())
		}
		src, _ := imgs.Eq(0).Attr("src")
		alt, _ := imgs.Eq(0).Attr("alt")
		if src != "/media/aaaa1111/480" || alt != "a bridge over the Danube" {
			t.Errorf("photo src=%q alt=%q, want the cached copy and its alt text", src, alt)
		}
		if n := c.Find(`[data-testid="photo-pending"]`).Length(); n != 1 {
			t.Errorf("flagged uncached photos = %d, want 1", n)
		}
		if strings.Contains(c.Text(), "example.social/m/2.jpg") {
			t.Error("the uncached photo is hot-linked")
		}
	})
	t.Run("published time is machine-readable", func(t *testing.T) {
		if dt, _ := c.Find("time").Attr("datetime"); dt != "2026-10-01T12:30:00Z" {
			t.Errorf("datetime = %q, want 2026-10-01T12:30:00Z", dt)
		}
	})
	t.Run("pending post has approve and reject forms", func(t *testing.T) {
		for testid, action := range map[string]string{"approve-button": "/moderate/posts/7/approve", "reject-button": "/moderate/posts/7/reject"} {
			b := c.Find(`button[data-testid="` + testid + `"]`)
			form := b.Closest("form")
			if b.Length() != 1 || form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != action {
				t.Errorf("%s: %d buttons, form method=%q action=%q; want 1 in a POST form to %s",
					testid, b.Length(), form.AttrOr("method", ""), form.AttrOr("action", ""), action)
			}
			if st := form.Find(`input[name="status"]`).AttrOr("value", ""); st != "pending" {
				t.Errorf("%s: hidden status = %q, want pending", testid, st)
			}
		}
		if n := c.Find(`[data-testid="retract-button"]`).Length(); n != 0 {
			t.Errorf("pending post has %d retract buttons, want 0", n)
		}
	})
}

func TestQueuePageApprovedPost(t *testing.T) {
	v := queueView(model.StatusApproved, posts["approved_by_anna"])
	v.Before = 20
	doc := renderDoc(t, QueuePage(v))
	c := card(t, doc, "8")
	if n := c.Find(`[data-testid="approve-button"], [data-testid="reject-button"]`).Length(); n != 0 {
		t.Errorf("approved post has %d approve/reject buttons, want 0", n)
	}
	form := c.Find(`[data-testid="retract-button"]`).Closest("form")
	if got := form.AttrOr("action", ""); got != "/moderate/posts/8/retract" {
		t.Errorf("retract form action = %q, want /moderate/posts/8/retract", got)
	}
	if got := form.Find(`input[name="before"]`).AttrOr("value", ""); got != "20" {
		t.Errorf("retract form keeps before = %q, want 20", got)
	}
	if got := c.Find(`[data-testid="post-decided"]`).Text(); got != "Approved by anna at 14:02 UTC" {
		t.Errorf("decided = %q, want %q", got, "Approved by anna at 14:02 UTC")
	}
	if got := c.Find(`[data-testid="post-handle"]`).Text(); got != "@cityofgraz" {
		t.Errorf("handle = %q, want @cityofgraz", got)
	}
	if n := c.Find(`[data-testid="post-avatar"]`).Length(); n != 0 {
		t.Errorf("post without avatar URL renders %d avatars, want 0", n)
	}
}

func TestQueuePageEscapesHostileContent(t *testing.T) {
	v := queueView(model.StatusPending, posts["hostile"])
	v.Notice = "Already approved by " + scriptTag
	doc := renderDoc(t, QueuePage(v))

	// The page's own script is the only one, from a file (the CSP forbids inline code).
	if n := doc.Find(`script:not([src="/static/moderation/queue.js"])`).Length(); n != 0 {
		t.Errorf("page has %d script elements besides queue.js, want 0", n)
	}
	if own := doc.Find(`script[src="/static/moderation/queue.js"]`); own.Length() != 1 || strings.TrimSpace(own.Text()) != "" {
		t.Errorf("queue.js script elements: %d (text %q), want one without inline code", own.Length(), own.Text())
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has event handler attribute %s=%q", goquery.NodeName(s), a.Key, a.Val)
			}
			if strings.Contains(strings.ToLower(a.Val), "javascript:") {
				t.Errorf("<%s %s=%q> carries a javascript: URL", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	c := card(t, doc, "9")
	if n := c.Find("img").Length(); n != 1 {
		t.Errorf("hostile card has %d img elements, want only the photo (1)", n)
	}
	// The hostile text is shown as text, so moderators see what was attempted.
	shown := []struct{ testid, want string }{
		{"post-author", scriptTag + imgTag},
		{"post-handle", "@" + imgTag},
		{"post-language", scriptTag},
		{"post-cw", "Content warning: " + imgTag},
		{"post-text", "hello " + scriptTag + " " + imgTag},
	}
	for _, tt := range shown {
		if got := strings.TrimSpace(c.Find(`[data-testid="` + tt.testid + `"]`).Text()); got != tt.want {
			t.Errorf("%s text = %q, want %q", tt.testid, got, tt.want)
		}
	}
	if got := doc.Find(`[data-testid="notice"]`).Text(); got != v.Notice {
		t.Errorf("notice = %q, want %q", got, v.Notice)
	}
	if alt := c.Find(`[data-testid="post-photo"]`).AttrOr("alt", ""); alt != posts["hostile"].Media[0].AltText {
		t.Errorf("alt = %q, want the alt text verbatim as an attribute value", alt)
	}
	if n := c.Find(`[data-testid="post-link"]`).Length(); n != 0 {
		t.Errorf("javascript: post URL rendered as %d links, want 0", n)
	}
}

func TestQueuePageTabsAndPaging(t *testing.T) {
	v := queueView(model.StatusApproved)
	v.OlderURL, v.NewestURL = "/moderate?before=3&status=approved", "/moderate?status=approved"
	doc := renderDoc(t, QueuePage(v))

	tabs := doc.Find(`[data-testid="status-tab"]`)
	if tabs.Length() != len(tabStatuses) {
		t.Fatalf("got %d tabs, want %d", tabs.Length(), len(tabStatuses))
	}
	tabs.Each(func(i int, s *goquery.Selection) {
		st := tabStatuses[i]
		if got := s.AttrOr("href", ""); got != queueURL(st, 0) {
			t.Errorf("tab %s href = %q, want %q", st, got, queueURL(st, 0))
		}
		current := s.AttrOr("aria-current", "") == "page"
		if current != (st == model.StatusApproved) {
			t.Errorf("tab %s aria-current=page is %v, want %v", st, current, st == model.StatusApproved)
		}
		if got, want := s.Find(`[data-testid="status-count"]`).Text(), idString(int64(len(st))); got != want {
			t.Errorf("tab %s count = %q, want %q", st, got, want)
		}
	})
	if got := doc.Find(`[data-testid="queue-empty"]`).Text(); strings.TrimSpace(got) != "No approved posts." {
		t.Errorf("empty message = %q, want %q", got, "No approved posts.")
	}
	if got := doc.Find(`[data-testid="older-link"]`).AttrOr("href", ""); got != v.OlderURL {
		t.Errorf("older link = %q, want %q", got, v.OlderURL)
	}
	if got := doc.Find(`[data-testid="newest-link"]`).AttrOr("href", ""); got != v.NewestURL {
		t.Errorf("newest link = %q, want %q", got, v.NewestURL)
	}
	if got := doc.Find(`[data-testid="moderator-name"]`).Text(); got != "anna" {
		t.Errorf("moderator name = %q, want anna", got)
	}
	if got := doc.Find(`link[rel="stylesheet"]`).AttrOr("href", ""); got != "/static/moderation/moderation.css" {
		t.Errorf("stylesheet = %q, want /static/moderation/moderation.css", got)
	}
}

func TestLoginPage(t *testing.T) {
	doc := renderDoc(t, LoginPage(LoginView{CampaignName: "#CohesionAlliance", Name: scriptTag, Next: "/moderate?status=approved", Error: "Wrong name or password."}))
	form := doc.Find(`form[data-testid="login-form"]`)
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/login" {
		t.Errorf("login form method=%q action=%q, want post /login", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	fields := map[string]string{"next": "/moderate?status=approved", "name": scriptTag, "password": ""}
	for name, want := range fields {
		in := form.Find(`input[name="` + name + `"]`)
		if in.Length() != 1 || in.AttrOr("value", "") != want {
			t.Errorf("input %s: %d found, value %q; want 1 with value %q", name, in.Length(), in.AttrOr("value", ""), want)
		}
	}
	if got := doc.Find(`[data-testid="login-error"]`).Text(); got != "Wrong name or password." {
		t.Errorf("error = %q, want %q", got, "Wrong name or password.")
	}
	if n := doc.Find("script").Length(); n != 0 {
		t.Errorf("login page has %d script elements, want 0", n)
	}
}
