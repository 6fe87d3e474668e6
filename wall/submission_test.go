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
		{"poster, not the video", card.Find(".card__photo--video img").AttrOr("src", ""), "/media/" + key + "/1280"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if strings.Contains(html, "submission:1234") {
		t.Error("the card shows the submission's internal handle")
	}
}
