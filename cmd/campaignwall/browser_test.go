package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// testServer runs the whole daemon on a free loopback port with a fresh
// database and no sources, and stops it when the test ends. configure, if
// given, changes the config first (e.g. to open the submission form).
type testServer struct {
	URL   string
	Store *store.Store
}

func startServer(t *testing.T, configure ...func(*config.Config)) *testServer {
	t.Helper()
	cfg := &config.Config{
		Path:     "(test)",
		Campaign: config.Campaign{Name: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance"}},
		Server:   config.Server{Addr: "127.0.0.1:0"},
		Store:    config.Store{Path: filepath.Join(t.TempDir(), "wall.db")},
	}
	for _, c := range configure {
		c(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, newLogger(io.Discard), collectorDeps{})
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
	return &testServer{URL: "http://" + addr, Store: a.store}
}

func addModerator(t *testing.T, st *store.Store, name, password string) {
	t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateModerator(context.Background(), model.Moderator{Name: name, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
}

func savePost(t *testing.T, st *store.Store, p model.Post) model.Post {
	t.Helper()
	res, err := st.SavePosts(context.Background(), "test", []model.Post{p}, "")
	if err != nil || len(res.New) != 1 {
		t.Fatalf("save post: %v (new %d)", err, len(res.New))
	}
	return res.New[0]
}

// fixturePost builds a post as a collector would, through the sanitizer.
func fixturePost(uri, author, rawHTML string) model.Post {
	html, text := collectors.SanitizeHTML(rawHTML)
	return model.Post{
		Network:     model.NetworkMastodon,
		URI:         uri,
		URL:         uri,
		Author:      model.Author{Handle: strings.ToLower(strings.Fields(author)[0]) + "@social.example", DisplayName: author},
		HTML:        html,
		Text:        text,
		Language:    "en",
		PublishedAt: time.Now(),
	}
}

// browser starts headless Chromium (Debian's package) and returns a context
// for its first tab. It fails, never skips, when Chromium is missing: CI
// installs it, and so does the README's test command.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browser tests need Chromium: run 'bash .ci/run' or 'apt-get install chromium' (%v)", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CAMPAIGNWALL_TEST_ARTIFACTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

func TestBrowserApprovedPostAppearsLiveAndNothingElse(t *testing.T) {
	srv := startServer(t)
	st := srv.Store
	addModerator(t, st, "anna", "correct horse battery")

	good := savePost(t, st, fixturePost("https://social.example/users/a/statuses/1", "Regio Noord",
		`<p>The new cycle bridge is open, funded by the ERDF! #CohesionAlliance</p>`))
	bad := savePost(t, st, fixturePost("https://social.example/users/b/statuses/2", "Spammer",
		`<p>Buy followers now #CohesionAlliance</p>`))
	hostile := fixturePost("https://social.example/users/c/statuses/3", `Evil <img src=x onerror="window.__xss=3;alert(3)">`,
		`<p>Hi<script>window.__xss=1;alert(1)</script><img src=x onerror="window.__xss=2;alert(2)"><a href="javascript:window.__xss=5">link</a></p>`)
	hostile.Media = []model.Media{{Kind: model.MediaImage, URL: srv.URL + "/nonexistent.jpg", AltText: `"><script>window.__xss=4;alert(4)</script>`}}
	hostile = savePost(t, st, hostile)

	// A script from a post that ran would set window.__xss or open a dialog;
	// an open dialog blocks the page, so every later step would time out.
	wallTab := browser(t)
	err := chromedp.Do(wallTab,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("body")),
	)
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
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid=queue-post][data-post-id="%d"]`, good.ID))),
	)
	if err != nil {
		t.Fatalf("log in and open the queue: %v", err)
	}
	screenshot(t, modTab, "queue.png")
	for _, step := range []struct {
		post   model.Post
		button string
	}{{good, "approve-button"}, {bad, "reject-button"}, {hostile, "approve-button"}} {
		sel := fmt.Sprintf(`[data-testid=queue-post][data-post-id="%d"] [data-testid=%s]`, step.post.ID, step.button)
		if err := chromedp.Do(modCtx, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitNotPresent(chromedp.CSS(sel))); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}

	// The approved posts arrive on the already-open wall, over SSE, in order.
	waitCtx, cancelWait := context.WithTimeout(wallTab, 20*time.Second)
	defer cancelWait()
	for _, p := range []model.Post{good, hostile} {
		sel := fmt.Sprintf(`[data-testid=wall-post][data-post-id="%d"]`, p.ID)
		if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatalf("approved post %d never appeared on the open wall: %v", p.ID, err)
		}
	}
	screenshot(t, wallTab, "wall.png")

	type result struct {
		Marker    int    `json:"marker"`
		Rejected  bool   `json:"rejected"`
		XSS       any    `json:"xss"`
		Dangerous int    `json:"dangerous"`
		Text      string `json:"text"`
	}
	check, err := chromedp.Run(waitCtx, chromedp.Evaluate[result](fmt.Sprintf(`({
		marker: window.__marker,
		rejected: document.querySelector('[data-post-id="%d"]') !== null,
		xss: window.__xss === undefined ? null : window.__xss,
		dangerous: document.querySelectorAll('[data-testid=wall-post] script, [data-testid=wall-post] [onerror], [data-testid=wall-post] a[href^="javascript:"]').length,
		text: document.querySelector('[data-post-id="%d"]').textContent,
	})`, bad.ID, hostile.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if check.Marker != 42 {
		t.Errorf("the wall reloaded (marker %d): updates must arrive without a reload", check.Marker)
	}
	if check.Rejected {
		t.Errorf("rejected post %d is on the wall", bad.ID)
	}
	if check.XSS != nil {
		t.Errorf("a script from a post ran: window.__xss = %v", check.XSS)
	}
	if check.Dangerous != 0 {
		t.Errorf("%d script elements, event handlers or javascript: links inside wall cards", check.Dangerous)
	}
	if !strings.Contains(check.Text, `<img src=x onerror=`) {
		t.Errorf("hostile author name not shown as text; card text %q", check.Text)
	}

	// A fresh load (no JavaScript needed for it) shows the same: approved only.
	err = chromedp.Do(waitCtx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.CSS("body")))
	var ids []string
	if err == nil {
		ids, err = chromedp.Run(waitCtx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=wall-post]')].map(e => e.dataset.postId)`))
	}
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ids, ","), fmt.Sprintf("%d,%d", hostile.ID, good.ID); got != want {
		t.Errorf("wall after reload shows posts %s, want %s", got, want)
	}
}
