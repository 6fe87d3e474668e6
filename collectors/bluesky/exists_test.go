package bluesky

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

func TestExists(t *testing.T) {
	clk := newClock(testNow)
	f := newFakeBsky(t, clk, pages(t))
	c := newCollector(clk, Options{})
	tests := []struct {
		name    string
		post    model.Post
		want    bool
		wantErr string
	}{
		{"still published", model.Post{Network: model.NetworkBluesky, URI: uriP1}, true, ""},
		{"deleted upstream", model.Post{Network: model.NetworkBluesky, URI: uriP7}, false, ""},
		{"not a bluesky post", model.Post{Network: model.NetworkMastodon, URI: "https://eupolis.social/@a/1"}, false, "not a Bluesky post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Exists(context.Background(), testSource(f), tt.post)
			if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Exists = %v, %v; want %v, error %q", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestExistsFailureIsNoDeletion(t *testing.T) {
	// An AppView in trouble: a 502, or an answer that is not getPosts output.
	for _, tt := range []struct {
		status int
		body   string
	}{{502, `{"error":"UpstreamFailure","message":"upstream failed"}`}, {200, `{"feed":[]}`}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, tt.status, []byte(tt.body))
		}))
		defer srv.Close()
		c := New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), Options{}) // anonymous
		src := model.Source{Name: "bsky-public", Kind: "bluesky", URL: srv.URL}
		got, err := c.Exists(context.Background(), src, model.Post{Network: model.NetworkBluesky, URI: uriP1})
		if got || err == nil {
			t.Errorf("status %d %s: Exists = %v, %v; want an error, not a deletion", tt.status, tt.body, got, err)
		}
	}
}
