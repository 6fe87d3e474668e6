package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

const (
	benchModerator = "bench"
	benchPassword  = "bench password for loopback only"
)

var languages = []string{"en", "fr", "de", "pl", "it", "es", "pt", "nl", "el", "ro"}

// benchText is a post of ordinary length, with a hashtag and a link as
// collectors leave them.
func benchText(n int) (html, text string) {
	text = fmt.Sprintf("Post %d: the new tram line in our region opened today, co-funded by the European Regional Development Fund. "+
		"Thank you to everyone who made it happen! #CohesionAlliance #EURegions https://regions.example/news/%d", n, n)
	html = fmt.Sprintf(`<p>Post %d: the new tram line in our region opened today, co-funded by the European Regional Development Fund. `+
		`Thank you to everyone who made it happen! <a href="https://regions.example/tags/CohesionAlliance" rel="nofollow noopener" target="_blank">#CohesionAlliance</a> `+
		`<a href="https://regions.example/tags/EURegions" rel="nofollow noopener" target="_blank">#EURegions</a> `+
		`<a href="https://regions.example/news/%d" rel="nofollow noopener" target="_blank">regions.example/news/%d</a></p>`, n, n, n)
	return html, text
}

func cacheKey(n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "photo %d", n))
	return hex.EncodeToString(sum[:])
}

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
		html, text := benchText(i)
		posts[i] = model.Post{
			Network: model.NetworkMastodon,
			URI:     fmt.Sprintf("https://regions.example/users/u%d/statuses/%d", i%50, i),
			URL:     fmt.Sprintf("https://regions.example/@u%d/%d", i%50, i),
			Author:  model.Author{Handle: fmt.Sprintf("u%d@regions.example", i%50), DisplayName: fmt.Sprintf("Region %d", i%50)},
			HTML:    html, Text: text, Language: languages[i%len(languages)],
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
// cached photo. The original is generated once per size and schema
// under the system's temporary directory and reused: a million posts take a
// while to write.
func pageDB(ctx context.Context, dir string, posts, approved int, log io.Writer) (string, error) {
	schema, err := schemaKey(ctx, dir)
	if err != nil {
		return "", err
	}
	cached := filepath.Join(os.TempDir(), fmt.Sprintf("campaignwall-bench-%dposts-%dapproved-schema-%s.db", posts, approved, schema))
	if _, err := os.Stat(cached); err != nil {
		start := time.Now()
		fmt.Fprintf(log, "generating %s (once)…\n", cached)
		tmp := cached + ".tmp"
		os.Remove(tmp)
		if err := generate(ctx, tmp, posts, approved); err != nil {
			os.Remove(tmp)
			return "", err
		}
		if err := os.Rename(tmp, cached); err != nil {
			return "", err
		}
		fmt.Fprintf(log, "generated %d posts in %s\n", posts, time.Since(start).Round(time.Second))
	}
	// The server writes (sessions, the event log): it gets a copy, so the
	// cached file stays as generated.
	dst := filepath.Join(dir, "wall.db")
	if err := copyFile(cached, dst); err != nil {
		return "", err
	}
	st, err := store.Open(ctx, dst)
	if err != nil {
		return "", err
	}
	defer st.Close()
	return dst, addModerator(ctx, st)
}

// schemaKey names the current schema: a short hash of a new database's
// schema, so a cached database from another schema is never reused.
func schemaKey(ctx context.Context, dir string) (string, error) {
	path := filepath.Join(dir, "schema.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		return "", err
	}
	if err := st.Close(); err != nil {
		return "", err
	}
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Opaque: path}).String())
	if err != nil {
		return "", err
	}
	defer db.Close()
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name)`).Scan(&schema); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(schema))
	return hex.EncodeToString(sum[:6]), nil
}

// generate writes the database with direct SQL: one transaction, prepared
// statements, the store's own schema (store.Open runs the migrations first).
func generate(ctx context.Context, path string, posts, approved int) error {
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	u := url.URL{Scheme: "file", Opaque: path}
	db, err := sql.Open("sqlite", u.String()+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=foreign_keys(0)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const authors = 10000
	insAuthor, err := tx.PrepareContext(ctx, `INSERT INTO authors (id, network, handle, display_name, url) VALUES (?, 'mastodon', ?, ?, ?)`)
	if err != nil {
		return err
	}
	for i := 1; i <= authors; i++ {
		if _, err := insAuthor.ExecContext(ctx, i, fmt.Sprintf("u%d@regions.example", i), fmt.Sprintf("Region %d", i), fmt.Sprintf("https://regions.example/@u%d", i)); err != nil {
			return err
		}
	}
	insPost, err := tx.PrepareContext(ctx, `INSERT INTO posts (id, network, uri, url, remote_id, source_name, author_id, html, text, language,
	tags, published_at, collected_at, status, pinned, decided_by, decided_at) VALUES (?, 'mastodon', ?, ?, ?, 'bench', ?, ?, ?, ?, 'cohesionalliance euregions', ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	insMedia, err := tx.PrepareContext(ctx, `INSERT INTO media (post_id, position, kind, url, alt_text, width, height, cache_key) VALUES (?, 0, 'image', ?, 'The new tram at its first stop', 1280, 853, ?)`)
	if err != nil {
		return err
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	every := max(1, posts/max(approved, 1))
	pinned := 0
	for i := 1; i <= posts; i++ {
		html, text := benchText(i)
		status, by, at := model.StatusPending, "", int64(0)
		pin := 0
		published := start + int64(i)*30_000 // one post every 30 s, a year for a million
		switch {
		case i%every == 0 && approved > 0:
			status, by, at = model.StatusApproved, benchModerator, published+60_000
			approved--
			if pinned < 3 && i > posts/2 {
				pin = 1
				pinned++
			}
		case i%3 == 0:
			status, by, at = model.StatusRejected, benchModerator, published+60_000
		}
		if _, err := insPost.ExecContext(ctx, i, fmt.Sprintf("https://regions.example/users/u%d/statuses/%d", i%authors, i),
			fmt.Sprintf("https://regions.example/@u%d/%d", i%authors, i), fmt.Sprint(i), i%authors+1, html, text,
			languages[i%len(languages)], published, published+5_000, status, pin, by, at); err != nil {
			return err
		}
		if status == model.StatusApproved {
			if _, err := insMedia.ExecContext(ctx, i, fmt.Sprintf("https://regions.example/media/%d.jpg", i), cacheKey(i)); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// countCards counts the wall cards in a page.
func countCards(page []byte) int {
	return strings.Count(string(page), `data-testid="wall-post"`)
}
