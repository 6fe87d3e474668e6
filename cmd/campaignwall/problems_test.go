package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/facebook"
	"github.com/cohesionalliance/campaignwall/collectors/instagram"
	"github.com/cohesionalliance/campaignwall/collectors/mastodon"
	"github.com/cohesionalliance/campaignwall/collectors/webpage"
	"github.com/cohesionalliance/campaignwall/collectors/x"
	"github.com/cohesionalliance/campaignwall/model"
)

var problemsNow = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

var webpageFixtures = "../../collectors/webpage/testdata"

// answer serves one fixed response, as the network's documentation shapes it.
func answer(t *testing.T, status int, contentType string, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func loopbackClient() *http.Client {
	return collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true})
}

func TestExplainInPlainWords(t *testing.T) {
	type tc struct {
		name      string
		src       model.Source
		err       func(t *testing.T) error // as the collector returns it
		waitUntil time.Time
		want      string
	}
	mastodonCollect := func(t *testing.T, client *http.Client, srv *httptest.Server, token string) error {
		t.Helper()
		src := model.Source{Name: "eupolis", Kind: "mastodon", URL: srv.URL, Hashtags: []string{"CohesionAlliance"}, Token: token}
		_, _, err := mastodon.New(client, mastodon.Options{}).Collect(context.Background(), src, "")
		if err == nil {
			t.Fatal("collect succeeded, want an error")
		}
		return err
	}
	tests := []tc{
		{
			name: "mastodon server needs a token",
			err: func(t *testing.T) error {
				srv := answer(t, 401, "application/json; charset=utf-8", fixture(t, mastodonFixtures, "error_401.json"))
				return mastodonCollect(t, loopbackClient(), srv, "")
			},
			want: "This server requires an access token: set token_env in the config.",
		},
		{
			name: "mastodon server refuses the token",
			err: func(t *testing.T) error {
				srv := answer(t, 401, "application/json; charset=utf-8", fixture(t, mastodonFixtures, "error_401.json"))
				return mastodonCollect(t, loopbackClient(), srv, "wrong")
			},
			want: "The server refused the access token (HTTP 401): check the token named by token_env or token_file.",
		},
		{
			name: "rate limited",
			err: func(t *testing.T) error {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
					w.Header().Set("Retry-After", "300")
					w.WriteHeader(429)
					w.Write(fixture(t, mastodonFixtures, "error_429.json"))
				}))
				t.Cleanup(srv.Close)
				return mastodonCollect(t, loopbackClient(), srv, "")
			},
			waitUntil: problemsNow.Add(5 * time.Minute),
			want:      "Rate limited by the network until 14:05 UTC.",
		},
		{
			name: "graph API usage near the limit",
			err: func(t *testing.T) error {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json; charset=UTF-8")
					w.Header().Set("X-App-Usage", `{"call_count":97,"total_time":12,"total_cputime":9}`)
					w.Write([]byte(`{"data": []}`))
				}))
				t.Cleanup(srv.Close)
				c := facebook.New(loopbackClient(), facebook.Options{PageID: "104958162837", Now: func() time.Time { return problemsNow }})
				_, _, err := c.Collect(context.Background(), model.Source{Name: "fb", Kind: "facebook_page", URL: srv.URL, Token: "t", Hashtags: []string{"CohesionAlliance"}}, "")
				return err
			},
			waitUntil: problemsNow.Add(15 * time.Minute),
			want:      "Meta reports 97% of the Graph API's limit used (X-App-Usage): no calls until 14:15 UTC, so the app is not blocked.",
		},
		{
			name: "private address refused",
			err: func(t *testing.T) error {
				srv := answer(t, 200, "application/json", []byte("[]"))
				return mastodonCollect(t, collectors.NewClient(collectors.ClientOptions{}), srv, "")
			},
			want: "Refused to connect: the address is private or local. For a server on your own network, set allow_private_network = true.",
		},
		{
			name: "not a mastodon server",
			err: func(t *testing.T) error {
				srv := answer(t, 404, "text/html", fixture(t, mastodonFixtures, "not_mastodon_404.html"))
				return mastodonCollect(t, loopbackClient(), srv, "")
			},
			want: "There is no Mastodon API at this address: url must be the server's address, like https://mastodon.social.",
		},
		{
			name: "connection refused",
			err: func(t *testing.T) error {
				srv := httptest.NewServer(http.NotFoundHandler())
				srv.Close() // nothing listens there any more
				return mastodonCollect(t, loopbackClient(), srv, "")
			},
			waitUntil: problemsNow.Add(time.Minute),
			want:      "The server refused the connection: check the source's url, or the server is down: next try at 14:01 UTC (backoff).",
		},
		{
			name: "server error, with backoff",
			err: func(t *testing.T) error {
				srv := answer(t, 500, "text/html; charset=utf-8", fixture(t, mastodonFixtures, "error_500.html"))
				return mastodonCollect(t, loopbackClient(), srv, "")
			},
			waitUntil: problemsNow.Add(2 * time.Minute),
			want:      "The network had a problem (HTTP 500): next try at 14:02 UTC (backoff).",
		},
		{
			name: "x monthly budget used up",
			src:  model.Source{Name: "x-campaign", Kind: "x", Settings: map[string]string{"monthly_read_budget": "10000"}},
			err: func(t *testing.T) error {
				c := x.New(loopbackClient(), x.Options{MonthlyReadBudget: 10000, Now: func() time.Time { return problemsNow }})
				cur := x.Cursor{Month: "2026-11", Reads: 10000}.String()
				_, _, err := c.Collect(context.Background(), model.Source{Name: "x-campaign", Token: "t", Hashtags: []string{"CohesionAlliance"}}, cur)
				return err
			},
			want: "Monthly read budget used up (10,000 reads); resumes on 1 December.",
		},
		{
			name: "webpage selector matches nothing",
			err: func(t *testing.T) error {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/robots.txt" {
						http.NotFound(w, r)
						return
					}
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Write(fixture(t, webpageFixtures, "layout-changed.html"))
				}))
				t.Cleanup(srv.Close)
				c := webpage.New(loopbackClient(), webpage.Options{ItemSelector: "li.story"})
				_, _, err := c.Collect(context.Background(), model.Source{Name: "cor-stories", Kind: "webpage", URL: srv.URL + "/en/redesign?key=s3cret"}, "")
				return err
			},
			want: "The selector li.story matched nothing on the page: the site's layout may have changed; update the source's selectors.",
		},
		{
			name: "instagram hashtag limit",
			src:  model.Source{Name: "ig", Kind: "instagram", Settings: map[string]string{"hashtag_limit": "30"}},
			err: func(t *testing.T) error {
				return fmt.Errorf("%w: Instagram allows 30 unique hashtags per account in 7 days and all are in use; #eu will be queried from 2026-11-24 10:00 UTC", instagram.ErrHashtagLimit)
			},
			want: "Instagram's limit of 30 hashtags per account in 7 days is reached: the other hashtags are read once older ones leave the 7-day window.",
		},
		{
			name: "DNS name does not exist",
			err: func(t *testing.T) error {
				return fmt.Errorf("collect: %w", &url.Error{Op: "Get", URL: "https://nowhere.invalid/feed", Err: &net.OpError{Op: "dial", Net: "tcp",
					Err: &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}}})
			},
			want: "The server's name does not exist (DNS): check the source's url.",
		},
		{
			name: "timeout without a wait",
			err: func(t *testing.T) error {
				return fmt.Errorf("collect eupolis: no answer within 2m0s: %w", context.DeadlineExceeded)
			},
			want: "The network did not answer in time: trying again on schedule.",
		},
		{
			name: "anything else",
			err: func(t *testing.T) error {
				return errors.New("collect eupolis: skipped 2 posts without a network or URI")
			},
			want: "The last run failed; the details are in the server log.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			ex := explainer{src: tt.src, now: func() time.Time { return problemsNow }}
			if tt.src.Kind == "x" {
				ex.xBudget = func() (int, time.Time) { return 10000, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
			}
			got := ex.explain(fmt.Errorf("collect %s: %w", tt.src.Name, err), tt.waitUntil)
			if got != tt.want {
				t.Errorf("explain(%v)\n got %q\nwant %q", err, got, tt.want)
			}
			for _, leak := range []string{"127.0.0.1", "s3cret", "http://", "invalid"} {
				if strings.Contains(got, leak) {
					t.Errorf("explanation %q repeats %q from the error's text", got, leak)
				}
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -2500: "-2,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
