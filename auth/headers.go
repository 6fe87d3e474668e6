package auth

import (
	"net/http"
	"strings"
)

// DefaultCSP is the Content-Security-Policy of every page: scripts and styles
// only from this site (no inline code), photos from anywhere over HTTPS, and
// no framing. Pages that must be framed (the wall's embed) pass their own
// policy to SecurityHeadersCSP.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// SecurityHeaders sets DefaultCSP and the other security headers on every
// response of next.
func SecurityHeaders(next http.Handler) http.Handler {
	return SecurityHeadersCSP(DefaultCSP, next)
}

// SecurityHeadersCSP is SecurityHeaders with another Content-Security-Policy.
// X-Frame-Options: DENY is only sent when csp forbids framing too, since it
// would otherwise block the framing csp allows in older browsers.
// The headers are set before next runs, so next may still override them.
func SecurityHeadersCSP(csp string, next http.Handler) http.Handler {
	deny := strings.Contains(csp, "frame-ancestors 'none'")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		if deny {
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// CrossOrigin refuses non-safe (POST, PUT, DELETE, …) requests a browser sends
// from another origin, judged by Sec-Fetch-Site or else Origin against Host,
// with 403. This is the CSRF protection: forms need no token, and SameSite=Lax
// alone would still let a sibling subdomain post. GET, HEAD and OPTIONS pass.
func CrossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	// The default deny handler writes the check's error text; answer with a fixed one.
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cross-origin request refused.", http.StatusForbidden)
	}))
	return p.Handler(next)
}
