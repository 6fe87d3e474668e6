package demo

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestCollectTrickles(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c := New(func() time.Time { return now }, 1)
	seen := map[string]bool{}
	for _, p := range c.Seed() {
		seen[p.URI] = true
	}
	if len(seen) != SeedCount {
		t.Fatalf("seed has %d distinct posts, want %d", len(seen), SeedCount)
	}
	cursor := ""
	for i := range 2 * len(script) {
		posts, next, err := c.Collect(context.Background(), model.Source{Name: SourceName}, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 1 || next == cursor {
			t.Fatalf("collect %d: %d posts, cursor %q → %q", i, len(posts), cursor, next)
		}
		if seen[posts[0].URI] {
			t.Fatalf("collect %d repeated %s", i, posts[0].URI)
		}
		seen[posts[0].URI] = true
		cursor = next
	}
	if _, _, err := c.Collect(context.Background(), model.Source{}, "x"); err == nil {
		t.Error("bad cursor accepted")
	}
}

func TestScriptIsMultilingualWithPhotos(t *testing.T) {
	langs := map[string]bool{}
	for i := range script {
		p := build(i, 0, time.Now())
		langs[p.Language] = true
		if strings.Contains(p.HTML, "invisible") || strings.Contains(p.Text, "es/CohesionAlliance.aspx") {
			t.Errorf("post %d shows Mastodon's hidden URL parts: %q", i, p.Text)
		}
		for _, m := range p.Media {
			name := strings.TrimPrefix(m.URL, PhotoPath)
			if _, err := fs.Stat(Photos(), name); err != nil {
				t.Errorf("post %d names photo %s that is not embedded", i, name)
			}
			if m.AltText == "" {
				t.Errorf("post %d has a photo without alt text", i)
			}
		}
	}
	if len(langs) < 10 {
		t.Errorf("script covers %d languages, want at least 10", len(langs))
	}
}
