package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestSupporterLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	sup, err := s.OptInSupporter(ctx, model.Supporter{Network: model.NetworkMastodon, Handle: "carla@cities.example",
		Language: "de", TimeZone: "Europe/Berlin", ConsentAt: at, NextReminderAt: at.Add(7 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if sup.Status != model.SupporterActive || sup.CadenceDays != 7 || sup.Language != "de" {
		t.Errorf("opted in = %+v", sup)
	}
	due, _ := s.DueSupporters(ctx, at.Add(7*24*time.Hour), 10)
	if len(due) != 1 {
		t.Fatalf("due supporters = %d, want 1", len(due))
	}
	r := model.Reminder{SupporterID: sup.ID, OutboxKey: "reminder:1", PlannedAt: at.Add(7 * 24 * time.Hour)}
	for range 2 { // recorded twice, counted once
		if err := s.RecordReminder(ctx, r, at.Add(14*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.SupporterByHandle(ctx, model.NetworkMastodon, "Carla@Cities.Example")
	if got.RemindersSent != 1 || !got.NextReminderAt.Equal(at.Add(14*24*time.Hour)) {
		t.Errorf("after one reminder = %+v, want 1 sent, next in 14 days", got)
	}
	ended, err := s.EndSupporter(ctx, model.NetworkMastodon, "carla@cities.example", model.SupporterStopped, at.Add(time.Hour))
	if err != nil || ended.Status != model.SupporterStopped || !ended.NextReminderAt.IsZero() {
		t.Errorf("stopped = %+v, %v; want stopped with nothing due", ended, err)
	}
	if _, err := s.EndSupporter(ctx, model.NetworkX, "nobody", model.SupporterSigned, at); !errors.Is(err, ErrNotFound) {
		t.Errorf("end unknown supporter: err = %v, want ErrNotFound", err)
	}
	again, err := s.OptInSupporter(ctx, model.Supporter{Network: model.NetworkMastodon, Handle: "carla@cities.example",
		ConsentAt: at.Add(48 * time.Hour), NextReminderAt: at.Add(9 * 24 * time.Hour)})
	if err != nil || again.Status != model.SupporterActive || again.RemindersSent != 1 || !again.ConsentAt.Equal(at.Add(48*time.Hour)) {
		t.Errorf("opted in again = %+v, %v; want active, new consent, 1 reminder kept", again, err)
	}
	if err := s.RecordReminder(ctx, model.Reminder{SupporterID: sup.ID, OutboxKey: "reminder:2", PlannedAt: at}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.SupporterByHandle(ctx, model.NetworkMastodon, "carla@cities.example")
	if got.Status != model.SupporterFinished {
		t.Errorf("after the last reminder: %s, want finished", got.Status)
	}
	hist, _ := s.Reminders(ctx)
	if len(hist[sup.ID]) != 2 {
		t.Errorf("history = %v, want 2 reminders", hist)
	}
}

func TestForgetSupporter(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for _, n := range []model.Network{model.NetworkMastodon, model.NetworkBluesky} {
		sup, err := s.OptInSupporter(ctx, model.Supporter{Network: n, Handle: "carla", ConsentAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordReminder(ctx, model.Reminder{SupporterID: sup.ID, OutboxKey: "r:" + string(n), PlannedAt: at}, at); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := s.OptInSupporter(ctx, model.Supporter{Network: model.NetworkMastodon, Handle: "dora", ConsentAt: at})
	for _, it := range []model.OutboxItem{
		{IdempotencyKey: "confirm", Network: model.NetworkMastodon, Kind: model.OutboxReply, Author: "carla", Target: "https://m/1"},
		{IdempotencyKey: "dm", Network: model.NetworkBluesky, Kind: model.OutboxDM, Target: "Carla"},
		{IdempotencyKey: "keep", Network: model.NetworkMastodon, Kind: model.OutboxDM, Target: "dora", Author: "dora"},
	} {
		it.CreatedAt = at
		if _, _, err := s.CreateOutboxItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.ForgetSupporter(ctx, "@carla")
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("deleted %d rows, want 6 (2 supporters, 2 reminders, 2 outbox rows)", n)
	}
	all, _ := s.Supporters(ctx)
	if len(all) != 1 || all[0].ID != other.ID {
		t.Errorf("supporters left = %+v, want only dora", all)
	}
	hist, _ := s.Reminders(ctx)
	if len(hist) != 0 {
		t.Errorf("reminders left = %v, want none", hist)
	}
	counts, _ := s.CountOutbox(ctx)
	if counts[model.OutboxPlanned] != 1 {
		t.Errorf("outbox left = %v, want dora's row only", counts)
	}
}
