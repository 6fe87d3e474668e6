package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// TestSignatureCountSources follows the count through its sources: a scrape
// stores it and tells the walls, an admin's value replaces it until the next
// successful scrape, a failed scrape changes nothing, and after a restart
// the bot quotes the stored count before any scrape succeeds.
func TestSignatureCountSources(t *testing.T) {
	var shown atomic.Int64 // what the petition page says; 0: the page is down
	shown.Store(12345)
	petition := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := shown.Load()
		if n == 0 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `<html><body><span class="signature-count">%d</span></body></html>`, n)
	}))
	t.Cleanup(petition.Close)
	f := newFakeMastodon(t)
	path := writeConfig(t, minimalConfig+strings.Replace(mastodonBotSection(f.srv.URL, true), "[bot]\n", fmt.Sprintf(
		"[bot]\nsignature_count_url = %q\nsignature_count_selector = \".signature-count\"\nsignature_count_allow_private_network = true\n", petition.URL), 1)+`
[bot.reminders]
signing_url = "https://example.org/sign"

[[bot.campaigns]]
name = "weekly"
schedule = "@weekly"
text = "{count} have signed"

[[bot.campaigns]]
name = "after-restart"
schedule = "@weekly"
text = "{count} signed"
`)
	cfg, err := config.Load(path, func(k string) (string, bool) { return fakeToken, k == "BOT_MASTODON_TOKEN" })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func() *app {
		a, err := newApp(ctx, cfg, newLogger(io.Discard), collectorDeps{})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	current := func() model.SignatureCount {
		t.Helper()
		c, err := a.store.SignatureCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// campaignText runs a reminder campaign (each at most once a minute:
	// its outbox key holds the minute) and returns what it would post.
	campaignText := func(name string) string {
		t.Helper()
		if err := a.sched.RunNow(ctx, "bot:campaign:"+name); err != nil {
			t.Fatal(err)
		}
		items, err := a.store.OutboxItems(ctx, store.OutboxFilter{Kind: model.OutboxPost})
		if err != nil || len(items) == 0 {
			t.Fatalf("campaign rows: %d (%v)", len(items), err)
		}
		return items[0].Text // newest first
	}

	before := a.hub.LastEventID()
	if err := a.sched.RunNow(ctx, "bot:signatures"); err != nil {
		t.Fatal(err)
	}
	if c := current(); c.Value != 12345 || c.Source != model.SignaturesScraped {
		t.Errorf("after a scrape: %+v, want 12345 scraped", c)
	}
	if a.hub.LastEventID() != before+1 {
		t.Errorf("hub events: %d → %d, want one counter event", before, a.hub.LastEventID())
	}

	if err := (adminCounter{a}).SetSignatureCount(ctx, 20000, "ada"); err != nil {
		t.Fatal(err)
	}
	if c := current(); c.Value != 20000 || c.Source != model.SignaturesAdmin || c.By != "ada" {
		t.Errorf("after the admin: %+v, want 20000 by ada", c)
	}
	shown.Store(0) // the petition page is down: the campaign quotes the admin's count
	if got, want := campaignText("weekly"), "20000 have signed"; got != want {
		t.Errorf("campaign with the page down = %q, want %q", got, want)
	}
	if c := current(); c.Value != 20000 {
		t.Errorf("a failed scrape changed the count: %+v", c)
	}
	shown.Store(12400) // back: the next successful scrape replaces the admin's value
	if err := a.sched.RunNow(ctx, "bot:signatures"); err != nil {
		t.Fatal(err)
	}
	if c := current(); c.Value != 12400 || c.Source != model.SignaturesScraped {
		t.Errorf("after the page is back: %+v, want 12400 scraped", c)
	}
	a.close()

	shown.Store(0)
	a = open()
	t.Cleanup(a.close)
	if got, want := campaignText("after-restart"), "12400 signed"; got != want {
		t.Errorf("after a restart with the page down = %q, want %q (the stored count)", got, want)
	}
}
