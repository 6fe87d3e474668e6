package wall

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Cache keys name files in the media cache (SHA-256 of the original).
const (
	bridgeKey = "b1d9e0a3c5f7e2d4b6a8c0e2f4a6b8d0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2"
	floodKey  = "f100d0a3c5f7e2d4b6a8c0e2f4a6b8d0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2"
	okKey     = "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"
)

var baseTime = time.Date(2026, 10, 13, 9, 30, 0, 0, time.UTC)

// fixtures are named posts, so a failing test reads like a sentence.
var fixtures = map[string]model.Post{
	"mastodon_with_photo": {
		ID: 1, Network: model.NetworkMastodon, Status: model.StatusApproved,
		URI:      "https://regions.social/users/anna/statuses/1",
		URL:      "https://regions.social/@anna/1",
		Author:   model.Author{Handle: "anna@regions.social", DisplayName: "Anna Kowalska", AvatarURL: "https://regions.social/avatars/anna.png"},
		HTML:     `<p>Our region signed the <a href="https://regions.social/tags/CohesionAlliance" rel="nofollow noopener" target="_blank">#CohesionAlliance</a> call!</p>`,
		Text:     "Our region signed the #CohesionAlliance call!",
		Language: "pl",
		Media: []model.Media{{Kind: model.MediaImage, URL: "https://regions.social/media/bridge.jpg",
			AltText: "A new bridge over the Vistula, funded by cohesion policy", Width: 1200, Height: 800, CacheKey: bridgeKey}},
		PublishedAt: baseTime,
	},
	"with_content_warning": {
		ID: 2, Network: model.NetworkBluesky, Status: model.StatusApproved,
		URI:            "at://did:plc:abc/app.bsky.feed.post/2",
		URL:            "https://bsky.app/profile/city.example/post/2",
		Author:         model.Author{Handle: "city.example", DisplayName: "City of Example"},
		HTML:           `<p>Flood damage photos from last spring.</p>`,
		Text:           "Flood damage photos from last spring.",
		ContentWarning: "flood damage",
		Sensitive:      true,
		Media:          []model.Media{{Kind: model.MediaImage, URL: "https://cdn.bsky.example/flood.jpg", AltText: "A flooded street", CacheKey: floodKey}},
		PublishedAt:    baseTime.Add(-time.Hour),
	},
	"hostile": {
		ID: 3, Network: model.NetworkX, Status: model.StatusApproved,
		URI: "https://x.com/i/status/3",
		URL: "javascript:alert('url')",
		Author: model.Author{
			Handle:      `<script>alert("handle")</script>`,
			DisplayName: `"><img src=x onerror=alert("name")><script>alert("name")</script>`,
			AvatarURL:   `javascript:alert("avatar")`,
		},
		// Collectors escape plain text (collectors.TextToHTML), so markup a
		// user typed arrives as text, never as elements.
		HTML:           `<p>&lt;script&gt;alert("text")&lt;/script&gt; &lt;img src=x onerror=alert("text")&gt;</p>`,
		Text:           `<script>alert("text")</script> <img src=x onerror=alert("text")>`,
		Language:       `en" onmouseover="alert(1)`,
		ContentWarning: `<script>alert("cw")</script>" onclick="alert(1)`,
		Media: []model.Media{
			{Kind: model.MediaImage, URL: "https://pbs.example/ok.jpg", AltText: `" onerror="alert('alt')"><script>alert("alt")</script>`, CacheKey: okKey},
			{Kind: model.MediaImage, URL: `javascript:alert("src")`, AltText: "bad src"},
			{Kind: model.MediaImage, URL: `//evil.example/x.jpg`, AltText: "protocol-relative"},
		},
		PublishedAt: baseTime.Add(-2 * time.Hour),
	},
	"plain_text_only": {
		ID: 4, Network: model.NetworkFeed, Status: model.StatusApproved,
		URI:         "https://news.example/cohesion",
		URL:         "https://news.example/cohesion",
		Author:      model.Author{Handle: "news.example"},
		Text:        "Cohesion policy explained\nin two lines",
		PublishedAt: baseTime.Add(-3 * time.Hour),
	},
	"pinned_highlighted": {
		ID: 5, Network: model.NetworkMastodon, Status: model.StatusApproved, Pinned: true, Highlighted: true,
		URI:         "https://cor.social/users/cor/statuses/5",
		URL:         "https://cor.social/@cor/5",
		Author:      model.Author{Handle: "cor@cor.social", DisplayName: "European Committee of the Regions"},
		HTML:        "<p>Sign the Joint Call!</p>",
		PublishedAt: baseTime.Add(-48 * time.Hour),
	},
}

func fixture(t testing.TB, name string) model.Post {
	t.Helper()
	p, ok := fixtures[name]
	if !ok {
		t.Fatalf("no fixture %q", name)
	}
	// A test may change the copy's media; the fixture's must stay as it is.
	p.Media = slices.Clone(p.Media)
	return p
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// renderCard renders Card and parses it as an HTML fragment.
func renderCard(t *testing.T, p model.Post) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Card(p).Render(context.Background(), &buf); err != nil {
		t.Fatalf("render card: %v", err)
	}
	html := buf.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse card: %v", err)
	}
	return doc, html
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wall.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// savePost stores a fixture as a collector would (pending) and then applies
// the moderation decisions that give it status (and pin), returning it as
// stored.
func savePost(t *testing.T, st *store.Store, p model.Post, status model.Status, pinned bool) model.Post {
	t.Helper()
	ctx := context.Background()
	p.ID, p.Status, p.Pinned, p.Highlighted = 0, "", false, false
	res, err := st.SavePosts(ctx, "test", []model.Post{p}, "")
	if err != nil {
		t.Fatalf("save post %s: %v", p.URI, err)
	}
	if len(res.New) != 1 {
		t.Fatalf("save post %s: %d new, want 1", p.URI, len(res.New))
	}
	saved := res.New[0]
	decide := func(a model.Action) {
		var err error
		saved, err = st.Decide(ctx, model.Decision{PostID: saved.ID, Action: a, Actor: "tester"})
		if err != nil {
			t.Fatalf("%s post %d: %v", a, saved.ID, err)
		}
	}
	switch status {
	case model.StatusApproved:
		decide(model.ActionApprove)
	case model.StatusRejected:
		decide(model.ActionReject)
	case model.StatusRemoved:
		decide(model.ActionRemove)
	}
	if pinned {
		decide(model.ActionPin)
	}
	return saved
}
