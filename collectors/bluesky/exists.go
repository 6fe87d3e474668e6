package bluesky

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/cohesionalliance/campaignwall/model"
)

// Exists reports whether post is still published, for the periodic re-check
// of approved posts: app.bsky.feed.getPosts
// (https://docs.bsky.app/docs/api/app-bsky-feed-get-posts) returns views of
// the posts the AppView still has and leaves deleted ones out. Any failure
// is an error, never a "deleted", so an outage removes nothing.
func (c *Collector) Exists(ctx context.Context, src model.Source, post model.Post) (bool, error) {
	if post.Network != model.NetworkBluesky || !strings.HasPrefix(post.URI, "at://") {
		return false, fmt.Errorf("bluesky: post %s is not a Bluesky post", post.URI)
	}
	auth, err := c.authFor(src)
	if err != nil {
		return false, err
	}
	var out struct {
		Posts *[]struct {
			URI string `json:"uri"`
		} `json:"posts"`
	}
	if err := c.xrpcQuery(ctx, auth, "app.bsky.feed.getPosts", url.Values{"uris": {post.URI}}, &out); err != nil {
		return false, fmt.Errorf("bluesky: check post %s: %w", post.URI, err)
	}
	if out.Posts == nil { // required by the lexicon: something else answered
		return false, fmt.Errorf("bluesky: check post %s: response has no posts array", post.URI)
	}
	for _, p := range *out.Posts {
		if p.URI == post.URI {
			return true, nil
		}
	}
	return false, nil
}
