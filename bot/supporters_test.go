package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

func TestDetectIntent(t *testing.T) {
	tests := []struct {
		text, hint string
		intent     Intent
		lang       string
	}{
		{"@cohesionbot remind me please!", "", IntentOptIn, "en"},
		{"@cohesionbot Erinnere mich bitte. Europe/Berlin", "", IntentOptIn, "de"},
		{"@cohesionbot Rappelle-moi chaque semaine", "", IntentOptIn, "fr"},
		{"@cohesionbot przypomnij mi, proszę", "", IntentOptIn, "pl"},
		{"@cohesionbot υπενθύμισέ μου", "", IntentOptIn, "el"},
		{"@cohesionbot Påminn mig", "", IntentOptIn, "sv"},
		{"@cohesionbot recuérdame 🙏", "", IntentOptIn, "es"},
		{"@cohesionbot STOP", "", IntentStop, "en"},
		{"@cohesionbot Stopp bitte", "", IntentStop, "de"},
		{"@cohesionbot basta, grazie", "it", IntentStop, "it"},
		{"@cohesionbot basta, gracias", "", IntentStop, "es"},
		{"@cohesionbot J’ai signé !", "", IntentSigned, "fr"},
		{"@cohesionbot ich habe unterschrieben", "", IntentSigned, "de"},
		{"@cohesionbot signed, stop please", "", IntentSigned, "en"},
		{"@cohesionbot we must not stop investing in our regions, says the new report", "", IntentNone, ""},
		{"@cohesionbot para todas las regiones de Europa", "", IntentNone, ""},
		{"@cohesionbot great post #CohesionAlliance https://example.org/remind-me", "", IntentNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			intent, lang := DetectIntent(tt.text, tt.hint)
			if intent != tt.intent || lang != tt.lang {
				t.Errorf("DetectIntent = %q, %q; want %q, %q", intent, lang, tt.intent, tt.lang)
			}
		})
	}
}

func TestAnswerSettings(t *testing.T) {
	tests := []struct {
		text    string
		zone    string
		cadence int
	}{
		{"remind me daily, I live in Europe/Lisbon", "Europe/Lisbon", 1},
		{"remind me every 3 days", "", 3},
		{"erinnere mich monatlich", "", 30},
		{"remind me, Mars/Olympus", "", 0},
	}
	for _, tt := range tests {
		zone, cadence := answerSettings(tt.text)
		if zone != tt.zone || cadence != tt.cadence {
			t.Errorf("answerSettings(%q) = %q, %d; want %q, %d", tt.text, zone, cadence, tt.zone, tt.cadence)
		}
	}
}

// supporterEnv has German texts configured and a mention from Carla known
// to the fake Mastodon instance.
func supporterEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	e := newEnv(t, append([]func(*Config){func(c *Config) {
		c.Reminders.SigningURL = "https://cohesion.example/sign"
		c.Reminders.Texts = map[string]ReminderTexts{
			"de": {Confirm: "Danke! Wir erinnern dich alle {cadence} Tage.", Reminder: "Schon {count} Unterschriften: {url}"},
		}
	}}, mutate...)...)
	e.svc.SetSignatureCount(12345)
	return e
}

func (e *env) mention(n int, text, lang string) Mention {
	uri := "https://cities.example/users/carla/statuses/" + string(rune('0'+n))
	e.masto.AddRemote(mStatus{URI: uri, Text: text, Acct: "carla@cities.example"})
	return Mention{Network: model.NetworkMastodon, URI: uri, Handle: "carla@cities.example", Text: text, Language: lang}
}

func (e *env) statusForms() []url.Values {
	e.masto.mu.Lock()
	defer e.masto.mu.Unlock()
	var out []url.Values
	for _, f := range e.masto.forms {
		out = append(out, url.Values(f))
	}
	return out
}

func TestOptInConversation(t *testing.T) {
	e := supporterEnv(t)
	ctx := context.Background()
	m := e.mention(1, "@cohesionbot Erinnere mich bitte! Europe/Berlin", "de")
	for range 2 { // the same mention seen twice
		intent, err := e.svc.HandleMention(ctx, m)
		if err != nil || intent != IntentOptIn {
			t.Fatalf("HandleMention = %q, %v; want remind", intent, err)
		}
	}
	sup, err := e.st.SupporterByHandle(ctx, model.NetworkMastodon, "carla@cities.example")
	if err != nil {
		t.Fatal(err)
	}
	if sup.Language != "de" || sup.TimeZone != "Europe/Berlin" || sup.CadenceDays != 7 || !sup.ConsentAt.Equal(t0) {
		t.Errorf("supporter = %+v, want de, Europe/Berlin, weekly, consent at %v", sup, t0)
	}
	e.tick()
	forms := e.statusForms()
	if len(forms) != 1 {
		t.Fatalf("statuses posted = %d, want one confirmation", len(forms))
	}
	if got, want := forms[0].Get("status"), "@carla@cities.example Danke! Wir erinnern dich alle 7 Tage."; got != want {
		t.Errorf("confirmation = %q, want %q", got, want)
	}
	if forms[0].Get("visibility") != "direct" || forms[0].Get("in_reply_to_id") == "" {
		t.Errorf("confirmation form = %v, want a direct reply", forms[0])
	}

	e.clock.Advance(7*24*time.Hour - time.Minute)
	e.tick()
	if got := len(e.statusForms()); got != 1 {
		t.Fatalf("statuses a minute before the reminder is due = %d, want 1", got)
	}
	e.clock.Advance(time.Minute)
	e.tick()
	forms = e.statusForms()
	if len(forms) != 2 {
		t.Fatalf("statuses after a week = %d, want confirmation and reminder", len(forms))
	}
	if got, want := forms[1].Get("status"), "@carla@cities.example Schon 12345 Unterschriften: https://cohesion.example/sign"; got != want {
		t.Errorf("reminder = %q, want %q", got, want)
	}
	if forms[1].Get("visibility") != "direct" || forms[1].Get("in_reply_to_id") != "" {
		t.Errorf("reminder form = %v, want a direct message", forms[1])
	}
}

func TestStopAndSignedTakeEffectAtOnce(t *testing.T) {
	for _, tt := range []struct {
		name, answer string
		intent       Intent
		status       model.SupporterStatus
		reply        string
	}{
		{"stop", "@cohesionbot stop", IntentStop, model.SupporterStopped, defaultTexts.Stopped},
		{"signed in French", "@cohesionbot J'ai signé, merci", IntentSigned, model.SupporterSigned, defaultTexts.Signed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := supporterEnv(t)
			ctx := context.Background()
			if _, err := e.svc.HandleMention(ctx, e.mention(1, "@cohesionbot remind me", "en")); err != nil {
				t.Fatal(err)
			}
			e.tick()
			// A reminder is planned but not yet sent (the network is paused) …
			if err := e.svc.Pause(ctx, model.NetworkMastodon, "admin"); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(7 * 24 * time.Hour)
			e.tick()
			planned, _ := e.st.OutboxItems(ctx, store.OutboxFilter{Kind: model.OutboxDM, Status: model.OutboxPlanned})
			if len(planned) != 1 {
				t.Fatalf("planned reminders = %d, want 1", len(planned))
			}
			// … when the supporter answers.
			intent, err := e.svc.HandleMention(ctx, e.mention(2, tt.answer, ""))
			if err != nil || intent != tt.intent {
				t.Fatalf("HandleMention = %q, %v; want %q", intent, err, tt.intent)
			}
			if err := e.svc.Resume(ctx, model.NetworkMastodon); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				e.tick()
				e.clock.Advance(7 * 24 * time.Hour)
			}
			forms := e.statusForms()
			for _, f := range forms {
				if f.Get("in_reply_to_id") == "" {
					t.Errorf("a reminder was sent after %q: %v", tt.answer, f)
				}
			}
			if len(forms) != 2 || !strings.HasSuffix(forms[1].Get("status"), tt.reply) {
				t.Errorf("replies = %v, want the opt-in confirmation and %q", forms, tt.reply)
			}
			sup, _ := e.st.SupporterByHandle(ctx, model.NetworkMastodon, "carla@cities.example")
			if sup.Status != tt.status {
				t.Errorf("supporter status = %s, want %s", sup.Status, tt.status)
			}
			if got := e.item(planned[0].IdempotencyKey); got.Status != model.OutboxSkipped {
				t.Errorf("the planned reminder is %s, want skipped", got.Status)
			}
		})
	}
}

func TestRemindersStopAtTheMaximum(t *testing.T) {
	e := supporterEnv(t, func(c *Config) { c.Reminders.MaxReminders = 2 })
	ctx := context.Background()
	if _, err := e.svc.HandleMention(ctx, e.mention(1, "@cohesionbot remind me daily", "en")); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		e.tick()
		e.clock.Advance(24 * time.Hour)
	}
	dms := 0
	for _, f := range e.statusForms() {
		if f.Get("in_reply_to_id") == "" {
			dms++
		}
	}
	if dms != 2 {
		t.Errorf("reminders sent = %d, want 2 (the maximum)", dms)
	}
	sup, _ := e.st.SupporterByHandle(ctx, model.NetworkMastodon, "carla@cities.example")
	if sup.Status != model.SupporterFinished || sup.RemindersSent != 2 {
		t.Errorf("supporter = %+v, want finished after 2", sup)
	}
}

func TestRemindersComeInWakingHours(t *testing.T) {
	e := supporterEnv(t)
	e.clock.Set(local(5, 22, 30)) // 21:30 in Lisbon
	if _, err := e.svc.HandleMention(context.Background(), e.mention(1, "@cohesionbot remind me (Europe/Lisbon)", "en")); err != nil {
		t.Fatal(err)
	}
	sup, _ := e.st.SupporterByHandle(context.Background(), model.NetworkMastodon, "carla@cities.example")
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	if want := time.Date(2026, 10, 13, 9, 0, 0, 0, lisbon); !sup.NextReminderAt.Equal(want) {
		t.Errorf("first reminder at %s, want %s (a week later, at the start of waking hours)", sup.NextReminderAt.In(lisbon), want)
	}
}

func TestForgetAndExport(t *testing.T) {
	e := supporterEnv(t)
	ctx := context.Background()
	if _, err := e.svc.HandleMention(ctx, e.mention(1, "@cohesionbot remind me", "en")); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(7 * 24 * time.Hour)
	e.tick()
	dora := Mention{Network: model.NetworkBluesky, URI: "at://" + bskyAnnaDID + "/app.bsky.feed.post/3kdora2222222",
		CID: "bafydora", Handle: "dora.bsky.social", Text: "@cohesionbot.bsky.social herinner me", Language: "nl"}
	if _, err := e.svc.HandleMention(ctx, dora); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := e.svc.ExportConsent(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][1] != "handle" || rows[1][1] != "carla@cities.example" || rows[1][7] != "1" ||
		rows[1][8] != "2026-10-12T08:00:00Z" || rows[2][2] != "nl" || rows[1][4] != "2026-10-05T08:00:00Z" {
		t.Errorf("export = %q", rows)
	}

	before, _ := e.st.OutboxItems(ctx, store.OutboxFilter{Limit: 1000})
	n, err := e.svc.Forget(ctx, "@carla@cities.example")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 { // supporter, one reminder, the confirmation, the reminder DM
		t.Errorf("Forget deleted %d rows, want 4", n)
	}
	if _, err := e.st.SupporterByHandle(ctx, model.NetworkMastodon, "carla@cities.example"); err == nil {
		t.Error("the supporter is still stored")
	}
	after, _ := e.st.OutboxItems(ctx, store.OutboxFilter{Limit: 1000})
	for _, it := range after {
		if strings.Contains(strings.ToLower(it.Author+it.Target+it.Text), "carla") {
			t.Errorf("outbox row about carla left: %+v", it)
		}
	}
	if len(before)-len(after) != 2 || len(after) != 1 {
		t.Errorf("outbox rows %d → %d, want carla's 2 gone and dora's kept", len(before), len(after))
	}
	sups, _ := e.st.Supporters(ctx)
	hist, _ := e.st.Reminders(ctx)
	if len(sups) != 1 || sups[0].Handle != "dora.bsky.social" || len(hist) != 0 {
		t.Errorf("left: supporters %+v, reminders %v; want only dora, no reminders", sups, hist)
	}
}

func TestBlueskySupporterGetsDirectMessages(t *testing.T) {
	e := supporterEnv(t)
	ctx := context.Background()
	uri, cid := e.bsky.AddPost("3kmention2222", map[string]any{"text": "@cohesionbot.bsky.social herinner me"})
	m := Mention{Network: model.NetworkBluesky, URI: uri, CID: cid, Handle: "anna.bsky.social",
		Text: "@cohesionbot.bsky.social herinner me", Language: "nl"}
	if intent, err := e.svc.HandleMention(ctx, m); err != nil || intent != IntentOptIn {
		t.Fatalf("HandleMention = %q, %v; want remind", intent, err)
	}
	e.tick()
	replies := e.bsky.Created(collPost)
	want := `Thank you! We will remind you to sign the Joint Call every 7 days, at most 4 times. Answer "signed" or "stop" at any time.`
	if len(replies) != 1 || replies[0].Value["reply"] == nil || replies[0].Value["text"] != want {
		t.Fatalf("confirmation replies = %+v, want one reply saying %q", replies, want)
	}
	e.clock.Advance(7 * 24 * time.Hour)
	e.tick()
	dms := e.bsky.DMs()
	if len(dms) != 1 || !strings.Contains(dms[0], "12345 people have signed") || !strings.Contains(dms[0], "https://cohesion.example/sign") {
		t.Errorf("direct messages = %q, want one reminder with the count and the signing URL", dms)
	}
}
