// Package x collects posts from X (formerly Twitter) through API v2 recent
// search (GET /2/tweets/search/recent) with an app bearer token, and turns
// them into model.Post.
//
// X bills every post it returns, so each source has a monthly read budget.
// The reads of the current calendar month (UTC) are kept in the cursor, which
// the caller stores in the same transaction as the posts: a crash never loses
// a count, and the budget survives restarts. The collector never asks for a
// post it has already read: it searches with since_id, and a sweep cut short
// (page bound, budget, error) resumes below the oldest post it reached with
// until_id instead of starting again from the top.
//
// Config (TOML keys of a source with kind = "x") maps to Options as:
//
//	url                  → model.Source.URL, the API base (default https://api.x.com)
//	token_env/token_file → model.Source.Token, the app bearer token
//	hashtags             → model.Source.Hashtags
//	monthly_read_budget  → Options.MonthlyReadBudget
//	languages            → Options.Languages
//	page_size            → Options.PageSize
//	max_pages            → Options.MaxPages
package x

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// DefaultBaseURL is X's public API.
const DefaultBaseURL = "https://api.x.com"

// ErrBudgetExhausted is returned when the source has read its monthly read
// budget. The error's text says the budget and when it resets.
var ErrBudgetExhausted = errors.New("x: monthly read budget exhausted")

// ErrNoToken is returned when the source has no bearer token.
var ErrNoToken = errors.New("x: no bearer token configured")

// ErrBadQuery is returned when the source's hashtags or languages cannot be
// turned into a search query.
var ErrBadQuery = errors.New("x: cannot build a search query")

const (
	minPageSize = 10  // X refuses max_results below 10
	maxPageSize = 100 // and above 100
	// X's recent search covers the last seven days and refuses since_id and
	// until_id older than that; a few minutes of margin absorb clock skew.
	searchWindow   = 7 * 24 * time.Hour
	windowMargin   = 5 * time.Minute
	maxQueryLength = 512 // recent search query limit of the self-serve tiers
)

// Options tunes a Collector. The zero value is usable: no budget, no
// language filter, pages of 100, five pages per run.
type Options struct {
	// MonthlyReadBudget is how many posts the source may read per calendar
	// month (UTC); zero means no limit. Because X returns at least 10 posts
	// per page, collecting stops when fewer than 10 reads are left.
	MonthlyReadBudget int
	// Languages keeps only posts in these languages (lang: operators, BCP 47
	// codes X knows, e.g. "en", "fr").
	Languages []string
	// PageSize is max_results, 10–100 (default 100).
	PageSize int
	// MaxPages bounds the requests of one run (default 5); the rest of a
	// sweep is read on the next run.
	MaxPages int
	// RequestTimeout bounds each request (default 20s).
	RequestTimeout time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Logger receives debug lines (default: discard).
	Logger *slog.Logger
}

// Collector reads one X source. It is safe for concurrent use.
type Collector struct {
	client *http.Client
	opts   Options
}

// New returns a Collector using client, which should come from
// collectors.NewClient.
func New(client *http.Client, opts Options) *Collector {
	if opts.PageSize == 0 {
		opts.PageSize = maxPageSize
	}
	opts.PageSize = min(max(opts.PageSize, minPageSize), maxPageSize)
	if opts.MaxPages <= 0 {
		opts.MaxPages = 5
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 20 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{client: client, opts: opts}
}

// Cursor is the state an X source keeps between runs, stored as JSON.
type Cursor struct {
	SinceID string `json:"since_id,omitempty"` // newest post of the last finished sweep
	// UntilID and SweepNewestID describe a sweep that was cut short: the next
	// run reads the posts between SinceID and UntilID, then moves SinceID to
	// SweepNewestID.
	UntilID       string `json:"until_id,omitempty"`
	SweepNewestID string `json:"sweep_newest_id,omitempty"`
	Month         string `json:"month"` // "2026-11", the month Reads counts
	Reads         int    `json:"reads"`
}

// ParseCursor reads a stored cursor; the empty string is a fresh start.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("x: unreadable cursor %q: %w", s, err)
	}
	return c, nil
}

func (c Cursor) String() string {
	b, _ := json.Marshal(c) // a struct of strings and ints always marshals
	return string(b)
}

// PartialError reports problems X sent alongside data in a successful
// response (a deleted author, a withheld post). The posts and cursor
// returned with it are good and should be stored; the error is worth
// recording on the source's status.
type PartialError struct {
	Problems []Problem
}

// Problem is one entry of the errors array of an API v2 response.
type Problem struct {
	Title        string `json:"title"`
	Detail       string `json:"detail"`
	Type         string `json:"type"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Parameter    string `json:"parameter"`
	Value        string `json:"value"`
}

func (e *PartialError) Error() string {
	if len(e.Problems) == 0 {
		return "x: partial errors in response"
	}
	p := e.Problems[0]
	msg := fmt.Sprintf("x: %d partial error(s) in response: %s", len(e.Problems), strings.TrimSpace(p.Title+": "+p.Detail))
	return msg
}

// Collect searches the source's hashtags for posts newer than the cursor.
//
// It returns the posts read, the cursor to store with them ("" when
// unchanged) and an error. When the error is non-nil but the cursor is not
// empty, the posts and cursor are still valid and should be saved: that is the
// case for ErrBudgetExhausted, *PartialError and failures after the first page.
func (c *Collector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	if src.Token == "" {
		return nil, "", fmt.Errorf("%w for source %q", ErrNoToken, src.Name)
	}
	query, err := buildQuery(src.Hashtags, c.opts.Languages)
	if err != nil {
		return nil, "", err
	}
	cur, err := ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	base := strings.TrimRight(src.URL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	endpoint := base + "/2/tweets/search/recent"

	now := c.opts.Now().UTC()
	if month := now.Format("2006-01"); cur.Month != month {
		cur.Month, cur.Reads = month, 0
	}
	oldestAllowed := now.Add(-searchWindow + windowMargin)
	if cur.UntilID != "" && idTime(cur.UntilID).Before(oldestAllowed) {
		// The rest of the unfinished sweep has left the searchable window.
		cur.SinceID, cur.UntilID, cur.SweepNewestID = maxID(cur.SinceID, cur.SweepNewestID), "", ""
	}
	sinceID := cur.SinceID
	if sinceID != "" && idTime(sinceID).Before(oldestAllowed) {
		// X refuses a since_id older than its window; everything it can still
		// return is newer anyway.
		sinceID = ""
	}

	var (
		posts     []model.Post
		problems  []Problem
		nextToken string
		seen      = map[string]bool{}
		budgetHit bool
		readsAt   = cur.Reads
		// Every page of one run repeats the first page's parameters: a
		// next_token is only valid for the query it came from.
		untilID = cur.UntilID
	)
	for page := 0; page < c.opts.MaxPages; page++ {
		size := c.opts.PageSize
		if budget := c.opts.MonthlyReadBudget; budget > 0 {
			left := budget - cur.Reads
			if left < minPageSize {
				budgetHit = true
				break
			}
			size = min(size, left)
		}
		params := url.Values{
			"query":        {query},
			"max_results":  {strconv.Itoa(size)},
			"tweet.fields": {tweetFields},
			"expansions":   {"author_id,attachments.media_keys"},
			"user.fields":  {"name,username,profile_image_url,description"},
			"media.fields": {"url,preview_image_url,alt_text,type,width,height,variants"},
		}
		if sinceID != "" {
			params.Set("since_id", sinceID)
		}
		if untilID != "" {
			params.Set("until_id", untilID)
		}
		if nextToken != "" {
			params.Set("next_token", nextToken)
		}
		resp, err := c.search(ctx, src.Token, endpoint+"?"+params.Encode())
		if err != nil {
			return c.finish(posts, cursor, cur, cur.Reads > readsAt, fmt.Errorf("x: search %s: %w", src.Name, err))
		}
		if resp.Meta == nil {
			// Errors without meta: the search did not run, whatever the status said.
			err := error(&PartialError{Problems: resp.Errors})
			if len(resp.Errors) == 0 {
				err = errors.New("response has no meta object")
			}
			return c.finish(posts, cursor, cur, cur.Reads > readsAt, fmt.Errorf("x: search %s: %w", src.Name, err))
		}
		newest, oldest := resp.bounds()
		cur.Reads += len(resp.Data)
		problems = append(problems, resp.Errors...)
		if cur.UntilID == "" && cur.SweepNewestID == "" {
			cur.SweepNewestID = newest
		}
		for _, p := range mapPosts(resp, now) {
			if !seen[p.URI] {
				seen[p.URI] = true
				posts = append(posts, p)
			}
		}
		nextToken = resp.Meta.NextToken
		if nextToken == "" || len(resp.Data) == 0 {
			// The sweep reached since_id: next time, start above its newest post.
			cur.SinceID = maxID(cur.SinceID, cur.SweepNewestID)
			cur.UntilID, cur.SweepNewestID = "", ""
			break
		}
		cur.UntilID = oldest
	}
	c.opts.Logger.DebugContext(ctx, "x search done", slog.String("source", src.Name),
		slog.Int("posts", len(posts)), slog.Int("reads", cur.Reads), slog.String("month", cur.Month))

	var errs []error
	if budgetHit {
		errs = append(errs, c.budgetError(cur, now))
	}
	if len(problems) > 0 {
		errs = append(errs, &PartialError{Problems: problems})
	}
	return c.finish(posts, cursor, cur, cur.Reads > readsAt, errors.Join(errs...))
}

// finish returns posts with the cursor that matches them, or "" when the
// cursor did not move. A run that failed before reading anything leaves the
// cursor as it was.
func (c *Collector) finish(posts []model.Post, old string, cur Cursor, progressed bool, err error) ([]model.Post, string, error) {
	if err != nil && !progressed {
		return nil, "", err
	}
	next := cur.String()
	if next == old {
		next = ""
	}
	return posts, next, err
}

func (c *Collector) budgetError(cur Cursor, now time.Time) error {
	return fmt.Errorf("%w: %d of %d posts read in %s; reading resumes on %s (UTC)",
		ErrBudgetExhausted, cur.Reads, c.opts.MonthlyReadBudget, cur.Month, nextMonth(now).Format("2006-01-02"))
}

func nextMonth(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
}

// BudgetStatus reports, for the status page, how many posts the source with
// this cursor has read in the current month, its monthly budget (0: none) and
// when the count starts again.
func (c *Collector) BudgetStatus(cursor string) (read, budget int, resets time.Time, err error) {
	cur, err := ParseCursor(cursor)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	now := c.opts.Now().UTC()
	if cur.Month == now.Format("2006-01") {
		read = cur.Reads
	}
	return read, c.opts.MonthlyReadBudget, nextMonth(now), nil
}

const tweetFields = "created_at,lang,author_id,attachments,entities,possibly_sensitive," +
	"conversation_id,in_reply_to_user_id,referenced_tweets,note_tweet"

func (c *Collector) search(ctx context.Context, token, u string) (*searchResponse, error) {
	ctx, cancel := collectors.WithDeadline(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &collectors.HTTPError{
			URL:        stripQuery(u),
			StatusCode: resp.StatusCode,
			RetryAfter: collectors.RetryAfter(rateLimitHeaders(resp.Header), c.opts.Now()),
			Message:    problemMessage(body),
		}
	}
	var out searchResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("malformed response from %s: %w", stripQuery(u), err)
	}
	return &out, nil
}

// rateLimitHeaders presents X's x-rate-limit-* headers under the
// X-RateLimit-* names collectors.RetryAfter reads.
func rateLimitHeaders(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range []string{"Remaining", "Reset", "Limit"} {
		if v := h.Get("X-Rate-Limit-" + name); v != "" && h.Get("X-RateLimit-"+name) == "" {
			out.Set("X-RateLimit-"+name, v)
		}
	}
	return out
}

// problemMessage pulls the readable part out of an API v2 error body.
func problemMessage(body []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	msg := strings.TrimSpace(strings.Trim(p.Title+": "+p.Detail, ": "))
	if msg == "" && len(p.Errors) > 0 {
		msg = p.Errors[0].Message
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// buildQuery turns hashtags and languages into a recent search query. Replies
// and reposts are excluded in the query, so they are never billed.
func buildQuery(hashtags, languages []string) (string, error) {
	var tags []string
	for _, h := range hashtags {
		h = strings.TrimPrefix(strings.TrimSpace(h), "#")
		if h == "" {
			continue
		}
		if !isWord(h) {
			return "", fmt.Errorf("%w: hashtag %q may hold only letters, digits and _", ErrBadQuery, h)
		}
		tags = append(tags, "#"+h)
	}
	if len(tags) == 0 {
		return "", fmt.Errorf("%w: no hashtags configured", ErrBadQuery)
	}
	q := group(tags) + " -is:retweet -is:reply"
	var langs []string
	for _, l := range languages {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if !isWord(strings.ReplaceAll(l, "-", "_")) {
			return "", fmt.Errorf("%w: language %q is not a language code", ErrBadQuery, l)
		}
		langs = append(langs, "lang:"+l)
	}
	if len(langs) > 0 {
		q += " " + group(langs)
	}
	if len(q) > maxQueryLength {
		return "", fmt.Errorf("%w: query is %d characters, X allows %d: use fewer hashtags", ErrBadQuery, len(q), maxQueryLength)
	}
	return q, nil
}

func group(terms []string) string {
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

func isWord(s string) bool {
	for _, r := range s {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// Post IDs are snowflakes: the upper bits count milliseconds since X's epoch.
const snowflakeEpochMS = 1288834974657

func idTime(id string) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(n>>22) + snowflakeEpochMS)
}

// maxID returns the larger of two decimal IDs ("" is smallest).
func maxID(a, b string) string {
	if len(a) != len(b) {
		if len(a) > len(b) {
			return a
		}
		return b
	}
	if a > b {
		return a
	}
	return b
}
