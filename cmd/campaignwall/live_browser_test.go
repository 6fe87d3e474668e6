package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
	"github.com/cohesionalliance/campaignwall/wall"
)

func wallCard(p model.Post) string {
	return fmt.Sprintf(`#wall [data-testid=wall-post][data-post-id="%d"]`, p.ID)
}

// TestBrowserWallResumesAcrossRestart is a screen's day: posts come and go
// while it is open, the server restarts (a deploy), moderation goes on while
// it is down and right after, and the page, without reloading, ends up
// showing exactly what is approved.
func TestBrowserWallResumesAcrossRestart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "wall.db")
	first := startLive(t, liveConfig(dbPath, "127.0.0.1:0"))
	st := first.store
	addModerator(t, st, "anna", "correct horse battery")
	post := func(n int, text string) model.Post {
		return savePost(t, st, fixturePost(fmt.Sprintf("https://social.example/users/r/statuses/%d", n), "Regio Noord", "<p>"+text+" #CohesionAlliance</p>"))
	}
	approveNow := func(p model.Post) model.Post {
		p, err := st.Decide(context.Background(), model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	shown := approveNow(post(1, "On the wall all day"))
	retractedWhileDown := approveNow(post(2, "Retracted while the server is down"))
	live := post(3, "Approved and retracted while the page is open")
	approvedWhileDown := post(4, "Approved while the server is down")
	approvedAfterRestart := post(5, "Approved right after the restart")

	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(first.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#wall-status[data-state="live"]`)),
		chromedp.WaitReady(chromedp.CSS(wallCard(retractedWhileDown))),
	)
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[int](`window.__marker = 42`))
	}
	if err != nil {
		t.Fatalf("open the wall: %v", err)
	}

	mod := loginModerator(t, first.URL, "anna", "correct horse battery")
	mod.decide(live, model.ActionApprove)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(wallCard(live)))); err != nil {
		t.Fatalf("post approved while the page is open never appeared: %v", err)
	}
	mod.decide(live, model.ActionRetract)
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.CSS(wallCard(live)))); err != nil {
		t.Fatalf("post retracted while the page is open never went: %v", err)
	}

	// The deploy: the server stops. Moderation goes on meanwhile through
	// the event path, as another process on the same database would.
	first.stop()
	offline, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := wall.OpenHub(context.Background(), offline, newLogger(io.Discard), wall.HubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		p model.Post
		a model.Action
	}{{approvedWhileDown, model.ActionApprove}, {retractedWhileDown, model.ActionRetract}} {
		p, err := offline.Decide(context.Background(), model.Decision{PostID: d.p.ID, Action: d.a, Actor: "anna"})
		if err != nil {
			t.Fatal(err)
		}
		hub.PostChanged(p)
	}
	hub.Close()
	offline.Close()

	// The new server, on the same address and database; a decision right
	// away, likely before the page is back.
	second := startLive(t, liveConfig(dbPath, first.Addr))
	loginModerator(t, second.URL, "anna", "correct horse battery").decide(approvedAfterRestart, model.ActionApprove)

	for _, p := range []model.Post{approvedWhileDown, approvedAfterRestart} {
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(wallCard(p)))); err != nil {
			t.Fatalf("post %d approved around the restart never appeared: %v", p.ID, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.CSS(wallCard(retractedWhileDown)))); err != nil {
		t.Fatalf("post %d retracted while the server was down is still shown: %v", retractedWhileDown.ID, err)
	}
	type state struct {
		Marker int      `json:"marker"`
		IDs    []string `json:"ids"`
		Status string   `json:"status"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({
		marker: window.__marker || 0,
		ids: [...document.querySelectorAll('#wall [data-testid=wall-post]')].map(e => e.dataset.postId),
		status: document.getElementById('wall-status').dataset.state,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Marker != 42 {
		t.Errorf("the page reloaded (marker %d): it must resume without a reload", got.Marker)
	}
	want := fmt.Sprintf("%d,%d,%d", approvedAfterRestart.ID, approvedWhileDown.ID, shown.ID)
	if strings.Join(got.IDs, ",") != want {
		t.Errorf("cards after the restart = %s, want %s (each once, newest first)", strings.Join(got.IDs, ","), want)
	}
	if got.Status != "live" {
		t.Errorf("status = %q, want live", got.Status)
	}
}
