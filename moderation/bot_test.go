package moderation

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// stubBot stands in for package bot behind BotAdmin: it keeps paused
// networks and answers Preview from the store's planned rows via plan.
type stubBot struct {
	mu      sync.Mutex
	dryRun  bool
	paused  map[model.Network]string
	plan    []model.OutboxItem
	spentX  float64
	budgetX float64
}

func (b *stubBot) Status(ctx context.Context) (BotStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := BotStatus{DryRun: b.dryRun}
	for _, n := range []model.Network{model.NetworkMastodon, model.NetworkBluesky, model.NetworkX} {
		by, paused := b.paused[n]
		bn := BotNetwork{Network: n, Enabled: n != model.NetworkBluesky, Paused: paused, PausedBy: by}
		if n == model.NetworkX {
			bn.HasBudget, bn.SpentThisMonth, bn.MonthlyBudget = true, b.spentX, b.budgetX
			bn.RateLimitedUntil = time.Date(2026, 10, 1, 15, 0, 0, 0, time.UTC)
		}
		st.Networks = append(st.Networks, bn)
	}
	return st, nil
}

func (b *stubBot) Pause(ctx context.Context, n model.Network, by string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paused[n] = by
	return nil
}

func (b *stubBot) Resume(ctx context.Context, n model.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.paused, n)
	return nil
}

func (b *stubBot) Preview(ctx context.Context, d time.Duration) ([]model.OutboxItem, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.plan, nil
}

// newBotServer is newServer with an admin, "ada", and the bot wired in (or
// not, with bot nil).
func newBotServer(t *testing.T, bot BotAdmin) *server {
	t.Helper()
	s := newServer(t)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.CreateModerator(context.Background(), model.Moderator{Name: "ada", PasswordHash: hash, Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	s.mux = http.NewServeMux()
	NewHandler(s.st, auth.New(s.st, auth.Options{}), s.notifier, nil, Options{CampaignName: "#CohesionAlliance", Bot: bot}).Routes(s.mux)
	return s
}

func TestBotPageAccess(t *testing.T) {
	s := newBotServer(t, &stubBot{paused: map[model.Network]string{}})
	anna := s.login(t, "anna") // a moderator, not an admin
	tests := []struct {
		name, method, target, cookie string
		headers                      map[string]string
		wantStatus                   int
	}{
		{"page without a session", "GET", "/admin/bot", "", nil, http.StatusSeeOther},
		{"page as a moderator", "GET", "/admin/bot", anna, nil, http.StatusForbidden},
		{"pause without a session", "POST", "/admin/bot/networks/mastodon/pause", "", sameOrigin(), http.StatusUnauthorized},
		{"pause as a moderator", "POST", "/admin/bot/networks/mastodon/pause", anna, sameOrigin(), http.StatusForbidden},
		{"resume as a moderator", "POST", "/admin/bot/networks/mastodon/resume", anna, sameOrigin(), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: tt.method, target: tt.target, cookie: tt.cookie, form: url.Values{}, headers: tt.headers})
			if rec.Code != tt.wantStatus {
				t.Errorf("got %d, want %d", rec.Code, tt.wantStatus)
			}
		})
	}
}

func TestBotPageNotConfigured(t *testing.T) {
	s := newBotServer(t, nil)
	ada := s.login(t, "ada")
	rec := s.do(t, request{method: "GET", target: "/admin/bot", cookie: ada})
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", rec.Code)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q, want the strict policy", csp)
	}
	doc := parse(t, rec)
	notice := doc.Find(`[data-testid="bot-not-configured"]`)
	if notice.Length() != 1 || !strings.Contains(notice.Text(), "README") || !strings.Contains(notice.Text(), "[bot]") {
		t.Errorf("notice = %q, want it to point to the README and the [bot] section", notice.Text())
	}
	if n := doc.Find(`[data-testid="dry-run-banner"], [data-testid="outbox-row"]`).Length(); n != 0 {
		t.Errorf("%d banner or outbox elements on the not-configured page, want 0", n)
	}
	rec = s.do(t, request{method: "POST", target: "/admin/bot/networks/mastodon/pause", cookie: ada, form: url.Values{}, headers: sameOrigin()})
	if rec.Code != http.StatusNotFound {
		t.Errorf("pause without a bot: %d, want 404", rec.Code)
	}
}

func TestBotPage(t *testing.T) {
	ctx := context.Background()
	bot := &stubBot{dryRun: true, paused: map[model.Network]string{}, spentX: 0.42, budgetX: 20}
	s := newBotServer(t, bot)
	now := time.Now()
	items := []model.OutboxItem{
		{IdempotencyKey: "highlight:mastodon:https://example.social/users/anna/statuses/1", Network: model.NetworkMastodon,
			Kind: model.OutboxRepost, Author: "anna@example.social", Target: "https://example.social/users/anna/statuses/1", NextAttemptAt: now},
		{IdempotencyKey: "reminder:mastodon:secret.supporter@example.social:1", Network: model.NetworkMastodon, Kind: model.OutboxDM,
			Author: "secret.supporter@example.social", Target: "secret.supporter@example.social",
			Text: "@secret.supporter@example.social have you signed?", NextAttemptAt: now, Payload: model.OutboxPayload{Language: "de"}},
		{IdempotencyKey: "campaign:weekly:x:2026-10-01T10:00", Network: model.NetworkX, Kind: model.OutboxPost,
			Text: "Sign the Joint Call: https://example.org/sign", EstimatedCost: 0.2, NextAttemptAt: now.Add(time.Hour)},
		{IdempotencyKey: "highlight:x:https://x.com/ben/status/99", Network: model.NetworkX, Kind: model.OutboxRepost,
			Target: "99", Status: model.OutboxSkipped, Reason: "the post is a reply", NextAttemptAt: now},
	}
	for i, it := range items {
		out, _, err := s.st.CreateOutboxItem(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		items[i] = out
	}
	if _, err := s.st.StartOutboxAttempt(ctx, items[0].ID, model.OutboxPlanned, now); err != nil {
		t.Fatal(err)
	}
	if err := s.st.MarkOutboxSent(ctx, items[0].ID, "109", now); err != nil {
		t.Fatal(err)
	}
	bot.plan = []model.OutboxItem{items[1], items[2]}
	if _, err := s.st.OptInSupporter(ctx, model.Supporter{Network: model.NetworkMastodon, Handle: "secret.supporter@example.social",
		Language: "de", TimeZone: "Europe/Berlin", CadenceDays: 7, ConsentAt: now, NextReminderAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	ada := s.login(t, "ada")
	rec := s.do(t, request{method: "GET", target: "/admin/bot", cookie: ada})
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d, want 200: %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	if strings.Contains(body, "secret.supporter") {
		t.Error("the page shows a supporter's handle")
	}
	doc := parse(t, rec)
	if got := doc.Find(`[data-testid="dry-run-banner"]`).Text(); !strings.Contains(got, "DRY RUN: nothing is sent") {
		t.Errorf("banner = %q, want DRY RUN: nothing is sent", got)
	}
	if got := doc.Find(`[data-testid="outbox"] [data-testid="outbox-row"]`).Length(); got != 4 {
		t.Errorf("outbox rows = %d, want 4", got)
	}
	if got := doc.Find(`[data-testid="plan"] [data-testid="outbox-row"]`).Length(); got != 2 {
		t.Errorf("plan rows = %d, want 2", got)
	}
	checks := []struct{ what, sel, want string }{
		{"sent repost's status", `[data-testid="outbox"] [data-status="sent"] [data-testid="outbox-status"]`, "Sent"},
		{"sent repost's key", `[data-testid="outbox"] [data-status="sent"] [data-testid="outbox-key"]`, items[0].IdempotencyKey},
		{"sent repost's remote ID", `[data-testid="outbox"] [data-status="sent"] [data-testid="outbox-remote"]`, "109"},
		{"skip reason", `[data-testid="outbox"] [data-status="skipped"] [data-testid="outbox-reason"]`, "the post is a reply"},
		{"X cost", `[data-testid="outbox"] [data-kind="post"] [data-testid="outbox-cost"]`, "0.20"},
		{"reminder without handle", `[data-testid="outbox"] [data-kind="dm"] [data-testid="outbox-text"]`, "Reminder to a supporter (de)"},
		{"reminder key without handle", `[data-testid="outbox"] [data-kind="dm"] [data-testid="outbox-key"]`, "reminder:mastodon:…"},
		{"X spend", `[data-network="x"] [data-testid="network-spend"]`, "0.42 of 20.00"},
		{"X rate limit", `[data-network="x"] [data-testid="network-rate-limit"]`, "Until 1 Oct 2026 15:00 UTC"},
		{"Bluesky without account", `[data-network="bluesky"] [data-testid="network-state"]`, "No account configured"},
		{"supporters being reminded", `[data-testid="supporter-counts"] [data-status="active"]`, "1 Being reminded"},
	}
	for _, c := range checks {
		if got := strings.Join(strings.Fields(doc.Find(c.sel).First().Text()), " "); got != c.want {
			t.Errorf("%s = %q, want %q", c.what, got, c.want)
		}
	}
	if href, _ := doc.Find(`[data-testid="outbox"] [data-status="skipped"] [data-testid="outbox-target"]`).Attr("href"); href != "https://x.com/i/web/status/99" {
		t.Errorf("X repost target link = %q, want the tweet's page", href)
	}

	t.Run("status filter", func(t *testing.T) {
		rec := s.do(t, request{method: "GET", target: "/admin/bot?status=skipped", cookie: ada})
		doc := parse(t, rec)
		rows := doc.Find(`[data-testid="outbox"] [data-testid="outbox-row"]`)
		if rows.Length() != 1 || rows.AttrOr("data-status", "") != "skipped" {
			t.Errorf("skipped filter: %d rows, first %q; want 1 skipped", rows.Length(), rows.AttrOr("data-status", ""))
		}
		if rec := s.do(t, request{method: "GET", target: "/admin/bot?status=lost", cookie: ada}); rec.Code != http.StatusBadRequest {
			t.Errorf("unknown status: %d, want 400", rec.Code)
		}
	})

	t.Run("pause and resume", func(t *testing.T) {
		rec := s.do(t, request{method: "POST", target: "/admin/bot/networks/mastodon/pause", cookie: ada, form: url.Values{}, headers: sameOrigin()})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/bot" {
			t.Fatalf("pause: %d to %q, want 303 to /admin/bot", rec.Code, rec.Header().Get("Location"))
		}
		if by := bot.paused[model.NetworkMastodon]; by != "ada" {
			t.Errorf("paused by %q, want ada", by)
		}
		doc := parse(t, s.do(t, request{method: "GET", target: "/admin/bot", cookie: ada}))
		row := doc.Find(`[data-testid="bot-network"][data-network="mastodon"]`)
		if row.AttrOr("data-paused", "") != "true" || row.Find(`[data-testid="resume-button"]`).Length() != 1 ||
			!strings.HasPrefix(row.Find(`[data-testid="network-state"]`).Text(), "Paused by ada") {
			t.Errorf("mastodon row after pause: paused=%q, state %q; want paused by ada with a resume button",
				row.AttrOr("data-paused", ""), row.Find(`[data-testid="network-state"]`).Text())
		}
		rec = s.do(t, request{method: "POST", target: "/admin/bot/networks/mastodon/resume", cookie: ada, form: url.Values{}, headers: sameOrigin()})
		if _, still := bot.paused[model.NetworkMastodon]; rec.Code != http.StatusSeeOther || still {
			t.Errorf("resume: %d, still paused %v; want 303 and not paused", rec.Code, still)
		}
	})

	t.Run("pause refused", func(t *testing.T) {
		tests := []struct {
			name, target string
			headers      map[string]string
			want         int
		}{
			{"cross-origin", "/admin/bot/networks/x/pause", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"unknown network", "/admin/bot/networks/myspace/pause", sameOrigin(), http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := s.do(t, request{method: "POST", target: tt.target, cookie: ada, form: url.Values{}, headers: tt.headers})
				if rec.Code != tt.want {
					t.Errorf("got %d, want %d", rec.Code, tt.want)
				}
			})
		}
		if _, paused := bot.paused[model.NetworkX]; paused {
			t.Error("a refused request paused X")
		}
	})
}

func TestHighlightNotifies(t *testing.T) {
	s := newServer(t)
	p := s.savePosts(t, 1)[0]
	anna := s.login(t, "anna")
	target := "/moderate/posts/" + idString(p.ID)
	if rec := s.do(t, request{method: "POST", target: target + "/highlight", cookie: anna, form: url.Values{}, headers: sameOrigin()}); rec.Code != http.StatusSeeOther {
		t.Fatalf("highlight of a pending post: %d, want 303 (refused with a notice)", rec.Code)
	}
	if got := len(s.notifier.got()); got != 0 {
		t.Fatalf("notifier heard %d posts after a refused highlight, want 0", got)
	}
	for _, a := range []string{"approve", "highlight"} {
		if rec := s.do(t, request{method: "POST", target: target + "/" + a, cookie: anna, form: url.Values{}, headers: sameOrigin()}); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d, want 303", a, rec.Code)
		}
	}
	got := s.notifier.got()
	if len(got) != 2 || !got[1].Highlighted || got[1].Status != model.StatusApproved {
		t.Fatalf("notifier heard %+v, want the approval then the highlighted approved post", got)
	}
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate?status=approved", cookie: anna}))
	if doc.Find(`[data-testid="unhighlight-button"]`).Length() != 1 || doc.Find(`[data-testid="highlight-button"]`).Length() != 0 {
		t.Error("a highlighted post's card should offer Unhighlight, not Highlight")
	}
}
