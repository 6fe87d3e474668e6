package wall

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohesionalliance/campaignwall/model"
)

// TestPluralRulesMatchBrowser checks the plural table against the CLDR data
// Chromium ships, for every language, on 0 to 220 and a few millions: the
// server picks forms with the table, wall.js with Intl.PluralRules, and a
// screen must not change words when a live update arrives.
func TestPluralRulesMatchBrowser(t *testing.T) {
	ctx, _ := browser(t)
	within(t, ctx, "open a blank page", chromedp.Navigate("about:blank"))
	var ns []int64
	for n := int64(0); n <= 220; n++ {
		ns = append(ns, n)
	}
	ns = append(ns, 1000, 1001, 1000000, 2000000, 1000001, 12345)
	nsJSON, _ := json.Marshal(ns)
	for _, lang := range model.Languages {
		t.Run(lang, func(t *testing.T) {
			loc := locales[lang]
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
				`(function () { var r = new Intl.PluralRules(%q); return %s.map(function (n) { return r.select(n); }); })()`,
				loc.pluralLang, nsJSON)))
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range ns {
				if want := string(loc.plural.pick(n)); got[i] != want {
					t.Errorf("%d: browser says %q, table says %q", n, got[i], want)
				}
			}
		})
	}
}

// TestWallJSCountInEveryLanguage opens the wall in each language and sends
// counter events: wall.js must write every count exactly as the server
// renders it (plural form and grouping).
func TestWallJSCountInEveryLanguage(t *testing.T) {
	w := newTestWall(t, Options{CTA: CTAOptions{SigningURL: testSigningURL}})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Security-Policy", strictCSP)
		w.mux.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(w.hub.Close) // runs first: ends the streams srv.Close waits for

	browserCtx, console := browser(t)
	within(t, browserCtx, "start the browser", chromedp.Navigate("about:blank"))
	t.Cleanup(func() {
		for _, line := range console() {
			if strings.HasPrefix(line, "exception") || strings.Contains(line, "Content Security Policy") {
				t.Errorf("browser console: %s", line)
			}
		}
	})
	counts := []int64{1, 2, 3, 5, 7, 11, 22, 25, 101, 1234, 12345, 1000000}
	for _, lang := range model.Languages {
		t.Run(lang, func(t *testing.T) {
			// A tab per language, closed after: a page left behind keeps
			// its stream, and Chromium opens at most six per server.
			ctx, closeTab := chromedp.NewContext(browserCtx)
			defer closeTab()
			// The tab belongs to the first context that runs in it: ctx, not
			// the timeout contexts below.
			if err := chromedp.Do(ctx); err != nil {
				t.Fatal(err)
			}
			within(t, ctx, "open the wall",
				chromedp.Navigate(srv.URL+"/?lang="+lang),
				chromedp.WaitVisible(chromedp.CSS(`#wall-status[data-state="live"]`)),
			)
			c := catalogFor(lang)
			status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#wall-status`)))
			if err != nil || status != c.T("status.live") {
				t.Errorf("status = %q (%v), want %q", status, err, c.T("status.live"))
			}
			for _, n := range counts {
				w.hub.SignatureCountChanged(n)
				want, _ := json.Marshal(c.N("cta.signatures", n))
				expr := fmt.Sprintf(`(function () { var el = document.getElementById('cta-count'); return !el.hidden && el.getAttribute('data-count') === '%d' && el.textContent === %s; })()`, n, want)
				tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := chromedp.Run(tctx, chromedp.Poll[bool](expr))
				cancel()
				if err != nil {
					got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('cta-count').textContent`))
					t.Errorf("count %d: page shows %q, want %s", n, got, want)
				}
			}
		})
	}
}
