package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
)

// TestBrowserScreenReloadsIntoAdminsLook: a screen is open on a dark wall;
// an admin, in another tab, gives the wall a new title, the light theme,
// a white background and Italian on /admin/walls. The open screen reloads
// by itself into the new look, and "Use the config file" brings the old
// one back the same way.
func TestBrowserScreenReloadsIntoAdminsLook(t *testing.T) {
	srv := startServer(t, func(c *config.Config) {
		c.Walls = []model.Wall{{Slug: "plenary", Title: "Plenary", Default: true, Mode: model.ModeMasonry, Theme: "dark", SpotlightSeconds: 10}}
	})
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.CreateModerator(context.Background(), model.Moderator{Name: "ada", PasswordHash: hash, Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	screen := browser(t)
	screen, cancel := context.WithTimeout(screen, 60*time.Second)
	defer cancel()
	admin, cancelAdmin := chromedp.NewContext(screen) // another tab
	defer cancelAdmin()
	// Open the tab here: a tab lives as long as the context of its first
	// action, and waitUntil's end with their steps.
	if err := chromedp.Do(admin); err != nil {
		t.Fatalf("open the admin's tab: %v", err)
	}

	// marked is true while the screen shows the page it loaded first: a
	// reload forgets it.
	const mark = `window.notReloaded = true`
	const marked = `window.notReloaded === true`
	waitUntil(t, screen, "open the screen",
		chromedp.Navigate(srv.URL+"/w/plenary"),
		chromedp.WaitReady(chromedp.CSS(`body.theme-dark #wall-status[data-state="live"]`)),
		chromedp.Evaluate[chromedp.Void](mark),
	)

	waitUntil(t, admin, "the admin opens /admin/walls",
		chromedp.Navigate(srv.URL+"/login?next=/admin/walls"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "ada"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-wall="plenary"] [data-testid="wall-title"]`)),
	)
	field := func(id string) string { return `[data-wall="plenary"] [data-testid="` + id + `"]` }
	waitUntil(t, admin, "the admin saves a new look",
		chromedp.SetValue(chromedp.CSS(field("wall-title")), "Sala plenaria"),
		chromedp.SetValue(chromedp.CSS(field("wall-theme")), "light"),
		chromedp.SetValue(chromedp.CSS(field("wall-accent")), "#0a4fa8"),
		chromedp.SetValue(chromedp.CSS(field("wall-background")), "#ffffff"),
		chromedp.SetValue(chromedp.CSS(field("wall-language")), "it"),
		chromedp.Click(chromedp.CSS(field("wall-save"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="walls-notice"], [data-testid="walls-error"]`)),
	)
	if msg, err := chromedp.Run(admin, chromedp.Text(chromedp.CSS(`[role="alert"], [role="status"]`))); err != nil || msg == "" || !strings.HasPrefix(msg, "Saved.") {
		t.Fatalf("after saving the page says %q (%v), want Saved.", msg, err)
	}
	waitUntil(t, screen, "the screen reloads into the light theme",
		chromedp.WaitReady(chromedp.CSS(`body.theme-light #wall-status[data-state="live"]`)))
	type look struct {
		Title, Lang, Background string
		Reloaded                bool
	}
	read := func() look {
		t.Helper()
		got, err := chromedp.Run(screen, chromedp.Evaluate[look](`({
  Title: document.querySelector('[data-testid="campaign-name"]').textContent,
  Lang: document.documentElement.lang,
  Background: getComputedStyle(document.body).backgroundColor,
  Reloaded: !(`+marked+`),
})`))
		if err != nil {
			t.Fatalf("read the screen: %v", err)
		}
		return got
	}
	if got, want := read(), (look{Title: "Sala plenaria", Lang: "it", Background: "rgb(255, 255, 255)", Reloaded: true}); got != want {
		t.Errorf("screen after saving = %+v, want %+v", got, want)
	}
	screenshot(t, screen, "wall-admin-look.png")

	if err := chromedp.Do(screen, chromedp.Evaluate[chromedp.Void](mark)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, admin, "the admin goes back to the config file",
		chromedp.Click(chromedp.CSS(field("wall-reset"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="walls-notice"]`)),
	)
	waitUntil(t, screen, "the screen reloads into the dark theme",
		chromedp.WaitReady(chromedp.CSS(`body.theme-dark #wall-status[data-state="live"]`)))
	if got, want := read(), (look{Title: "Plenary", Lang: "en", Background: "rgb(11, 15, 23)", Reloaded: true}); got != want {
		t.Errorf("screen after reset = %+v, want %+v", got, want)
	}
}
