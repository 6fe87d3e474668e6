package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

func TestPlanCampaign(t *testing.T) {
	photo := filepath.Join(t.TempDir(), "call.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\nfake"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Reminders.SigningURL = "https://cohesion.example/sign"
		c.Reminders.Deadline = t0.Add(10*24*time.Hour - time.Hour)
	})
	e.svc.SetSignatureCount(4200)
	c := Campaign{Name: "weekly-en", Networks: []model.Network{model.NetworkMastodon, model.NetworkBluesky}, Language: "en",
		Text: "{count} signatures, {days} days left: {url} #CohesionAlliance", ImagePath: photo, ImageAlt: "The Joint Call's title page"}
	ctx := context.Background()
	for range 2 { // the scheduler fired twice for one run
		items, err := e.svc.PlanCampaign(ctx, c)
		if err != nil || len(items) != 2 {
			t.Fatalf("PlanCampaign = %d items, %v; want 2", len(items), err)
		}
	}
	all, _ := e.st.OutboxItems(ctx, store.OutboxFilter{})
	if len(all) != 2 {
		t.Fatalf("outbox rows = %d, want 2 (one per network)", len(all))
	}
	want := "4200 signatures, 10 days left: https://cohesion.example/sign #CohesionAlliance"
	if all[0].Text != want {
		t.Errorf("text = %q, want %q", all[0].Text, want)
	}
	e.tick()
	forms := e.statusForms()
	if len(forms) != 1 || forms[0].Get("status") != want || len(forms[0]["media_ids[]"]) != 1 {
		t.Errorf("mastodon statuses = %v, want the campaign post with its image", forms)
	}
	posts := e.bsky.Created(collPost)
	if len(posts) != 1 || posts[0].Value["embed"] == nil {
		t.Errorf("bluesky posts = %+v, want one with an image", posts)
	}
	e.masto.mu.Lock()
	uploads := e.masto.uploads
	e.masto.mu.Unlock()
	if len(uploads) != 1 || uploads[0] != "The Joint Call's title page" {
		t.Errorf("uploads = %q, want the image with its alt text", uploads)
	}
}

func TestCampaignConfigNeedsAltText(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Reminders.Campaigns = []Campaign{{Name: "a", Text: "Sign!", ImagePath: "call.png"}}
	if _, err := New(st, cfg, Options{}); err == nil || !strings.Contains(err.Error(), "no alt text") {
		t.Errorf("New with an image without alt text: err = %v, want a clear error", err)
	}
}
