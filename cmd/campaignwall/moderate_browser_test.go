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

	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
)

// startApp is startServer keeping the app, so a test can hand it collected
// posts as the scheduler does.
func startApp(t *testing.T) (*app, string) {
	t.Helper()
	return startAppWith(t, collectorDeps{})
}

// startAppWith is startApp with deps, such as a clock the test moves.
func startAppWith(t *testing.T, deps collectorDeps) (*app, string) {
	t.Helper()
	cfg := &config.Config{
		Path:     "(test)",
		Campaign: config.Campaign{Name: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance"}},
		Server:   config.Server{Addr: "127.0.0.1:0"},
		Store:    config.Store{Path: filepath.Join(t.TempDir(), "wall.db")},
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, newLogger(io.Discard), deps)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, cfg.Server.Addr, func(addr string) { ready <- addr }) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped before listening: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a, "http://" + addr
}

func queueCard(p model.Post) string {
	return fmt.Sprintf(`[data-testid=queue-post][data-post-id="%d"]`, p.ID)
}

// openQueue logs a moderator in, in their own browser context (their own
// cookies), and waits until the queue is live and its cursor holds a lease.
func openQueue(t *testing.T, ctx context.Context, base, name, target string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login?next="+target),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitReady(chromedp.CSS(`main.queue[data-live="true"]`)),
	)
	if err != nil {
		t.Fatalf("%s opens %s: %v", name, target, err)
	}
}

// cursorOn waits until the moderator's cursor is on p.
func cursorOn(t *testing.T, ctx context.Context, who string, p model.Post, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(queueCard(p)+`.cursor[aria-current="true"]`))); err != nil {
		id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('[aria-current="true"][data-post-id]') || {dataset: {}}).dataset.postId || 'none'`))
		t.Fatalf("%s: %s's cursor is on post %s, want %d: %v", what, who, id, p.ID, err)
	}
}

func press(t *testing.T, ctx context.Context, keys string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(keys)); err != nil {
		t.Fatalf("press %q: %v", keys, err)
	}
}

func waitUntil(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestBrowserTwoModeratorsWorkOneQueue is two moderators at a summit on
// one queue, in two browsers, with a wall open: leases split the posts,
// the keyboard decides and undoes, screens follow within moments, and a
// post arriving live does not move what the moderator is looking at.
func TestBrowserTwoModeratorsWorkOneQueue(t *testing.T) {
	a, base := startApp(t)
	st := a.store
	addModerator(t, st, "anna", "correct horse battery")
	addModerator(t, st, "bob", "correct horse battery")
	long := strings.Repeat("<p>Regional cohesion funding explained, paragraph by paragraph, for a card tall enough to scroll.</p>", 4)
	var p []model.Post // p[1] oldest … p[8] newest; p[0] unused
	p = append(p, model.Post{})
	for i := 1; i <= 8; i++ {
		fp := fixturePost(fmt.Sprintf("https://social.example/users/r/statuses/%d", i), fmt.Sprintf("Region %d", i),
			fmt.Sprintf("<p>Post %d #CohesionAlliance</p>%s", i, long))
		fp.PublishedAt = time.Now().Add(-time.Duration(10-i) * time.Minute)
		if i == 4 {
			fp.Media = []model.Media{{Kind: model.MediaImage, URL: "https://social.example/bridge.jpg"}}
		}
		p = append(p, savePost(t, st, fp))
	}

	root := browser(t)
	ctx, cancel := context.WithTimeout(root, 120*time.Second)
	defer cancel()
	wallTab := ctx
	waitUntil(t, wallTab, "open the wall",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#wall-status[data-state="live"]`)))
	annaTab, cancelAnna := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelAnna()
	bobTab, cancelBob := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelBob()
	// Each tab starts now, on its own context: a tab started by a Do under
	// a shorter timeout would close with it.
	for _, tab := range []context.Context{annaTab, bobTab} {
		if err := chromedp.Do(tab); err != nil {
			t.Fatalf("open a browser context: %v", err)
		}
	}

	// anna's cursor starts on the newest post and leases it.
	openQueue(t, annaTab, base, "anna", "/moderate")
	cursorOn(t, annaTab, "anna", p[8], "anna opens the queue")
	waitUntil(t, annaTab, "anna's lease", chromedp.WaitReady(chromedp.CSS(queueCard(p[8])+`[data-leased="mine"]`)))

	// bob's queue hides it; his cursor leases the next, which leaves anna's queue live.
	openQueue(t, bobTab, base, "bob", "/moderate")
	if n, err := chromedp.Run(bobTab, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s').length`, queueCard(p[8])))); err != nil || n != 0 {
		t.Fatalf("bob's queue shows post %d that anna leased (%d, %v)", p[8].ID, n, err)
	}
	cursorOn(t, bobTab, "bob", p[7], "bob opens the queue")
	waitUntil(t, bobTab, "bob's lease", chromedp.WaitReady(chromedp.CSS(queueCard(p[7])+`[data-leased="mine"]`)))
	waitUntil(t, annaTab, "bob's leased post leaves anna's queue", chromedp.WaitNotPresent(chromedp.CSS(queueCard(p[7]))))

	// a approves: the card changes in place, the cursor moves on, the wall shows it.
	press(t, annaTab, "a")
	waitUntil(t, annaTab, "a approves", chromedp.WaitReady(chromedp.CSS(queueCard(p[8])+`[data-status="approved"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=toast] [data-testid=undo-button]`)))
	cursorOn(t, annaTab, "anna", p[6], "after a")
	waitUntil(t, wallTab, "the approved post reaches the wall", chromedp.WaitVisible(chromedp.CSS(wallCard(p[8]))))

	// u undoes it: pending again, off the wall, the cursor back on it.
	press(t, annaTab, "u")
	waitUntil(t, annaTab, "u undoes", chromedp.WaitReady(chromedp.CSS(queueCard(p[8])+`[data-status="pending"]`)))
	cursorOn(t, annaTab, "anna", p[8], "after u")
	waitUntil(t, wallTab, "the undone approval leaves the wall", chromedp.WaitNotPresent(chromedp.CSS(wallCard(p[8]))))

	// j, r rejects; j, j lands on the post with a photo.
	press(t, annaTab, "j")
	cursorOn(t, annaTab, "anna", p[6], "after j")
	waitUntil(t, bobTab, "the post anna moved off shows again in bob's queue", chromedp.WaitReady(chromedp.CSS(queueCard(p[8]))))
	cursorOn(t, bobTab, "bob", p[7], "after a post arrived above")
	press(t, annaTab, "r")
	waitUntil(t, annaTab, "r rejects", chromedp.WaitReady(chromedp.CSS(queueCard(p[6])+`[data-status="rejected"]`)))
	cursorOn(t, annaTab, "anna", p[5], "after r")
	// The toast's Undo button does what u does.
	waitUntil(t, annaTab, "the toast's Undo button",
		chromedp.Click(chromedp.CSS(`[data-testid=toast] [data-testid=undo-button]`)),
		chromedp.WaitReady(chromedp.CSS(queueCard(p[6])+`[data-status="pending"]`)))
	cursorOn(t, annaTab, "anna", p[6], "after Undo")
	press(t, annaTab, "r")
	waitUntil(t, annaTab, "r rejects again", chromedp.WaitReady(chromedp.CSS(queueCard(p[6])+`[data-status="rejected"]`)))
	cursorOn(t, annaTab, "anna", p[5], "after r again")
	press(t, annaTab, "x")
	waitUntil(t, annaTab, "x selects", chromedp.WaitReady(chromedp.CSS(queueCard(p[5])+` input[type=checkbox][name=ids][data-testid=select]:checked`)))
	press(t, annaTab, "k")
	cursorOn(t, annaTab, "anna", p[6], "after k")
	press(t, annaTab, "j")
	cursorOn(t, annaTab, "anna", p[5], "after j")

	// anna approves post 5, bob retracts it at once: it leaves anna's queue
	// live, and her undo is refused with who acted, in the live region.
	press(t, annaTab, "a")
	waitUntil(t, annaTab, "a approves post 5", chromedp.WaitReady(chromedp.CSS(queueCard(p[5])+`[data-status="approved"]`)))
	cursorOn(t, annaTab, "anna", p[4], "after a on post 5")
	loginModerator(t, base, "bob", "correct horse battery").decide(p[5], model.ActionRetract)
	waitUntil(t, annaTab, "the post bob retracted leaves anna's queue", chromedp.WaitNotPresent(chromedp.CSS(queueCard(p[5]))))
	press(t, annaTab, "u")
	waitUntil(t, annaTab, "the refused undo says why",
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid=live-region]').textContent.startsWith('Not undone: bob retracted it at')`))
	cursorOn(t, annaTab, "anna", p[4], "after the refused undo")

	// e opens the alt text form; keys typed there are text, not commands.
	press(t, annaTab, "e")
	waitUntil(t, annaTab, "e opens the alt text form", chromedp.Poll[chromedp.Void](`document.activeElement && document.activeElement.matches('[data-testid=alt-input]')`))
	press(t, annaTab, "Bridge at dusk")
	waitUntil(t, annaTab, "save the alt text",
		chromedp.Click(chromedp.CSS(queueCard(p[4])+` [data-testid=alt-save]`)),
		chromedp.WaitReady(chromedp.CSS(queueCard(p[4])+` [data-testid=photo-alt]`)))
	if got, _ := st.PostByID(context.Background(), p[4].ID); got.Status != model.StatusPending || got.Media[0].AltText != "Bridge at dusk" {
		t.Fatalf("post %d after typing alt text: %s, alt %q; want pending with the text", p[4].ID, got.Status, got.Media[0].AltText)
	}

	// A post another moderator decides leaves anna's queue live.
	loginModerator(t, base, "bob", "correct horse battery").decide(p[2], model.ActionReject)
	waitUntil(t, annaTab, "a post bob rejected leaves anna's queue", chromedp.WaitNotPresent(chromedp.CSS(queueCard(p[2]))))

	// A new post arrives above while anna's cursor is on post 3, scrolled down.
	press(t, annaTab, "j")
	cursorOn(t, annaTab, "anna", p[3], "before the new post")
	type place struct {
		ID  string  `json:"id"`
		Top float64 `json:"top"`
		Y   float64 `json:"y"`
	}
	const where = `(() => { const c = document.querySelector('[aria-current="true"][data-post-id]');
		return {id: c.dataset.postId, top: c.getBoundingClientRect().top, y: window.scrollY}; })()`
	was, err := chromedp.Run(annaTab, chromedp.Evaluate[place](where))
	if err != nil {
		t.Fatal(err)
	}
	fresh := fixturePost("https://social.example/users/r/statuses/9", "Region 9", "<p>Just in #CohesionAlliance</p>"+long)
	fresh = savePost(t, st, fresh)
	a.mod.PostsCollected(context.Background(), []model.Post{fresh})
	waitUntil(t, annaTab, "the new post appears live in anna's queue", chromedp.WaitReady(chromedp.CSS(queueCard(fresh))))
	is, err := chromedp.Run(annaTab, chromedp.Evaluate[place](where))
	t.Logf("cursor before the new post: %+v; after: %+v", was, is)
	if err != nil {
		t.Fatal(err)
	}
	if is.ID != was.ID || is.Top < was.Top-1 || is.Top > was.Top+1 {
		t.Errorf("after the new post the cursor is on post %s at %.0fpx (scrolled %.0f), want post %s still at %.0fpx (scrolled %.0f)",
			is.ID, is.Top, is.Y, was.ID, was.Top, was.Y)
	}
	first, err := chromedp.Run(annaTab, chromedp.Evaluate[string](`document.querySelector('[data-testid=queue-post]').dataset.postId`))
	if err != nil || first != fmt.Sprint(fresh.ID) {
		t.Errorf("first card = %s (%v), want the new post %d on top", first, err, fresh.ID)
	}

	// ? shows the keys, Escape closes them.
	screenshot(t, annaTab, "queue-cursor.png")
	press(t, annaTab, "?")
	waitUntil(t, annaTab, "? shows the keys", chromedp.WaitVisible(chromedp.CSS(`[data-testid=key-help]`)))
	screenshot(t, annaTab, "queue-keys.png")
	press(t, annaTab, "\x1b")
	waitUntil(t, annaTab, "Escape closes the keys", chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=key-help]`)))

	// Retract: anna approves post 3, bob finds it on the approved tab and
	// retracts it with r; it leaves the wall within moments.
	press(t, annaTab, "a")
	waitUntil(t, annaTab, "a approves post 3", chromedp.WaitReady(chromedp.CSS(queueCard(p[3])+`[data-status="approved"]`)))
	waitUntil(t, wallTab, "approved post 3 reaches the wall", chromedp.WaitVisible(chromedp.CSS(wallCard(p[3]))))
	waitUntil(t, bobTab, "bob opens the approved tab", chromedp.Navigate(base+"/moderate?status=approved"),
		chromedp.WaitReady(chromedp.CSS(`main.queue[data-status="approved"][data-live="true"]`)))
	cursorOn(t, bobTab, "bob", p[3], "bob on the approved tab")
	start := time.Now()
	press(t, bobTab, "r")
	waitUntil(t, wallTab, "the retracted post leaves the wall", chromedp.WaitNotPresent(chromedp.CSS(wallCard(p[3]))))
	if took := time.Since(start); took > time.Second {
		t.Errorf("the retracted post left the wall %v after the key press, want within a second", took.Round(time.Millisecond))
	}
	waitUntil(t, annaTab, "the post bob retracted leaves anna's pending queue", chromedp.WaitNotPresent(chromedp.CSS(queueCard(p[3]))))
	if got, _ := st.PostByID(context.Background(), p[3].ID); got.Status != model.StatusRejected || got.DecidedBy != "bob" {
		t.Errorf("post 3 = %s by %s, want rejected (retracted) by bob", got.Status, got.DecidedBy)
	}
}

// TestBrowserHighlightAsksForAltText: h on an approved post whose photo has
// no alt text opens the alt text form instead; "Save and highlight" does
// both; p pins and u unpins.
func TestBrowserHighlightAsksForAltText(t *testing.T) {
	a, base := startApp(t)
	st := a.store
	addModerator(t, st, "anna", "correct horse battery")
	fp := fixturePost("https://social.example/users/r/statuses/1", "Region 1", "<p>Opening day #CohesionAlliance</p>")
	fp.Media = []model.Media{{Kind: model.MediaImage, URL: "https://social.example/opening.jpg"}}
	p := savePost(t, st, fp)
	if _, err := st.Decide(context.Background(), model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}

	root := browser(t)
	ctx, cancel := context.WithTimeout(root, 60*time.Second)
	defer cancel()
	openQueue(t, ctx, base, "anna", "/moderate?status=approved")
	cursorOn(t, ctx, "anna", p, "the approved tab")

	press(t, ctx, "h")
	waitUntil(t, ctx, "h asks for alt text first",
		chromedp.WaitVisible(chromedp.CSS(queueCard(p)+` [data-testid=alt-needed]`)),
		chromedp.Poll[chromedp.Void](`document.activeElement && document.activeElement.matches('[data-testid=alt-input]')`))
	if got, _ := st.PostByID(context.Background(), p.ID); got.Highlighted {
		t.Fatal("highlighted although its photo has no alt text")
	}
	press(t, ctx, "Ribbon cut at the new tram depot")
	waitUntil(t, ctx, "save and highlight",
		chromedp.Click(chromedp.CSS(queueCard(p)+` [data-testid=alt-save-highlight]`)),
		chromedp.WaitReady(chromedp.CSS(queueCard(p)+`[data-highlighted="true"]`)))
	got, _ := st.PostByID(context.Background(), p.ID)
	if !got.Highlighted || got.Media[0].AltText != "Ribbon cut at the new tram depot" {
		t.Fatalf("after save and highlight: highlighted %v, alt %q", got.Highlighted, got.Media[0].AltText)
	}

	// The cursor stayed on the card; p pins, u takes the pin back.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`)); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, "p")
	waitUntil(t, ctx, "p pins", chromedp.WaitReady(chromedp.CSS(queueCard(p)+`[data-pinned="true"]`)))
	press(t, ctx, "u")
	waitUntil(t, ctx, "u unpins", chromedp.WaitReady(chromedp.CSS(queueCard(p)+`[data-pinned="false"]`)))
	if got, _ := st.PostByID(context.Background(), p.ID); got.Pinned || !got.Highlighted {
		t.Errorf("after p, u: pinned %v, highlighted %v; want unpinned, still highlighted", got.Pinned, got.Highlighted)
	}
}
