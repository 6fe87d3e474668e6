package wall

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/cohesionalliance/campaignwall/model"
)

const testSigningURL = "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"

func pageDoc(t *testing.T, w *testWall, target string) *goquery.Document {
	t.Helper()
	rec := w.get(t, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestWallPageLanguage(t *testing.T) {
	tests := []struct {
		name, target, configured string
		wantLang, wantEmpty      string
	}{
		{"default", "/", "", "en", "No posts yet. Yours could be the first!"},
		{"configured", "/", "de", "de", "Noch keine Beiträge. Ihrer könnte der erste sein!"},
		{"query wins", "/?lang=pl", "de", "pl", "Nie ma jeszcze wpisów. Twój może być pierwszy!"},
		{"irish", "/?lang=ga", "", "ga", "Níl aon phostáil ann fós. D’fhéadfadh gurb í do cheannsa an chéad cheann!"},
		{"unknown query falls back to configured", "/?lang=xx", "fr", "fr", "Aucune publication pour l’instant. La vôtre pourrait être la première\u202f!"},
		{"unknown query, nothing configured", "/?lang=../../etc", "", "en", "No posts yet. Yours could be the first!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWall(t, Options{Language: tt.configured})
			doc := pageDoc(t, w, tt.target)
			html := doc.Find("html")
			if got, _ := html.Attr("lang"); got != tt.wantLang {
				t.Errorf("html lang = %q, want %q", got, tt.wantLang)
			}
			if got, _ := html.Attr("dir"); got != "ltr" {
				t.Errorf("html dir = %q, want ltr", got)
			}
			if got := doc.Find(`[data-testid="wall-empty"]`).Text(); got != tt.wantEmpty {
				t.Errorf("empty text = %q, want %q", got, tt.wantEmpty)
			}
			raw, _ := doc.Find("#wall").Attr("data-catalog")
			var c jsCatalog
			if err := json.Unmarshal([]byte(raw), &c); err != nil {
				t.Fatalf("data-catalog is not JSON: %v", err)
			}
			if c.Lang != tt.wantLang || c.Messages["status.live"] == "" || len(c.Plurals["time.minutes"]) == 0 {
				t.Errorf("data-catalog = lang %q, %d messages, %d plurals; want %s and complete", c.Lang, len(c.Messages), len(c.Plurals), tt.wantLang)
			}
		})
	}
}

func TestWallPageCardsInLanguage(t *testing.T) {
	w := newTestWall(t, Options{})
	p := savePost(t, w.st, variant("with_content_warning", 1), model.StatusApproved, true)
	doc := pageDoc(t, w, "/?lang=pl")
	c := doc.Find(`[data-post-id="` + id(p) + `"]`)
	for sel, want := range map[string]string{
		`[data-testid="post-pinned"]`: "Przypięty",
		`.card__cw-label`:             "Ostrzeżenie o treści",
		`.card__cw-show`:              "Pokaż",
		`[data-testid="post-link"]`:   "Zobacz w serwisie Bluesky",
	} {
		if got := strings.TrimSpace(c.Find(sel).First().Text()); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	// Polish dates are numeric: no English month name.
	if got := c.Find(`[data-testid="post-time"]`).Text(); !regexp.MustCompile(`^\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC$`).MatchString(got) {
		t.Errorf("time = %q, want dd.mm.yyyy, hh:mm UTC", got)
	}
}

// TestHubCardIsLanguageNeutral: the hub renders one card for every screen,
// in English with the catalog keys wall.js translates it by.
func TestHubCardIsLanguageNeutral(t *testing.T) {
	p := variant("with_content_warning", 1)
	p.Pinned = true
	p.Network = model.NetworkFeed
	doc, _ := renderCard(t, p)
	for sel, key := range map[string]string{
		`[data-testid="post-pinned"]`:  "card.pinned",
		`.card__cw-label`:              "card.cw",
		`.card__cw-show`:               "card.show",
		`[data-testid="post-link"]`:    "card.view_original",
		`[data-testid="post-network"]`: "net.feed",
	} {
		if got, _ := doc.Find(sel).First().Attr("data-i18n"); got != key {
			t.Errorf("%s data-i18n = %q, want %q", sel, got, key)
		}
	}
}

func TestPhotoWithoutAltGetsLocalizedFallback(t *testing.T) {
	p := variant("mastodon_with_photo", 1)
	// Its own media: the fixtures' slices are shared with other tests.
	p.Media = []model.Media{{Kind: model.MediaImage, URL: "https://regions.social/media/x.jpg", CacheKey: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}
	doc, _ := renderCard(t, p)
	img := doc.Find(".card__photo img")
	alt, _ := img.Attr("alt")
	key, _ := img.Attr("data-i18n-alt")
	if want := "Photo shared by " + authorName(p.Author); alt != want || key != "card.photo_alt" {
		t.Errorf("alt = %q (key %q), want %q (card.photo_alt)", alt, key, want)
	}
}

func TestCTAPanel(t *testing.T) {
	cta := CTAOptions{SigningURL: testSigningURL, Message: "Add your name.", Messages: map[string]string{"de": "Unterzeichnen Sie jetzt."}}
	tests := []struct {
		name        string
		opts        CTAOptions
		count       int64 // -1: none stored
		target      string
		wantPanel   bool
		wantTitle   string
		wantMessage string
		wantCount   string // "" when hidden
	}{
		{name: "not configured", opts: CTAOptions{}, count: 500, target: "/", wantPanel: false},
		{name: "english", opts: cta, count: 12345, target: "/", wantPanel: true, wantTitle: "Sign the Joint Call", wantMessage: "Add your name.", wantCount: "12,345 signatures"},
		{name: "german message and grouping", opts: cta, count: 12345, target: "/?lang=de", wantPanel: true, wantTitle: "Unterzeichnen Sie den gemeinsamen Aufruf", wantMessage: "Unterzeichnen Sie jetzt.", wantCount: "12.345 Unterschriften"},
		{name: "french narrow no-break space", opts: cta, count: 12345, target: "/?lang=fr", wantPanel: true, wantTitle: "Signez l’Appel commun", wantMessage: "Add your name.", wantCount: "12\u202f345 signatures"},
		{name: "polish plural", opts: cta, count: 22, target: "/?lang=pl", wantPanel: true, wantTitle: "Podpisz Wspólny apel", wantMessage: "Add your name.", wantCount: "22 podpisy"},
		{name: "no count yet", opts: cta, count: -1, target: "/", wantPanel: true, wantTitle: "Sign the Joint Call", wantMessage: "Add your name."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWall(t, Options{CTA: tt.opts})
			if tt.count >= 0 {
				if _, err := w.st.SetSignatureCount(context.Background(), model.SignatureCount{Value: tt.count, Source: model.SignaturesScraped}); err != nil {
					t.Fatal(err)
				}
			}
			doc := pageDoc(t, w, tt.target)
			panel := doc.Find(`[data-testid="cta"]`)
			if got := panel.Length() == 1; got != tt.wantPanel {
				t.Fatalf("panel shown = %v, want %v", got, tt.wantPanel)
			}
			if !tt.wantPanel {
				return
			}
			if got := panel.Find(`[data-testid="cta-title"]`).Text(); got != tt.wantTitle {
				t.Errorf("title = %q, want %q", got, tt.wantTitle)
			}
			if got := panel.Find(`[data-testid="cta-message"]`).Text(); got != tt.wantMessage {
				t.Errorf("message = %q, want %q", got, tt.wantMessage)
			}
			count := panel.Find(`[data-testid="cta-count"]`)
			_, hidden := count.Attr("hidden")
			if tt.wantCount == "" {
				if !hidden {
					t.Errorf("count shown without a count: %q", count.Text())
				}
				return
			}
			if hidden || count.Text() != tt.wantCount {
				t.Errorf("count = %q (hidden %v), want %q", count.Text(), hidden, tt.wantCount)
			}
		})
	}
}

// TestCTAQRCodeDecodes reads the panel's QR code as a phone would: the SVG
// drawn into an image, then decoded.
func TestCTAQRCodeDecodes(t *testing.T) {
	for _, u := range []string{
		testSigningURL,
		"https://example.org/sign?campaign=cohesion&lang=pl#form",
		"HTTPS://EX.ORG/A", // QR's alphanumeric mode
	} {
		t.Run(u, func(t *testing.T) {
			w := newTestWall(t, Options{CTA: CTAOptions{SigningURL: u}})
			doc := pageDoc(t, w, "/")
			svg, err := doc.Find(`[data-testid="cta-qr"]`).Html()
			if err != nil || svg == "" {
				t.Fatalf("no QR code in the panel: %v", err)
			}
			got, err := decodeQRSVG(svg)
			if err != nil {
				t.Fatalf("decode: %v\n%s", err, svg)
			}
			if got != u {
				t.Errorf("QR code reads %q, want %q", got, u)
			}
		})
	}
}

var (
	svgViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	svgRun     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	svgPath    = regexp.MustCompile(`<path[^>]* d="([^"]*)"`)
)

// decodeQRSVG rasterizes the SVG qrSVG draws (unit rectangles on white, in
// a viewBox) at 8 pixels a module and decodes it.
func decodeQRSVG(svg string) (string, error) {
	vb := svgViewBox.FindStringSubmatch(svg)
	d := svgPath.FindStringSubmatch(svg)
	if vb == nil || d == nil {
		return "", fmt.Errorf("no viewBox or path")
	}
	size, _ := strconv.Atoi(vb[1])
	const scale = 8
	img := image.NewGray(image.Rect(0, 0, size*scale, size*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	runs := svgRun.FindAllStringSubmatch(d[1], -1)
	if len(runs) == 0 || strings.Count(d[1], "M") != len(runs) {
		return "", fmt.Errorf("path has %d runs of %d moves: not the expected shape", len(runs), strings.Count(d[1], "M"))
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		n, _ := strconv.Atoi(r[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+n)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func TestHubSignatureCountChanged(t *testing.T) {
	st := openStore(t)
	lh := openLoggedHub(t, st, HubOptions{})
	s := connect(t, lh.srv.URL, nil)
	lh.hub.SignatureCountChanged(12345)
	if got, want := frameSummary(t, s.nextEvent()), `1 counter {"signatures":12345}`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
