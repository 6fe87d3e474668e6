package wall

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/cohesionalliance/campaignwall/model"
)

// artifactsDir is where browser tests keep screenshots: the CI's artifacts
// folder when it sets one, else the test's temporary folder.
func artifactsDir(t *testing.T) string {
	if dir := os.Getenv("CAMPAIGNWALL_TEST_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			return dir
		}
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// testPhoto is what /media/ serves in these tests: any cached photo is a
// plain blue picture.
func testPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{R: 40, G: uint8(80 + y/3), B: 190, A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// modeServer serves one wall, "a", with the media cache faked, under csp
// ("" for none), and the call-to-action panel with a signature count. edit
// changes the options first.
func modeServer(t *testing.T, csp string, edit ...func(*Options)) (*testWall, *httptest.Server) {
	t.Helper()
	opts := Options{CampaignName: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance"},
		Walls: []model.Wall{{Slug: "a", Title: "Cohesion Alliance", Mode: model.ModeMasonry, Theme: "dark", SpotlightSeconds: 3}},
		CTA:   CTAOptions{SigningURL: "https://cohesion.example/sign", Message: "Cohesion is Europe's promise. Add your name."}}
	for _, e := range edit {
		e(&opts)
	}
	w := newTestWall(t, opts)
	if _, err := w.st.SetSignatureCount(context.Background(), model.SignatureCount{Value: 12847, Source: model.SignaturesAdmin, By: "test"}); err != nil {
		t.Fatal(err)
	}
	photo := testPhoto()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if csp != "" {
			rw.Header().Set("Content-Security-Policy", csp)
		}
		if strings.HasPrefix(r.URL.Path, "/media/") {
			rw.Header().Set("Content-Type", "image/png")
			rw.Write(photo)
			return
		}
		w.mux.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(w.hub.Close) // runs first: ends the streams srv.Close waits for
	return w, srv
}

// checkConsole fails the test for script errors and CSP violations.
func checkConsole(t *testing.T, console func() []string) {
	t.Cleanup(func() {
		for _, line := range console() {
			if strings.Contains(line, "Failed to load resource") {
				continue
			}
			if strings.HasPrefix(line, "exception") || strings.HasPrefix(line, "error") || strings.Contains(line, "Content Security Policy") {
				t.Errorf("browser console: %s", line)
			}
		}
	})
}

// shownJS is true when the card with the id is on screen in the page's
// mode: in the DOM, displayed, and in spotlight the one in the spotlight.
const shownJS = `(function (id) {
  var c = document.querySelector('#wall [data-post-id="' + id + '"]');
  if (!c || getComputedStyle(c).display === 'none') { return false; }
  var mode = document.getElementById('wall').getAttribute('data-mode');
  if (mode === 'spotlight') { return c.hasAttribute('data-current'); }
  return true;
})(%q)`

// TestWallModesInBrowser opens the wall in every mode: each renders its
// posts (a screenshot each), a post approved while the page is open appears,
// and a retracted one disappears.
func TestWallModesInBrowser(t *testing.T) {
	w, srv := modeServer(t, strictCSP)
	pinned := savePost(t, w.st, variant("pinned_highlighted", 0), model.StatusApproved, true)
	savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	savePost(t, w.st, variant("plain_text_only", 2), model.StatusApproved, false)
	savePost(t, w.st, variant("with_content_warning", 3), model.StatusApproved, false)

	ctx, console := browser(t)
	checkConsole(t, console)
	for i, mode := range model.WallModes() {
		t.Run(string(mode), func(t *testing.T) {
			within(t, ctx, "open the wall",
				chromedp.Navigate(srv.URL+"/w/a?mode="+string(mode)),
				chromedp.WaitReady(chromedp.CSS(`#wall-status[data-state="live"]`)),
			)
			if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.className`)); err != nil || !strings.Contains(got, "mode-"+string(mode)) {
				t.Fatalf("body class = %q (%v), want mode-%s", got, err, mode)
			}
			// Pinned posts stay visible in every mode.
			if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(shownJS, id(pinned))+
				` || getComputedStyle(document.querySelector('#wall [data-post-id="`+id(pinned)+`"]')).display !== 'none'`)); err != nil || !shown {
				t.Errorf("pinned post not shown in %s (%v)", mode, err)
			}
			screenshot(t, ctx, "wall-mode-"+string(mode))

			// A photo post: every mode shows it, photos mode included.
			added := savePost(t, w.st, variant("mastodon_with_photo", 10+i), model.StatusApproved, false)
			w.hub.PostChanged(added)
			within(t, ctx, "wait for the approved post to show",
				chromedp.Poll[chromedp.Void](fmt.Sprintf(shownJS, id(added))))
			screenshot(t, ctx, "wall-mode-"+string(mode)+"-live")

			retracted := decideT(t, w.st, added, model.ActionRetract)
			w.hub.PostChanged(retracted)
			within(t, ctx, "wait for the retracted post to go", chromedp.WaitNotPresent(chromedp.CSS(card(added))))
		})
	}
}

// emulateReducedMotion makes the page prefer reduced motion, as a screen
// whose operator set it would.
func emulateReducedMotion(reduce bool) chromedp.Action[chromedp.Void] {
	value := "no-preference"
	if reduce {
		value = "reduce"
	}
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: value}},
		})
		return err
	})
}

// TestTickerHonoursReducedMotion: the ticker scrolls, unless the screen
// prefers reduced motion; then it is a still line showing one post at a
// time, which still takes live posts.
func TestTickerHonoursReducedMotion(t *testing.T) {
	w, srv := modeServer(t, strictCSP)
	savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	savePost(t, w.st, variant("plain_text_only", 2), model.StatusApproved, false)
	ctx, console := browser(t)
	checkConsole(t, console)

	animation := `getComputedStyle(document.getElementById('wall')).animationName`
	for _, reduce := range []bool{false, true} {
		within(t, ctx, "open the ticker",
			emulateReducedMotion(reduce),
			chromedp.Navigate(srv.URL+"/w/a?mode=ticker"),
			chromedp.WaitReady(chromedp.CSS(`#wall-status[data-state="live"]`)),
		)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](animation))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !reduce && got != "ticker":
			t.Errorf("ticker animation = %q, want it scrolling", got)
		case reduce && got != "none":
			t.Errorf("with reduced motion: ticker animation = %q, want none", got)
		}
		if !reduce {
			continue
		}
		visible, err := chromedp.Run(ctx, chromedp.Evaluate[int](
			`Array.from(document.querySelectorAll('#wall [data-post-id]')).filter(c => getComputedStyle(c).display !== 'none').length`))
		if err != nil || visible != 1 {
			t.Errorf("with reduced motion: %d posts shown (%v), want one at a time", visible, err)
		}
		screenshot(t, ctx, "wall-mode-ticker-reduced-motion")
		added := savePost(t, w.st, variant("plain_text_only", 3), model.StatusApproved, false)
		w.hub.PostChanged(added)
		within(t, ctx, "wait for the live post on the still ticker",
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('#wall [data-post-id="%s"][data-current]') !== null`, id(added))))
	}
}

// xssPayloads each try to set window.__pwned.
var xssPayloads = []string{
	`<script>window.__pwned=1</script>`,
	`<img src=x onerror="window.__pwned=1">`,
	`</textarea><script>window.__pwned=1</script>`,
	`<svg onload="window.__pwned=1"></svg>`,
	`"><svg/onload=window.__pwned=1>`,
	`'><img src=x onerror=window.__pwned=1>`,
	`<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`,
	`javascript:window.__pwned=1`,
}

// hostilePosts put every payload in every field a network controls and the
// wall escapes: plain text, names, handles, alt text, content warnings,
// links, avatars, languages. (Post HTML is sanitized by collectors and
// covered by their tests.)
func hostilePosts() []model.Post {
	var out []model.Post
	for i, x := range xssPayloads {
		p := model.Post{
			Network:  model.NetworkMastodon,
			URI:      fmt.Sprintf("https://evil.example/statuses/%d", i),
			URL:      x,
			Author:   model.Author{Handle: x, DisplayName: x, AvatarURL: x, URL: x},
			Text:     x + " " + x,
			Language: x,
			Media: []model.Media{{Kind: model.MediaImage, URL: x, PreviewURL: x, AltText: x, CacheKey: bridgeKey},
				{Kind: model.MediaVideo, URL: x, AltText: x, CacheKey: okKey}},
			PublishedAt: baseTime.Add(-time.Duration(i) * time.Minute),
		}
		if i%2 == 1 {
			p.ContentWarning = x
			p.ShowOnScreens = i%4 == 1
		}
		out = append(out, p)
	}
	return out
}

// TestWallModesRunNoInjectedScript loads hostile posts into the page and
// live over the stream, in every mode and the text view, without a CSP so
// that only escaping stands between the payloads and the page.
func TestWallModesRunNoInjectedScript(t *testing.T) {
	// The wall's title and the call to action's message come from the
	// admin's config, and are escaped all the same.
	w, srv := modeServer(t, "", func(o *Options) {
		o.Walls[0].Title = strings.Join(xssPayloads, " ")
		o.CTA.Message = strings.Join(xssPayloads, " ")
		o.CTA.Messages = map[string]string{"en": strings.Join(xssPayloads, "")}
	})
	hostile := hostilePosts()
	half := len(hostile) / 2
	for _, p := range hostile[:half] {
		saved := savePost(t, w.st, p, model.StatusApproved, false)
		if p.ShowOnScreens {
			decideT(t, w.st, saved, model.ActionUncover)
		}
	}
	bctx, _ := browser(t)
	targets := []string{"/w/a/text", "/embed/a", "/embed/a.js"}
	for _, m := range model.WallModes() {
		targets = append(targets, "/w/a?mode="+string(m))
	}
	for i, target := range targets {
		t.Run(target, func(t *testing.T) {
			if strings.HasSuffix(target, ".js") {
				// The snippet, run in a page of its own: it only adds the iframe.
				within(t, bctx, "run the snippet",
					chromedp.Navigate(srv.URL+"/w/a/text"),
					chromedp.Evaluate[chromedp.Void](`(function () { var s = document.createElement('script'); s.src = '/embed/a.js'; document.body.appendChild(s); })()`),
					chromedp.Poll[chromedp.Void](`document.querySelector('iframe[src*="/embed/a"]') !== null`))
				if pwned, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.__pwned !== undefined`)); err != nil || pwned {
					t.Errorf("the embed snippet ran an injected script (%v)", err)
				}
				return
			}
			within(t, bctx, "open", chromedp.Navigate(srv.URL+target), chromedp.WaitReady(chromedp.CSS("body")))
			if !strings.Contains(target, "/text") {
				within(t, bctx, "wait for the stream", chromedp.WaitReady(chromedp.CSS(`#wall-status[data-state="live"]`)))
				// The other half arrives live.
				p := hostile[half+i%(len(hostile)-half)]
				p.URI += fmt.Sprintf("#%d", i)
				saved := savePost(t, w.st, p, model.StatusApproved, false)
				if p.ShowOnScreens {
					saved = decideT(t, w.st, saved, model.ActionUncover)
				}
				w.hub.PostChanged(saved)
				within(t, bctx, "wait for the live post", chromedp.WaitReady(chromedp.CSS(card(saved))))
			}
			// Load every image (lazy ones too), so an injected handler on
			// any of them would have fired.
			within(t, bctx, "images settle",
				chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })`),
				chromedp.Poll[chromedp.Void](`Array.from(document.images).every(i => i.complete || i.getClientRects().length === 0 || i.closest('details:not([open])'))`))
			pwned, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.__pwned !== undefined`))
			if err != nil {
				t.Fatal(err)
			}
			if pwned {
				t.Errorf("%s: an injected script ran", target)
			}
			n, err := chromedp.Run(bctx, chromedp.Evaluate[int](
				`document.querySelectorAll('main script, main svg, main iframe, main [onerror], main [onload], main a[href^="javascript:"], main img[src^="javascript:"], ' +
				'header script, header svg, header iframe, header [onerror], header [onload], ' +
				'.cta script, .cta iframe, .cta [onerror], .cta [onload], .cta__body svg, .cta a[href^="javascript:"], ' +
				'head script:not([src]), head svg, head iframe').length`))
			if err != nil || n != 0 {
				t.Errorf("%s: %d injected elements or attributes in the page (%v)", target, n, err)
			}
		})
	}
}

// TestPhotosModeKeepsOnlyPhotosLive: a post without a photo approved while
// the photo wall is open is not added, so it cannot push photos off it.
func TestPhotosModeKeepsOnlyPhotosLive(t *testing.T) {
	w, srv := modeServer(t, strictCSP)
	ctx, console := browser(t)
	checkConsole(t, console)
	within(t, ctx, "open the photo wall",
		chromedp.Navigate(srv.URL+"/w/a?mode=photos"),
		chromedp.WaitReady(chromedp.CSS(`#wall-status[data-state="live"]`)),
	)
	text := savePost(t, w.st, variant("plain_text_only", 1), model.StatusApproved, false)
	w.hub.PostChanged(text)
	photo := savePost(t, w.st, variant("mastodon_with_photo", 2), model.StatusApproved, false)
	w.hub.PostChanged(photo)
	within(t, ctx, "wait for the photo post", chromedp.WaitReady(chromedp.CSS(card(photo))))
	if got := domCardIDs(t, ctx); got != id(photo) {
		t.Errorf("cards = %s, want only the photo post %s", got, id(photo))
	}
}

// TestScreenReloadsIntoAdminsChange: an admin switching the wall's mode
// reloads its open screens into the new mode by themselves.
func TestScreenReloadsIntoAdminsChange(t *testing.T) {
	w, srv := modeServer(t, strictCSP)
	savePost(t, w.st, variant("plain_text_only", 1), model.StatusApproved, false)
	ctx, console := browser(t)
	checkConsole(t, console)
	within(t, ctx, "open the wall",
		chromedp.Navigate(srv.URL+"/w/a"),
		chromedp.WaitReady(chromedp.CSS(`body.mode-masonry #wall-status[data-state="live"]`)),
	)
	bg := context.Background()
	if err := w.st.SaveWallSettings(bg, model.WallSettings{Slug: "a", Mode: model.ModeList, UpdatedBy: "ada"}); err != nil {
		t.Fatal(err)
	}
	if err := w.h.WallSettingsChanged(bg, "a"); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, "wait for the screen to reload into list mode",
		chromedp.WaitReady(chromedp.CSS(`body.mode-list #wall-status[data-state="live"]`)))
}

// TestWallModesSpeakTheWallsLanguage opens a wall whose own language is
// Polish in every mode: the page is Polish, cards that arrive live are put
// into Polish by wall.js whatever the mode does with them, and the
// call-to-action panel is on screen and takes the count an admin sets, in
// Polish, over the wall's filtered stream.
func TestWallModesSpeakTheWallsLanguage(t *testing.T) {
	w, srv := modeServer(t, strictCSP, func(o *Options) {
		o.Language = "de" // the campaign's: the wall's own wins
		o.Walls[0].Language = "pl"
		o.Walls[0].Filter = model.WallFilter{Networks: []model.Network{model.NetworkMastodon}}
	})
	savePost(t, w.st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	ctx, console := browser(t)
	checkConsole(t, console)
	pl := catalogFor("pl")
	for i, mode := range model.WallModes() {
		t.Run(string(mode), func(t *testing.T) {
			within(t, ctx, "open the wall",
				chromedp.Navigate(srv.URL+"/w/a?mode="+string(mode)),
				chromedp.WaitReady(chromedp.CSS(`#wall-status[data-state="live"]`)),
			)
			if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang + ' ' + document.getElementById('wall-status').textContent`)); err != nil || got != "pl "+pl.T("status.live") {
				t.Errorf("lang and status = %q (%v), want Polish", got, err)
			}
			ctaShown := `(function () { var c = document.getElementById('cta'); if (!c) { return false; }
  var r = c.getBoundingClientRect(), q = c.querySelector('.cta__qr').getBoundingClientRect();
  return getComputedStyle(c).display !== 'none' && r.width > 0 && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1 && q.width >= 40; })()`
			if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](ctaShown)); err != nil || !shown {
				rects, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify([document.getElementById('cta').getBoundingClientRect(), innerWidth, innerHeight])`))
				t.Errorf("call to action not on screen with its QR code in %s (%v): %s", mode, err, rects)
			}

			// A pinned photo post: every mode takes it (photos too).
			p := variant("pinned_highlighted", 20+i)
			p.Network = model.NetworkMastodon
			p.Media = variant("mastodon_with_photo", 0).Media
			p.Media[0].AltText = "" // its description comes from the catalog
			live := savePost(t, w.st, p, model.StatusApproved, true)
			w.hub.PostChanged(live)
			flag := card(live) + ` [data-i18n="card.pinned"]`
			within(t, ctx, "wait for the live card in Polish",
				chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function (s, want) { var e = document.querySelector(s); return e !== null && e.textContent === want; })(%q, %q)`,
					flag, pl.T("card.pinned"))))
			alt, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).alt`, card(live)+" img[data-i18n-alt]")))
			if want := pl.T("card.photo_alt", "author", authorName(live.Author)); err != nil || alt != want {
				t.Errorf("live photo's alt = %q (%v), want %q", alt, err, want)
			}
			n := int64(12848 + i)
			w.hub.SignatureCountChanged(n)
			within(t, ctx, "wait for the new count",
				chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('cta-count').textContent.replace(/\s+/g, ' ') === %q`,
					strings.Join(strings.Fields(pl.N("cta.signatures", n)), " "))))
			screenshot(t, ctx, "wall-mode-"+string(mode)+"-pl")
			decideT(t, w.st, live, model.ActionRetract)
		})
	}
}
