package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/bluesky"
	"github.com/cohesionalliance/campaignwall/collectors/facebook"
	"github.com/cohesionalliance/campaignwall/collectors/feed"
	"github.com/cohesionalliance/campaignwall/collectors/instagram"
	"github.com/cohesionalliance/campaignwall/collectors/mastodon"
	"github.com/cohesionalliance/campaignwall/collectors/webpage"
	"github.com/cohesionalliance/campaignwall/collectors/x"
	"github.com/cohesionalliance/campaignwall/model"
)

// explainer puts a source's collection errors in plain words for the
// sources page. Only main knows every collector's errors, so the mapping
// lives here; the words never repeat an error's own text (it may hold
// addresses with keys and whatever a server sent), only what config says.
type explainer struct {
	src model.Source
	now func() time.Time
	// xBudget is the X collector's budget (limit and next reset), for
	// ErrBudgetExhausted; nil for other kinds.
	xBudget func() (limit int, resets time.Time)
}

// retryDelayer matches *collectors.HTTPError's rate-limit wait.
type retryDelayer interface{ RetryDelay() time.Duration }

// explain returns what went wrong and what to do, in words for an admin.
// waitUntil is when the source is called again (zero: on schedule).
func (e explainer) explain(err error, waitUntil time.Time) string {
	var (
		he      *collectors.HTTPError
		rd      retryDelayer
		sel     *webpage.SelectorError
		dns     *net.DNSError
		partial *x.PartialError
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		timeout interface{ Timeout() bool }
		opErr   *net.OpError
		usage   *facebook.UsageError
	)
	isHTTP := errors.As(err, &he)
	status := 0
	if isHTTP {
		status = he.StatusCode
	}
	switch {
	case errors.As(err, &usage) && !waitUntil.IsZero():
		return fmt.Sprintf("Meta reports %.0f%% of the Graph API's limit used (%s): no calls until %s, so the app is not blocked.",
			usage.Percent, usage.Header, e.clock(waitUntil))
	case errors.As(err, &rd) && rd.RetryDelay() > 0, status == http.StatusTooManyRequests, errors.Is(err, facebook.ErrRateLimited):
		if waitUntil.IsZero() {
			return "Rate limited by the network: trying again on schedule."
		}
		return "Rate limited by the network until " + e.clock(waitUntil) + "."

	case errors.Is(err, mastodon.ErrNeedsToken):
		return "This server requires an access token: set token_env in the config."
	case errors.Is(err, mastodon.ErrBadToken):
		return "The server refused the access token (HTTP 401): check the token named by token_env or token_file."
	case errors.Is(err, x.ErrNoToken):
		return "No bearer token: set token_env or token_file to the X app's bearer token."
	case errors.Is(err, bluesky.ErrLogin):
		return "Bluesky refused the login: check identifier and the app password named by token_env or token_file."
	case errors.Is(err, facebook.ErrTokenExpired):
		return "The access token expired or was revoked: create a new long-lived token and update the secret named by token_env or token_file."
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Sprintf("The network refused the credentials (HTTP %d): check the token named by token_env or token_file.", status)

	case errors.Is(err, x.ErrBudgetExhausted):
		if e.xBudget == nil {
			return "Monthly read budget used up; reading resumes next month."
		}
		limit, resets := e.xBudget()
		return fmt.Sprintf("Monthly read budget used up (%s reads); resumes on %s.", thousands(limit), resets.UTC().Format("2 January"))
	case errors.Is(err, instagram.ErrHashtagLimit):
		limit := e.src.Settings["hashtag_limit"]
		if limit == "" {
			limit = "30"
		}
		return "Instagram's limit of " + limit + " hashtags per account in 7 days is reached: the other hashtags are read once older ones leave the 7-day window."
	case errors.Is(err, instagram.ErrHashtagNotFound):
		return "Instagram knows no such hashtag (or treats it as sensitive): check the source's hashtags."
	case errors.Is(err, bluesky.ErrBadConfig):
		return "Bluesky needs both identifier and an app password (token_env or token_file), or neither to search anonymously."
	case errors.Is(err, instagram.ErrBadConfig):
		return "Instagram needs ig_user_id, a business account token (token_env or token_file) and hashtags."
	case errors.Is(err, facebook.ErrBadConfig):
		return "Facebook needs page_id and a page access token (token_env or token_file)."
	case errors.Is(err, x.ErrBadQuery):
		return "The hashtags or languages cannot make an X search: use letters, digits and _ only, and fewer hashtags."
	case errors.Is(err, mastodon.ErrNoHashtags):
		return "No hashtags to collect: set hashtags in [campaign] or on the source."

	case errors.Is(err, collectors.ErrPrivateAddress):
		return "Refused to connect: the address is private or local. For a server on your own network, set allow_private_network = true."
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "The server's name does not exist (DNS): check the source's url."
		}
		return "Looking up the server's name failed (DNS): trying again on schedule."
	case errors.Is(err, syscall.ECONNREFUSED):
		return "The server refused the connection: check the source's url, or the server is down" + e.retry(waitUntil)
	case errors.Is(err, mastodon.ErrNotMastodon), errors.Is(err, mastodon.ErrBadSourceURL):
		return "There is no Mastodon API at this address: url must be the server's address, like https://mastodon.social."
	case errors.As(err, &sel):
		if sel.Items > 0 {
			return "The link selector " + sel.Selector + " found no link in any item: the site's layout may have changed; update the source's selectors."
		}
		return "The selector " + sel.Selector + " matched nothing on the page: the site's layout may have changed; update the source's selectors."
	case errors.Is(err, webpage.ErrDisallowed):
		return "The site's robots.txt does not allow campaignwall to read this page."
	case errors.Is(err, webpage.ErrNotHTML):
		return "The address does not serve an HTML page: check the source's url."
	case errors.Is(err, feed.ErrInvalidFeed):
		return "The address does not serve a valid RSS, Atom or JSON feed: check the source's url."
	case errors.Is(err, collectors.ErrResponseTooLarge):
		return "The network's answer was larger than campaignwall accepts."

	case status >= 500:
		return fmt.Sprintf("The network had a problem (HTTP %d)%s", status, e.retry(waitUntil))
	case errors.As(err, &timeout) && timeout.Timeout():
		return "The network did not answer in time" + e.retry(waitUntil)
	case errors.Is(err, mastodon.ErrMalformedResponse), errors.As(err, &syntax), errors.As(err, &typ):
		return "The network's answer could not be read (not the documented format): trying again on schedule."
	case status == http.StatusNotFound:
		return "The network answered 404 Not Found: check the source's url."
	case isHTTP:
		return "The network answered HTTP " + strconv.Itoa(status) + " " + http.StatusText(status) + "."
	case errors.As(err, &opErr):
		return "Could not reach the server" + e.retry(waitUntil)
	case errors.As(err, &partial):
		return "X reported problems with some posts (deleted or withheld, for example); the others were collected."
	}
	return "The last run failed; the details are in the server log."
}

// retry ends a sentence about a passing failure with when it is tried again.
func (e explainer) retry(waitUntil time.Time) string {
	if waitUntil.IsZero() {
		return ": trying again on schedule."
	}
	return ": next try at " + e.clock(waitUntil) + " (backoff)."
}

// clock shows a time of today as "14:05 UTC", others with the date.
func (e explainer) clock(t time.Time) string {
	now := time.Now
	if e.now != nil {
		now = e.now
	}
	t, today := t.UTC(), now().UTC()
	if t.YearDay() == today.YearDay() && t.Year() == today.Year() {
		return t.Format("15:04 MST")
	}
	return t.Format("2 Jan 15:04 MST")
}

// thousands writes n with comma separators: 10,000.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
