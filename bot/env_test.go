package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests use Europe/Brussels wherever they run

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// t0 is Monday 5 October 2026, 10:00 in Brussels (CEST, UTC+2).
var t0 = time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

// env is a bot with a real SQLite store and fake Mastodon, Bluesky and X
// servers. restart closes the store and opens everything anew on the same
// file, as a process restart would.
type env struct {
	t     *testing.T
	path  string
	clock *fakeClock
	masto *fakeMastodon
	bsky  *fakeBluesky
	x     *fakeX
	cfg   Config
	st    *store.Store
	svc   *Service
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "bot.db"), clock: &fakeClock{t: t0}}
	e.masto = newFakeMastodon(t, e.clock.Now)
	e.bsky = newFakeBluesky(t, e.clock.Now)
	e.x = newFakeX(t, e.clock.Now)
	cfg := DefaultConfig()
	cfg.DryRun = false
	cfg.Mastodon = MastodonConfig{ServerURL: e.masto.URL(), AccessToken: mastodonToken, Visibility: "public"}
	cfg.Bluesky = BlueskyConfig{PDSURL: e.bsky.URL(), Handle: "cohesionbot.bsky.social", AppPassword: bskyPassword}
	cfg.X = XConfig{APIBaseURL: e.x.URL(), UserID: xUserID, ConsumerKey: xConsumer, ConsumerSecret: "cs-secret",
		AccessToken: xToken, AccessSecret: "as-secret", MonthlyBudget: 100, CostPerPost: 0.01, CostPerLinkPost: 0.2,
		CostPerRepost: 0.01}
	for _, m := range mutate {
		m(&cfg)
	}
	e.cfg = cfg
	e.open()
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *env) open() {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	svc, err := New(st, e.cfg, Options{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(testLog{e.t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

func (e *env) restart() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) tick() {
	e.t.Helper()
	if err := e.svc.Tick(context.Background()); err != nil {
		e.t.Fatalf("Tick: %v", err)
	}
}

func (e *env) item(key string) model.OutboxItem {
	e.t.Helper()
	it, err := e.st.OutboxItemByKey(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return it
}

func (e *env) plan(it model.OutboxItem) model.OutboxItem {
	e.t.Helper()
	out, err := e.svc.Plan(context.Background(), it)
	if err != nil {
		e.t.Fatalf("Plan: %v", err)
	}
	return out
}

// requests counts every request any fake network received.
func (e *env) requests() int { return e.masto.Requests() + e.bsky.Requests() + e.x.Requests() }

// sends counts what the bot did upstream on a network.
func (e *env) sends(n model.Network) int {
	switch n {
	case model.NetworkMastodon:
		return e.masto.Sends()
	case model.NetworkBluesky:
		return len(e.bsky.Created(collRepost)) + len(e.bsky.Created(collPost)) + len(e.bsky.DMs())
	case model.NetworkX:
		return e.x.Sends()
	}
	return -1
}

// sendRequests counts the write requests a network received (including
// failed ones).
func (e *env) sendRequests(n model.Network) int {
	switch n {
	case model.NetworkMastodon:
		e.masto.mu.Lock()
		defer e.masto.mu.Unlock()
		return e.masto.reblogPOSTs + e.masto.statusPOSTs
	case model.NetworkBluesky:
		e.bsky.mu.Lock()
		defer e.bsky.mu.Unlock()
		return e.bsky.createCalls + e.bsky.dmCalls
	case model.NetworkX:
		e.x.mu.Lock()
		defer e.x.mu.Unlock()
		return e.x.retweetPOSTs + e.x.tweetPOSTs
	}
	return -1
}

// highlighted stores an approved, highlighted post by author on network n,
// known to that network's fake, and returns it.
func (e *env) highlighted(n model.Network, i int, mutate ...func(*model.Post)) model.Post {
	e.t.Helper()
	p := model.Post{
		Network:     n,
		Author:      model.Author{Handle: "anna", DisplayName: "Anna"},
		Text:        "Cohesion policy built our bridge #CohesionAlliance",
		Language:    "en",
		PublishedAt: t0.Add(-time.Hour),
	}
	switch n {
	case model.NetworkMastodon:
		p.URI = fmt.Sprintf("https://regions.example/users/anna/statuses/%d", 1000+i)
		p.URL = fmt.Sprintf("https://regions.example/@anna/%d", 1000+i)
		p.Author.Handle = "anna@regions.example"
	case model.NetworkBluesky:
		p.Author.Handle = "anna.bsky.social"
	case model.NetworkX:
		p.RemoteID = fmt.Sprint(1293595870563381000 + i)
		p.URI = "https://x.com/anna/status/" + p.RemoteID
	default:
		p.URI = fmt.Sprintf("https://example.org/%d", i)
	}
	for _, m := range mutate {
		m(&p)
	}
	switch n {
	case model.NetworkMastodon:
		e.masto.AddRemote(mStatus{URI: p.URI, URL: p.URL, Text: p.Text, Acct: p.Author.Handle})
	case model.NetworkBluesky:
		rkey := encodeTID(uint64(t0.UnixMicro())+uint64(i), 7)
		p.URI, p.CID = e.bsky.AddPost(rkey, map[string]any{"text": p.Text})
	}
	ctx := context.Background()
	res, err := e.st.SavePosts(ctx, "test", []model.Post{p}, "")
	if err != nil || len(res.New) != 1 {
		e.t.Fatalf("SavePosts: %v, %+v", err, res)
	}
	id := res.New[0].ID
	if _, err := e.st.Decide(ctx, model.Decision{PostID: id, Action: model.ActionApprove, Actor: "mod"}); err != nil {
		e.t.Fatal(err)
	}
	out, err := e.st.Decide(ctx, model.Decision{PostID: id, Action: model.ActionHighlight, Actor: "mod"})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// testLog sends the service's log to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
