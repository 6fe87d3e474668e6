package wall

import (
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestCardOfADirectSubmission(t *testing.T) {
	key := strings.Repeat("cd", 32)
	p := model.Post{
		ID: 7, Network: model.NetworkSubmission, URI: "urn:campaignwall:submission:1234",
		Author:      model.Author{Network: model.NetworkSubmission, Handle: "submission:1234", DisplayName: "Maria Rossi", Bio: "Comune di Bari"},
		Text:        "The tram line was built with cohesion funds.",
		Media:       []model.Media{{Kind: model.MediaVideo, URL: "/media/video/" + key + ".mp4", CacheKey: key, Width: 1280, Height: 720}},
		PublishedAt: time.Date(2026, 10, 13, 9, 30, 0, 0, time.UTC),
		Status:      model.StatusApproved,
	}
	doc, html := renderCard(t, p)
	card := doc.Find(`[data-testid="wall-post"]`)
	for _, c := range []struct{ what, got, want string }{
		{"name", card.Find(`[data-testid="post-author"]`).Text(), "Maria Rossi"},
		{"organisation where a handle goes", card.Find(`[data-testid="post-handle"]`).Text(), "Comune di Bari"},
		{"network", card.Find(`[data-testid="post-network"]`).Text(), "Submitted"},
		// The stored video itself, muted, over its cached poster; wall.js
		// starts it unless the screen prefers reduced motion, so the page
		// does not autoplay by itself.
		{"video", card.Find(".card__photo--video video").AttrOr("src", ""), "/media/video/" + key + ".mp4"},
		{"poster", card.Find(".card__photo--video video").AttrOr("poster", ""), "/media/" + key + "/1280"},
		{"muted", card.Find(".card__photo--video video[muted][loop][playsinline]").AttrOr("data-testid", ""), "post-video"},
		{"autoplay", card.Find("video[autoplay]").AttrOr("data-testid", "none"), "none"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if strings.Contains(html, "submission:1234") {
		t.Error("the card shows the submission's internal handle")
	}
}

// A network's video stays on its network: the card shows its cached poster.
func TestCardOfANetworkVideoShowsItsPoster(t *testing.T) {
	key := strings.Repeat("ef", 32)
	p := model.Post{
		ID: 8, Network: model.NetworkMastodon, URI: "https://social.example/users/a/statuses/8",
		Author:      model.Author{Network: model.NetworkMastodon, Handle: "a@social.example", DisplayName: "A"},
		Text:        "A video of the new bridge.",
		Media:       []model.Media{{Kind: model.MediaVideo, URL: "https://social.example/media/bridge.mp4", CacheKey: key}},
		PublishedAt: time.Date(2026, 10, 13, 9, 30, 0, 0, time.UTC),
		Status:      model.StatusApproved,
	}
	doc, _ := renderCard(t, p)
	if n := doc.Find("video").Length(); n != 0 {
		t.Errorf("%d video elements, want none: screens never load media from a network", n)
	}
	if got, want := doc.Find(".card__photo--video img").AttrOr("src", ""), "/media/"+key+"/1280"; got != want {
		t.Errorf("poster = %q, want %q", got, want)
	}
}
