package wall

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/a-h/templ"
)

// pageCache keeps rendered wall pages, so a room full of screens (and their
// reloads after a restart, and crawlers) costs one render per change instead
// of one per request.
//
// A page is rendered once per hub event: an entry remembers the hub's event
// ID from before its render and is served only while that is still the
// newest, so an approval or retraction makes the next request render again.
// Changes that never reach the hub (a decision made in another process
// without logging its event) show up about maxAge later.
type pageCache struct {
	hub    *Hub
	maxAge time.Duration
	now    func() time.Time

	renderMu sync.Mutex // one render at a time: the others wait and take its result

	mu      sync.Mutex
	entries map[string]*cachedPage
}

type cachedPage struct {
	eventID  uint64
	rendered time.Time
	body     []byte
	etag     string
}

// pageCacheSize bounds how many variants (path and query) are kept; query
// strings come from anyone, so they must not grow memory without end.
const pageCacheSize = 64

// pageMaxAge is the longest a page stays cached without a hub event.
const pageMaxAge = 5 * time.Second

func newPageCache(hub *Hub) *pageCache {
	return &pageCache{hub: hub, maxAge: pageMaxAge, now: time.Now, entries: make(map[string]*cachedPage)}
}

// pageKey names a page variant: everything a page depends on besides the
// store. A page that varies with a request header must add it.
func pageKey(r *http.Request) string { return r.URL.Path + "?" + r.URL.RawQuery }

// fresh returns the entry for key if nothing has changed since its render.
func (c *pageCache) fresh(key string) *cachedPage {
	c.mu.Lock()
	p := c.entries[key]
	c.mu.Unlock()
	if p == nil || p.eventID != c.hub.LastEventID() || c.now().Sub(p.rendered) >= c.maxAge {
		return nil
	}
	return p
}

func (c *pageCache) put(key string, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= pageCacheSize {
		clear(c.entries) // rare: starting over is simpler than tracking use
	}
	c.entries[key] = p
}

// page returns the page for key, rendering it with build if the cached one is
// out of date. build gets the hub's event ID read before it runs: the page
// starts its stream there, so a change its queries did not see is replayed.
//
// A page out of date because of an event waits for the new render: after a
// retraction no request may get the old page. A page that is only old is
// rendered again by one request while the others keep getting it, so a
// room full of screens does not queue behind every render.
func (c *pageCache) page(ctx context.Context, key string, build func(ctx context.Context, eventID uint64) (templ.Component, error)) (*cachedPage, error) {
	c.mu.Lock()
	old := c.entries[key]
	c.mu.Unlock()
	switch {
	case old == nil || old.eventID != c.hub.LastEventID():
		c.renderMu.Lock()
	case c.now().Sub(old.rendered) < c.maxAge:
		return old, nil
	case !c.renderMu.TryLock():
		return old, nil // being rendered: this one is only old, not wrong
	}
	defer c.renderMu.Unlock()
	if p := c.fresh(key); p != nil {
		return p, nil // rendered while this request waited
	}
	at := c.hub.LastEventID()
	started := c.now()
	comp, err := build(ctx, at)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := comp.Render(ctx, &buf); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	p := &cachedPage{eventID: at, rendered: started, body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	c.put(key, p)
	return p, nil
}

// servePage answers with the cached page for the request, rendering it when
// needed, with cat as the language of every string in it. A failure is a clean 500 that retries by itself (a screen without
// JavaScript would otherwise stay on the error for the rest of the day).
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, cat *catalog, build func(ctx context.Context, eventID uint64) (templ.Component, error)) {
	p, err := h.pages.page(r.Context(), pageKey(r), func(ctx context.Context, eventID uint64) (templ.Component, error) {
		c, err := build(ctx, eventID)
		if err != nil {
			return nil, err
		}
		return localized(cat, c), nil
	})
	if err != nil {
		h.log.Error("wall: page", slog.String("path", r.URL.Path), slog.Any("error", err))
		w.Header().Set("Refresh", "30")
		http.Error(w, cat.T("error.unavailable"), http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", p.etag)
	if r.Header.Get("If-None-Match") == p.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(p.body)))
	_, _ = w.Write(p.body)
}
