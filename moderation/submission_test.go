package moderation

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// saveSubmission stores a direct submission as package submission does.
func (s *server) saveSubmission(t *testing.T, id, email string, media ...model.Media) model.Post {
	t.Helper()
	p, err := s.st.SaveSubmission(context.Background(), model.Post{
		Network:  model.NetworkSubmission,
		URI:      "urn:campaignwall:submission:" + id,
		Category: "submission",
		Author:   model.Author{Handle: "submission:" + id, DisplayName: "Maria Rossi", Bio: "Comune di Bari"},
		Text:     "The tram line to the hospital was built with cohesion funds.",
		Media:    media,
	}, model.Submission{Email: email, ConsentText: "I agree that it is shown publicly.", ConsentAt: time.Date(2026, 10, 13, 9, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestQueueShowsSubmissionsWithoutEmail(t *testing.T) {
	s := newServer(t)
	key := strings.Repeat("ab", 32)
	photo := s.saveSubmission(t, "1", "maria@example.org", model.Media{Kind: model.MediaImage, CacheKey: key, AltText: "a tram"})
	video := s.saveSubmission(t, "2", "", model.Media{Kind: model.MediaVideo, CacheKey: key, URL: "/media/video/" + key + ".mp4"})
	cookie := s.login(t, "anna")
	rec := s.do(t, request{method: "GET", target: "/moderate", cookie: cookie})
	if rec.Code != http.StatusOK {
		t.Fatalf("queue: %d", rec.Code)
	}
	body := rec.Body.String()
	doc := parse(t, rec)
	card := doc.Find(`[data-testid="queue-post"][data-post-id="` + idString(photo.ID) + `"]`)
	checks := []struct{ what, got, want string }{
		{"name", card.Find(`[data-testid="post-author"]`).Text(), "Maria Rossi"},
		{"organisation on the handle's line", card.Find(`[data-testid="post-handle"]`).Text(), "Comune di Bari"},
		{"photo", card.Find(`[data-testid="post-photo"]`).AttrOr("src", ""), "/media/" + key + "/480"},
		{"details link", card.Find(`[data-testid="submission-details-link"]`).AttrOr("href", ""), "/moderate/submissions/" + idString(photo.ID)},
	}
	vcard := doc.Find(`[data-testid="queue-post"][data-post-id="` + idString(video.ID) + `"]`)
	vid := vcard.Find(`video[data-testid="post-video"]`)
	checks = append(checks,
		struct{ what, got, want string }{"video src", vid.AttrOr("src", ""), "/media/video/" + key + ".mp4"},
		struct{ what, got, want string }{"video poster", vid.AttrOr("poster", ""), "/media/" + key + "/480"},
		struct{ what, got, want string }{"video muted", vid.AttrOr("muted", "missing"), ""},
	)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if strings.Contains(body, "maria@example.org") {
		t.Error("the queue shows the submitter's email")
	}

	rec = s.do(t, request{method: "GET", target: "/moderate/submissions/" + idString(photo.ID), cookie: cookie})
	if rec.Code != http.StatusOK {
		t.Fatalf("details: %d", rec.Code)
	}
	d := parse(t, rec)
	for _, c := range []struct{ what, got, want string }{
		{"email", d.Find(`[data-testid="submitter-email"] a`).AttrOr("href", ""), "mailto:maria@example.org"},
		{"organisation", d.Find(`[data-testid="submitter-organisation"]`).Text(), "Comune di Bari"},
		{"consent", d.Find(`[data-testid="submitter-consent"]`).Text(), "I agree that it is shown publicly."},
	} {
		if strings.TrimSpace(c.got) != c.want {
			t.Errorf("details %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("details Cache-Control %q, want no-store", got)
	}
}

func TestSubmissionDetailsNeedSessionAndASubmission(t *testing.T) {
	s := newServer(t)
	sub := s.saveSubmission(t, "1", "maria@example.org")
	other := s.savePosts(t, 1)[0]
	cookie := s.login(t, "anna")
	for _, tc := range []struct {
		name, target, cookie string
		want                 int
	}{
		{"no session", "/moderate/submissions/" + idString(sub.ID), "", http.StatusSeeOther},
		{"not a submission", "/moderate/submissions/" + idString(other.ID), cookie, http.StatusNotFound},
		{"no such post", "/moderate/submissions/99999", cookie, http.StatusNotFound},
		{"not an ID", "/moderate/submissions/x", cookie, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: tc.target, cookie: tc.cookie})
			if rec.Code != tc.want || strings.Contains(rec.Body.String(), "maria@example.org") {
				t.Errorf("got %d (email shown: %v), want %d without the email", rec.Code, strings.Contains(rec.Body.String(), "maria@example.org"), tc.want)
			}
		})
	}
}

func TestQueueFlagsPhotosThatWillNotArrive(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	res, err := s.st.SavePosts(ctx, "test", []model.Post{
		{Network: model.NetworkMastodon, URI: "https://example.social/1", Author: model.Author{Handle: "a@example.social"}, Text: "gone",
			Media: []model.Media{{Kind: model.MediaImage, URL: "https://example.social/gone.jpg"}}},
		{Network: model.NetworkMastodon, URI: "https://example.social/2", Author: model.Author{Handle: "a@example.social"}, Text: "coming",
			Media: []model.Media{{Kind: model.MediaImage, URL: "https://example.social/later.jpg"}}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	gone, coming := res.New[0], res.New[1]
	if err := s.st.RecordMediaFailure(ctx, gone.Media[0].ID, "https://example.social/gone.jpg: HTTP 404 Not Found", time.Time{}); err != nil {
		t.Fatal(err)
	}
	// A failure that will be retried is not flagged yet.
	if err := s.st.RecordMediaFailure(ctx, coming.Media[0].ID, "fetch https://example.social/later.jpg: context deadline exceeded", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate", cookie: s.login(t, "anna")}))
	card := func(p model.Post) string { return `[data-testid="queue-post"][data-post-id="` + idString(p.ID) + `"] ` }
	if got, want := doc.Find(card(gone)+`[data-testid="photo-failed"]`).Text(), "Photo could not be fetched: its server says it no longer exists (HTTP 404)."; got != want {
		t.Errorf("failed photo: %q, want %q", got, want)
	}
	if n := doc.Find(card(gone) + `img`).Length(); n != 0 {
		t.Errorf("failed photo shown as %d images", n)
	}
	if doc.Find(card(coming)+`[data-testid="photo-pending"]`).Length() != 1 || doc.Find(card(coming)+`[data-testid="photo-failed"]`).Length() != 0 {
		t.Error("a photo still being retried is not shown as pending")
	}
}

func TestPlainReason(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"https://x/y.jpg: media file too large (30000000 bytes, limit 20971520)", "the file is larger than the media cache takes"},
		{"https://x/y.jpg: unsupported media type: text/html; charset=utf-8", "it is not a photo format the wall can show"},
		{"https://x/y.jpg: broken image: image/png: unexpected EOF", "the file is damaged"},
		{"fetch http://10.0.0.1/y.jpg: dial: refusing to connect to a non-public address", "its address points into a private network, which is never fetched"},
		{"https://x/y.jpg: HTTP 403 Forbidden", "its server refuses to hand it out (HTTP 403)"},
		{"https://x/y.jpg: HTTP 500 Internal Server Error", "its server answered with an error (HTTP 500)"},
		{"something else entirely", "the download failed"},
	} {
		if got := plainReason(tc.msg); got != tc.want {
			t.Errorf("plainReason(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}
