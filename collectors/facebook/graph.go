package facebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
)

// DefaultBaseURL is the Graph API version campaignwall speaks; Instagram's
// API for business accounts is the same Graph API.
const DefaultBaseURL = "https://graph.facebook.com/v21.0"

var (
	// ErrTokenExpired is matched (errors.Is) by Graph error 190: the access
	// token expired, was revoked or lost a permission.
	ErrTokenExpired = errors.New("graph API access token expired or invalid")
	// ErrRateLimited is matched by the Graph API's rate-limit errors
	// (codes 4, 17, 32, 613 and the business use case codes 80001, 80002).
	ErrRateLimited = errors.New("graph API rate limit reached")
)

var rateLimitCodes = []int{4, 17, 32, 613, 80001, 80002}

// When a rate-limited response names no wait, the one-hour rolling window
// the platform limits are counted in is the honest guess.
const defaultRateLimitWait = time.Hour

// GraphError is a failed Graph API request: the error object the API sent
// ({"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}) and
// the HTTP failure, which errors.As finds as *collectors.HTTPError.
type GraphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	FBTraceID string `json:"fbtrace_id"`

	HTTP *collectors.HTTPError `json:"-"`
}

func (e *GraphError) Error() string {
	msg := e.HTTP.Error()
	switch {
	case e.Code == 190:
		msg += ": the access token has expired or was revoked; create a new long-lived token and update the secret"
	case e.RateLimited():
		msg += ": rate limit reached"
	}
	if e.FBTraceID != "" {
		msg += " (fbtrace_id " + e.FBTraceID + ")"
	}
	return msg
}

func (e *GraphError) Unwrap() error { return e.HTTP }

// Is matches ErrTokenExpired and ErrRateLimited.
func (e *GraphError) Is(target error) bool {
	switch target {
	case ErrTokenExpired:
		return e.Code == 190
	case ErrRateLimited:
		return e.RateLimited()
	}
	return false
}

// RateLimited reports whether the error is one of the Graph API's rate limits.
func (e *GraphError) RateLimited() bool { return slices.Contains(rateLimitCodes, e.Code) }

// UsageCeiling is the share of a Graph API rate limit, in percent, at which
// campaignwall stops calling: Meta throttles at 100% and then refuses every
// call of the app (or page, or business use case) for up to an hour, so the
// rest of a run, and the next runs, wait instead.
const UsageCeiling = 95

// usagePause is how long a source waits once a usage header reached
// UsageCeiling without saying when access comes back (X-App-Usage and
// X-Page-Usage count over a rolling hour; a quarter of it lets usage fall).
const usagePause = 15 * time.Minute

// UsageError says a Graph API response reported usage at or above
// UsageCeiling. It matches ErrRateLimited and carries the wait
// (RetryDelay), so the scheduler pauses the source like a rate limit.
type UsageError struct {
	Header  string  // X-App-Usage, X-Page-Usage or X-Business-Use-Case-Usage
	Percent float64 // the highest of call_count, total_time, total_cputime
	Wait    time.Duration
}

func (e *UsageError) Error() string {
	return fmt.Sprintf("graph API usage at %.0f%% of its limit (%s): no more calls for %s",
		e.Percent, e.Header, e.Wait.Round(time.Minute))
}

// RetryDelay is how long to wait before calling again.
func (e *UsageError) RetryDelay() time.Duration { return e.Wait }

// Is matches ErrRateLimited.
func (e *UsageError) Is(target error) bool { return target == ErrRateLimited }

// Graph is the small Graph API client the Facebook and Instagram collectors
// share. The token travels in the Authorization header, never in a URL that
// could end up in a log or an error. One Graph serves one run: once a
// response reports usage near the limit, its later calls return that
// *UsageError without being sent (see Saturated).
type Graph struct {
	Client  *http.Client
	Base    string // e.g. DefaultBaseURL
	Token   string
	Timeout time.Duration
	Now     func() time.Time

	saturated *UsageError
}

// Saturated returns the *UsageError of a response that reported usage at or
// above UsageCeiling, or nil. A run that finished its pages anyway returns
// it with its posts, so the source's next runs wait too.
func (g *Graph) Saturated() error {
	if g.saturated == nil {
		return nil
	}
	return g.saturated
}

// Get fetches path (relative to Base, e.g. "/ig_hashtag_search") with params
// and decodes the JSON answer into out.
func (g *Graph) Get(ctx context.Context, path string, params url.Values, out any) error {
	u := strings.TrimRight(g.Base, "/") + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	return g.get(ctx, u, out)
}

// GetNext fetches a paging.next address the API returned, after checking
// that it points at the same API (a response may not send us elsewhere) and
// dropping any access_token it carries.
func (g *Graph) GetNext(ctx context.Context, next string, out any) error {
	n, err := url.Parse(next)
	if err != nil {
		return fmt.Errorf("unusable paging.next %q: %w", next, err)
	}
	b, err := url.Parse(g.Base)
	if err != nil {
		return fmt.Errorf("unusable base URL %q: %w", g.Base, err)
	}
	if n.Scheme != b.Scheme || n.Host != b.Host {
		return fmt.Errorf("paging.next points at %s://%s, not %s://%s", n.Scheme, n.Host, b.Scheme, b.Host)
	}
	q := n.Query()
	q.Del("access_token")
	n.RawQuery = q.Encode()
	return g.get(ctx, n.String(), out)
}

func (g *Graph) get(ctx context.Context, u string, out any) error {
	if g.saturated != nil {
		return g.saturated
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	ctx, cancel := collectors.WithDeadline(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := g.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read response of %s: %w", stripQuery(u), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &collectors.HTTPError{URL: stripQuery(u), StatusCode: resp.StatusCode, RetryAfter: collectors.RetryAfter(resp.Header, now())}
		var wrapper struct {
			Error *GraphError `json:"error"`
		}
		if json.Unmarshal(body, &wrapper) != nil || wrapper.Error == nil {
			return he
		}
		ge := wrapper.Error
		ge.HTTP = he
		he.Message = fmt.Sprintf("%s (#%d", ge.Message, ge.Code)
		if ge.Subcode != 0 {
			he.Message += fmt.Sprintf(", subcode %d", ge.Subcode)
		}
		he.Message += ")"
		if ge.RateLimited() && he.RetryAfter == 0 {
			he.RetryAfter = usageWait(resp.Header)
			if he.RetryAfter == 0 {
				he.RetryAfter = defaultRateLimitWait
			}
		}
		return ge
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("malformed response from %s: %w", stripQuery(u), err)
	}
	g.saturated = usageNearLimit(resp.Header)
	return nil
}

// usageNearLimit reads the usage headers a Graph API answer may carry and
// returns a *UsageError when one of them is at or above UsageCeiling:
//
//	X-App-Usage:  {"call_count": 28, "total_time": 25, "total_cputime": 25}
//	X-Page-Usage: the same shape, for calls made with a page token
//	X-Business-Use-Case-Usage: {"<id>": [{"type": "pages", "call_count": 96, …, "estimated_time_to_regain_access": 0}]}
//
// Values are percentages of the limit. A header that does not parse is
// ignored: it only ever makes campaignwall more careful, never less.
func usageNearLimit(h http.Header) *UsageError {
	type usage struct {
		CallCount    float64 `json:"call_count"`
		TotalTime    float64 `json:"total_time"`
		TotalCPUTime float64 `json:"total_cputime"`
	}
	var worst *UsageError
	consider := func(header string, u usage, wait time.Duration) {
		p := max(u.CallCount, u.TotalTime, u.TotalCPUTime)
		if p < UsageCeiling || (worst != nil && worst.Percent >= p) {
			return
		}
		if wait <= 0 {
			wait = usagePause
		}
		worst = &UsageError{Header: header, Percent: p, Wait: wait}
	}
	for _, header := range []string{"X-App-Usage", "X-Page-Usage"} {
		var u usage
		if raw := h.Get(header); raw != "" && json.Unmarshal([]byte(raw), &u) == nil {
			consider(header, u, 0)
		}
	}
	if raw := h.Get("X-Business-Use-Case-Usage"); raw != "" {
		var buc map[string][]struct {
			usage
			Minutes float64 `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(raw), &buc) == nil {
			for _, entries := range buc {
				for _, e := range entries {
					consider("X-Business-Use-Case-Usage", e.usage, time.Duration(e.Minutes*float64(time.Minute)))
				}
			}
		}
	}
	return worst
}

// usageWait reads the longest estimated_time_to_regain_access (minutes) of
// an X-Business-Use-Case-Usage header:
// {"<business-id>": [{"type": "instagram", "call_count": 100, …, "estimated_time_to_regain_access": 19}]}.
func usageWait(h http.Header) time.Duration {
	raw := h.Get("X-Business-Use-Case-Usage")
	if raw == "" {
		return 0
	}
	var usage map[string][]struct {
		Minutes float64 `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(raw), &usage) != nil {
		return 0
	}
	var longest float64
	for _, entries := range usage {
		for _, e := range entries {
			longest = max(longest, e.Minutes)
		}
	}
	return time.Duration(longest * float64(time.Minute))
}

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// ParseTime reads the Graph API's timestamps ("2026-11-20T11:50:00+0000").
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02T15:04:05-0700", s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	return t.UTC(), err
}
