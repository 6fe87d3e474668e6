// Package submission owns direct submissions: the public form at /submit
// where a supporter without a social account sends a photo or a short video
// with a statement, their name, an optional organisation and an optional
// email, and agrees to have it shown. It decides what a valid submission is
// (text limits, consent, a per-address rate limit) and stores it as a pending
// post of network "submission" for the moderation queue, like any collected
// post. Checking and storing the file itself belongs to package media
// (AddPhoto re-encodes photos without metadata; AddVideo parses a video's
// container whole), so every file the cache serves is checked in one place.
//
// Nothing is half-saved: the upload is spooled to a temporary file that is
// always removed; media stores a checked file by renaming it into place; the
// post, its media and the submission row are one transaction; and when that
// fails, the stored file is dropped again. A refused submission leaves no
// file and no row.
//
// The email is personal data: it is stored only when given, shown only on a
// moderator's details page, never logged, and cleared after the configured
// retention (ClearExpiredEmails, run daily by main).
package submission

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/media"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Category is the category of every submitted post, for filters.
const Category = "submission"

// URIPrefix starts the URI of every submitted post; a random UUID follows.
const URIPrefix = "urn:campaignwall:submission:"

// Options configure the submission pages. Zero values get the defaults noted.
type Options struct {
	CampaignName      string
	Enabled           bool          // false: /submit says submissions are closed
	MaxPhotoBytes     int64         // default 10 MiB
	MaxVideoBytes     int64         // default 50 MiB
	MaxVideo          time.Duration // default and at most 60 seconds
	MaxStatementChars int           // default 500
	RateLimit         int           // submissions per client per RateWindow; default 3
	RateWindow        time.Duration // default 10 minutes
	EmailRetention    time.Duration // default 90 days; stated on the form
	// TempDir holds uploads while the form is read; default os.TempDir().
	TempDir string
	// ClientIP returns the client's address for the rate limit; nil means
	// r.RemoteAddr's host (set it behind a reverse proxy).
	ClientIP func(r *http.Request) string
	Now      func() time.Time
	// NewID returns a fresh random ID for a submission's URI; nil means a
	// random UUID. Tests fix it to make a save fail.
	NewID func() string
	// OnSubmitted hears of each stored submission (main: moderation).
	OnSubmitted func(ctx context.Context, p model.Post)
	Text        *Text // nil means English
}

// Handler serves the submission form.
type Handler struct {
	st    *store.Store
	media *media.Cache
	log   *slog.Logger
	opts  Options
	text  *Text
	limit *limiter
}

// NewHandler returns the submission pages' handler. Files go through cache,
// posts into st; log may be nil to discard.
func NewHandler(st *store.Store, cache *media.Cache, log *slog.Logger, opts Options) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.CampaignName == "" {
		opts.CampaignName = "campaignwall"
	}
	if opts.MaxPhotoBytes <= 0 {
		opts.MaxPhotoBytes = 10 << 20
	}
	if opts.MaxVideoBytes <= 0 {
		opts.MaxVideoBytes = 50 << 20
	}
	if opts.MaxVideo <= 0 || opts.MaxVideo > time.Minute {
		opts.MaxVideo = time.Minute
	}
	if opts.MaxStatementChars <= 0 {
		opts.MaxStatementChars = 500
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 3
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = 10 * time.Minute
	}
	if opts.EmailRetention <= 0 {
		opts.EmailRetention = 90 * 24 * time.Hour
	}
	if opts.ClientIP == nil {
		opts.ClientIP = remoteIP
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = newUUID
	}
	text := opts.Text
	if text == nil {
		text = &English
	}
	return &Handler{st: st, media: cache, log: log, opts: opts, text: text, limit: newLimiter(opts.RateWindow, opts.RateLimit)}
}

// Routes registers the form, its POST (cross-origin posts refused: the CSRF
// protection), the thank-you page, the stylesheet and the script.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET /submit", auth.SecurityHeaders(http.HandlerFunc(h.formPage)))
	mux.Handle("POST /submit", auth.SecurityHeaders(auth.CrossOrigin(http.HandlerFunc(h.submit))))
	mux.Handle("GET /submit/thanks", auth.SecurityHeaders(http.HandlerFunc(h.thanksPage)))
	mux.Handle("GET /static/submission/submission.css", auth.SecurityHeaders(cssAsset))
	mux.Handle("GET /static/submission/submission.js", auth.SecurityHeaders(jsAsset))
}

// ClearExpiredEmails clears the emails of submissions older than the
// retention period; main runs it daily.
func (h *Handler) ClearExpiredEmails(ctx context.Context) (int, error) {
	n, err := h.st.ClearSubmissionEmails(ctx, h.opts.Now().Add(-h.opts.EmailRetention))
	if n > 0 {
		h.log.InfoContext(ctx, "submission emails cleared after retention", slog.Int("submissions", n))
	}
	return n, err
}

func (h *Handler) limits() Limits {
	return Limits{MaxPhotoBytes: h.opts.MaxPhotoBytes, MaxVideoBytes: h.opts.MaxVideoBytes,
		MaxVideo: h.opts.MaxVideo, MaxStatementChars: h.opts.MaxStatementChars}
}

func (h *Handler) view() formView {
	return formView{T: h.text, CampaignName: h.opts.CampaignName, Limits: h.limits(),
		Retention: h.opts.EmailRetention, CSSURL: cssAsset.url(), JSURL: jsAsset.url()}
}

func (h *Handler) formPage(w http.ResponseWriter, r *http.Request) {
	if !h.opts.Enabled {
		h.render(w, r, http.StatusNotFound, closedPage(h.view()))
		return
	}
	h.render(w, r, http.StatusOK, formPage(h.view()))
}

func (h *Handler) thanksPage(w http.ResponseWriter, r *http.Request) {
	if !h.opts.Enabled {
		h.render(w, r, http.StatusNotFound, closedPage(h.view()))
		return
	}
	h.render(w, r, http.StatusOK, thanksPage(h.view()))
}

// render writes a page only once it rendered completely.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		h.log.ErrorContext(r.Context(), "render submission page", slog.String("path", r.URL.Path), slog.Any("error", err))
		http.Error(w, "Something went wrong showing this page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The form may come back with what someone typed: no shared caches.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

//go:embed static/submission.css
var css []byte

//go:embed static/submission.js
var js []byte

// asset is an embedded file named by a hash of its content, so browsers may
// keep it for good and still get a new one after a deploy.
type asset struct {
	name, ctype string
	body        []byte
	version     string
}

func newAsset(name, ctype string, body []byte) asset {
	sum := sha256.Sum256(body)
	return asset{name: name, ctype: ctype, body: body, version: hex.EncodeToString(sum[:6])}
}

var (
	cssAsset = newAsset("submission.css", "text/css; charset=utf-8", css)
	jsAsset  = newAsset("submission.js", "text/javascript; charset=utf-8", js)
)

func (a asset) url() string { return "/static/submission/" + a.name + "?v=" + a.version }

func (a asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", `"`+a.version+`"`)
	if r.URL.Query().Get("v") == a.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
