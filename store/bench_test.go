package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

const benchBatch = 100

func benchPosts(start int) []model.Post {
	posts := make([]model.Post, benchBatch)
	for i := range posts {
		n := start + i
		posts[i] = model.Post{
			Network:     model.NetworkMastodon,
			URI:         fmt.Sprintf("https://social.example/users/u%d/statuses/%d", n%500, n),
			URL:         fmt.Sprintf("https://social.example/@u%d/%d", n%500, n),
			RemoteID:    fmt.Sprint(n),
			Author:      model.Author{Handle: fmt.Sprintf("u%d@social.example", n%500), DisplayName: "User"},
			HTML:        "<p>Cohesion policy builds bridges, schools and tram lines. #CohesionAlliance</p>",
			Text:        "Cohesion policy builds bridges, schools and tram lines. #CohesionAlliance",
			Language:    "en",
			PublishedAt: time.Unix(1790000000+int64(n), 0),
		}
	}
	return posts
}

// BenchmarkSavePosts measures the dedupe-insert path collectors use: author
// upsert, post insert-or-ignore, media, cursor, one transaction per batch.
// Half the batch is already known, as when a poll overlaps the last one.
func BenchmarkSavePosts(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Each batch repeats the second half of the previous one.
		if _, err := s.SavePosts(ctx, "bench", benchPosts(i*benchBatch/2), fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "posts/s")
}

// BenchmarkRawInsert is what SQLite itself costs for the same rows: one
// prepared plain INSERT per row into a table shaped like posts, with the same
// unique key and index, one transaction per batch, no dedupe logic, no
// authors. SavePosts should reach at least half of its rate.
func BenchmarkRawInsert(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	if _, err := s.w.Exec(`CREATE TABLE raw (id INTEGER PRIMARY KEY, network TEXT, uri TEXT, url TEXT, remote_id TEXT, author TEXT, html TEXT, text TEXT, language TEXT, status TEXT DEFAULT 'pending', published_at INTEGER, UNIQUE (network, uri));
CREATE INDEX raw_status_published ON raw (status, published_at DESC, id DESC)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(`INSERT OR IGNORE INTO raw (network, uri, url, remote_id, author, html, text, language, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range benchPosts(i * benchBatch / 2) {
			if _, err := stmt.Exec(p.Network, p.URI, p.URL, p.RemoteID, p.Author.Handle, p.HTML, p.Text, p.Language, ms(p.PublishedAt)); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "posts/s")
}

// BenchmarkRawInsertPostsTable is the same plain INSERT OR IGNORE per row,
// but into the real posts table, with everything the moderation queue keeps
// on it (covering indexes, the FTS5 search index and the facet counts, all
// maintained by SQLite triggers). Its authors exist beforehand. It tells
// how much of SavePosts' cost is its own logic (dedupe query, authors,
// cursor) and how much is the indexing every stored post needs; see
// BENCHMARKS.md.
func BenchmarkRawInsertPostsTable(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	authors := map[string]int64{}
	for n := range 500 {
		handle := fmt.Sprintf("u%d@social.example", n)
		r, err := s.w.Exec(`INSERT INTO authors (network, handle, display_name) VALUES (?, ?, 'User')`, model.NetworkMastodon, handle)
		if err != nil {
			b.Fatal(err)
		}
		authors[handle], _ = r.LastInsertId()
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(`INSERT OR IGNORE INTO posts (network, uri, url, remote_id, source_name, author_id, html, text, language, published_at, collected_at, status)
VALUES (?, ?, ?, ?, 'bench', ?, ?, ?, ?, ?, ?, 'pending')`)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range benchPosts(i * benchBatch / 2) {
			if _, err := stmt.Exec(p.Network, p.URI, p.URL, p.RemoteID, authors[p.Author.Handle], p.HTML, p.Text, p.Language, ms(p.PublishedAt), ms(p.PublishedAt)); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "posts/s")
}
