package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is append-only: never edit or reorder an entry that has shipped;
// add a new function at the end. The schema version is the number applied.
var migrations = []func(tx *sql.Tx) error{
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE sources (
	name        TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	cursor      TEXT NOT NULL DEFAULT '',
	last_run_at INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	last_new    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE authors (
	id           INTEGER PRIMARY KEY,
	network      TEXT NOT NULL,
	handle       TEXT NOT NULL,
	display_name TEXT NOT NULL DEFAULT '',
	url          TEXT NOT NULL DEFAULT '',
	avatar_url   TEXT NOT NULL DEFAULT '',
	bio          TEXT NOT NULL DEFAULT '',
	UNIQUE (network, handle)
);
CREATE TABLE posts (
	id              INTEGER PRIMARY KEY,
	network         TEXT NOT NULL,
	uri             TEXT NOT NULL,
	url             TEXT NOT NULL DEFAULT '',
	remote_id       TEXT NOT NULL DEFAULT '',
	cid             TEXT NOT NULL DEFAULT '',
	source_name     TEXT NOT NULL DEFAULT '',
	category        TEXT NOT NULL DEFAULT '',
	author_id       INTEGER NOT NULL REFERENCES authors(id),
	html            TEXT NOT NULL DEFAULT '',
	text            TEXT NOT NULL DEFAULT '',
	language        TEXT NOT NULL DEFAULT '',
	content_warning TEXT NOT NULL DEFAULT '',
	sensitive       INTEGER NOT NULL DEFAULT 0,
	tags            TEXT NOT NULL DEFAULT '',
	published_at    INTEGER NOT NULL,
	collected_at    INTEGER NOT NULL,
	status          TEXT NOT NULL DEFAULT 'pending',
	pinned          INTEGER NOT NULL DEFAULT 0,
	highlighted     INTEGER NOT NULL DEFAULT 0,
	decided_by      TEXT NOT NULL DEFAULT '',
	decided_at      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (network, uri)
);
CREATE INDEX posts_status_published ON posts (status, published_at DESC, id DESC);
CREATE TABLE media (
	id          INTEGER PRIMARY KEY,
	post_id     INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	position    INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	url         TEXT NOT NULL,
	preview_url TEXT NOT NULL DEFAULT '',
	alt_text    TEXT NOT NULL DEFAULT '',
	width       INTEGER NOT NULL DEFAULT 0,
	height      INTEGER NOT NULL DEFAULT 0,
	cache_key   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX media_post ON media (post_id, position);
CREATE TABLE decisions (
	id      INTEGER PRIMARY KEY,
	post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	action  TEXT NOT NULL,
	actor   TEXT NOT NULL,
	reason  TEXT NOT NULL DEFAULT '',
	at      INTEGER NOT NULL
);
CREATE INDEX decisions_post ON decisions (post_id, id);
CREATE INDEX decisions_at ON decisions (at DESC);
CREATE TABLE moderators (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL DEFAULT 'moderator',
	created_at    INTEGER NOT NULL
);
CREATE TABLE sessions (
	token_hash   TEXT PRIMARY KEY,
	moderator_id INTEGER NOT NULL REFERENCES moderators(id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_moderator ON sessions (moderator_id);
CREATE TABLE runs (
	id       INTEGER PRIMARY KEY,
	job      TEXT NOT NULL,
	started  INTEGER NOT NULL,
	finished INTEGER NOT NULL DEFAULT 0,
	items    INTEGER NOT NULL DEFAULT 0,
	error    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_job ON runs (job, id DESC);
`)
		return err
	},
	// Media cache (package media, store/media.go): fetch attempts per media
	// row, and the content-addressed files on disk with their sizes.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
ALTER TABLE media ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN fetch_error TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN fetch_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN fetch_failed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX media_cache_key ON media (cache_key) WHERE cache_key != '';
CREATE INDEX media_to_fetch ON media (fetch_after, id) WHERE cache_key = '' AND fetch_failed = 0;
CREATE TABLE media_files (
	cache_key  TEXT PRIMARY KEY,
	bytes      INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX media_files_created ON media_files (created_at);
`)
		return err
	},
	// The wall (package wall): the log of events the hub sends to screens
	// (store/wallevents.go), so event IDs go on counting across restarts and
	// a screen that reconnects to a new process gets what it missed; post_id
	// has no foreign key, the log outlives posts that retention deletes. And
	// an index for the few pinned posts, which otherwise cost a walk through
	// every approved post (a quarter of a second at a million posts).
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE wall_events (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	post_id INTEGER NOT NULL DEFAULT 0,
	kind    TEXT NOT NULL,
	data    BLOB,
	at      INTEGER NOT NULL
);
CREATE INDEX posts_pinned ON posts (status, published_at DESC, id DESC) WHERE pinned = 1;
`)
		return err
	},
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var version int
	err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&version)
	if err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade campaignwall", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if err := migrations[v](tx); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM schema_version`); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO schema_version (version) VALUES (?)`, v+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	return nil
}

// SchemaVersion returns how many migrations the database has applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}
