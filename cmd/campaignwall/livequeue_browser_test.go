package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/model"
)

// fakeClock is the server's clock, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lease takes the lease on p as the queue page does when its cursor lands
// on it, and then goes quiet: a laptop closed with the post under its cursor.
func (m *moderatorClient) lease(p model.Post) {
	m.t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/moderate/posts/%d/lease", m.base, p.ID), nil)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := m.c.Do(req)
	if err != nil {
		m.t.Fatalf("lease post %d: %v", p.ID, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("lease post %d: %d", p.ID, resp.StatusCode)
	}
}

func tabCount(status model.Status) string {
	return fmt.Sprintf(`nav.tabs [data-testid=status-tab][data-status="%s"] [data-testid=status-count]`, status)
}

// TestBrowserExpiredLeaseComesBackLive: anna's laptop sleeps with a post
// under her cursor. bob's open queue hides it, and when her lease runs out
// it comes back into his queue without a reload, his cursor staying where
// it is; meanwhile his tabs' counts follow posts arriving and decided.
func TestBrowserExpiredLeaseComesBackLive(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	a, base := startAppWith(t, collectorDeps{now: clock.now})
	st := a.store
	addModerator(t, st, "anna", "correct horse battery")
	addModerator(t, st, "bob", "correct horse battery")
	var p []model.Post
	for i := range 2 {
		fp := fixturePost(fmt.Sprintf("https://social.example/users/r/statuses/%d", i), fmt.Sprintf("Region %d", i),
			fmt.Sprintf("<p>Post %d #CohesionAlliance</p>", i))
		fp.PublishedAt = time.Now().Add(-time.Duration(10-i) * time.Minute)
		p = append(p, savePost(t, st, fp))
	}
	older, asleep := p[0], p[1]

	anna := loginModerator(t, base, "anna", "correct horse battery")
	anna.lease(asleep)
	clock.advance(30 * time.Second)

	root := browser(t)
	ctx, cancel := context.WithTimeout(root, 90*time.Second)
	defer cancel()
	openQueue(t, ctx, base, "bob", "/moderate")
	cursorOn(t, ctx, "bob", older, "bob opens the queue")
	waitUntil(t, ctx, "bob's lease", chromedp.WaitReady(chromedp.CSS(queueCard(older)+`[data-leased="mine"]`)))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s').length`, queueCard(asleep)))); err != nil || n != 0 {
		t.Fatalf("bob's queue shows post %d that anna leased (%d, %v)", asleep.ID, n, err)
	}
	waitUntil(t, ctx, "the pending tab counts anna's post too",
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('%s').textContent === '2'`, tabCount(model.StatusPending))))

	// A post arrives: it shows, and the pending count says so.
	fp := fixturePost("https://social.example/users/r/statuses/9", "Region 9", "<p>Just in #CohesionAlliance</p>")
	fresh := savePost(t, st, fp)
	a.mod.PostsCollected(context.Background(), []model.Post{fresh})
	waitUntil(t, ctx, "the new post appears in bob's queue", chromedp.WaitReady(chromedp.CSS(queueCard(fresh))))
	waitUntil(t, ctx, "the pending count goes up live",
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('%s').textContent === '3'`, tabCount(model.StatusPending))))

	// anna's lease runs out (bob's, taken 30 s later, does not).
	clock.advance(31 * time.Second)
	waitUntil(t, ctx, "the post whose lease ran out comes back into bob's queue", chromedp.WaitReady(chromedp.CSS(queueCard(asleep))))
	cursorOn(t, ctx, "bob", older, "after the post came back")
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid=queue-post]')].map(e => e.dataset.postId).join(',')`)); err != nil ||
		got != fmt.Sprintf("%d,%d,%d", fresh.ID, asleep.ID, older.ID) {
		t.Errorf("bob's cards = %s (%v), want %d,%d,%d: newest first, the returned post in its place", got, err, fresh.ID, asleep.ID, older.ID)
	}

	// anna, awake, approves the new post: bob's counts follow.
	anna.decide(fresh, model.ActionApprove)
	waitUntil(t, ctx, "the counts follow a decision",
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('%s').textContent === '2' && document.querySelector('%s').textContent === '1'`,
			tabCount(model.StatusPending), tabCount(model.StatusApproved))))
	screenshot(t, ctx, "queue-live-counts.png")
}

// TestBrowserQueueReloadsAfterRestart: a queue open across a restart (a
// deploy) cannot be replayed what it missed, as the events were in the old
// process's memory; it reloads from its address, its filter and the post
// under its cursor kept, and is live again.
func TestBrowserQueueReloadsAfterRestart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "wall.db")
	first := startLive(t, liveConfig(dbPath, "127.0.0.1:0"))
	addModerator(t, first.store, "bob", "correct horse battery")
	var p []model.Post
	for i := range 3 {
		fp := fixturePost(fmt.Sprintf("https://social.example/users/r/statuses/%d", i), fmt.Sprintf("Region %d", i),
			fmt.Sprintf("<p>Post %d #CohesionAlliance</p>", i))
		fp.PublishedAt = time.Now().Add(-time.Duration(10-i) * time.Minute)
		p = append(p, savePost(t, first.store, fp))
	}

	root := browser(t)
	ctx, cancel := context.WithTimeout(root, 90*time.Second)
	defer cancel()
	openQueue(t, ctx, first.URL, "bob", "/moderate?network=mastodon")
	cursorOn(t, ctx, "bob", p[2], "bob opens the queue")
	press(t, ctx, "j")
	cursorOn(t, ctx, "bob", p[1], "after j")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__marker = 42`)); err != nil {
		t.Fatal(err)
	}

	first.stop()
	startLive(t, liveConfig(dbPath, first.Addr))

	// The page navigates while this waits: an evaluation the reload cut
	// short is asked again.
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	for {
		err := chromedp.Do(wctx, chromedp.Poll[chromedp.Void](`!window.__marker && document.querySelector('main.queue[data-live="true"]') !== null`))
		if err == nil {
			break
		}
		if wctx.Err() != nil {
			t.Fatalf("the queue never reloaded into a live page: %v", err)
		}
	}
	cursorOn(t, ctx, "bob", p[1], "after the reload")
	u, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	if err != nil || u != "/moderate?network=mastodon" {
		t.Errorf("reloaded at %q (%v), want the filtered queue /moderate?network=mastodon", u, err)
	}
}
