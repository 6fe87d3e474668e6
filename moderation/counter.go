package moderation

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// SignatureCounter records a signature count an admin typed in: in the
// store, for the bot's reminders and on every wall (main wires it).
type SignatureCounter interface {
	SetSignatureCount(ctx context.Context, n int64, by string) error
}

// CounterView is what /admin/counter shows.
type CounterView struct {
	CampaignName string
	Moderator    string
	Configured   bool // a SignatureCounter is wired
	Current      *model.SignatureCount
	History      []model.SignatureCount // newest first
	Error        string                 // what was wrong with the value sent
	Value        string                 // the value sent, to correct it
	Saved        bool
	Location     *time.Location
}

// maxSignatureCount is far above any petition's count; it catches a value
// pasted with extra digits.
const maxSignatureCount = 100_000_000

// counterRoutes registers the admin page where the signature count is set
// by hand, for when the petition page cannot be scraped.
func (h *Handler) counterRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/counter", auth.SecurityHeaders(h.auth.RequireAdmin(http.HandlerFunc(h.counterPage))))
	mux.Handle("POST /admin/counter", auth.SecurityHeaders(auth.CrossOrigin(h.auth.RequireAdmin(http.HandlerFunc(h.setCounter)))))
}

func (h *Handler) counterView(ctx context.Context) (CounterView, error) {
	m, _ := auth.ModeratorFromContext(ctx)
	v := CounterView{CampaignName: h.opts.CampaignName, Moderator: m.Name, Configured: h.opts.Counter != nil, Location: h.opts.Location}
	hist, err := h.st.SignatureCountHistory(ctx, 10)
	if err != nil {
		return v, err
	}
	v.History = hist
	if len(hist) > 0 {
		v.Current = &hist[0]
	}
	return v, nil
}

func (h *Handler) counterPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.counterView(r.Context())
	if err != nil {
		h.serverError(w, r, "signature count", err)
		return
	}
	v.Saved = r.URL.Query().Get("saved") == "1"
	h.render(w, r, http.StatusOK, CounterPage(v))
}

// parseCount reads a count as people type it: "12345", "12,345", "12.345"
// or "12 345".
func parseCount(s string) (int64, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', '.', ' ', '\'', '\u00a0', '\u202f':
			return -1
		}
		return r
	}, s)
	if s == "" {
		return 0, errors.New("empty")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxSignatureCount {
		return 0, errors.New("not a count")
	}
	return n, nil
}

func (h *Handler) setCounter(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	if h.opts.Counter == nil {
		http.Error(w, "The signature counter is not available.", http.StatusNotFound)
		return
	}
	raw := strings.TrimSpace(r.PostFormValue("signatures"))
	n, err := parseCount(raw)
	if err != nil {
		v, verr := h.counterView(ctx)
		if verr != nil {
			h.serverError(w, r, "signature count", verr)
			return
		}
		v.Value = raw
		v.Error = "Type the number of signatures as a whole number, e.g. 12345."
		h.render(w, r, http.StatusUnprocessableEntity, CounterPage(v))
		return
	}
	if err := h.opts.Counter.SetSignatureCount(ctx, n, m.Name); err != nil {
		h.log.ErrorContext(ctx, "set signature count", slog.Any("error", err))
		http.Error(w, "The signature count could not be saved. Please try again.", http.StatusInternalServerError)
		return
	}
	h.log.InfoContext(ctx, "signature count set by an admin", slog.Int64("signatures", n), slog.String("moderator", m.Name))
	http.Redirect(w, r, "/admin/counter?saved=1", http.StatusSeeOther)
}

// counterSource says where a count came from, for the page.
func counterSource(c model.SignatureCount) string {
	if c.Source == model.SignaturesAdmin {
		return "set by " + c.By
	}
	return "read from the petition page"
}
