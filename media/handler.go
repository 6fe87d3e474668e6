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

// Handler serves cached images and videos.
type Handler struct {
	c *Cache
}

// Handler returns the HTTP handler of the cache's files.
func (c *Cache) Handler() *Handler { return &Handler{c: c} }

// Routes registers GET /media/{key}/{size} and GET /media/video/{file}.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET /media/{key}/{size}", h)
	mux.HandleFunc("GET /media/video/{file}", h.serveVideo)
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

var validVideo = regexp.MustCompile(`^([0-9a-f]{64})\.(mp4|webm)$`)

// serveVideo serves a stored video with its container's type. Range
// requests (which browsers make to play and seek) are answered by
// http.ServeContent. Like images, a key names its content: cached for a year.
// The type is fixed and sniffing is off, so whatever a file's boxes carry is
// only ever a video to a browser.
func (h *Handler) serveVideo(w http.ResponseWriter, r *http.Request) {
	m := validVideo.FindStringSubmatch(r.PathValue("file"))
	if m == nil {
		http.NotFound(w, r)
		return
	}
	key, container := m[1], Container(m[2])
	p, err := h.c.videoFile(key, container)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.c.log.Error("media cache: video", slog.String("key", key), slog.String("error", err.Error()))
		}
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.c.log.Error("media cache: open video", slog.String("key", key), slog.String("error", err.Error()))
		}
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		h.c.log.Error("media cache: stat video", slog.String("key", key), slog.String("error", err.Error()))
		http.Error(w, "media unavailable", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", container.ContentType())
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hdr.Set("Content-Disposition", "inline")
	hdr.Set("ETag", `"`+key[:32]+"-"+string(container)+`"`)
	http.ServeContent(w, r, "", info.ModTime(), f)
}
