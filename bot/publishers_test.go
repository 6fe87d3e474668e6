package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestMastodonStatuses(t *testing.T) {
	e := newEnv(t)
	parent := e.masto.AddRemote(mStatus{URI: "https://regions.example/users/anna/statuses/55", Text: "remind me"})
	photo := filepath.Join(t.TempDir(), "bridge.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\nfake"), 0o600); err != nil {
		t.Fatal(err)
	}
	items := []model.OutboxItem{
		{IdempotencyKey: "post", Network: model.NetworkMastodon, Kind: model.OutboxPost, Text: "Sign the Joint Call",
			Payload: model.OutboxPayload{Language: "de", Media: []model.OutboxMedia{{Path: photo, AltText: "A bridge over the Danube"}}}},
		{IdempotencyKey: "dm", Network: model.NetworkMastodon, Kind: model.OutboxDM, Target: "carla@cities.example",
			Text: "A reminder: sign the Joint Call"},
		{IdempotencyKey: "reply", Network: model.NetworkMastodon, Kind: model.OutboxReply, Target: parent.URI,
			Text: "Thanks, we will remind you", Payload: model.OutboxPayload{Visibility: "unlisted"}},
	}
	for _, it := range items {
		e.plan(it)
	}
	e.tick()
	e.masto.mu.Lock()
	forms := e.masto.forms
	uploads := e.masto.uploads
	idem := len(e.masto.idem)
	e.masto.mu.Unlock()
	if len(forms) != 3 {
		t.Fatalf("status POSTs = %d, want 3", len(forms))
	}
	want := []map[string]string{
		{"status": "Sign the Joint Call", "visibility": "public", "language": "de"},
		{"status": "@carla@cities.example A reminder: sign the Joint Call", "visibility": "direct"},
		{"status": "@anna@regions.example Thanks, we will remind you", "visibility": "unlisted", "in_reply_to_id": parent.ID},
	}
	for i, w := range want {
		for k, v := range w {
			if got := url.Values(forms[i]).Get(k); got != v {
				t.Errorf("status %d: %s = %q, want %q", i, k, got, v)
			}
		}
	}
	if len(forms[0]["media_ids[]"]) != 1 || !reflect.DeepEqual(uploads, []string{"A bridge over the Danube"}) {
		t.Errorf("media: ids %v, uploads %v; want one upload with its alt text", forms[0]["media_ids[]"], uploads)
	}
	if idem != 3 {
		t.Errorf("statuses posted with an Idempotency-Key: %d, want 3", idem)
	}
	for _, it := range items {
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxSent || got.RemoteID == "" {
			t.Errorf("%s: %+v, want sent", it.IdempotencyKey, got)
		}
	}
}

func TestMastodonUnknownStatusIsRetried(t *testing.T) {
	e := newEnv(t)
	it := e.plan(model.OutboxItem{IdempotencyKey: "r", Network: model.NetworkMastodon, Kind: model.OutboxRepost,
		Target: "https://down.example/users/x/statuses/1"})
	e.tick()
	got := e.item(it.IdempotencyKey)
	if got.Status != model.OutboxPlanned || !strings.Contains(got.Reason, "not found from the bot's instance") {
		t.Errorf("row = %s %q, want planned again (nothing was sent)", got.Status, got.Reason)
	}
}

func TestBlueskyRecords(t *testing.T) {
	e := newEnv(t)
	// The parent is itself a reply, so the thread root comes from it.
	rootURI, rootCID := e.bsky.AddPost("3kroot2222222", map[string]any{"text": "root"})
	parentURI, parentCID := e.bsky.AddPost("3kparent22222", map[string]any{"text": "remind me",
		"reply": map[string]any{"root": map[string]string{"uri": rootURI, "cid": rootCID}, "parent": map[string]string{"uri": rootURI, "cid": rootCID}}})
	photo := filepath.Join(t.TempDir(), "tram.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\nfake"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := "Für die Kohäsion 🇪🇺 @anna.bsky.social: https://cohesion.example/sign?lang=de. #CohesionAlliance #Kohäsionspolitik"
	post := e.plan(model.OutboxItem{IdempotencyKey: "post", Network: model.NetworkBluesky, Kind: model.OutboxPost, Text: text,
		Payload: model.OutboxPayload{Language: "de", Media: []model.OutboxMedia{{Path: photo, AltText: "Eine Straßenbahn"}}}})
	reply := e.plan(model.OutboxItem{IdempotencyKey: "reply", Network: model.NetworkBluesky, Kind: model.OutboxReply,
		Target: parentURI, Text: "Danke!"})
	e.tick()

	rec := func(key string) map[string]any {
		t.Helper()
		it := e.item(key)
		if it.Status != model.OutboxSent {
			t.Fatalf("%s: %s %q, want sent", key, it.Status, it.Reason)
		}
		if want := "at://" + bskyBotDID + "/" + collPost + "/" + recordKey(it); it.RemoteID != want {
			t.Errorf("%s: remote id %q, want %q (the deterministic record key)", key, it.RemoteID, want)
		}
		e.bsky.mu.Lock()
		defer e.bsky.mu.Unlock()
		return e.bsky.records[bskyBotDID+"/"+collPost+"/"+recordKey(it)].Value
	}
	p := rec(post.IdempotencyKey)
	if p["text"] != text || !reflect.DeepEqual(p["langs"], []any{"de"}) || p["createdAt"] != "2026-10-05T08:00:00.000Z" {
		t.Errorf("post record = %v", p)
	}
	data, _ := json.Marshal(p["facets"])
	var facets []facet
	if err := json.Unmarshal(data, &facets); err != nil {
		t.Fatal(err)
	}
	var spans []string
	for _, f := range facets {
		spans = append(spans, text[f.Index.ByteStart:f.Index.ByteEnd])
	}
	wantSpans := []string{"@anna.bsky.social", "https://cohesion.example/sign?lang=de", "#CohesionAlliance", "#Kohäsionspolitik"}
	if !reflect.DeepEqual(spans, wantSpans) {
		t.Errorf("facet spans = %q, want %q", spans, wantSpans)
	}
	if len(facets) == 4 && facets[0].Features[0]["did"] != bskyAnnaDID {
		t.Errorf("mention facet = %v, want did %s", facets[0].Features[0], bskyAnnaDID)
	}
	embed, _ := p["embed"].(map[string]any)
	images, _ := embed["images"].([]any)
	if embed["$type"] != "app.bsky.embed.images" || len(images) != 1 || images[0].(map[string]any)["alt"] != "Eine Straßenbahn" {
		t.Errorf("embed = %v, want one image with its alt text", embed)
	}
	r := rec(reply.IdempotencyKey)
	wantReply := map[string]any{
		"root":   map[string]any{"uri": rootURI, "cid": rootCID},
		"parent": map[string]any{"uri": parentURI, "cid": parentCID},
	}
	if !reflect.DeepEqual(r["reply"], wantReply) {
		t.Errorf("reply = %v, want %v", r["reply"], wantReply)
	}
}

func TestBlueskyRepostRecord(t *testing.T) {
	e := newEnv(t)
	p := e.highlighted(model.NetworkBluesky, 1)
	it, err := e.svc.PlanHighlight(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	e.tick()
	reposts := e.bsky.Created(collRepost)
	if len(reposts) != 1 {
		t.Fatalf("reposts = %d, want 1", len(reposts))
	}
	want := map[string]any{"$type": collRepost, "subject": map[string]any{"uri": p.URI, "cid": p.CID},
		"createdAt": "2026-10-05T08:00:00.000Z"}
	if !reflect.DeepEqual(reposts[0].Value, want) {
		t.Errorf("repost record = %v, want %v", reposts[0].Value, want)
	}
	if got := e.item(it.IdempotencyKey); got.RemoteID != reposts[0].URI {
		t.Errorf("remote id = %q, want %q", got.RemoteID, reposts[0].URI)
	}
}

func TestRichTextFacetOffsetsAreBytes(t *testing.T) {
	text := "é #tag ünd https://ex.org/ä) @bob.test #2027"
	got := richTextFacets(text, func(h string) string {
		if h == "bob.test" {
			return "did:plc:bob"
		}
		return ""
	})
	want := []facetIndex{{3, 7}, {13, 30}, {32, 41}} // "é" and "ü" are two bytes each; "#2027" is no tag
	if len(got) != len(want) {
		t.Fatalf("facets = %+v, want %d", got, len(want))
	}
	for i := range want {
		if got[i].Index != want[i] {
			t.Errorf("facet %d at %+v (%q), want %+v", i, got[i].Index, text[got[i].Index.ByteStart:got[i].Index.ByteEnd], want[i])
		}
	}
	if got[0].Features[0]["tag"] != "tag" || got[1].Features[0]["uri"] != "https://ex.org/ä" || got[2].Features[0]["did"] != "did:plc:bob" {
		t.Errorf("features = %v %v %v", got[0].Features, got[1].Features, got[2].Features)
	}
}

func TestRecordKey(t *testing.T) {
	at := time.Date(2026, 10, 5, 8, 0, 0, 123_000_000, time.UTC)
	a := model.OutboxItem{IdempotencyKey: "highlight:bluesky:at://x/app.bsky.feed.post/1", CreatedAt: at}
	b := a
	b.IdempotencyKey += "2"
	ka, kb := recordKey(a), recordKey(b)
	if ka != recordKey(a) {
		t.Error("recordKey is not deterministic")
	}
	if ka == kb {
		t.Errorf("two actions created in the same millisecond share record key %s", ka)
	}
	for _, k := range []string{ka, kb} {
		if !tidPattern.MatchString(k) {
			t.Errorf("record key %q is not a TID", k)
		}
		ts, ok := tidTime(k)
		if !ok || ts.Sub(at) < 0 || ts.Sub(at) >= time.Millisecond {
			t.Errorf("TID %s encodes %v, want within the millisecond of %v", k, ts, at)
		}
	}
	if got := encodeTID(0, 0); got != "2222222222222" {
		t.Errorf("encodeTID(0, 0) = %q, want 2222222222222 (atproto spec)", got)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	reset := time.Date(2026, 10, 5, 8, 15, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		after  time.Duration
		at     time.Time
	}{
		{"retry-after seconds", map[string]string{"Retry-After": "120"}, 2 * time.Minute, time.Time{}},
		{"retry-after date", map[string]string{"Retry-After": reset.Format(http.TimeFormat)}, 0, reset},
		{"x reset", map[string]string{"x-rate-limit-reset": "1791188100"}, 0, time.Unix(1791188100, 0)},
		{"mastodon reset", map[string]string{"X-RateLimit-Reset": "2026-10-05T08:15:00.000Z"}, 0, reset},
		{"bluesky reset", map[string]string{"RateLimit-Reset": "1791188100"}, 0, time.Unix(1791188100, 0)},
		{"none", nil, 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			after, at := rateLimitHeaders(h)
			if after != tt.after || !at.Equal(tt.at) {
				t.Errorf("got %v, %v; want %v, %v", after, at, tt.after, tt.at)
			}
		})
	}
}

func TestXRequests(t *testing.T) {
	t.Run("reply", func(t *testing.T) {
		e := newEnv(t)
		it := e.plan(model.OutboxItem{IdempotencyKey: "reply", Network: model.NetworkX, Kind: model.OutboxReply,
			Target: "1460323737035677698", Text: "Thanks & welcome <3 https://cohesion.example/sign"})
		e.tick()
		e.x.mu.Lock()
		posts := e.x.posts
		e.x.mu.Unlock()
		if len(posts) != 1 || posts[0].ReplyTo != "1460323737035677698" {
			t.Fatalf("posts = %+v, want one reply", posts)
		}
		got := e.item(it.IdempotencyKey)
		if got.Status != model.OutboxSent || got.RemoteID != posts[0].ID || got.EstimatedCost != 0.2 {
			t.Errorf("row = %+v, want sent as %s costing 0.2 (a link)", got, posts[0].ID)
		}
		// The lookup sees through t.co and X's HTML escaping.
		id, found, err := e.svc.pubs[model.NetworkX].Lookup(context.Background(), got)
		if err != nil || !found || id != posts[0].ID {
			t.Errorf("Lookup = %q, %v, %v; want %s found", id, found, err, posts[0].ID)
		}
	})
	t.Run("bad credentials", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.X.AccessToken = "revoked" })
		it := e.plan(postItem(model.NetworkX, "p"))
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxFailed || !strings.Contains(got.Reason, "revoked") {
			t.Errorf("row = %s %q, want failed: revoked", got.Status, got.Reason)
		}
	})
	t.Run("dm unsupported", func(t *testing.T) {
		e := newEnv(t)
		it := e.plan(model.OutboxItem{IdempotencyKey: "dm", Network: model.NetworkX, Kind: model.OutboxDM, Target: "carla", Text: "hi"})
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxFailed || !strings.Contains(got.Reason, "not supported") {
			t.Errorf("row = %s %q, want failed: not supported", got.Status, got.Reason)
		}
	})
}
