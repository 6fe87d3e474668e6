package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestAuditLogFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var posts []model.Post
	for i := range 4 {
		posts = append(posts, testPost(i))
	}
	res, err := s.SavePosts(ctx, "src", posts, "")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h int) time.Time { return time.Date(2026, 10, 14, h, 0, 0, 0, time.UTC) }
	decide := []model.Decision{
		{PostID: res.New[0].ID, Action: model.ActionApprove, Actor: "anna", At: at(9)},
		{PostID: res.New[1].ID, Action: model.ActionReject, Actor: "rule:blocklist", Reason: "blocked word", At: at(10)},
		{PostID: res.New[0].ID, Action: model.ActionRetract, Actor: "bob", Reason: "off topic", At: at(11)},
		{PostID: res.New[2].ID, Action: model.ActionApprove, Actor: "anna", At: at(12)},
		{PostID: res.New[2].ID, Action: model.ActionRemove, Actor: "network", At: at(13)},
	}
	var ids []int64
	for _, d := range decide {
		if _, err := s.Decide(ctx, d); err != nil {
			t.Fatal(err)
		}
		ds, _ := s.Decisions(ctx, DecisionFilter{Limit: 1})
		ids = append(ids, ds[0].ID)
	}
	tests := []struct {
		name string
		f    AuditFilter
		want []int // indexes into decide, newest first
	}{
		{"everything, newest first", AuditFilter{}, []int{4, 3, 2, 1, 0}},
		{"action", AuditFilter{Action: model.ActionApprove}, []int{3, 0}},
		{"actor", AuditFilter{Actor: "anna"}, []int{3, 0}},
		{"rule actor", AuditFilter{Actor: "rule:blocklist"}, []int{1}},
		{"post", AuditFilter{PostID: res.New[0].ID}, []int{2, 0}},
		{"from", AuditFilter{From: at(12)}, []int{4, 3}},
		{"to", AuditFilter{To: at(10)}, []int{0}},
		{"range and actor", AuditFilter{From: at(10), To: at(13), Actor: "anna"}, []int{3}},
		{"paging", AuditFilter{Before: ids[3], Limit: 2}, []int{2, 1}},
		{"nothing", AuditFilter{Actor: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			err := s.AuditLog(ctx, tt.f, func(e AuditEntry) error {
				got = append(got, e.ID)
				if e.PostText == "" {
					t.Errorf("entry %d has no post text", e.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if !slices.Equal(got, want) {
				t.Errorf("AuditLog(%+v) = %v, want %v", tt.f, got, want)
			}
		})
	}
	stop := fmt.Errorf("stop")
	n := 0
	if err := s.AuditLog(ctx, AuditFilter{}, func(AuditEntry) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("AuditLog stopped after %d rows with %v, want 1 and the callback's error", n, err)
	}
}
