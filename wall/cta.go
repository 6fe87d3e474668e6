package wall

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"

	"github.com/cohesionalliance/campaignwall/store"
)

// CTAOptions configure the call-to-action panel: a QR code of the petition's
// signing URL, the live signature count and a short message.
type CTAOptions struct {
	SigningURL string
	Message    string            // shown in every language without its own
	Messages   map[string]string // by language code
}

// CTAView is what the call-to-action panel shows, in the page's language.
type CTAView struct {
	Title      string
	Message    string // "" for none
	Scan       string
	QRLabel    string
	SigningURL string
	DisplayURL string // SigningURL without its scheme, for people who type it
	QR         string // SVG markup from qrSVG: numbers and fixed attributes only
	HasCount   bool   // false until a count was scraped or set
	Count      int64
	// CountBefore, CountNumber and CountAfter are the count's phrase split
	// around the number, so the number can be drawn large.
	CountBefore, CountNumber, CountAfter string
}

// ctaView builds the panel in c's language; nil when there is no panel.
func (h *Handler) ctaView(ctx context.Context, c *catalog) *CTAView {
	if h.qr == "" {
		return nil
	}
	v := &CTAView{
		Title:      c.T("cta.title"),
		Message:    h.opts.CTA.Message,
		Scan:       c.T("cta.scan"),
		QRLabel:    c.T("cta.qr_label", "url", h.opts.CTA.SigningURL),
		SigningURL: h.opts.CTA.SigningURL,
		DisplayURL: displayURL(h.opts.CTA.SigningURL),
		QR:         h.qr,
	}
	if m, ok := h.opts.CTA.Messages[c.lang]; ok && m != "" {
		v.Message = m
	}
	sc, err := h.st.SignatureCount(ctx)
	switch {
	case err == nil:
		v.HasCount, v.Count = true, sc.Value
	case !errors.Is(err, store.ErrNotFound):
		// The panel still shows the QR code; the next counter event fills in
		// the number.
		h.log.Warn("wall: read signature count", slog.Any("error", err))
	}
	v.CountBefore, v.CountNumber, v.CountAfter = c.splitCount("cta.signatures", v.Count)
	return v
}

// splitCount returns the plural message key for n split around {n}.
func (c *catalog) splitCount(key string, n int64) (before, number, after string) {
	s := c.plural(key, n)
	before, after, _ = strings.Cut(s, "{n}")
	return before, c.Number(n), after
}

func displayURL(u string) string {
	u = strings.TrimPrefix(u, "https://")
	u = strings.TrimPrefix(u, "http://")
	return strings.TrimSuffix(u, "/")
}

// counterData is the JSON a counter event carries.
type counterData struct {
	Signatures int64 `json:"signatures"`
}

// SignatureCountChanged tells every screen the petition's new signature
// count. The event carries only the number: each screen writes it in its
// own language, so one frame serves every screen.
func (h *Hub) SignatureCountChanged(n int64) {
	b, err := json.Marshal(counterData{Signatures: n})
	if err != nil {
		h.log.Error("wall: encode counter event", slog.Any("error", err))
		return
	}
	h.publish("counter", b)
}
