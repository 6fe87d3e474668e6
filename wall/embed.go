package wall

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/cohesionalliance/campaignwall/model"
)

// embedCSP is the policy of /embed/{slug}: DefaultCSP's, but framable by the
// wall's frame_ancestors.
const embedCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors "

// embed serves /embed/{slug}, the wall in an iframe on another site, and
// /embed/{slug}.js, the one-line snippet that adds that iframe to a page.
func (h *Handler) embed(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	slug, script := strings.CutSuffix(file, ".js")
	v, ws, ok := h.walls.get(slug)
	if !ok {
		h.notFound(w, r)
		return
	}
	if script {
		h.embedScript(w, v)
		return
	}
	ancestors := "'self'"
	if len(v.FrameAncestors) > 0 {
		// Validated by config: origins, 'self' or 'none', nothing that
		// could end the directive.
		ancestors = strings.Join(v.FrameAncestors, " ")
	}
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", embedCSP+ancestors)
	hdr.Del("X-Frame-Options")
	mode, _ := screenMode(r, v)
	h.serveWall(w, r, v, ws, mode, true)
}

// embedScript writes the snippet: it puts an iframe of the wall right after
// its own script tag, pointing at the server the script came from.
func (h *Handler) embedScript(w http.ResponseWriter, v wallView) {
	slug, _ := json.Marshal(v.Slug)
	title, _ := json.Marshal(v.Title)
	js := `(function () {
  'use strict';
  var s = document.currentScript;
  if (!s) { return; }
  var f = document.createElement('iframe');
  f.src = new URL('/embed/' + encodeURIComponent(` + string(slug) + `), s.src).href;
  f.title = ` + string(title) + `;
  f.loading = 'lazy';
  f.referrerPolicy = 'no-referrer';
  f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox');
  f.style.cssText = 'width:100%;height:' + (s.getAttribute('data-height') || '600px') + ';border:0;';
  s.parentNode.insertBefore(f, s.nextSibling);
}());
`
	hdr := w.Header()
	hdr.Set("Content-Type", "text/javascript; charset=utf-8")
	hdr.Set("Cache-Control", "public, max-age=3600")
	hdr.Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, _ = w.Write([]byte(js))
}

// textPage serves /w/{slug}/text (and ?mode=text): the wall for screen
// readers, in the same language as the wall's screens.
func (h *Handler) textPage(w http.ResponseWriter, r *http.Request, v wallView, ws *wallState) {
	cat := catalogFor(h.pageLanguage(r, v.Language))
	h.servePage(w, r, cat, func(ctx context.Context, at uint64) (templ.Component, error) {
		posts, err := h.postsOf(ctx, v.Filter, false, 0, h.opts.PageSize)
		if err != nil {
			return nil, err
		}
		pv := h.wallPageView(ctx, cat, v, ws, model.ModeList, false, posts, at)
		pv.Wall.TextURL += langQuery(r, cat)
		return textPage(pv), nil
	})
}
