package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// TestBrowserSubmittedVideoPlaysMutedOnTheWall: a supporter's video, once
// approved, plays on the wall from campaignwall's own copy, muted and
// looping; a screen that prefers reduced motion shows its poster still.
func TestBrowserSubmittedVideoPlaysMutedOnTheWall(t *testing.T) {
	srv := startServer(t, openSubmissions)
	video, err := filepath.Abs(filepath.Join("..", "..", "media", "testdata", "short.webm"))
	if err != nil {
		t.Fatal(err)
	}
	tab := browser(t)
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := submitInBrowser(ctx, srv.URL, "Jan Novák", "Our new school, in one minute.", video); err != nil {
		t.Fatalf("submit the video: %v", err)
	}
	posts, err := srv.Store.Posts(context.Background(), store.PostFilter{Status: model.StatusPending})
	if err != nil || len(posts) != 1 {
		t.Fatalf("pending posts: %d, %v; want 1", len(posts), err)
	}
	if _, err := srv.Store.Decide(context.Background(), model.Decision{PostID: posts[0].ID, Action: model.ActionApprove, Actor: "anna", At: time.Now()}); err != nil {
		t.Fatal(err)
	}

	type state struct {
		Src     string  `json:"src"`
		Poster  string  `json:"poster"`
		Muted   bool    `json:"muted"`
		Loop    bool    `json:"loop"`
		Paused  bool    `json:"paused"`
		Time    float64 `json:"time"`
		Playing bool    `json:"playing"`
		Label   string  `json:"label"`
	}
	read := `(() => {
		const v = document.querySelector('[data-testid=post-video]');
		if (!v) return null;
		return {src: v.getAttribute('src'), poster: v.getAttribute('poster'), muted: v.muted, loop: v.loop,
			paused: v.paused, time: v.currentTime, playing: v.classList.contains('card__video--playing'),
			label: v.getAttribute('aria-label')};
	})()`

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Poll[state](`(() => { const s = `+read+`; return s && s.playing && s.time > 0.2 ? s : null; })()`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[*state](read))
		t.Fatalf("the video never played on the wall: %v (video now: %+v)", err, now)
	}
	screenshot(t, tab, "wall-video.png")
	v := posts[0].Media[0]
	if got.Src != v.URL || got.Poster == "" || !got.Muted || !got.Loop || got.Label == "" {
		t.Errorf("wall video %+v; want %s from the local cache, with a poster, muted, looping and described", got, v.URL)
	}

	// The same wall on a screen that prefers reduced motion.
	still, cancelStill := chromedp.NewContext(tab)
	defer cancelStill()
	err = chromedp.Do(still,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
			})
			return err
		}),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=post-video]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// wall.js starts videos before it opens the live stream: once the page
	// says it is live, wall.js has decided about the video.
	if _, err := chromedp.Run(still, chromedp.Poll[bool](`document.getElementById('wall-status') && document.getElementById('wall-status').dataset.state === 'live' || null`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the wall never went live: %v", err)
	}
	calm, err := chromedp.Run(still, chromedp.Evaluate[state](read))
	if err != nil {
		t.Fatal(err)
	}
	if !calm.Paused || calm.Time != 0 || calm.Playing {
		t.Errorf("with reduced motion the video is %+v; want its poster, still", calm)
	}
}
