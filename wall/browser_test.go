package wall

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/cohesionalliance/campaignwall/model"
)

// strictCSP is the policy the wall must work under (auth.SecurityHeaders sets
// one like it in production).
const strictCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'"

// browser starts headless Chromium for one test and collects what the page
// writes to its console.
func browser(t *testing.T) (ctx context.Context, console func() []string) {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1920, 1080),
	)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })

	var mu sync.Mutex
	var lines []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, m.String())
			mu.Unlock()
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}

// within runs actions with a deadline; a browser is the one place these
// tests wait by polling (chromedp's Wait* actions).
func within(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func domCardIDs(t *testing.T, ctx context.Context) string {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#wall [data-post-id]')).map(e => e.getAttribute('data-post-id'))`))
	if err != nil {
		t.Fatalf("read cards: %v", err)
	}
	return strings.Join(ids, ",")
}

func card(p model.Post) string { return `#wall [data-post-id="` + id(p) + `"]` }

// TestWallJSLiveUpdates drives wall.js in a real browser under a strict CSP:
// cards appear, move when pinned and disappear as moderation events arrive,
// and the screen keeps at most MaxCards.
func TestWallJSLiveUpdates(t *testing.T) {
	w := newTestWall(t, Options{CampaignName: "Cohesion Alliance", MaxCards: 3})
	pinned := savePost(t, w.st, variant("pinned_highlighted", 0), model.StatusApproved, true)
	older := savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)

	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Security-Policy", strictCSP)
		w.mux.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(w.hub.Close) // runs first: ends the streams srv.Close waits for

	ctx, console := browser(t)
	t.Cleanup(func() {
		for _, line := range console() {
			// Fixture photos live on hosts a test machine cannot reach.
			if strings.Contains(line, "Failed to load resource") {
				continue
			}
			if strings.HasPrefix(line, "exception") || strings.HasPrefix(line, "error") ||
				strings.Contains(line, "Content Security Policy") {
				t.Errorf("browser console: %s", line)
			}
		}
	})

	within(t, ctx, "open the wall",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#wall-status[data-state="live"]`)),
	)
	if got, want := domCardIDs(t, ctx), id(pinned)+","+id(older); got != want {
		t.Fatalf("cards on load = %s, want %s", got, want)
	}
	timeText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(card(older)+" time")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(timeText, "UTC") {
		t.Errorf("time = %q, want a relative time from wall.js", timeText)
	}

	t.Run("approved post appears in order", func(t *testing.T) {
		newer := savePost(t, w.st, variant("with_content_warning", 2), model.StatusApproved, false)
		w.hub.PostChanged(newer)
		within(t, ctx, "wait for the new card", chromedp.WaitReady(chromedp.CSS(card(newer))))
		if got, want := domCardIDs(t, ctx), fmt.Sprintf("%s,%s,%s", id(pinned), id(newer), id(older)); got != want {
			t.Errorf("cards = %s, want %s", got, want)
		}
	})

	t.Run("pinned post moves to the top, once", func(t *testing.T) {
		p, err := w.st.Decide(context.Background(), model.Decision{PostID: older.ID, Action: model.ActionPin, Actor: "tester"})
		if err != nil {
			t.Fatal(err)
		}
		w.hub.PostChanged(p)
		within(t, ctx, "wait for the pinned card", chromedp.WaitReady(chromedp.CSS(card(older)+`[data-pinned]`)))
		// Both pinned: the newer one first.
		if got, want := domCardIDs(t, ctx), fmt.Sprintf("%s,%s,", id(older), id(pinned)); !strings.HasPrefix(got, want) || strings.Count(got, ",") != 2 {
			t.Errorf("cards = %s, want %s then the unpinned card", got, want)
		}
	})

	t.Run("retracted post disappears", func(t *testing.T) {
		p, err := w.st.Decide(context.Background(), model.Decision{PostID: older.ID, Action: model.ActionRetract, Actor: "tester"})
		if err != nil {
			t.Fatal(err)
		}
		w.hub.PostChanged(p)
		within(t, ctx, "wait for the card to go", chromedp.WaitNotPresent(chromedp.CSS(card(older))))
	})

	t.Run("at most MaxCards, oldest unpinned dropped", func(t *testing.T) {
		var added []model.Post
		for i := 10; i < 13; i++ {
			p := savePost(t, w.st, variant("plain_text_only", i), model.StatusApproved, false)
			w.hub.PostChanged(p)
			added = append(added, p)
		}
		last := added[len(added)-1]
		within(t, ctx, "wait for the last card", chromedp.WaitReady(chromedp.CSS(card(last))))
		if got, want := domCardIDs(t, ctx), fmt.Sprintf("%s,%s,%s", id(pinned), id(added[2]), id(added[1])); got != want {
			t.Errorf("cards = %s, want %s", got, want)
		}
	})
}
