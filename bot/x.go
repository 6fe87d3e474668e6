package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/cohesionalliance/campaignwall/model"
)

// X publishes through the campaign's X account: API v2 over net/http, signed
// with OAuth 1.0a user context (github.com/dghubble/oauth1).
type X struct {
	hc     *http.Client
	base   string
	userID string
}

// NewX returns the X publisher for cfg. Requests are signed by a transport
// wrapped around hc's, keeping hc's timeout.
func NewX(cfg XConfig, hc *http.Client) (*X, error) {
	u, err := url.Parse(cfg.APIBaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("bot: x api base %q: want an http(s) URL", cfg.APIBaseURL)
	}
	if cfg.UserID == "" || cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" || cfg.AccessToken == "" || cfg.AccessSecret == "" {
		return nil, errors.New("bot: x: user id and all four OAuth 1.0a credentials are required")
	}
	conf := oauth1.NewConfig(cfg.ConsumerKey, cfg.ConsumerSecret)
	// oauth1 takes the base transport from a context value; only the
	// transport of the client it returns is kept.
	signed := oauth1.NewClient(context.WithValue(context.Background(), oauth1.HTTPClient, hc), conf,
		oauth1.NewToken(cfg.AccessToken, cfg.AccessSecret))
	c := *hc
	c.Transport = signed.Transport
	return &X{hc: &c, base: strings.TrimRight(cfg.APIBaseURL, "/"), userID: cfg.UserID}, nil
}

// Network reports model.NetworkX.
func (x *X) Network() model.Network { return model.NetworkX }

// Send retweets, posts or replies. Direct messages and media are not
// supported on X yet.
func (x *X) Send(ctx context.Context, it model.OutboxItem) (string, error) {
	switch it.Kind {
	case model.OutboxRepost:
		var out struct {
			Data struct {
				Retweeted bool `json:"retweeted"`
			} `json:"data"`
		}
		path := "/2/users/" + url.PathEscape(x.userID) + "/retweets"
		if err := x.do(ctx, "repost", http.MethodPost, path, nil, map[string]string{"tweet_id": it.Target}, &out); err != nil {
			return "", err
		}
		if !out.Data.Retweeted {
			return "", &SendError{Network: model.NetworkX, Op: "repost", Kind: ErrRefused, Detail: "X answered retweeted: false"}
		}
		return it.Target, nil
	case model.OutboxPost, model.OutboxReply:
		body := map[string]any{"text": it.Text}
		if it.Kind == model.OutboxReply {
			body["reply"] = map[string]string{"in_reply_to_tweet_id": it.Target}
		}
		var out struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := x.do(ctx, string(it.Kind), http.MethodPost, "/2/tweets", nil, body, &out); err != nil {
			return "", err
		}
		if out.Data.ID == "" {
			return "", &SendError{Network: model.NetworkX, Op: string(it.Kind), Kind: ErrUnavailable, Detail: "no post ID in the answer"}
		}
		return out.Data.ID, nil
	case model.OutboxDM:
		return "", &SendError{Network: model.NetworkX, Op: "dm", Kind: ErrUnsupported, Detail: "direct messages"}
	}
	return "", &SendError{Network: model.NetworkX, Op: string(it.Kind), Kind: ErrBadAction, Detail: "unknown kind"}
}

// xTweet is what Lookup reads of the bot's own posts.
type xTweet struct {
	ID               string `json:"id"`
	Text             string `json:"text"`
	ReferencedTweets []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"referenced_tweets"`
	Entities struct {
		URLs []struct {
			URL         string `json:"url"`
			ExpandedURL string `json:"expanded_url"`
		} `json:"urls"`
	} `json:"entities"`
}

// Lookup reads the bot's timeline since the first attempt for a retweet of
// the target, or a post whose text, with t.co links expanded, is the planned
// text.
func (x *X) Lookup(ctx context.Context, it model.OutboxItem) (string, bool, error) {
	if it.Kind == model.OutboxDM {
		return "", false, &SendError{Network: model.NetworkX, Op: "lookup", Kind: ErrUnsupported, Detail: "direct messages"}
	}
	q := url.Values{
		"max_results":  {"100"},
		"tweet.fields": {"created_at,referenced_tweets,entities"},
		"start_time":   {it.FirstAttemptAt.Add(-2 * time.Minute).UTC().Format(time.RFC3339)},
	}
	path := "/2/users/" + url.PathEscape(x.userID) + "/tweets"
	for range 3 {
		var out struct {
			Data []xTweet `json:"data"`
			Meta struct {
				NextToken string `json:"next_token"`
			} `json:"meta"`
		}
		if err := x.do(ctx, "lookup", http.MethodGet, path, q, nil, &out); err != nil {
			return "", false, err
		}
		for _, t := range out.Data {
			if id, ok := x.matches(t, it); ok {
				return id, true, nil
			}
		}
		if out.Meta.NextToken == "" {
			break
		}
		q.Set("pagination_token", out.Meta.NextToken)
	}
	return "", false, nil
}

func (x *X) matches(t xTweet, it model.OutboxItem) (string, bool) {
	refersTo := func(typ string) bool {
		for _, r := range t.ReferencedTweets {
			if r.Type == typ && r.ID == it.Target {
				return true
			}
		}
		return false
	}
	switch it.Kind {
	case model.OutboxRepost:
		return it.Target, refersTo("retweeted")
	case model.OutboxReply:
		if !refersTo("replied_to") {
			return "", false
		}
	}
	text := t.Text
	for _, u := range t.Entities.URLs {
		if u.ExpandedURL != "" {
			text = strings.ReplaceAll(text, u.URL, u.ExpandedURL)
		}
	}
	// X returns &, < and > escaped in post text.
	return t.ID, strings.TrimSpace(html.UnescapeString(text)) == strings.TrimSpace(it.Text)
}

// xProblem is X's error body (RFC 7807 problem details), alone or in a list.
type xProblem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Errors []struct {
		Message string `json:"message"`
		Detail  string `json:"detail"`
		Title   string `json:"title"`
	} `json:"errors"`
}

func (x *X) do(ctx context.Context, op, method, path string, q url.Values, in, out any) error {
	u := x.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return &SendError{Network: model.NetworkX, Op: op, Kind: ErrBadAction, Err: err}
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return &SendError{Network: model.NetworkX, Op: op, Kind: ErrBadAction, Err: err}
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := x.hc.Do(req)
	if err != nil {
		return transportError(model.NetworkX, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return transportError(model.NetworkX, op, err)
	}
	if resp.StatusCode/100 != 2 {
		return xError(op, resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &SendError{Network: model.NetworkX, Op: op, StatusCode: resp.StatusCode, Kind: ErrUnavailable, Err: err}
	}
	return nil
}

// xError reads X's problem body into a SendError.
func xError(op string, resp *http.Response, data []byte) error {
	var p xProblem
	_ = json.Unmarshal(data, &p)
	detail := p.Detail
	if detail == "" {
		detail = p.Title
	}
	for _, e := range p.Errors {
		if m := firstNonEmpty(e.Message, e.Detail, e.Title); m != "" {
			detail = strings.TrimSpace(detail + "; " + m)
		}
	}
	se := &SendError{Network: model.NetworkX, Op: op, StatusCode: resp.StatusCode, Code: p.Type,
		Detail: strings.TrimPrefix(detail, "; "), Kind: kindForStatus(resp.StatusCode)}
	lower := strings.ToLower(detail)
	switch {
	case resp.StatusCode == http.StatusForbidden && strings.Contains(lower, "duplicate"):
		se.Kind = ErrRefused // "You are not allowed to create a Tweet with duplicate content."
	case resp.StatusCode == http.StatusForbidden && strings.Contains(lower, "suspend"):
		se.Kind = ErrAccount
	case resp.StatusCode == http.StatusTooManyRequests:
		se.RetryAfter, se.RetryAt = rateLimitHeaders(resp.Header)
	}
	return se
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
