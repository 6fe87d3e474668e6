package bot

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// What went wrong with a send, as the outbox needs to know it. Every error a
// Publisher returns wraps one of these (test with errors.Is); an error that
// wraps none is treated like ErrUnavailable.
var (
	// Permanent: the row is marked failed with the reason.
	ErrRevokedToken = errors.New("access token revoked or invalid")          // 401
	ErrMissingScope = errors.New("access token lacks a needed permission")   // 403
	ErrRefused      = errors.New("refused by the network")                   // 400, 422, duplicates
	ErrNotFound     = errors.New("not found on the network")                 // 404, 410
	ErrIneligible   = errors.New("post is not eligible for the bot")         // reply, not public, …
	ErrUnsupported  = errors.New("action not supported on this network yet") // e.g. Bluesky DMs
	ErrBadAction    = errors.New("action cannot be sent as planned")         // missing file, bad target
	// The account itself cannot act (suspended, out of API credits): like a
	// revoked token, this halts the network.
	ErrAccount = errors.New("account cannot act (suspended or out of credits)")

	// Certainly not done upstream: the row goes back to planned and waits.
	ErrRateLimited = errors.New("rate limited")      // 429, honouring Retry-After
	ErrTemporary   = errors.New("temporary failure") // e.g. a remote post not yet resolvable

	// Maybe done upstream (5xx, timeout, connection lost mid-request): the row
	// stays in sending, and the next attempt asks the network before resending.
	ErrUnavailable = errors.New("network unavailable or outcome unknown")
)

// ErrNoAccount is returned when the bot has no account on a post's network.
var ErrNoAccount = errors.New("no bot account configured for this network")

// SendError is a failed call to a network, with what the network said.
type SendError struct {
	Network    model.Network
	Op         string // repost, post, reply, dm, lookup, session, upload
	StatusCode int    // HTTP status, 0 when no response came
	Code       string // the network's error name (XRPC error, X problem type), if any
	Detail     string // the network's own message, for admins
	RetryAfter time.Duration
	RetryAt    time.Time // absolute reset time some networks send instead
	Kind       error     // one of the sentinel errors above
	Err        error     // the underlying error, if any
}

func (e *SendError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %v", e.Network, e.Op, e.Kind)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *SendError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// kindForStatus maps an HTTP status to the sentinel that says what to do next.
func kindForStatus(code int) error {
	switch {
	case code == http.StatusUnauthorized:
		return ErrRevokedToken
	case code == http.StatusForbidden:
		return ErrMissingScope
	case code == http.StatusPaymentRequired:
		return ErrAccount
	case code == http.StatusNotFound || code == http.StatusGone:
		return ErrNotFound
	case code == http.StatusTooManyRequests:
		return ErrRateLimited
	case code == http.StatusRequestTimeout || code >= 500:
		return ErrUnavailable
	default:
		return ErrRefused
	}
}

// transportError classifies an error that came with no HTTP response.
func transportError(network model.Network, op string, err error) error {
	var se *SendError
	if errors.As(err, &se) {
		return err
	}
	kind := ErrUnavailable
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		kind = ErrTemporary // the request never left
	case errors.As(err, &opErr) && opErr.Op == "dial":
		kind = ErrTemporary
	}
	return &SendError{Network: network, Op: op, Kind: kind, Err: err}
}

// permanent reports whether err means the row can never be sent.
func permanent(err error) bool {
	for _, k := range []error{ErrRevokedToken, ErrMissingScope, ErrAccount, ErrRefused, ErrNotFound, ErrIneligible,
		ErrUnsupported, ErrBadAction} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// halting reports whether err stops every send on the network.
func halting(err error) bool {
	return errors.Is(err, ErrRevokedToken) || errors.Is(err, ErrMissingScope) || errors.Is(err, ErrAccount)
}

// notDone reports whether err means the network certainly did nothing.
func notDone(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrTemporary) || permanent(err)
}

// retryDelay returns how long the network asked us to wait, if it did.
func retryDelay(err error, now time.Time) time.Duration {
	var se *SendError
	if !errors.As(err, &se) {
		return 0
	}
	d := se.RetryAfter
	if !se.RetryAt.IsZero() {
		d = max(d, se.RetryAt.Sub(now))
	}
	return max(d, 0)
}

// rateLimitHeaders reads when a rate limit resets: Retry-After (seconds or an
// HTTP date, RFC 9110), X's x-rate-limit-reset (Unix seconds), Mastodon's
// X-RateLimit-Reset (ISO 8601) and Bluesky's ratelimit-reset (Unix seconds).
func rateLimitHeaders(h http.Header) (after time.Duration, at time.Time) {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			after = time.Duration(secs) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			at = t
		}
	}
	for _, name := range []string{"X-Rate-Limit-Reset", "X-RateLimit-Reset", "RateLimit-Reset"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" || !at.IsZero() {
			continue
		}
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			if secs > 1_000_000_000 {
				at = time.Unix(secs, 0)
			} else {
				after = max(after, time.Duration(secs)*time.Second) // delta-seconds (IETF draft)
			}
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			at = t
		}
	}
	return after, at
}
