package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestPlanHighlightSkips(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Post)
		reason string
	}{
		{"reply", func(p *model.Post) { p.Text = "@bob@cities.example Agreed! #CohesionAlliance" }, "is a reply"},
		{"content warning", func(p *model.Post) { p.ContentWarning = "politics" }, "content warning"},
		{"sensitive", func(p *model.Post) { p.Sensitive = true }, "content warning"},
		{"nobot in post", func(p *model.Post) { p.Text = "Our bridge #CohesionAlliance #NoBot" }, "opted out"},
		{"nowall in bio", func(p *model.Post) { p.Author.Bio = "Planner. #nowall please" }, "opted out"},
		{"nobot tag", func(p *model.Post) { p.Tags = []string{"CohesionAlliance", "nobot"} }, "opted out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			it, err := e.svc.PlanHighlight(context.Background(), e.highlighted(model.NetworkMastodon, 1, tt.mutate))
			if err != nil {
				t.Fatal(err)
			}
			if it.Status != model.OutboxSkipped || !strings.Contains(it.Reason, tt.reason) {
				t.Errorf("row = %s %q, want skipped because %q", it.Status, it.Reason, tt.reason)
			}
			e.tick()
			if got := e.masto.Requests(); got != 0 {
				t.Errorf("mastodon received %d requests, want 0", got)
			}
		})
	}
	t.Run("not opted out by similar tags", func(t *testing.T) {
		for _, text := range []string{"#nobots are welcome", "see example.org/#nobot", "#CohesionAlliance nobot"} {
			if OptedOut(model.Post{Text: text}) {
				t.Errorf("OptedOut(%q) = true, want false", text)
			}
		}
	})
}

func TestPlanHighlightNeedsAnAccount(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.X = XConfig{} })
	for _, n := range []model.Network{model.NetworkX, model.NetworkFeed} {
		_, err := e.svc.PlanHighlight(context.Background(), e.highlighted(n, 1))
		if !errors.Is(err, ErrNoAccount) {
			t.Errorf("%s: err = %v, want ErrNoAccount", n, err)
		}
	}
	if counts, _ := e.st.CountOutbox(context.Background()); len(counts) != 0 {
		t.Errorf("outbox = %v, want empty", counts)
	}
}

func TestHighlightOnTheLivePost(t *testing.T) {
	// What the collected post does not say, the network does.
	t.Run("mastodon reply", func(t *testing.T) {
		e := newEnv(t)
		p := e.highlighted(model.NetworkMastodon, 1)
		e.masto.mu.Lock()
		e.masto.remote[p.URI].InReplyTo = "77"
		e.masto.mu.Unlock()
		it, _ := e.svc.PlanHighlight(context.Background(), p)
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxFailed || !strings.Contains(got.Reason, "is a reply") {
			t.Errorf("row = %s %q, want failed: reply", got.Status, got.Reason)
		}
		if e.sends(model.NetworkMastodon) != 0 {
			t.Error("boosted a reply")
		}
	})
	t.Run("mastodon followers-only", func(t *testing.T) {
		e := newEnv(t)
		p := e.highlighted(model.NetworkMastodon, 1)
		e.masto.mu.Lock()
		e.masto.remote[p.URI].Visibility = "private"
		e.masto.mu.Unlock()
		it, _ := e.svc.PlanHighlight(context.Background(), p)
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxFailed || !strings.Contains(got.Reason, "not public") {
			t.Errorf("row = %s %q, want failed: not public", got.Status, got.Reason)
		}
	})
	t.Run("bluesky reply", func(t *testing.T) {
		e := newEnv(t)
		p := e.highlighted(model.NetworkBluesky, 1)
		_, _, rkey, _ := parseATURI(p.URI)
		e.bsky.mu.Lock()
		e.bsky.records[bskyAnnaDID+"/"+collPost+"/"+rkey].Value["reply"] = map[string]any{
			"root":   map[string]string{"uri": "at://" + bskyAnnaDID + "/app.bsky.feed.post/3kaaaaaaaaaaa", "cid": "bafyroot"},
			"parent": map[string]string{"uri": "at://" + bskyAnnaDID + "/app.bsky.feed.post/3kaaaaaaaaaaa", "cid": "bafyroot"},
		}
		e.bsky.mu.Unlock()
		it, _ := e.svc.PlanHighlight(context.Background(), p)
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxFailed || !strings.Contains(got.Reason, "is a reply") {
			t.Errorf("row = %s %q, want failed: reply", got.Status, got.Reason)
		}
	})
}

// local returns a time in Brussels.
func local(day, hour, minute int) time.Time {
	return time.Date(2026, 10, day, hour, minute, 0, 0, brussels)
}

func TestHighlightSlots(t *testing.T) {
	caps := Caps{PerHour: 2, PerDay: 3, MinSpacing: 10 * time.Minute, PerAuthorPerDay: 5}
	e := newEnv(t, func(c *Config) { c.Mastodon.Caps = caps })
	ctx := context.Background()
	var got []time.Time
	for i := range 5 {
		p := e.highlighted(model.NetworkMastodon, i, func(p *model.Post) { p.Author.Handle = fmt.Sprintf("author%d@regions.example", i) })
		it, err := e.svc.PlanHighlight(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it.NextAttemptAt.In(brussels))
	}
	want := []time.Time{
		local(5, 10, 0),  // now
		local(5, 10, 10), // minimum spacing
		local(5, 11, 0),  // two per hour
		local(6, 7, 0),   // three per day; next day after quiet hours
		local(6, 7, 10),
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("highlight %d planned at %s, want %s", i, got[i].Format(time.DateTime), want[i].Format(time.DateTime))
		}
	}
}

func TestHighlightAuthorCap(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Bluesky.Caps = Caps{PerAuthorPerDay: 2} })
	var statuses []string
	for i := range 3 {
		it, err := e.svc.PlanHighlight(context.Background(), e.highlighted(model.NetworkBluesky, i))
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, string(it.Status)+" "+it.Reason)
	}
	want := []string{"planned ", "planned ", "skipped author anna.bsky.social already reposted 2 times that day"}
	for i := range want {
		if statuses[i] != want[i] {
			t.Errorf("highlight %d: %q, want %q", i, statuses[i], want[i])
		}
	}
	// The next day the author may be reposted again.
	e.clock.Set(local(6, 12, 0))
	it, _ := e.svc.PlanHighlight(context.Background(), e.highlighted(model.NetworkBluesky, 9))
	if it.Status != model.OutboxPlanned {
		t.Errorf("next day: %s %q, want planned", it.Status, it.Reason)
	}
}

func TestHighlightAtNightIsSentInTheMorning(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(local(5, 23, 30))
	it, err := e.svc.PlanHighlight(context.Background(), e.highlighted(model.NetworkX, 1))
	if err != nil {
		t.Fatal(err)
	}
	if want := local(6, 7, 0); !it.NextAttemptAt.Equal(want) || it.Status != model.OutboxPlanned {
		t.Fatalf("planned %s at %s, want planned at %s", it.Status, it.NextAttemptAt.In(brussels), want)
	}
	e.tick()
	e.clock.Set(local(6, 6, 59))
	e.tick()
	if got := e.x.Requests(); got != 0 {
		t.Fatalf("X received %d requests during quiet hours, want 0", got)
	}
	e.clock.Set(local(6, 7, 0))
	e.tick()
	if got := e.item(it.IdempotencyKey); got.Status != model.OutboxSent || e.sends(model.NetworkX) != 1 {
		t.Errorf("row = %s, sends = %d; want sent once in the morning", got.Status, e.sends(model.NetworkX))
	}
}

func TestWindow(t *testing.T) {
	night := window{22 * 60, 7 * 60}
	tests := []struct {
		at     time.Time
		inside bool
		end    time.Time
	}{
		{local(5, 21, 59), false, time.Time{}},
		{local(5, 22, 0), true, local(6, 7, 0)},
		{local(6, 3, 0), true, local(6, 7, 0)},
		{local(6, 7, 0), false, time.Time{}},
		// 25 October 2026: clocks go back at 03:00 in Brussels; quiet hours still end at 07:00 local.
		{local(25, 1, 0), true, local(25, 7, 0)},
	}
	for _, tt := range tests {
		if got := night.contains(tt.at, brussels); got != tt.inside {
			t.Errorf("contains(%s) = %v, want %v", tt.at.Format(time.DateTime), got, tt.inside)
		}
		if tt.inside {
			if got := night.endAfter(tt.at, brussels); !got.Equal(tt.end) {
				t.Errorf("endAfter(%s) = %s, want %s", tt.at.Format(time.DateTime), got, tt.end)
			}
		}
	}
	if (window{}).contains(local(5, 23, 0), brussels) {
		t.Error("an empty window contains 23:00")
	}
}

func TestHighlightPostOnOtherNetworks(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.HighlightPost = "From the #CohesionAlliance wall, by {author}: {url}" })
	p := e.highlighted(model.NetworkMastodon, 1)
	it, err := e.svc.PlanHighlight(context.Background(), p)
	if err != nil || it.Kind != model.OutboxRepost {
		t.Fatalf("PlanHighlight = %+v, %v", it, err)
	}
	e.tick()
	want := "From the #CohesionAlliance wall, by Anna: " + p.URL
	posts := e.bsky.Created(collPost)
	if len(posts) != 1 || posts[0].Value["text"] != want {
		t.Fatalf("bluesky posts = %+v, want one saying %q", posts, want)
	}
	if facets, _ := posts[0].Value["facets"].([]any); len(facets) != 2 {
		t.Errorf("facets = %v, want the hashtag and the link", posts[0].Value["facets"])
	}
	x := e.item("highlight-post:x:mastodon:" + p.URI)
	if x.Status != model.OutboxSent || x.EstimatedCost != e.cfg.X.CostPerLinkPost {
		t.Errorf("x post = %+v, want sent at the link price", x)
	}
	if e.sends(model.NetworkMastodon) != 1 {
		t.Errorf("mastodon sends = %d, want the boost only", e.sends(model.NetworkMastodon))
	}
}
