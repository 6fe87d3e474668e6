package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
)

// setCount posts the /admin/counter form as the logged-in admin.
func (m *moderatorClient) setCount(value string) {
	m.t.Helper()
	resp, err := m.c.PostForm(m.base+"/admin/counter", url.Values{"signatures": {value}})
	if err != nil {
		m.t.Fatalf("set count: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin/counter" {
		m.t.Fatalf("set count %s: %s at %s, want the counter page again", value, resp.Status, resp.Request.URL)
	}
}

// TestBrowserWallInPolishWithLiveCount: a screen opened with ?lang=pl shows
// the wall in Polish, including a card that arrives live (rendered once for
// every screen, in English, and put into Polish by wall.js), and the
// signature count an admin sets appears on it within moments, written the
// Polish way.
func TestBrowserWallInPolishWithLiveCount(t *testing.T) {
	cfg := liveConfig(filepath.Join(t.TempDir(), "wall.db"), "127.0.0.1:0")
	cfg.Campaign.Language = "de" // ?lang= wins over it
	cfg.CTA = config.CTA{Enabled: true, SigningURL: "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"}
	a := startLive(t, cfg)
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.CreateModerator(context.Background(), model.Moderator{Name: "ada", PasswordHash: hash, Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	post := savePost(t, a.store, fixturePost("https://social.example/users/r/statuses/1", "Regio Noord", "<p>Cohesion works #CohesionAlliance</p>"))

	ctx := browser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/?lang=pl"),
		chromedp.WaitVisible(chromedp.CSS(`#wall-status[data-state="live"]`)),
	); err != nil {
		t.Fatalf("open the wall: %v", err)
	}
	for sel, want := range map[string]string{
		`#wall-status`:               "Na żywo",
		`[data-testid="wall-empty"]`: "Nie ma jeszcze wpisów. Twój może być pierwszy!",
		`[data-testid="cta-title"]`:  "Podpisz Wspólny apel",
		`.cta__scan`:                 "Zeskanuj kod, aby podpisać",
	} {
		if got := text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "pl" {
		t.Errorf("html lang = %q (%v), want pl", lang, err)
	}

	admin := loginModerator(t, a.URL, "ada", "correct horse battery")
	admin.decide(post, model.ActionApprove)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(wallCard(post)))); err != nil {
		t.Fatalf("approved post never appeared: %v", err)
	}
	if got, want := text(wallCard(post)+` [data-testid="post-link"]`), "Zobacz w serwisie Mastodon"; got != want {
		t.Errorf("live card's link = %q, want %q", got, want)
	}
	if got, want := text(wallCard(post)+` [data-testid="post-time"]`), "przed chwilą"; got != want {
		t.Errorf("live card's time = %q, want %q", got, want)
	}

	for _, step := range []struct{ typed, want string }{
		{"12345", "12\u00a0345 podpisów"},
		{"22", "22 podpisy"},
		{"1", "1 podpis"},
	} {
		admin.setCount(step.typed)
		want, _ := json.Marshal(step.want)
		expr := `(function () { var el = document.getElementById('cta-count'); return !el.hidden && el.textContent === ` + string(want) + `; })()`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("count after setting %s: %q, want %q (%v)", step.typed, text(`[data-testid="cta-count"]`), step.want, err)
		}
	}

	// A new screen, and the bot, get the stored count.
	c, err := a.store.SignatureCount(context.Background())
	if err != nil || c.Value != 1 || c.Source != model.SignaturesAdmin || c.By != "ada" {
		t.Errorf("stored count = %+v, %v; want 1 set by ada", c, err)
	}
}
