package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/model"
)

// TestBrowserKeysOnAFilteredQueue: the keyboard queue on a page filtered
// by language. x ticks the bulk form's checkbox, a decision and its undo
// keep the filters in the cards the server sends back, posts arriving live
// show only when they match the filters, a bulk approval by another
// moderator takes its posts off the page live, and a searching page
// counts arrivals instead of guessing.
func TestBrowserKeysOnAFilteredQueue(t *testing.T) {
	a, base := startApp(t)
	st := a.store
	addModerator(t, st, "anna", "correct horse battery")
	addModerator(t, st, "bob", "correct horse battery")
	post := func(i int, lang string) model.Post {
		fp := fixturePost(fmt.Sprintf("https://social.example/users/r/statuses/%d", i), fmt.Sprintf("Region %d", i),
			fmt.Sprintf("<p>Post %d in %s #CohesionAlliance</p>", i, lang))
		fp.Language = lang
		fp.PublishedAt = time.Now().Add(-time.Duration(10-i) * time.Minute)
		return fp
	}
	pt1, en2, pt3 := savePost(t, st, post(1, "pt")), savePost(t, st, post(2, "en")), savePost(t, st, post(3, "pt"))

	root := browser(t)
	ctx, cancel := context.WithTimeout(root, 90*time.Second)
	defer cancel()
	const page = "/moderate?language=pt"
	openQueue(t, ctx, base, "anna", url.QueryEscape(page))
	waitUntil(t, ctx, "the filtered page", chromedp.WaitReady(chromedp.CSS(`main.queue[data-filter-language="pt"]`)))
	cursorOn(t, ctx, "anna", pt3, "the filtered queue")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s').length`, queueCard(en2)))); err != nil || n != 0 {
		t.Fatalf("the pt page shows the en post (%d, %v)", n, err)
	}

	// x ticks the one checkbox, the bulk form's.
	press(t, ctx, "x")
	waitUntil(t, ctx, "x ticks the bulk form's checkbox",
		chromedp.WaitReady(chromedp.CSS(queueCard(pt3)+` input[type=checkbox][name=ids][form=bulk][data-testid=select]:checked`)))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=queue-post] input[type=checkbox]').length`)); err != nil || n != 2 {
		t.Errorf("%d checkboxes on two cards (%v), want one each", n, err)
	}

	// a approves; the card the server sends back keeps the page's filters.
	press(t, ctx, "a")
	waitUntil(t, ctx, "a approves", chromedp.WaitReady(chromedp.CSS(queueCard(pt3)+`[data-status="approved"]`)))
	cursorOn(t, ctx, "anna", pt1, "after a")
	back := fmt.Sprintf(` input[name=back][value=%q]`, page)
	waitUntil(t, ctx, "the approved card's forms come back to the filtered page", chromedp.WaitReady(chromedp.CSS(queueCard(pt3)+back)))
	// u undoes it: pending again, with its checkbox and the filters.
	press(t, ctx, "u")
	waitUntil(t, ctx, "u undoes",
		chromedp.WaitReady(chromedp.CSS(queueCard(pt3)+`[data-status="pending"]`+` input[type=checkbox][form=bulk]`)),
		chromedp.WaitReady(chromedp.CSS(queueCard(pt3)+`[data-status="pending"]`+back)))
	if got, _ := st.PostByID(context.Background(), pt3.ID); got.Status != model.StatusPending {
		t.Fatalf("post %d after u: %s, want pending", pt3.ID, got.Status)
	}

	// Live: an en post does not belong here, a pt one does. Events come in
	// order, so once the pt post is in, the en one was passed over.
	en4, pt5 := savePost(t, st, post(4, "en")), savePost(t, st, post(5, "pt"))
	a.mod.PostsCollected(context.Background(), []model.Post{en4, pt5})
	waitUntil(t, ctx, "the new pt post appears", chromedp.WaitReady(chromedp.CSS(queueCard(pt5))))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s').length`, queueCard(en4)))); err != nil || n != 0 {
		t.Errorf("the pt page shows the new en post (%d, %v)", n, err)
	}
	waitUntil(t, ctx, "the live card has the bulk checkbox", chromedp.WaitReady(chromedp.CSS(queueCard(pt5)+` input[type=checkbox][form=bulk]`)))

	// bob bulk-approves two pt posts: they leave anna's queue live.
	bob := loginModerator(t, base, "bob", "correct horse battery")
	resp, err := bob.c.PostForm(base+"/moderate/bulk", url.Values{"action": {"approve"}, "ids": {fmt.Sprintf("%d,%d", pt1.ID, pt5.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bob's bulk approval: %d", resp.StatusCode)
	}
	waitUntil(t, ctx, "bulk-approved posts leave anna's queue",
		chromedp.WaitNotPresent(chromedp.CSS(queueCard(pt1))), chromedp.WaitNotPresent(chromedp.CSS(queueCard(pt5))))

	// A search: whether a new post matches, only the server knows.
	waitUntil(t, ctx, "a search", chromedp.Navigate(base+"/moderate?q=Region"),
		chromedp.WaitReady(chromedp.CSS(`main.queue[data-filter-search="true"][data-live="true"]`)))
	pt6 := savePost(t, st, post(6, "pt"))
	a.mod.PostsCollected(context.Background(), []model.Post{pt6})
	waitUntil(t, ctx, "the searching page counts the arrival",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=live-new]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid=live-new-link]').textContent === '1 new post — refresh'`))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s').length`, queueCard(pt6)))); err != nil || n != 0 {
		t.Errorf("the searching page inserted the new post (%d, %v)", n, err)
	}
	waitUntil(t, ctx, "refresh shows it", chromedp.Click(chromedp.CSS(`[data-testid=live-new-link]`)),
		chromedp.WaitReady(chromedp.CSS(queueCard(pt6))))
}
