package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestCreateOutboxItemOncePerKey(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "a", []model.Post{testPost(1)}, "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	item := model.OutboxItem{
		IdempotencyKey: "highlight:mastodon:" + res.New[0].URI,
		Network:        model.NetworkMastodon,
		Kind:           model.OutboxRepost,
		PostID:         res.New[0].ID,
		Author:         "anna@example.social",
		Target:         res.New[0].URI,
		Payload:        model.OutboxPayload{Visibility: "public", Media: []model.OutboxMedia{{Path: "a.jpg", AltText: "a bridge"}}},
		NextAttemptAt:  at,
		CreatedAt:      at,
	}
	first, created, err := s.CreateOutboxItem(ctx, item)
	if err != nil || !created {
		t.Fatalf("first create: created=%v err=%v, want created", created, err)
	}
	if first.Status != model.OutboxPlanned || first.PostID != res.New[0].ID || first.Payload.Media[0].AltText != "a bridge" {
		t.Errorf("stored item = %+v, want planned with post id and payload", first)
	}
	item.Text = "changed"
	second, created, err := s.CreateOutboxItem(ctx, item)
	if err != nil || created {
		t.Fatalf("second create: created=%v err=%v, want existing row", created, err)
	}
	if second.ID != first.ID || second.Text != "" {
		t.Errorf("second create returned %+v, want the first row unchanged", second)
	}
	counts, err := s.CountOutbox(ctx)
	if err != nil || counts[model.OutboxPlanned] != 1 {
		t.Errorf("counts = %v, %v; want 1 planned", counts, err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	it, _, err := s.CreateOutboxItem(ctx, model.OutboxItem{IdempotencyKey: "k", Network: model.NetworkX,
		Kind: model.OutboxPost, Text: "hi", NextAttemptAt: at, CreatedAt: at, EstimatedCost: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	due, err := s.DueOutboxItems(ctx, at.Add(-time.Second), 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("due before its time: %v, %v; want none", due, err)
	}
	due, err = s.DueOutboxItems(ctx, at, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due at its time: %v, %v; want one", due, err)
	}
	if err := s.MarkOutboxSent(ctx, it.ID, "1", at); !errors.Is(err, ErrOutboxState) {
		t.Errorf("mark sent from planned: err = %v, want ErrOutboxState", err)
	}
	got, err := s.StartOutboxAttempt(ctx, it.ID, model.OutboxPlanned, at)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != model.OutboxSending || got.Attempts != 1 || !got.FirstAttemptAt.Equal(at) {
		t.Errorf("after start = %+v, want sending, 1 attempt, first attempt %v", got, at)
	}
	if _, err := s.StartOutboxAttempt(ctx, it.ID, model.OutboxPlanned, at); !errors.Is(err, ErrOutboxState) {
		t.Errorf("second start from planned: err = %v, want ErrOutboxState", err)
	}
	spent, err := s.OutboxSpend(ctx, model.NetworkX, at.Add(-time.Hour), at.Add(time.Hour), 0)
	if err != nil || spent != 0.2 {
		t.Errorf("spend with one sending row = %v, %v; want 0.2", spent, err)
	}
	spent, _ = s.OutboxSpend(ctx, model.NetworkX, at.Add(-time.Hour), at.Add(time.Hour), it.ID)
	if spent != 0 {
		t.Errorf("spend excluding the row = %v, want 0", spent)
	}
	later := at.Add(time.Minute)
	got, err = s.StartOutboxAttempt(ctx, it.ID, model.OutboxSending, later)
	if err != nil || got.Attempts != 2 || !got.FirstAttemptAt.Equal(at) || !got.LastAttemptAt.Equal(later) {
		t.Errorf("reconcile attempt = %+v, %v; want 2 attempts, first %v, last %v", got, err, at, later)
	}
	if err := s.MarkOutboxSent(ctx, it.ID, "1", later); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOutboxFailed(ctx, it.ID, "x"); !errors.Is(err, ErrOutboxState) {
		t.Errorf("fail a sent row: err = %v, want ErrOutboxState", err)
	}
	got, err = s.OutboxItemByKey(ctx, "k")
	if err != nil || got.Status != model.OutboxSent || got.RemoteID != "1" || !got.SentAt.Equal(later) {
		t.Errorf("sent row = %+v, %v", got, err)
	}
	if _, err := s.OutboxItemByKey(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: err = %v, want ErrNotFound", err)
	}
}

func TestOutboxSlots(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	base := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	mk := func(key string, kind model.OutboxKind, at time.Time, status model.OutboxStatus) {
		t.Helper()
		if _, _, err := s.CreateOutboxItem(ctx, model.OutboxItem{IdempotencyKey: key, Network: model.NetworkMastodon,
			Kind: kind, Author: "a", NextAttemptAt: at, CreatedAt: base, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	mk("1", model.OutboxRepost, base, model.OutboxPlanned)
	mk("2", model.OutboxRepost, base.Add(time.Hour), model.OutboxSkipped)
	mk("3", model.OutboxDM, base.Add(time.Hour), model.OutboxPlanned)
	mk("4", model.OutboxPost, base.Add(2*time.Hour), model.OutboxPlanned)
	slots, err := s.OutboxSlots(ctx, model.NetworkMastodon, []model.OutboxKind{model.OutboxRepost, model.OutboxPost},
		base, base.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 2 || !slots[0].At.Equal(base) || !slots[1].At.Equal(base.Add(2*time.Hour)) {
		t.Errorf("slots = %+v, want the planned repost and post (not skipped, not DM)", slots)
	}
}

func TestBotCursor(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if c, err := s.BotCursor(ctx, "mentions:mastodon"); err != nil || c != "" {
		t.Errorf("unknown cursor = %q, %v; want empty", c, err)
	}
	for _, want := range []string{"10", "12"} {
		if err := s.SetBotCursor(ctx, "mentions:mastodon", want); err != nil {
			t.Fatal(err)
		}
		if c, err := s.BotCursor(ctx, "mentions:mastodon"); err != nil || c != want {
			t.Errorf("cursor = %q, %v; want %q", c, err, want)
		}
	}
}
