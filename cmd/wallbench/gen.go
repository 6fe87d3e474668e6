package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
	"github.com/cohesionalliance/campaignwall/store/storetest"
)

const (
	benchModerator = "bench"
	benchPassword  = "bench password for loopback only"
)

// seedFanout creates a database with a moderator and n pending posts, each
// with a cached photo, and returns the posts' IDs.
func seedFanout(ctx context.Context, dbPath string, n int) ([]int64, error) {
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := addModerator(ctx, st); err != nil {
		return nil, err
	}
	posts := make([]model.Post, n)
	now := time.Now()
	for i := range posts {
		html, text := storetest.Text(i)
		posts[i] = model.Post{
			Network: model.NetworkMastodon,
			URI:     fmt.Sprintf("https://regions.example/users/u%d/statuses/%d", i%50, i),
			URL:     fmt.Sprintf("https://regions.example/@u%d/%d", i%50, i),
			Author:  model.Author{Handle: fmt.Sprintf("u%d@regions.example", i%50), DisplayName: fmt.Sprintf("Region %d", i%50)},
			HTML:    html, Text: text, Language: storetest.Languages[i%len(storetest.Languages)],
			PublishedAt: now.Add(time.Duration(i) * time.Second),
			Media:       []model.Media{{Kind: model.MediaImage, URL: "https://regions.example/media/tram.jpg", AltText: "The new tram at its first stop", Width: 1280, Height: 853}},
		}
	}
	res, err := st.SavePosts(ctx, "bench", posts, "")
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(res.New))
	for i, p := range res.New {
		ids[i] = p.ID
	}
	return ids, nil
}

func addModerator(ctx context.Context, st *store.Store) error {
	hash, err := auth.HashPassword(benchPassword)
	if err != nil {
		return err
	}
	_, err = st.CreateModerator(ctx, model.Moderator{Name: benchModerator, PasswordHash: hash})
	return err
}

// pageDB returns a copy, in dir, of a database with posts posts of which
// approved are approved (three of them pinned), each approved one with a
// cached photo (storetest.CachedDB: generated once per size and schema
// under the system's temporary directory and reused: a million posts take
// a while to write).
func pageDB(ctx context.Context, dir string, posts, approved int, log io.Writer) (string, error) {
	cached, err := storetest.CachedDB(ctx, dir, posts, approved, log)
	if err != nil {
		return "", err
	}
	// The server writes (sessions, the event log): it gets a copy, so the
	// cached file stays as generated.
	dst := filepath.Join(dir, "wall.db")
	if err := storetest.CopyFile(cached, dst); err != nil {
		return "", err
	}
	st, err := store.Open(ctx, dst)
	if err != nil {
		return "", err
	}
	defer st.Close()
	return dst, addModerator(ctx, st)
}

// countCards counts the wall cards in a page.
func countCards(page []byte) int {
	return strings.Count(string(page), `data-testid="wall-post"`)
}
