package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

var allNetworks = []model.Network{model.NetworkMastodon, model.NetworkBluesky, model.NetworkX}

const signText = "Sign the Joint Call for a cohesion policy that leaves no one behind https://cohesion.example/sign #CohesionAlliance"

func postItem(n model.Network, key string) model.OutboxItem {
	return model.OutboxItem{IdempotencyKey: key, Network: n, Kind: model.OutboxPost, Text: signText}
}

func TestNewRefusesConfigNotFromDefault(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir()+"/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(st, Config{}, Options{}); err == nil {
		t.Fatal("New accepted a zero Config (dry run off by accident); want an error")
	}
	cfg := DefaultConfig()
	if !cfg.DryRun {
		t.Error("DefaultConfig().DryRun = false, want true")
	}
	cfg.QuietStart = "25:00"
	if _, err := New(st, cfg, Options{}); err == nil || !strings.Contains(err.Error(), "quiet hours") {
		t.Errorf("New with quiet hours 25:00: err = %v, want a quiet hours error", err)
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DryRun = true })
	ctx := context.Background()
	for i, n := range allNetworks {
		if _, err := e.svc.PlanHighlight(ctx, e.highlighted(n, i)); err != nil {
			t.Fatal(err)
		}
		e.plan(postItem(n, "post:"+string(n)))
	}
	for range 3 {
		e.tick()
		e.clock.Advance(time.Hour)
	}
	if got := e.requests(); got != 0 {
		t.Errorf("fake networks received %d requests in dry run, want 0", got)
	}
	counts, err := e.st.CountOutbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[model.OutboxPlanned] != 6 || len(counts) != 1 {
		t.Errorf("outbox counts = %v, want 6 planned and nothing else", counts)
	}
	plan, err := e.svc.Preview(ctx, 24*time.Hour)
	if err != nil || len(plan) != 6 {
		t.Errorf("Preview = %d items, %v; want the 6 planned actions", len(plan), err)
	}
	state, err := e.svc.State(ctx)
	if err != nil || len(state) != 3 || !state[0].DryRun || !state[0].Enabled {
		t.Errorf("State = %+v, %v; want 3 enabled networks in dry run", state, err)
	}
}

func TestHighlightBecomesExactlyOneRepost(t *testing.T) {
	for _, n := range allNetworks {
		t.Run(string(n), func(t *testing.T) {
			e := newEnv(t)
			p := e.highlighted(n, 1)
			first, err := e.svc.PlanHighlight(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := e.svc.PlanHighlight(context.Background(), p)
			if err != nil || again.ID != first.ID {
				t.Fatalf("second highlight = %+v, %v; want the first row (id %d)", again, err, first.ID)
			}
			if first.IdempotencyKey != "highlight:"+string(n)+":"+p.URI {
				t.Errorf("key = %q", first.IdempotencyKey)
			}
			e.tick()
			e.clock.Advance(time.Minute)
			e.tick()
			if got := e.sends(n); got != 1 {
				t.Errorf("reposts on %s = %d, want 1", n, got)
			}
			it := e.item(first.IdempotencyKey)
			if it.Status != model.OutboxSent || it.RemoteID == "" || !it.SentAt.Equal(t0) {
				t.Errorf("row = %+v, want sent at %v with a remote id", it, t0)
			}
		})
	}
}

// TestCrashRecoverySendsOnce kills the bot at each point of a send and
// restarts it on the same database: every action reaches the network once.
func TestCrashRecoverySendsOnce(t *testing.T) {
	phases := []string{"written not sent", "claimed not sent", "sent not marked"}
	type action struct {
		n    model.Network
		kind model.OutboxKind
	}
	var actions []action
	for _, n := range allNetworks {
		actions = append(actions, action{n, model.OutboxRepost}, action{n, model.OutboxPost})
	}
	actions = append(actions, action{model.NetworkMastodon, model.OutboxDM}, action{model.NetworkBluesky, model.OutboxDM})
	for _, a := range actions {
		n, kind := a.n, a.kind
		for _, phase := range phases {
			t.Run(fmt.Sprintf("%s/%s/%s", n, kind, phase), func(t *testing.T) {
				e := newEnv(t)
				ctx := context.Background()
				var it model.OutboxItem
				switch kind {
				case model.OutboxRepost:
					var err error
					if it, err = e.svc.PlanHighlight(ctx, e.highlighted(n, 1)); err != nil {
						t.Fatal(err)
					}
				case model.OutboxPost:
					it = e.plan(postItem(n, "campaign:1:"+string(n)))
				case model.OutboxDM:
					dm := postItem(n, "reminder:1:"+string(n))
					dm.Kind, dm.Target = model.OutboxDM, map[model.Network]string{
						model.NetworkMastodon: "carla@cities.example", model.NetworkBluesky: "dora.bsky.social"}[n]
					it = e.plan(dm)
				}
				switch phase {
				case "claimed not sent":
					// The claim was committed, then the process died before the request.
					if _, err := e.st.StartOutboxAttempt(ctx, it.ID, model.OutboxPlanned, e.clock.Now()); err != nil {
						t.Fatal(err)
					}
				case "sent not marked":
					// The network does it, then the process dies before the answer is stored.
					crash, cancel := context.WithCancel(ctx)
					defer cancel()
					for _, c := range []*common{&e.masto.common, &e.bsky.common, &e.x.common} {
						c.SetAfterSend(cancel)
					}
					if err := e.svc.Tick(crash); !errors.Is(err, context.Canceled) {
						t.Fatalf("Tick during crash: err = %v, want context.Canceled", err)
					}
					if got := e.item(it.IdempotencyKey); got.Status != model.OutboxSending {
						t.Fatalf("after crash the row is %s, want sending", got.Status)
					}
					if got := e.sends(n); got != 1 {
						t.Fatalf("before restart the network did %d sends, want 1", got)
					}
					for _, c := range []*common{&e.masto.common, &e.bsky.common, &e.x.common} {
						c.SetAfterSend(nil)
					}
				}
				e.restart()
				e.clock.Advance(time.Minute)
				e.tick()
				e.clock.Advance(time.Hour)
				e.tick()
				if got := e.sends(n); got != 1 {
					t.Errorf("the network did it %d times, want exactly once", got)
				}
				if got := e.sendRequests(n); got != 1 {
					t.Errorf("the network received %d send requests, want 1", got)
				}
				got := e.item(it.IdempotencyKey)
				if got.Status != model.OutboxSent || got.RemoteID == "" {
					t.Errorf("row after restart = %+v, want sent with a remote id", got)
				}
			})
		}
	}
}

func TestServerErrorIsReconciledBeforeRetry(t *testing.T) {
	for _, n := range allNetworks {
		for _, effect := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/done=%v", n, effect), func(t *testing.T) {
				e := newEnv(t)
				fail := fakeFailure{status: 502, effect: effect}
				switch n {
				case model.NetworkMastodon:
					e.masto.Fail(fail)
				case model.NetworkBluesky:
					e.bsky.Fail(fail)
				case model.NetworkX:
					e.x.Fail(fail)
				}
				it := e.plan(postItem(n, "post:1"))
				e.tick()
				got := e.item(it.IdempotencyKey)
				if got.Status != model.OutboxSending || got.Attempts != 1 || !got.NextAttemptAt.Equal(t0.Add(30*time.Second)) {
					t.Fatalf("after a 502 the row is %+v; want sending, 1 attempt, next at +30s", got)
				}
				e.tick() // not due yet
				if got := e.sendRequests(n); got != 1 {
					t.Fatalf("send requests before the retry is due = %d, want 1", got)
				}
				e.clock.Advance(30 * time.Second)
				e.tick()
				got = e.item(it.IdempotencyKey)
				if got.Status != model.OutboxSent || got.Attempts != 2 {
					t.Errorf("after the retry the row is %+v, want sent after 2 attempts", got)
				}
				if got := e.sends(n); got != 1 {
					t.Errorf("the network holds %d posts, want 1", got)
				}
				wantRequests := 2
				if effect {
					wantRequests = 1 // the lookup found it: no resend
				}
				if got := e.sendRequests(n); got != wantRequests {
					t.Errorf("send requests = %d, want %d", got, wantRequests)
				}
			})
		}
	}
}

func TestRateLimitWaitsForReset(t *testing.T) {
	t.Run("x reset header", func(t *testing.T) {
		e := newEnv(t)
		reset := t0.Add(15 * time.Minute)
		e.x.Fail(fakeFailure{status: 429, file: "x/error_429.json",
			header: map[string]string{"x-rate-limit-reset": fmt.Sprint(reset.Unix())}})
		a := e.plan(postItem(model.NetworkX, "post:a"))
		b := e.plan(model.OutboxItem{IdempotencyKey: "post:b", Network: model.NetworkX, Kind: model.OutboxPost, Text: "second"})
		e.tick()
		if got := e.item(a.IdempotencyKey); got.Status != model.OutboxPlanned || !got.NextAttemptAt.Equal(reset) ||
			!strings.Contains(got.Reason, "rate limited") {
			t.Errorf("rate-limited row = %+v, want planned until %v", got, reset)
		}
		if got := e.sendRequests(model.NetworkX); got != 1 {
			t.Errorf("send requests while rate limited = %d, want 1 (the second row waits)", got)
		}
		state, _ := e.svc.State(context.Background())
		if !state[2].RateLimitedUntil.Equal(reset) {
			t.Errorf("state = %+v, want x rate limited until %v", state[2], reset)
		}
		e.clock.Set(reset)
		e.tick()
		for _, k := range []string{a.IdempotencyKey, b.IdempotencyKey} {
			if got := e.item(k); got.Status != model.OutboxSent {
				t.Errorf("%s after the reset: %s, want sent", k, got.Status)
			}
		}
	})
	t.Run("mastodon retry-after", func(t *testing.T) {
		e := newEnv(t)
		e.masto.Fail(fakeFailure{status: 429, file: "mastodon/error_429.json", header: map[string]string{"Retry-After": "120"}})
		it, err := e.svc.PlanHighlight(context.Background(), e.highlighted(model.NetworkMastodon, 1))
		if err != nil {
			t.Fatal(err)
		}
		e.tick() // go-mastodon would retry for an hour; the bot's transport stops it at once
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxPlanned || !got.NextAttemptAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("row = %+v, want planned again at +2m", got)
		}
		e.clock.Advance(2 * time.Minute)
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxSent || e.sends(model.NetworkMastodon) != 1 {
			t.Errorf("row = %+v, sends = %d; want sent once", got, e.sends(model.NetworkMastodon))
		}
	})
}

func TestPermanentFailures(t *testing.T) {
	tests := []struct {
		name    string
		network model.Network
		fail    fakeFailure
		reason  []string
		halts   bool
	}{
		{"mastodon refused content", model.NetworkMastodon, fakeFailure{status: 422, file: "mastodon/error_422.json"},
			[]string{"refused by the network", "HTTP 422", "character limit"}, false},
		{"mastodon revoked token", model.NetworkMastodon, fakeFailure{status: 401, file: "mastodon/error_401.json"},
			[]string{"access token revoked or invalid", "HTTP 401"}, true},
		{"mastodon missing scope", model.NetworkMastodon, fakeFailure{status: 403, file: "mastodon/error_403.json"},
			[]string{"lacks a needed permission", "outside the authorized scopes"}, true},
		{"x duplicate", model.NetworkX, fakeFailure{status: 403, file: "x/error_403_duplicate.json"},
			[]string{"refused by the network", "duplicate content"}, false},
		{"x app permissions", model.NetworkX, fakeFailure{status: 403, file: "x/error_403_permissions.json"},
			[]string{"lacks a needed permission", "oauth1 app permissions"}, true},
		{"x revoked token", model.NetworkX, fakeFailure{status: 401, file: "x/error_401.json"},
			[]string{"access token revoked or invalid", "Unauthorized"}, true},
		{"bluesky invalid record", model.NetworkBluesky, fakeFailure{status: 400, file: "bluesky/error_auth.json"},
			[]string{"revoked or invalid", "Invalid identifier or password"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			switch tt.network {
			case model.NetworkMastodon:
				e.masto.Fail(tt.fail)
			case model.NetworkBluesky:
				e.bsky.Fail(tt.fail)
			case model.NetworkX:
				e.x.Fail(tt.fail)
			}
			a := e.plan(postItem(tt.network, "post:a"))
			b := e.plan(model.OutboxItem{IdempotencyKey: "post:b", Network: tt.network, Kind: model.OutboxPost, Text: "second"})
			e.tick()
			got := e.item(a.IdempotencyKey)
			if got.Status != model.OutboxFailed {
				t.Fatalf("row = %+v, want failed", got)
			}
			for _, want := range tt.reason {
				if !strings.Contains(got.Reason, want) {
					t.Errorf("reason %q does not say %q", got.Reason, want)
				}
			}
			second := e.item(b.IdempotencyKey)
			state, _ := e.svc.State(context.Background())
			var ns NetworkState
			for _, s := range state {
				if s.Network == tt.network {
					ns = s
				}
			}
			if tt.halts {
				if second.Status != model.OutboxPlanned || ns.Halted == "" {
					t.Errorf("after a bad token: second row %s, halted %q; want it left planned and the network halted", second.Status, ns.Halted)
				}
				if err := e.svc.Resume(context.Background(), tt.network); err != nil {
					t.Fatal(err)
				}
				e.tick()
				if got := e.item(b.IdempotencyKey); got.Status != model.OutboxSent {
					t.Errorf("after Resume the second row is %s, want sent", got.Status)
				}
			} else if second.Status != model.OutboxSent || ns.Halted != "" {
				t.Errorf("second row %s, halted %q; want sent and the network not halted", second.Status, ns.Halted)
			}
		})
	}
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	for _, lastDone := range []bool{false, true} {
		t.Run(fmt.Sprintf("last attempt done=%v", lastDone), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.MaxAttempts = 3 })
			e.masto.Fail(fakeFailure{status: 503}, fakeFailure{status: 503}, fakeFailure{status: 502, effect: lastDone})
			it := e.plan(postItem(model.NetworkMastodon, "post:1"))
			for range 6 {
				e.tick()
				e.clock.Advance(10 * time.Minute)
			}
			got := e.item(it.IdempotencyKey)
			switch {
			case lastDone && (got.Status != model.OutboxSent || got.Attempts != 3):
				t.Errorf("row = %+v; want sent: the last look found the third attempt", got)
			case !lastDone && (got.Status != model.OutboxFailed || got.Attempts != 3 ||
				!strings.Contains(got.Reason, "gave up after 3 attempts") || !strings.Contains(got.Reason, "HTTP 502")):
				t.Errorf("row = %+v; want failed after 3 attempts with the last error", got)
			}
			if got := e.sendRequests(model.NetworkMastodon); got != 3 {
				t.Errorf("send requests = %d, want 3", got)
			}
			if got, want := e.sends(model.NetworkMastodon), map[bool]int{false: 0, true: 1}[lastDone]; got != want {
				t.Errorf("statuses on the network = %d, want %d", got, want)
			}
		})
	}
}

func TestXBudget(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.X.MonthlyBudget, c.X.CostPerPost, c.X.CostPerLinkPost = 1.0, 0.4, 0.9
	})
	plain := func(key string) model.OutboxItem {
		return e.plan(model.OutboxItem{IdempotencyKey: key, Network: model.NetworkX, Kind: model.OutboxPost, Text: "Sign the Joint Call " + key})
	}
	a := plain("a")
	b := e.plan(postItem(model.NetworkX, "b-link"))
	c := plain("c")
	if a.EstimatedCost != 0.4 || b.EstimatedCost != 0.9 {
		t.Errorf("estimated costs = %v, %v; want 0.4 and 0.9 (a link costs more)", a.EstimatedCost, b.EstimatedCost)
	}
	e.tick()
	want := map[string]model.OutboxStatus{"a": model.OutboxSent, "b-link": model.OutboxSkipped, "c": model.OutboxSent}
	for k, st := range want {
		if got := e.item(k); got.Status != st {
			t.Errorf("%s: %s (%s), want %s", k, got.Status, got.Reason, st)
		}
	}
	if got := e.item("b-link"); got.Reason != "X monthly budget reached" {
		t.Errorf("skip reason = %q, want %q", got.Reason, "X monthly budget reached")
	}
	_ = c
	plain("d")
	e.tick()
	if got := e.item("d"); got.Status != model.OutboxSkipped {
		t.Errorf("d (0.4 over 0.8 spent of 1.0) = %s, want skipped", got.Status)
	}
	e.clock.Set(time.Date(2026, 11, 1, 0, 30, 0, 0, brussels)) // a new month in the bot's time zone
	e.svc.cfg.QuietStart, e.svc.cfg.QuietEnd = "00:00", "00:00"
	e.svc.quiet = window{}
	plain("e")
	e.tick()
	if got := e.item("e"); got.Status != model.OutboxSent {
		t.Errorf("e in a new month = %s (%s), want sent", got.Status, got.Reason)
	}
	if got := e.sends(model.NetworkX); got != 3 {
		t.Errorf("posts on X = %d, want 3", got)
	}
	state, _ := e.svc.State(context.Background())
	if state[2].SpentThisMonth != 0.4 || state[2].MonthlyBudget != 1.0 {
		t.Errorf("x state = %+v, want 0.4 of 1.0 spent this month", state[2])
	}
}

func TestDispatchSkips(t *testing.T) {
	t.Run("post no longer approved", func(t *testing.T) {
		e := newEnv(t)
		p := e.highlighted(model.NetworkMastodon, 1)
		it, err := e.svc.PlanHighlight(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Decide(context.Background(), model.Decision{PostID: p.ID, Action: model.ActionRetract, Actor: "mod"}); err != nil {
			t.Fatal(err)
		}
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxSkipped || !strings.Contains(got.Reason, "no longer approved") {
			t.Errorf("row = %+v, want skipped: no longer approved", got)
		}
		if got := e.masto.Requests(); got != 0 {
			t.Errorf("mastodon received %d requests, want 0", got)
		}
	})
	t.Run("stale", func(t *testing.T) {
		e := newEnv(t)
		it := e.plan(postItem(model.NetworkBluesky, "post:1"))
		e.clock.Advance(25 * time.Hour)
		e.tick()
		if got := e.item(it.IdempotencyKey); got.Status != model.OutboxSkipped || !strings.HasPrefix(got.Reason, "stale") {
			t.Errorf("row = %+v, want skipped as stale", got)
		}
	})
	t.Run("paused network", func(t *testing.T) {
		e := newEnv(t)
		ctx := context.Background()
		if err := e.svc.Pause(ctx, model.NetworkBluesky, "admin"); err != nil {
			t.Fatal(err)
		}
		b := e.plan(postItem(model.NetworkBluesky, "post:b"))
		m := e.plan(postItem(model.NetworkMastodon, "post:m"))
		e.tick()
		if got := e.item(b.IdempotencyKey); got.Status != model.OutboxPlanned || e.bsky.Requests() != 0 {
			t.Errorf("paused bluesky row = %s after %d requests, want planned and no request", got.Status, e.bsky.Requests())
		}
		if got := e.item(m.IdempotencyKey); got.Status != model.OutboxSent {
			t.Errorf("mastodon row = %s, want sent (only bluesky is paused)", got.Status)
		}
		if err := e.svc.Resume(ctx, model.NetworkBluesky); err != nil {
			t.Fatal(err)
		}
		e.tick()
		if got := e.item(b.IdempotencyKey); got.Status != model.OutboxSent {
			t.Errorf("resumed bluesky row = %s, want sent", got.Status)
		}
	})
	t.Run("spacing at send time", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Mastodon.Caps.MinSpacing = 10 * time.Minute })
		// Planned while paused: both slots are spaced, but both are overdue at resume.
		a := e.plan(postItem(model.NetworkMastodon, "post:a"))
		b := e.plan(model.OutboxItem{IdempotencyKey: "post:b", Network: model.NetworkMastodon, Kind: model.OutboxPost, Text: "two"})
		e.clock.Advance(time.Hour)
		e.tick()
		if got := e.item(a.IdempotencyKey); got.Status != model.OutboxSent {
			t.Fatalf("first row = %s, want sent", got.Status)
		}
		if got := e.item(b.IdempotencyKey); got.Status != model.OutboxPlanned || !got.NextAttemptAt.Equal(e.clock.Now().Add(10*time.Minute)) {
			t.Errorf("second row = %+v, want planned 10 minutes after the first was sent", got)
		}
	})
}

func TestBlueskySessionIsReusedAndRenewed(t *testing.T) {
	e := newEnv(t)
	e.plan(postItem(model.NetworkBluesky, "post:1"))
	e.plan(model.OutboxItem{IdempotencyKey: "post:2", Network: model.NetworkBluesky, Kind: model.OutboxPost, Text: "two"})
	e.tick()
	e.bsky.ExpireTokens()
	e.plan(model.OutboxItem{IdempotencyKey: "post:3", Network: model.NetworkBluesky, Kind: model.OutboxPost, Text: "three"})
	e.tick()
	if got := e.item("post:3"); got.Status != model.OutboxSent {
		t.Errorf("post after the token expired = %+v, want sent", got)
	}
	e.bsky.mu.Lock()
	sessions := e.bsky.sessions
	e.bsky.mu.Unlock()
	if sessions != 2 {
		t.Errorf("createSession calls = %d, want 2 (one, then one after expiry)", sessions)
	}
}
