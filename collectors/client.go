// Package collectors owns what every network collector shares: one guarded
// HTTP client (timeouts, a response size cap, a User-Agent naming campaignwall,
// no requests to private, loopback or link-local addresses unless a source
// allows it, a per-host limit shared by every client), errors that carry a
// network's rate-limit wait, backoff, and the sanitizer that turns a
// network's HTML or plain text into the safe HTML stored with a post.
//
// Each network has its own subpackage (collectors/mastodon, …) that turns its
// wire format into model.Post and is handed the *http.Client built here.
package collectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// UserAgent names campaignwall and where to learn about it, so instance admins
// can identify (and block) it.
const UserAgent = "campaignwall/0.1 (+https://github.com/cohesionalliance/campaignwall)"

// ErrPrivateAddress is returned when a request would reach a private, loopback,
// link-local or otherwise non-public address and the source does not allow it.
var ErrPrivateAddress = errors.New("refusing to connect to a non-public address")

// ErrResponseTooLarge is returned when a response body exceeds the size cap.
var ErrResponseTooLarge = errors.New("response body exceeds the size limit")

// ClientOptions tunes NewClient. The zero value is a safe default.
type ClientOptions struct {
	Timeout             time.Duration // whole request, default 30s
	MaxBodyBytes        int64         // default 8 MiB
	AllowPrivateNetwork bool          // for self-hosted servers and tests
	UserAgent           string        // default UserAgent
	// Limiter bounds and spaces out requests per host. Pass the process's
	// one HostLimiter to every client, so sources sharing a host take
	// turns; nil gives the client a limiter of its own that only bounds
	// its requests in flight per host (no spacing).
	Limiter *HostLimiter
}

// NewClient returns the HTTP client every collector uses. The address check
// runs when a connection is dialled, after DNS resolution, so it also covers
// redirects, names that resolve to private addresses and numeric host forms.
func NewClient(opts ClientOptions) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 8 << 20
	}
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivateNetwork {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !IsPublicAddr(ip) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real destination from the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if opts.Limiter == nil {
		opts.Limiter = NewHostLimiter(HostLimiterOptions{Spacing: -1})
	}
	return &http.Client{
		Timeout: opts.Timeout,
		Transport: &guardedTransport{
			next:      &limitedTransport{next: transport, limiter: opts.Limiter, holdSlot: true},
			userAgent: opts.UserAgent,
			maxBody:   opts.MaxBodyBytes,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
}

// IsPublicAddr reports whether ip is a globally routable unicast address.
// IPv4-mapped IPv6 addresses are judged by their IPv4 form.
func IsPublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 can reach private IPv4
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

type guardedTransport struct {
	next      http.RoundTripper
	userAgent string
	maxBody   int64
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.userAgent)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if t.maxBody <= 0 { // StreamingClient: the stream's reader bounds each event instead
		return resp, nil
	}
	if resp.ContentLength > t.maxBody {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", req.URL.Host, ErrResponseTooLarge, resp.ContentLength, t.maxBody)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.maxBody}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrResponseTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - int(-b.left), ErrResponseTooLarge
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// HTTPError is a non-success response from a network. RetryAfter is how long
// the network asked us to wait (zero when it did not say).
type HTTPError struct {
	URL        string
	StatusCode int
	RetryAfter time.Duration
	Message    string // the network's own error text, when it sent one
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	return msg
}

// Temporary reports whether trying again later may succeed (rate limits, server errors).
func (e *HTTPError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// RetryDelay returns how long the network asked us to wait (zero when it
// did not say). Callers that must not import this package (the scheduler)
// find it through an interface with errors.As.
func (e *HTTPError) RetryDelay() time.Duration { return e.RetryAfter }

// RetryAfter reads how long a response asks the client to wait: the standard
// Retry-After header (seconds or an HTTP date), or X-RateLimit-Reset when no
// requests remain (X sends epoch seconds, Mastodon an ISO 8601 time).
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	if rem := h.Get("X-RateLimit-Remaining"); rem != "" && rem != "0" {
		return 0
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if t := time.Unix(secs, 0); t.After(now) {
				return t.Sub(now)
			}
			return 0
		}
		for _, layout := range []string{time.RFC3339Nano, time.RFC3339} {
			if t, err := time.Parse(layout, v); err == nil && t.After(now) {
				return t.Sub(now)
			}
		}
	}
	return 0
}

// WithDeadline returns ctx bounded by d unless it already ends sooner: every
// network call gets a deadline, whatever the library underneath does.
func WithDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
