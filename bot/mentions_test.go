package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestPollMentions(t *testing.T) {
	type net struct {
		n       model.Network
		handle  string
		mention func(e *env, text string)
	}
	nets := []net{
		{model.NetworkMastodon, "carla@cities.example", func(e *env, text string) { e.masto.AddMention("carla@cities.example", text) }},
		{model.NetworkBluesky, "anna.bsky.social", func(e *env, text string) { e.bsky.AddMention("anna.bsky.social", text) }},
		{model.NetworkX, "anna_eu", func(e *env, text string) { e.x.AddMention("anna_eu", text) }},
	}
	for _, nt := range nets {
		t.Run(string(nt.n), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			nt.mention(e, "@cohesionbot what a great campaign")
			e.clock.Advance(time.Second)
			nt.mention(e, "@cohesionbot remind me please")
			n, err := e.svc.PollMentions(ctx)
			if err != nil || n != 2 {
				t.Fatalf("first poll handled %d, %v; want 2 mentions", n, err)
			}
			sup, err := e.st.SupporterByHandle(ctx, nt.n, nt.handle)
			if err != nil || sup.Status != model.SupporterActive {
				t.Fatalf("supporter = %+v, %v; want active", sup, err)
			}
			if n, err := e.svc.PollMentions(ctx); err != nil || n != 0 {
				t.Errorf("second poll handled %d, %v; want 0 (nothing new)", n, err)
			}
			e.clock.Advance(time.Minute)
			nt.mention(e, "@cohesionbot stop")
			if n, err := e.svc.PollMentions(ctx); err != nil || n != 1 {
				t.Errorf("third poll handled %d, %v; want the stop", n, err)
			}
			if sup, _ := e.st.SupporterByHandle(ctx, nt.n, nt.handle); sup.Status != model.SupporterStopped {
				t.Errorf("supporter after stop = %s, want stopped", sup.Status)
			}
			e.tick()
			replies, _ := e.svc.Preview(ctx, time.Hour)
			if len(replies) != 0 {
				t.Errorf("replies still planned after Tick: %+v", replies)
			}
			if got := e.sends(nt.n); got != 2 {
				t.Errorf("replies sent = %d, want 2 (confirmation and stop)", got)
			}
		})
	}
}

func TestPollMentionsInDryRunAsksNothing(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DryRun = true })
	e.masto.AddMention("carla@cities.example", "@cohesionbot remind me")
	n, err := e.svc.PollMentions(context.Background())
	if err != nil || n != 0 || e.requests() != 0 {
		t.Errorf("dry-run poll handled %d (%v) with %d requests, want nothing", n, err, e.requests())
	}
}

func TestMastodonReplyToAMentionSearchCannotFind(t *testing.T) {
	e := newEnv(t)
	st := e.masto.AddMention("carla@cities.example", "@cohesionbot remind me")
	e.masto.mu.Lock()
	delete(e.masto.remote, st.URI) // a direct message to the bot: search does not show it
	e.masto.mu.Unlock()
	if n, err := e.svc.PollMentions(context.Background()); err != nil || n != 1 {
		t.Fatalf("poll handled %d, %v; want 1", n, err)
	}
	e.tick()
	forms := e.statusForms()
	if len(forms) != 1 || forms[0].Get("in_reply_to_id") != st.ID || !strings.HasPrefix(forms[0].Get("status"), "@carla@cities.example ") {
		t.Errorf("replies = %v, want one reply to status %s mentioning carla", forms, st.ID)
	}
}
