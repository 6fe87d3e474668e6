package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestMediaFilesEviction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := time.Date(2026, 10, 13, 9, 0, 0, 0, time.UTC)
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1), testPost(2), testPost(3)}, "")
	if err != nil {
		t.Fatal(err)
	}
	pending, rejected, approved := res.New[0], res.New[1], res.New[2]
	if _, err := s.Decide(ctx, model.Decision{PostID: rejected.ID, Action: model.ActionReject, Actor: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: approved.ID, Action: model.ActionApprove, Actor: "m"}); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		key  string
		post model.Post
		at   time.Time
	}{
		{"k-orphan", model.Post{}, t0.Add(3 * time.Minute)},
		{"k-rejected", rejected, t0},
		{"k-pending", pending, t0},
		{"k-approved", approved, t0},
		{"k-fresh-orphan", model.Post{}, t0.Add(2 * time.Hour)},
	}
	for _, f := range files {
		if err := s.SaveMediaFile(ctx, MediaFile{Key: f.key, Bytes: 100, CreatedAt: f.at}); err != nil {
			t.Fatal(err)
		}
		if f.post.ID != 0 {
			if err := s.SetMediaCacheKey(ctx, f.post.Media[0].ID, f.key); err != nil {
				t.Fatal(err)
			}
		}
	}
	if used, err := s.MediaDiskUsage(ctx); err != nil || used != 500 {
		t.Errorf("usage = %d, %v; want 500", used, err)
	}
	got, err := s.EvictableMediaFiles(ctx, t0.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range got {
		keys = append(keys, f.Key)
	}
	if want := []string{"k-orphan", "k-rejected"}; !slices.Equal(keys, want) {
		t.Errorf("evictable = %q, want %q (orphans first; never pending, approved or fresh files)", keys, want)
	}

	// A pending post starts using the rejected post's file before it is removed.
	if err := s.SetMediaCacheKey(ctx, pending.Media[0].ID, "k-rejected"); err != nil {
		t.Fatal(err)
	}
	if removed, err := s.RemoveMediaFile(ctx, "k-rejected"); err != nil || removed {
		t.Errorf("RemoveMediaFile of a file now in use = %v, %v; want not removed", removed, err)
	}
	if removed, err := s.RemoveMediaFile(ctx, "k-orphan"); err != nil || !removed {
		t.Errorf("RemoveMediaFile of an orphan = %v, %v; want removed", removed, err)
	}
	if used, _ := s.MediaDiskUsage(ctx); used != 400 {
		t.Errorf("usage after removal = %d, want 400", used)
	}
}

func TestMediaFetchBookkeeping(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 10, 13, 9, 0, 0, 0, time.UTC)
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1)}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := res.New[0].Media[0].ID
	due := func(at time.Time) int {
		t.Helper()
		m, err := s.MediaToFetch(ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	if n := due(now); n != 1 {
		t.Fatalf("due = %d, want 1", n)
	}
	if err := s.RecordMediaFailure(ctx, id, "HTTP 503", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, later := due(now), due(now.Add(time.Minute)); n != 0 || later != 1 {
		t.Errorf("due now %d, after the wait %d; want 0 then 1", n, later)
	}
	if err := s.RecordMediaFailure(ctx, id, "HTTP 404", time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, err := s.MediaFetchState(ctx, id)
	if err != nil || !st.Failed || st.Attempts != 2 || st.LastError != "HTTP 404" {
		t.Errorf("state = %+v, %v; want given up after 2 attempts with the last error", st, err)
	}
	if n := due(now.Add(24 * time.Hour)); n != 0 {
		t.Errorf("a given-up media is due again")
	}
	if err := s.RecordMediaFailure(ctx, 999999, "x", now); err == nil {
		t.Errorf("recording a failure of a missing media row succeeded")
	}
}
