package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/bot"
	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// fakeMastodon is the bot account's Mastodon instance, answering the calls a
// boost needs with the documented shapes (bot/testdata/README.md names the
// pages): GET /api/v2/search?resolve=true finds a remote status, POST
// /api/v1/statuses/:id/reblog boosts it. It counts every request.
type fakeMastodon struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests int
	reblogs  map[string]int // by local status ID
	known    map[string]string
}

const fakeToken = "bot-token-for-tests"

func newFakeMastodon(t *testing.T) *fakeMastodon {
	t.Helper()
	f := &fakeMastodon{reblogs: map[string]int{}, known: map[string]string{}}
	status := func(id, uri string) map[string]any {
		data, err := os.ReadFile(filepath.Join("..", "..", "bot", "testdata", "mastodon", "status.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		m["id"], m["uri"], m["url"] = id, uri, uri
		return m
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/search", func(w http.ResponseWriter, r *http.Request) {
		statuses := []any{}
		f.mu.Lock()
		id, ok := f.known[r.URL.Query().Get("q")]
		f.mu.Unlock()
		if ok && r.URL.Query().Get("resolve") == "true" {
			statuses = append(statuses, status(id, r.URL.Query().Get("q")))
		}
		writeTestJSON(w, map[string]any{"accounts": []any{}, "statuses": statuses, "hashtags": []any{}})
	})
	mux.HandleFunc("POST /api/v1/statuses/{id}/reblog", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reblogs[r.PathValue("id")]++
		var uri string
		for u, id := range f.known {
			if id == r.PathValue("id") {
				uri = u
			}
		}
		f.mu.Unlock()
		wrapper := status("9"+r.PathValue("id"), "https://bots.example/users/cohesionbot/statuses/9"+r.PathValue("id")+"/activity")
		inner := status(r.PathValue("id"), uri)
		inner["reblogged"] = true
		wrapper["reblog"] = inner
		writeTestJSON(w, wrapper)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			w.WriteHeader(http.StatusUnauthorized)
			writeTestJSON(w, map[string]string{"error": "The access token is invalid"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// Know makes a remote status resolvable on the instance under a local ID.
func (f *fakeMastodon) Know(uri, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.known[uri] = id
}

func (f *fakeMastodon) counts() (requests, reblogs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.reblogs {
		reblogs += n
	}
	return f.requests, reblogs
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// botApp is the daemon with a [bot] section, served by httptest, and logged
// in as an admin.
type botApp struct {
	*app
	url    string
	client *http.Client // ada's session (admin)
}

const testPassword = "correct horse battery"

func startBotApp(t *testing.T, botSection string) *botApp {
	t.Helper()
	path := writeConfig(t, minimalConfig+botSection)
	cfg, err := config.Load(path, func(k string) (string, bool) {
		if k == "BOT_MASTODON_TOKEN" {
			return fakeToken, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, newLogger(io.Discard), collectorDeps{})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	for _, m := range []struct {
		name string
		role model.Role
	}{{"ada", model.RoleAdmin}, {"mo", model.RoleModerator}} {
		hash, err := auth.HashPassword(testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.store.CreateModerator(context.Background(), model.Moderator{Name: m.name, PasswordHash: hash, Role: m.role}); err != nil {
			t.Fatal(err)
		}
	}
	return &botApp{app: a, url: srv.URL, client: loginClient(t, srv.URL, "ada")}
}

// loginClient logs in through the form and returns a client carrying the
// session, which does not follow redirects (tests look at them).
func loginClient(t *testing.T, base, name string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"name": {name}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d, want 303", name, resp.StatusCode)
	}
	return c
}

func (b *botApp) post(t *testing.T, path string) int {
	t.Helper()
	resp, err := b.client.PostForm(b.url+path, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(t *testing.T, c *http.Client, u string) (int, *goquery.Document) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, doc
}

// approveAndHighlight stores a Mastodon post the fake instance can resolve
// and has the admin approve and highlight it through the moderation routes.
func (b *botApp) approveAndHighlight(t *testing.T, f *fakeMastodon, n int) model.Post {
	t.Helper()
	uri := fmt.Sprintf("https://regions.example/users/author%d/statuses/%d", n, n)
	f.Know(uri, fmt.Sprint(1000+n))
	p := fixturePost(uri, fmt.Sprintf("Author%d Region", n), "<p>Our bridge, built with cohesion funds #CohesionAlliance</p>")
	p = savePost(t, b.store, p)
	for _, a := range []string{"approve", "highlight"} {
		if code := b.post(t, fmt.Sprintf("/moderate/posts/%d/%s", p.ID, a)); code != http.StatusSeeOther {
			t.Fatalf("%s post %d: %d, want 303", a, p.ID, code)
		}
	}
	return p
}

func (b *botApp) tick(t *testing.T) {
	t.Helper()
	if err := b.sched.RunNow(context.Background(), "bot:tick"); err != nil {
		t.Fatalf("bot tick: %v", err)
	}
}

func (b *botApp) outboxRow(t *testing.T, p model.Post) model.OutboxItem {
	t.Helper()
	it, err := b.store.OutboxItemByKey(context.Background(), bot.HighlightKey(p))
	if err != nil {
		t.Fatalf("outbox row of post %d: %v", p.ID, err)
	}
	return it
}

func mastodonBotSection(fakeURL string, dryRun bool) string {
	return fmt.Sprintf(`
[bot]
dry_run = %v
quiet_hours = { start = "00:00", end = "00:00" }

[bot.mastodon]
server = %q
token_env = "BOT_MASTODON_TOKEN"
allow_private_network = true

[bot.mastodon.caps]
per_hour = 0
min_spacing = "0s"
`, dryRun, fakeURL)
}

// TestBotRepostsHighlight is the highlight path end to end: a moderator
// highlights an approved post on the moderation pages, the bot's next tick
// boosts it exactly once on the fake instance, and in dry run nothing at
// all reaches the instance while the outbox shows the planned boost.
func TestBotRepostsHighlight(t *testing.T) {
	tests := []struct {
		name                      string
		dryRun                    bool
		wantRequests, wantReblogs int // wantRequests < 0: any
		wantStatus                model.OutboxStatus
	}{
		{"live", false, -1, 1, model.OutboxSent},
		{"dry run", true, 0, 0, model.OutboxPlanned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMastodon(t)
			b := startBotApp(t, mastodonBotSection(f.srv.URL, tt.dryRun))
			p := b.approveAndHighlight(t, f, 1)
			// The same post highlighted again, or heard of again, plans nothing new.
			b.postNotifier().PostChanged(mustPost(t, b.store, p.ID))
			b.tick(t)
			b.tick(t)
			requests, reblogs := f.counts()
			if reblogs != tt.wantReblogs || (tt.wantRequests >= 0 && requests != tt.wantRequests) {
				t.Errorf("fake instance got %d requests, %d reblogs; want %d reblogs (and %d requests unless -1)",
					requests, reblogs, tt.wantReblogs, tt.wantRequests)
			}
			it := b.outboxRow(t, p)
			if it.Status != tt.wantStatus || it.Kind != model.OutboxRepost || it.Target != p.URI {
				t.Errorf("outbox row = %s %s of %s, want %s repost of %s", it.Status, it.Kind, it.Target, tt.wantStatus, p.URI)
			}
			if tt.wantStatus == model.OutboxSent && it.RemoteID != "1001" {
				t.Errorf("remote ID = %q, want the instance's ID of the status, 1001", it.RemoteID)
			}
			counts, err := b.store.CountOutbox(context.Background())
			if err != nil || counts[tt.wantStatus] != 1 || len(counts) != 1 {
				t.Errorf("outbox counts = %v (%v), want exactly one %s row", counts, err, tt.wantStatus)
			}

			code, doc := get(t, b.client, b.url+"/admin/bot")
			if code != http.StatusOK {
				t.Fatalf("/admin/bot: %d", code)
			}
			banner := doc.Find(`[data-testid="dry-run-banner"]`).Text()
			if tt.dryRun != strings.Contains(banner, "DRY RUN: nothing is sent") {
				t.Errorf("dry-run banner %q, want it shown only in dry run (dry run %v)", banner, tt.dryRun)
			}
			row := doc.Find(`[data-testid="outbox"] [data-testid="outbox-row"]`)
			if row.Length() != 1 || row.AttrOr("data-status", "") != string(tt.wantStatus) ||
				row.Find(`[data-testid="outbox-key"]`).Text() != bot.HighlightKey(p) {
				t.Errorf("outbox on /admin/bot: %d rows, status %q, key %q; want one %s row keyed %s",
					row.Length(), row.AttrOr("data-status", ""), row.Find(`[data-testid="outbox-key"]`).Text(), tt.wantStatus, bot.HighlightKey(p))
			}
			if tt.dryRun && doc.Find(`[data-testid="plan"] [data-testid="outbox-row"]`).Length() != 1 {
				t.Error("the planned boost is not in the next 24 hours' plan")
			}
		})
	}
}

func mustPost(t *testing.T, st *store.Store, id int64) model.Post {
	t.Helper()
	p, err := st.PostByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBotAdminPage(t *testing.T) {
	f := newFakeMastodon(t)
	b := startBotApp(t, mastodonBotSection(f.srv.URL, false))

	t.Run("admins only", func(t *testing.T) {
		anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := anon.Get(b.url + "/admin/bot")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("without a session: %d to %q, want 303 to the login page", resp.StatusCode, resp.Header.Get("Location"))
		}
		if code, _ := get(t, loginClient(t, b.url, "mo"), b.url+"/admin/bot"); code != http.StatusForbidden {
			t.Errorf("as a moderator: %d, want 403", code)
		}
		mo := loginClient(t, b.url, "mo")
		resp, err = mo.PostForm(b.url+"/admin/bot/networks/mastodon/pause", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if paused, _ := b.store.PausedNetworks(context.Background()); resp.StatusCode != http.StatusForbidden || len(paused) != 0 {
			t.Errorf("pause as a moderator: %d, paused %v; want 403 and nothing paused", resp.StatusCode, paused)
		}
	})

	t.Run("pause stops sending, resume sends", func(t *testing.T) {
		code, doc := get(t, b.client, b.url+"/admin/bot")
		if code != http.StatusOK || doc.Find(`[data-network="mastodon"] [data-testid="pause-button"]`).Length() != 1 {
			t.Fatalf("/admin/bot: %d, want a pause button for Mastodon", code)
		}
		if doc.Find(`[data-testid="dry-run-banner"]`).Length() != 0 {
			t.Error("a live bot's page shows the dry-run banner")
		}
		if code := b.post(t, "/admin/bot/networks/mastodon/pause"); code != http.StatusSeeOther {
			t.Fatalf("pause: %d, want 303", code)
		}
		p := b.approveAndHighlight(t, f, 2)
		b.tick(t)
		if _, reblogs := f.counts(); reblogs != 0 {
			t.Fatalf("%d reblogs while paused, want 0", reblogs)
		}
		if it := b.outboxRow(t, p); it.Status != model.OutboxPlanned {
			t.Errorf("row while paused = %s, want planned", it.Status)
		}
		_, doc = get(t, b.client, b.url+"/admin/bot")
		if state := doc.Find(`[data-network="mastodon"] [data-testid="network-state"]`).Text(); !strings.HasPrefix(state, "Paused by ada") {
			t.Errorf("state = %q, want Paused by ada", state)
		}
		if code := b.post(t, "/admin/bot/networks/mastodon/resume"); code != http.StatusSeeOther {
			t.Fatalf("resume: %d, want 303", code)
		}
		b.tick(t)
		if _, reblogs := f.counts(); reblogs != 1 {
			t.Errorf("%d reblogs after resume, want 1", reblogs)
		}
	})

	t.Run("cross-origin pause refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, b.url+"/admin/bot/networks/mastodon/pause", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if paused, _ := b.store.PausedNetworks(context.Background()); resp.StatusCode != http.StatusForbidden || len(paused) != 0 {
			t.Errorf("cross-origin pause: %d, paused %v; want 403 and nothing paused", resp.StatusCode, paused)
		}
	})
}

func TestBotAdminPageWithoutBot(t *testing.T) {
	b := startBotApp(t, "")
	if b.bot != nil {
		t.Fatal("a bot was built without a [bot] section")
	}
	code, doc := get(t, b.client, b.url+"/admin/bot")
	if code != http.StatusOK || !strings.Contains(doc.Find(`[data-testid="bot-not-configured"]`).Text(), "README") {
		t.Errorf("/admin/bot without a bot: %d, want 200 and a pointer to the README", code)
	}
}

// TestBotCampaignQuotesScrapedCount runs a reminder campaign on its job: the
// signature count is read from the petition page first and quoted.
func TestBotCampaignQuotesScrapedCount(t *testing.T) {
	petition := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><p>Joint Call</p><div class="counter"><span class="signature-count">12 345</span> signatures</div></body></html>`)
	}))
	t.Cleanup(petition.Close)
	f := newFakeMastodon(t)
	// The signature_count_* keys belong to [bot] itself.
	path := writeConfig(t, minimalConfig+strings.Replace(mastodonBotSection(f.srv.URL, true), "[bot]\n", fmt.Sprintf(
		"[bot]\nsignature_count_url = %q\nsignature_count_selector = \".signature-count\"\nsignature_count_allow_private_network = true\n", petition.URL), 1)+`
[bot.reminders]
signing_url = "https://example.org/sign"

[[bot.campaigns]]
name = "weekly"
schedule = "@weekly"
text = "{count} have signed the Joint Call: {url}"
`)
	cfg, err := config.Load(path, func(k string) (string, bool) { return fakeToken, k == "BOT_MASTODON_TOKEN" })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, newLogger(io.Discard), collectorDeps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	if err := a.sched.RunNow(context.Background(), "bot:campaign:weekly"); err != nil {
		t.Fatal(err)
	}
	items, err := a.store.OutboxItems(context.Background(), store.OutboxFilter{Kind: model.OutboxPost})
	if err != nil || len(items) != 1 {
		t.Fatalf("campaign rows: %d (%v), want 1", len(items), err)
	}
	if want := "12345 have signed the Joint Call: https://example.org/sign"; items[0].Text != want {
		t.Errorf("campaign text = %q, want %q", items[0].Text, want)
	}
}

func TestScrapeSignatureCount(t *testing.T) {
	pages := map[string]string{
		"/comma":  `<b id="n">12,345 signatures</b>`,
		"/dot":    `<b id="n">Unterschriften: 12.345</b>`,
		"/nbsp":   "<b id=\"n\">1\u00a0234\u00a0567</b>",
		"/narrow": "<b id=\"n\">12\u202f345</b>",
		"/plain":  `<b id="n"> 987 </b>`,
		"/none":   `<b id="n">many</b>`,
		"/other":  `<i>12</i>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "<!doctype html><p>Sign the Joint Call</p>"+body)
	}))
	t.Cleanup(srv.Close)
	client := collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true})
	tests := []struct {
		path    string
		want    int64
		wantErr error
	}{
		{"/comma", 12345, nil},
		{"/dot", 12345, nil},
		{"/nbsp", 1234567, nil},
		{"/narrow", 12345, nil},
		{"/plain", 987, nil},
		{"/none", 0, errNoCount},
		{"/other", 0, errNoCount},
		{"/missing", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			n, err := scrapeSignatureCount(context.Background(), client, srv.URL+tt.path, "#n")
			switch {
			case tt.path == "/missing":
				if err == nil || !strings.Contains(err.Error(), "404") {
					t.Errorf("got %d, %v; want an error naming the 404", n, err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %d, %v; want %v", n, err, tt.wantErr)
				}
			case err != nil || n != tt.want:
				t.Errorf("got %d, %v; want %d", n, err, tt.want)
			}
		})
	}
	// The guarded client refuses a petition page on a private address unless
	// the config allows it.
	public := collectors.NewClient(collectors.ClientOptions{})
	if _, err := scrapeSignatureCount(context.Background(), public, srv.URL+"/plain", "#n"); !errors.Is(err, collectors.ErrPrivateAddress) {
		t.Errorf("loopback page without allow_private_network: %v, want ErrPrivateAddress", err)
	}
}

func TestBotConfigMapping(t *testing.T) {
	zero, ten := 0, 10
	spacing := 5 * time.Minute
	c := &config.Bot{
		DryRun:    true,
		TimeZone:  "Europe/Lisbon",
		QuietEnd:  "06:00",
		Mastodon:  &config.BotMastodon{Server: "https://m.example", Token: "t", Caps: config.BotCaps{PerHour: &zero, PerDay: &ten}},
		X:         &config.BotX{UserID: "1", MonthlyBudget: 5, CostPerLinkPost: 0.2, Caps: config.BotCaps{MinSpacing: &spacing}},
		Reminders: config.BotReminders{Deadline: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), Texts: map[string]config.BotTexts{"fr": {Reminder: "Signez : {url}"}}},
		Campaigns: []config.BotCampaign{{Name: "a", Schedule: "0 10 * * 2", Text: "x"}, {Name: "b", Schedule: "CRON_TZ=UTC @daily", Text: "y"}},
	}
	bc, err := botConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	d := bot.DefaultConfig()
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	checks := []struct {
		what      string
		got, want any
	}{
		{"dry run", bc.DryRun, true},
		{"time zone", bc.TimeZone, "Europe/Lisbon"},
		{"quiet start keeps the default", bc.QuietStart, d.QuietStart},
		{"quiet end", bc.QuietEnd, "06:00"},
		{"retry base keeps the default", bc.RetryBase, d.RetryBase},
		{"mastodon per hour 0 means no limit", bc.Mastodon.Caps.PerHour, 0},
		{"mastodon per day", bc.Mastodon.Caps.PerDay, 10},
		{"mastodon spacing keeps the default", bc.Mastodon.Caps.MinSpacing, d.Mastodon.Caps.MinSpacing},
		{"x spacing", bc.X.Caps.MinSpacing, spacing},
		{"x budget", bc.X.MonthlyBudget, 5.0},
		{"x api base keeps the default", bc.X.APIBaseURL, d.X.APIBaseURL},
		{"no bluesky", bc.Bluesky.Handle, ""},
		{"deadline is the end of the last day, in the bot's zone", bc.Reminders.Deadline, time.Date(2027, 7, 1, 0, 0, 0, 0, lisbon)},
		{"texts", bc.Reminders.Texts["fr"].Reminder, "Signez : {url}"},
		{"campaign in the bot's zone", bc.Reminders.Campaigns[0].Schedule, "CRON_TZ=Europe/Lisbon 0 10 * * 2"},
		{"campaign keeps its own zone", bc.Reminders.Campaigns[1].Schedule, "CRON_TZ=UTC @daily"},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	c.DryRun = false
	if bc, _ := botConfig(c); bc.DryRun {
		t.Error("dry_run = false in the file left the bot in dry run")
	}
}

// seedSupporters stores two supporters with consent, reminder history and
// outbox rows about them, as the bot would have.
func seedSupporters(t *testing.T, dbPath string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	for _, h := range []string{"anna@regions.example", "ben@cities.example"} {
		sup, err := st.OptInSupporter(ctx, model.Supporter{Network: model.NetworkMastodon, Handle: h, Language: "de",
			TimeZone: "Europe/Berlin", CadenceDays: 7, ConsentAt: now.Add(-48 * time.Hour), NextReminderAt: now})
		if err != nil {
			t.Fatal(err)
		}
		key := "reminder:mastodon:" + h + ":1"
		for _, it := range []model.OutboxItem{
			{IdempotencyKey: "remind:mastodon:https://regions.example/" + h, Network: model.NetworkMastodon, Kind: model.OutboxReply,
				Author: h, Target: "https://regions.example/" + h, Text: "Danke!", NextAttemptAt: now},
			{IdempotencyKey: key, Network: model.NetworkMastodon, Kind: model.OutboxDM, Author: h, Target: h,
				Text: "Schon unterschrieben?", NextAttemptAt: now.Add(time.Hour)},
		} {
			if _, _, err := st.CreateOutboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.RecordReminder(ctx, model.Reminder{SupporterID: sup.ID, OutboxKey: key, PlannedAt: now}, now.AddDate(0, 0, 7)); err != nil {
			t.Fatal(err)
		}
	}
}

func countRows(t *testing.T, dbPath, query string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestSupporterCommands(t *testing.T) {
	for _, section := range []struct{ name, toml string }{
		{"with [bot]", "[bot]\n"},
		{"without [bot]", ""},
	} {
		t.Run(section.name, func(t *testing.T) {
			cfg := writeConfig(t, minimalConfig+section.toml)
			dbPath := filepath.Join(filepath.Dir(cfg), "wall.db")
			seedSupporters(t, dbPath)

			out, err := runCmd(t, "", nil, "supporter", "forget", "--config", cfg, "@anna@regions.example")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"forgot anna@regions.example", "consent on mastodon: active, language de", "reminder history: 1 entries",
				"outbox: 1 reply", "outbox: 1 dm", "4 rows deleted"} {
				if !strings.Contains(out, want) {
					t.Errorf("forget output lacks %q:\n%s", want, out)
				}
			}
			tables := []struct{ query, what string }{
				{`SELECT COUNT(*) FROM supporters WHERE handle = ?`, "supporters"},
				{`SELECT COUNT(*) FROM supporter_reminders WHERE outbox_key LIKE '%' || ? || '%'`, "supporter_reminders"},
				{`SELECT COUNT(*) FROM outbox WHERE author = ? OR target LIKE '%' || ? || '%' OR idempotency_key LIKE '%' || ? || '%'`, "outbox"},
			}
			for _, tb := range tables {
				args := []any{"anna@regions.example"}
				for range strings.Count(tb.query, "?") - 1 {
					args = append(args, "anna@regions.example")
				}
				if n := countRows(t, dbPath, tb.query, args...); n != 0 {
					t.Errorf("%s: %d rows about anna left, want 0", tb.what, n)
				}
				args = []any{"ben@cities.example"}
				for range strings.Count(tb.query, "?") - 1 {
					args = append(args, "ben@cities.example")
				}
				if n := countRows(t, dbPath, tb.query, args...); n == 0 {
					t.Errorf("%s: ben's rows were deleted too", tb.what)
				}
			}
			out, err = runCmd(t, "", nil, "supporter", "forget", "--config", cfg, "anna@regions.example")
			if err != nil || !strings.Contains(out, "nothing stored about anna@regions.example") {
				t.Errorf("forgetting again: %v\n%s", err, out)
			}
			if _, err := runCmd(t, "", nil, "supporter", "forget", "--config", cfg); err == nil {
				t.Error("forget without a handle succeeded")
			}

			csvPath := filepath.Join(t.TempDir(), "consent.csv")
			out, err = runCmd(t, "", nil, "supporter", "export", "--config", cfg, "--out", csvPath)
			if err != nil || !strings.Contains(out, "wrote "+csvPath) {
				t.Fatalf("export: %v\n%s", err, out)
			}
			f, err := os.Open(csvPath)
			if err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			wantHeader := "network,handle,language,time_zone,consent_at,status,ended_at,reminders_sent,reminders_at"
			if len(records) != 2 || strings.Join(records[0], ",") != wantHeader || records[1][1] != "ben@cities.example" {
				t.Errorf("consent CSV = %q, want the header and ben's line only", records)
			}
			if fi, err := os.Stat(csvPath); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("consent CSV mode = %v (%v), want 0600: it is personal data", fi.Mode().Perm(), err)
			}
			if _, err := runCmd(t, "", nil, "supporter", "export", "--config", cfg, "--out", csvPath); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("export over an existing file: %v, want a refusal", err)
			}
			out, err = runCmd(t, "", nil, "supporter", "export", "--config", cfg)
			if err != nil || !strings.HasPrefix(out, wantHeader+"\n") {
				t.Errorf("export to stdout: %v\n%s", err, out)
			}
		})
	}
}

func TestBotPreviewCommand(t *testing.T) {
	cfg := writeConfig(t, minimalConfig+`
[bot]
time_zone = "Europe/Brussels"

[bot.mastodon]
server = "https://social.example"
token_env = "BOT_MASTODON_TOKEN"

[[bot.campaigns]]
name = "every-six-hours"
schedule = "@every 6h"
text = "{count} signed: {url}"
`)
	env := map[string]string{"BOT_MASTODON_TOKEN": fakeToken}
	dbPath := filepath.Join(filepath.Dir(cfg), "wall.db")
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, it := range []model.OutboxItem{
		{IdempotencyKey: "highlight:mastodon:https://regions.example/1", Network: model.NetworkMastodon, Kind: model.OutboxRepost,
			Target: "https://regions.example/1", NextAttemptAt: now.Add(2 * time.Hour)},
		{IdempotencyKey: "highlight:mastodon:https://regions.example/2", Network: model.NetworkMastodon, Kind: model.OutboxRepost,
			Target: "https://regions.example/2", NextAttemptAt: now.Add(48 * time.Hour)},
	} {
		if _, _, err := st.CreateOutboxItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	out, err := runCmd(t, "", env, "bot", "preview", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DRY RUN: nothing is sent", "highlight:mastodon:https://regions.example/1", "repost https://regions.example/1",
		"every-six-hours", "{count} signed"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "regions.example/2") {
		t.Errorf("preview shows a row due in two days:\n%s", out)
	}
	if n := strings.Count(out, "every-six-hours"); n != 4 {
		t.Errorf("campaign listed %d times in 24 hours, want 4:\n%s", n, out)
	}

	out, err = runCmd(t, "", env, "check-config", "--config", cfg)
	if err != nil || !strings.Contains(out, "bot: dry run") || !strings.Contains(out, "credentials set") || strings.Contains(out, fakeToken) {
		t.Errorf("check-config: %v\n%s\nwant the bot described, without its token", err, out)
	}

	plain := writeConfig(t, minimalConfig)
	if _, err := runCmd(t, "", nil, "bot", "preview", "--config", plain); err == nil || !strings.Contains(err.Error(), "[bot]") {
		t.Errorf("preview without [bot]: %v, want an error naming the missing section", err)
	}
	if _, err := runCmd(t, "", nil, "bot", "send", "--config", plain); err == nil {
		t.Error("unknown bot subcommand accepted")
	}
}
