package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestSignatureCountPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignatureCount(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: got %v, want ErrNotFound", err)
	}
	t0 := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	steps := []struct {
		name        string
		set         model.SignatureCount
		wantChanged bool
		wantRows    int
	}{
		{"first scrape", model.SignatureCount{Value: 1200, Source: model.SignaturesScraped, At: t0}, true, 1},
		{"same scrape again only moves the time", model.SignatureCount{Value: 1200, Source: model.SignaturesScraped, At: t0.Add(time.Minute)}, false, 1},
		{"new scraped value", model.SignatureCount{Value: 1250, Source: model.SignaturesScraped, At: t0.Add(2 * time.Minute)}, true, 2},
		{"admin sets it", model.SignatureCount{Value: 12345, Source: model.SignaturesAdmin, By: "anna", At: t0.Add(3 * time.Minute)}, true, 3},
		{"admin sets the same again: still recorded", model.SignatureCount{Value: 12345, Source: model.SignaturesAdmin, By: "ben", At: t0.Add(4 * time.Minute)}, false, 4},
	}
	for _, st := range steps {
		changed, err := s.SetSignatureCount(ctx, st.set)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if changed != st.wantChanged {
			t.Errorf("%s: changed = %v, want %v", st.name, changed, st.wantChanged)
		}
		h, err := s.SignatureCountHistory(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != st.wantRows {
			t.Errorf("%s: %d history rows, want %d", st.name, len(h), st.wantRows)
		}
		if got, err := s.SignatureCount(ctx); err != nil || got.Value != st.set.Value || got.Source != st.set.Source || !got.At.Equal(st.set.At) {
			t.Errorf("%s: current = %+v, %v; want %+v", st.name, got, err, st.set)
		}
	}
	for _, bad := range []model.SignatureCount{{Value: -1, Source: model.SignaturesAdmin}, {Value: 1, Source: "guess"}} {
		if _, err := s.SetSignatureCount(ctx, bad); err == nil {
			t.Errorf("SetSignatureCount(%+v) accepted", bad)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.SignatureCount(ctx)
	want := model.SignatureCount{Value: 12345, Source: model.SignaturesAdmin, By: "ben", At: t0.Add(4 * time.Minute)}
	if err != nil || got != want {
		t.Fatalf("after reopen: got %+v, %v; want %+v", got, err, want)
	}
}
