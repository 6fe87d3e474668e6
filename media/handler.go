package media

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// Handler serves cached images.
type Handler struct {
	c *Cache
}

// Handler returns the HTTP handler of the cache's files.
func (c *Cache) Handler() *Handler { return &Handler{c: c} }

// Routes registers GET /media/{key}/{size}.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET /media/{key}/{size}", h)
}

var validKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ServeHTTP serves one size of one cached image. A key names its content, so
// a response never changes: browsers and proxies may keep it for a year.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, size := r.PathValue("key"), r.PathValue("size")
	width, err := strconv.Atoi(size)
	if !validKey.MatchString(key) || err != nil || !slices.Contains(h.c.opts.Sizes, width) || strconv.Itoa(width) != size {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(h.c.keyDir(key), size+".jpg"))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.c.log.Error("media cache: open", slog.String("key", key), slog.String("error", err.Error()))
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		h.c.log.Error("media cache: stat", slog.String("key", key), slog.String("error", err.Error()))
		http.Error(w, "media unavailable", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "image/jpeg")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hdr.Set("ETag", `"`+key[:32]+"-"+size+`"`)
	http.ServeContent(w, r, "", info.ModTime(), f)
}
