package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

func openSubmissions(c *config.Config) {
	c.Submissions = config.DefaultSubmissions()
	c.Submissions.Enabled = true
}

// writeFixturePhoto writes a small JPEG for the browser to upload.
func writeFixturePhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := range 200 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x / 2), 120, uint8(y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tram.jpg")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// submitInBrowser fills the form as a supporter would and sends it.
func submitInBrowser(ctx context.Context, base, name, statement, file string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/submit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=submit-form]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=organisation]`), "Comune di Bari"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=statement]`), statement),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=media]`), []string{file}),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=submit-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=thanks]`)),
	)
}

func TestBrowserSubmissionReachesTheQueue(t *testing.T) {
	srv := startServer(t, openSubmissions)
	addModerator(t, srv.Store, "anna", "correct horse battery")
	photo := writeFixturePhoto(t)
	video, err := filepath.Abs(filepath.Join("..", "..", "media", "testdata", "short.webm"))
	if err != nil {
		t.Fatal(err)
	}

	tab := browser(t)
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()

	// Refusals and their messages are tested in package submission, over
	// real HTTP; here two supporters send a photo and a video as they would.
	if err := submitInBrowser(ctx, srv.URL, "Maria Rossi", "Our tram line was built with cohesion funds.", photo); err != nil {
		t.Fatalf("submit the photo: %v", err)
	}
	screenshot(t, tab, "submit-thanks.png")
	if err := submitInBrowser(ctx, srv.URL, "Jan Novák", "Our new school, in one minute.", video); err != nil {
		t.Fatalf("submit the video: %v", err)
	}

	posts, err := srv.Store.Posts(context.Background(), store.PostFilter{Status: model.StatusPending})
	if err != nil || len(posts) != 2 {
		t.Fatalf("pending posts: %d, %v; want 2", len(posts), err)
	}
	byName := map[string]model.Post{}
	for _, p := range posts {
		byName[p.Author.DisplayName] = p
	}
	photoPost, videoPost := byName["Maria Rossi"], byName["Jan Novák"]
	if photoPost.Network != model.NetworkSubmission || len(photoPost.Media) != 1 || photoPost.Media[0].Kind != model.MediaImage {
		t.Fatalf("photo submission stored as %+v", photoPost)
	}
	if len(videoPost.Media) != 1 || videoPost.Media[0].Kind != model.MediaVideo {
		t.Fatalf("video submission stored as %+v", videoPost)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/moderate"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "anna"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid=queue-post][data-post-id="%d"] [data-testid=post-photo]`, photoPost.ID))),
	)
	if err != nil {
		t.Fatalf("open the queue: %v", err)
	}
	// The photo really loads from the media cache, and the video really
	// plays from it (metadata through range requests, muted).
	type state struct {
		Author      string  `json:"author"`
		Org         string  `json:"org"`
		PhotoWidth  int     `json:"photoWidth"`
		VideoLength float64 `json:"videoLength"`
		VideoMuted  bool    `json:"videoMuted"`
	}
	got, err := chromedp.Run(ctx, chromedp.Poll[state](fmt.Sprintf(`(() => {
		const card = document.querySelector('[data-testid=queue-post][data-post-id="%d"]');
		const img = card.querySelector('[data-testid=post-photo]');
		const v = document.querySelector('[data-testid=queue-post][data-post-id="%d"] video');
		if (v.preload !== 'auto') { v.preload = 'auto'; v.load(); }
		if (!img.complete || img.naturalWidth === 0 || !isFinite(v.duration) || !(v.duration > 0)) return null;
		return {author: card.querySelector('[data-testid=post-author]').textContent,
			org: card.querySelector('[data-testid=post-handle]').textContent,
			photoWidth: img.naturalWidth, videoLength: v.duration, videoMuted: v.muted};
	})()`, photoPost.ID, videoPost.ID), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("queue photo and video never loaded: %v", err)
	}
	screenshot(t, tab, "submit-queue.png")
	if got.Author != "Maria Rossi" || got.Org != "Comune di Bari" || got.PhotoWidth != 320 {
		t.Errorf("queue card: %+v; want Maria Rossi of Comune di Bari with the 320 px photo", got)
	}
	if got.VideoLength < 1.5 || got.VideoLength > 2.5 || !got.VideoMuted {
		t.Errorf("queue video: %.2f s, muted %v; want about 2 s, muted", got.VideoLength, got.VideoMuted)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Our tram line was built with cohesion funds.") {
		t.Errorf("queue text lacks the statement: %q", text)
	}
}

func TestBrowserTooLargeFileCaughtBeforeUpload(t *testing.T) {
	srv := startServer(t, openSubmissions, func(c *config.Config) { c.Submissions.MaxPhotoBytes = 1000 })
	photo := writeFixturePhoto(t)
	if info, err := os.Stat(photo); err != nil || info.Size() <= 1000 {
		t.Fatalf("fixture photo: %v, %v", info, err)
	}
	tab := browser(t)
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/submit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=submit-form]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=media]`), []string{photo}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=file-check]`)),
	)
	if err != nil {
		t.Fatalf("choose a too large photo: %v", err)
	}
	type state struct {
		Message string `json:"message"`
		Valid   bool   `json:"valid"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({
		message: document.querySelector('[data-testid=file-check]').textContent,
		valid: document.querySelector('input[name=media]').checkValidity(),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Message, "This file is too large. Photos may be up to 1000 bytes") || got.Valid {
		t.Errorf("after choosing a too large photo: %+v; want the size message and the form blocked", got)
	}
	if n, err := srv.Store.CountPosts(context.Background()); err != nil || len(n) != 0 {
		t.Errorf("posts %v, %v; want none", n, err)
	}
}
