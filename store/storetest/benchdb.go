// Package storetest builds large campaignwall databases for benchmarks:
// a million posts written once per size and schema into the system's
// temporary directory and reused by every later run (cmd/wallbench, the
// store's and the moderation queue's Go benchmarks).
package storetest

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
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Moderator is the name decisions in a generated database carry.
const Moderator = "bench"

// Languages are the generated posts' languages, in turn.
var Languages = []string{"en", "fr", "de", "pl", "it", "es", "pt", "nl", "el", "ro"}

// Networks are the generated posts' networks, in turn; each has one source
// named after it with "-1" and "-2" (every other post of the network).
var Networks = []model.Network{model.NetworkMastodon, model.NetworkBluesky, model.NetworkX, model.NetworkFeed}

// Categories are the generated posts' categories, in turn.
var Categories = []string{"regions", "cities", "partners"}

// Text is a post of ordinary length, with a hashtag and a link as
// collectors leave them. Every 1,000th post also says "funicular", so a
// search has a rare word to find as well as common ones.
func Text(n int) (html, text string) {
	extra := ""
	if n%1000 == 0 {
		extra = " The funicular reopened too."
	}
	text = fmt.Sprintf("Post %d: the new tram line in our region opened today, co-funded by the European Regional Development Fund.%s "+
		"Thank you to everyone who made it happen! #CohesionAlliance #EURegions https://regions.example/news/%d", n, extra, n)
	html = fmt.Sprintf(`<p>Post %d: the new tram line in our region opened today, co-funded by the European Regional Development Fund.%s `+
		`Thank you to everyone who made it happen! <a href="https://regions.example/tags/CohesionAlliance" rel="nofollow noopener" target="_blank">#CohesionAlliance</a> `+
		`<a href="https://regions.example/tags/EURegions" rel="nofollow noopener" target="_blank">#EURegions</a> `+
		`<a href="https://regions.example/news/%d" rel="nofollow noopener" target="_blank">regions.example/news/%d</a></p>`, n, extra, n, n)
	return html, text
}

// CacheKey is the media cache key of post n's photo.
func CacheKey(n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "photo %d", n))
	return hex.EncodeToString(sum[:])
}

// Start is when the first generated post was published; one follows every
// 30 seconds (a year for a million).
var Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// CachedDB returns the path of a database with posts posts of which
// approved are approved (three of them pinned), each approved one with a
// cached photo, a third of the others rejected, every fourth post with a
// photo. It is generated once per size and schema under the system's
// temporary directory (progress goes to log) and reused; dir is a scratch
// directory for finding the schema. Open a copy (CopyFile) for anything
// that writes, so the cached file stays as generated.
func CachedDB(ctx context.Context, dir string, posts, approved int, log io.Writer) (string, error) {
	schema, err := SchemaKey(ctx, dir)
	if err != nil {
		return "", err
	}
	cached := filepath.Join(os.TempDir(), fmt.Sprintf("campaignwall-bench-%dposts-%dapproved-schema-%s.db", posts, approved, schema))
	if _, err := os.Stat(cached); err == nil {
		return cached, nil
	}
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
	return cached, nil
}

// SchemaKey names the current schema: a short hash of a new database's
// schema, so a cached database from another schema is never reused.
func SchemaKey(ctx context.Context, dir string) (string, error) {
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
// statements, the store's own schema (store.Open runs the migrations first)
// and its triggers, so the search index and the queue's counts are built
// as the store would build them.
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
	insPost, err := tx.PrepareContext(ctx, `INSERT INTO posts (id, network, uri, url, remote_id, source_name, category, author_id, html, text, language,
	tags, published_at, collected_at, status, pinned, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'cohesionalliance euregions', ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	insMedia, err := tx.PrepareContext(ctx, `INSERT INTO media (post_id, position, kind, url, alt_text, width, height, cache_key) VALUES (?, 0, 'image', ?, 'The new tram at its first stop', 1280, 853, ?)`)
	if err != nil {
		return err
	}
	start := Start.UnixMilli()
	every := max(1, posts/max(approved, 1))
	pinned := 0
	for i := 1; i <= posts; i++ {
		html, text := Text(i)
		status, by, at := model.StatusPending, "", int64(0)
		pin := 0
		published := start + int64(i)*30_000
		switch {
		case i%every == 0 && approved > 0:
			status, by, at = model.StatusApproved, Moderator, published+60_000
			approved--
			if pinned < 3 && i > posts/2 {
				pin = 1
				pinned++
			}
		case i%3 == 0:
			status, by, at = model.StatusRejected, Moderator, published+60_000
		}
		network := Networks[i%len(Networks)]
		source := fmt.Sprintf("%s-%d", network, 1+(i/len(Networks))%2)
		if _, err := insPost.ExecContext(ctx, i, network, fmt.Sprintf("https://regions.example/users/u%d/statuses/%d", i%authors, i),
			fmt.Sprintf("https://regions.example/@u%d/%d", i%authors, i), fmt.Sprint(i), source, Categories[i%len(Categories)], i%authors+1, html, text,
			Languages[i%len(Languages)], published, published+5_000, status, pin, by, at); err != nil {
			return err
		}
		if status == model.StatusApproved || i%4 == 0 {
			if _, err := insMedia.ExecContext(ctx, i, fmt.Sprintf("https://regions.example/media/%d.jpg", i), CacheKey(i)); err != nil {
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

// CopyFile copies the file at src to dst.
func CopyFile(src, dst string) error {
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
