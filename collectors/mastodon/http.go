package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// errNotFound marks a 404 (or 410) that the Mastodon API itself answered,
// with its JSON error body: an unknown hashtag, a deleted status. A 404 in
// HTML comes from something else (a wrong url) and is a plain error.
var errNotFound = errors.New("not found")

// get fetches u with a deadline and maps failures to errors the scheduler
// and the admin can act on.
func (c *Collector) get(ctx context.Context, src model.Source, u string) ([]byte, error) {
	ctx, cancel := collectors.WithDeadline(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, err := c.do(ctx, src, u, "application/json", c.client)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	return body, nil
}

// do sends a GET and returns the response if it is a 200; otherwise it
// closes the body and returns the mapped error.
func (c *Collector) do(ctx context.Context, src model.Source, u, accept string, client *http.Client) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	if src.Token != "" {
		req.Header.Set("Authorization", "Bearer "+src.Token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err) // the token travels in a header, never in u
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, c.statusError(src, u, resp)
}

func (c *Collector) statusError(src model.Source, u string, resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	apiMsg, isJSON := apiError(raw, resp.Header.Get("Content-Type"))
	he := &collectors.HTTPError{
		URL:        u,
		StatusCode: resp.StatusCode,
		RetryAfter: collectors.RetryAfter(resp.Header, c.opts.Now()),
		Message:    apiMsg,
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if src.Token == "" {
			return fmt.Errorf("%w: %w", ErrNeedsToken, he)
		}
		return fmt.Errorf("%w: %w", ErrBadToken, he)
	case http.StatusGone:
		return fmt.Errorf("%w: %w", errNotFound, he)
	case http.StatusNotFound:
		if isJSON {
			return fmt.Errorf("%w: %w", errNotFound, he)
		}
		return fmt.Errorf("%w (check the source's url): %w", ErrNotMastodon, he)
	}
	return he
}

// apiError reads the documented error entity, {"error": "..."}
// (https://docs.joinmastodon.org/entities/Error/), and reports whether the
// body was the API's JSON at all.
func apiError(body []byte, contentType string) (msg string, isJSON bool) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return "", mt == "application/json"
	}
	msg = strings.TrimSpace(e.Error)
	if len(msg) > 200 { // a message is for a log line, not a page dump
		cut := 200
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg, true
}

// Exists reports whether post is still published on src's server, for the
// periodic re-check of approved posts: GET /api/v1/statuses/:id
// (https://docs.joinmastodon.org/methods/statuses/#get). Only the API's own
// 404 or a 410 counts as deleted; every other failure is an error, so an
// outage or a wrong url never removes posts from the wall.
//
// post.RemoteID is an ID on the server that collected it, so post must come
// from src (its SourceName), or the lookup would ask the wrong server.
func (c *Collector) Exists(ctx context.Context, src model.Source, post model.Post) (bool, error) {
	switch {
	case post.Network != model.NetworkMastodon:
		return false, fmt.Errorf("mastodon: post %s is from network %q", post.URI, post.Network)
	case post.RemoteID == "":
		return false, fmt.Errorf("mastodon: post %s has no remote id", post.URI)
	case post.SourceName != "" && post.SourceName != src.Name:
		return false, fmt.Errorf("mastodon: post %s was collected by source %q, not %q: its id is only valid there",
			post.URI, post.SourceName, src.Name)
	}
	base, err := apiBase(src.URL)
	if err != nil {
		return false, fmt.Errorf("mastodon source %q: %w", src.Name, err)
	}
	u := endpoint(base, "api/v1/statuses/"+url.PathEscape(post.RemoteID), nil)
	body, err := c.get(ctx, src, u)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mastodon source %q: check post %s: %w", src.Name, post.URI, err)
	}
	var st struct {
		URI string `json:"uri"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return false, fmt.Errorf("mastodon source %q: check post %s: %w from %s: %w", src.Name, post.URI, ErrMalformedResponse, u, err)
	}
	if post.URI != "" && st.URI != post.URI {
		return false, fmt.Errorf("mastodon source %q: id %s now names %s, not %s", src.Name, post.RemoteID, st.URI, post.URI)
	}
	return true, nil
}
