package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/model"
)

// TestBrowserBulkApproveFilter: a moderator filters the queue by language
// with the filter form, approves every match after the confirmation page,
// and an open wall shows exactly those posts, live.
func TestBrowserBulkApproveFilter(t *testing.T) {
	srv := startServer(t)
	st := srv.Store
	addModerator(t, st, "anna", "correct horse battery")
	var pt, en []model.Post
	for i, text := range []string{"Nova ponte na região Norte", "Escola renovada em Braga", "Metro do Porto cresce"} {
		p := fixturePost(fmt.Sprintf("https://social.example/users/pt/statuses/%d", i), "Região Norte", "<p>"+text+" #CohesionAlliance</p>")
		p.Language = "pt"
		pt = append(pt, savePost(t, st, p))
	}
	for i, text := range []string{"Unreviewed English post", "Another English post"} {
		en = append(en, savePost(t, st, fixturePost(fmt.Sprintf("https://social.example/users/en/statuses/%d", i), "Someone", "<p>"+text+"</p>")))
	}

	wallTab := browser(t)
	err := chromedp.Do(wallTab, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.CSS("body")))
	if err == nil {
		_, err = chromedp.Run(wallTab, chromedp.Evaluate[int](`window.__marker = 42`))
	}
	if err != nil {
		t.Fatalf("open wall: %v", err)
	}

	modTab, cancel := chromedp.NewContext(wallTab)
	defer cancel()
	modCtx, cancelMod := context.WithTimeout(modTab, 30*time.Second)
	defer cancelMod()
	err = chromedp.Do(modCtx,
		chromedp.Navigate(srv.URL+"/moderate"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "anna"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-form]`)),
		// The filter form, as a moderator uses it: pick the language, submit.
		chromedp.SetValue(chromedp.CSS(`[data-testid=filter-language]`), "pt"),
		chromedp.Click(chromedp.CSS(`[data-testid=filter-apply]`)),
		// Only a filtered page offers to clear the filters: the new page has loaded.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-clear]`)),
	)
	if err != nil {
		t.Fatalf("log in and filter: %v", err)
	}
	shown, err := chromedp.Run(modCtx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=queue-post]').length`))
	if err != nil || shown != len(pt) {
		t.Fatalf("filtered queue shows %d posts (%v), want %d", shown, err, len(pt))
	}
	screenshot(t, modTab, "queue-filtered.png")
	err = chromedp.Do(modCtx,
		chromedp.Click(chromedp.CSS(`[data-testid=bulk-approve-all]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-confirm]`)),
	)
	if err != nil {
		t.Fatalf("open the confirmation: %v", err)
	}
	count, err := chromedp.Run(modCtx, chromedp.Evaluate[string](`document.querySelector('[data-testid=bulk-count-number]').textContent`))
	if err != nil || count != "3" {
		t.Fatalf("confirmation count = %q (%v), want 3", count, err)
	}
	screenshot(t, modTab, "bulk-confirm.png")
	err = chromedp.Do(modCtx,
		chromedp.Click(chromedp.CSS(`[data-testid=bulk-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=bulk-decided]`)),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	decided, err := chromedp.Run(modCtx, chromedp.Evaluate[string](`document.querySelector('[data-testid=bulk-decided]').textContent`))
	if err != nil || strings.Join(strings.Fields(decided), " ") != "Approved 3 posts." {
		t.Errorf("result = %q (%v), want %q", decided, err, "Approved 3 posts.")
	}

	// The open wall shows them without reloading, and nothing else.
	waitCtx, cancelWait := context.WithTimeout(wallTab, 20*time.Second)
	defer cancelWait()
	for _, p := range pt {
		sel := fmt.Sprintf(`[data-testid=wall-post][data-post-id="%d"]`, p.ID)
		if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatalf("approved post %d never appeared on the open wall: %v", p.ID, err)
		}
	}
	screenshot(t, wallTab, "wall-after-bulk.png")
	type result struct {
		Marker int      `json:"marker"`
		IDs    []string `json:"ids"`
	}
	got, err := chromedp.Run(waitCtx, chromedp.Evaluate[result](`({
		marker: window.__marker,
		ids: [...document.querySelectorAll('[data-testid=wall-post]')].map(e => e.dataset.postId).sort(),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Marker != 42 {
		t.Errorf("the wall reloaded (marker %d): updates must arrive without a reload", got.Marker)
	}
	var want []string
	for _, p := range pt {
		want = append(want, fmt.Sprint(p.ID))
	}
	if strings.Join(got.IDs, ",") != strings.Join(want, ",") {
		t.Errorf("wall shows posts %v, want %v (the Portuguese ones only; %d and %d stay pending)", got.IDs, want, en[0].ID, en[1].ID)
	}
	for _, p := range en {
		if cur, err := st.PostByID(context.Background(), p.ID); err != nil || cur.Status != model.StatusPending {
			t.Errorf("post %d: %s (%v), want pending", p.ID, cur.Status, err)
		}
	}
}
