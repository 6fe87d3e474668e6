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
	// The amplification bot: its outbox, per-network pauses, how far it read
	// its accounts' mentions, and supporters who opted in to petition
	// reminders (only what consent records need).
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE outbox (
	id               INTEGER PRIMARY KEY,
	idempotency_key  TEXT NOT NULL UNIQUE,
	network          TEXT NOT NULL,
	kind             TEXT NOT NULL,
	post_id          INTEGER REFERENCES posts(id) ON DELETE SET NULL,
	author           TEXT NOT NULL DEFAULT '',
	target           TEXT NOT NULL DEFAULT '',
	text             TEXT NOT NULL DEFAULT '',
	payload          TEXT NOT NULL DEFAULT '{}',
	status           TEXT NOT NULL DEFAULT 'planned',
	reason           TEXT NOT NULL DEFAULT '',
	remote_id        TEXT NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  INTEGER NOT NULL,
	first_attempt_at INTEGER NOT NULL DEFAULT 0,
	last_attempt_at  INTEGER NOT NULL DEFAULT 0,
	estimated_cost   REAL NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	sent_at          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_network ON outbox (network, next_attempt_at);
CREATE INDEX outbox_author ON outbox (author);
CREATE TABLE bot_pauses (
	network   TEXT PRIMARY KEY,
	paused_by TEXT NOT NULL DEFAULT '',
	paused_at INTEGER NOT NULL
);
CREATE TABLE bot_cursors (
	name   TEXT PRIMARY KEY,
	cursor TEXT NOT NULL
);
CREATE TABLE supporters (
	id               INTEGER PRIMARY KEY,
	network          TEXT NOT NULL,
	handle           TEXT NOT NULL COLLATE NOCASE,
	language         TEXT NOT NULL DEFAULT '',
	time_zone        TEXT NOT NULL DEFAULT '',
	cadence_days     INTEGER NOT NULL DEFAULT 7,
	status           TEXT NOT NULL DEFAULT 'active',
	consent_at       INTEGER NOT NULL,
	ended_at         INTEGER NOT NULL DEFAULT 0,
	reminders_sent   INTEGER NOT NULL DEFAULT 0,
	next_reminder_at INTEGER NOT NULL DEFAULT 0,
	UNIQUE (network, handle)
);
CREATE INDEX supporters_due ON supporters (status, next_reminder_at);
CREATE TABLE supporter_reminders (
	id           INTEGER PRIMARY KEY,
	supporter_id INTEGER NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
	outbox_key   TEXT NOT NULL,
	planned_at   INTEGER NOT NULL
);
CREATE INDEX supporter_reminders_supporter ON supporter_reminders (supporter_id, id);
`)
		return err
	},
	// Moderation rules (store/rules.go): admins' rule lists, the rule
	// toggles, and the flags of pending posts a rule held for review.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE rules (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL DEFAULT '',
	action     TEXT NOT NULL,
	network    TEXT NOT NULL DEFAULT '',
	language   TEXT NOT NULL DEFAULT '',
	enabled    INTEGER NOT NULL DEFAULT 1,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rule_settings (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE rule_flags (
	post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	rule    TEXT NOT NULL COLLATE NOCASE,
	reason  TEXT NOT NULL DEFAULT '',
	at      INTEGER NOT NULL,
	PRIMARY KEY (post_id, rule)
);
CREATE INDEX rule_flags_rule ON rule_flags (rule);
-- An author's posts, for retracting them when they opt out or are banned.
CREATE INDEX posts_author ON posts (author_id, status);
`)
		return err
	},
	// Sources status page and waits (store/sourcestatus.go): how long the
	// last run took, its error in plain words, the rate-limit or backoff
	// wait before the next call; the lookup of a post by the ID a stream's
	// delete event names; and when an approved post was last re-checked
	// upstream (store/postchecks.go).
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
ALTER TABLE sources ADD COLUMN last_duration_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN problem TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN wait_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN wait_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN last_checked_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX posts_source_remote ON posts (source_name, remote_id) WHERE remote_id != '';
CREATE INDEX posts_recheck ON posts (last_checked_at, id) WHERE status = 'approved';
`)
		return err
	},
	// Direct submissions (store/submissions.go): the submitter's optional
	// email and the consent they gave, one row per submitted post.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE submissions (
	post_id      INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	email        TEXT NOT NULL DEFAULT '',
	consent_text TEXT NOT NULL,
	consent_at   INTEGER NOT NULL
);
CREATE INDEX submissions_email_at ON submissions (consent_at) WHERE email != '';
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
	// The moderation queue's filters and search (store/queue.go): whether a
	// post has a photo; a full-text index of its text, content warning and
	// author (FTS5, diacritics folded, so "regiao" finds "região"), kept in
	// sync by triggers on every write path, upstream edits included; a
	// table of post counts per status and filter value, and one per day,
	// kept by triggers, so the counts next to each filter cost a few hundred
	// rows (a few per day of a date range) instead of a walk through posts (Greek is indexed without its accents and
	// with final sigma as σ, which unicode61 does not fold, so "συνοχης"
	// and "ΣΥΝΟΧΗΣ" find "συνοχής"); indexes for the filters the queue pages
	// through, and for the audit log's filters.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
ALTER TABLE posts ADD COLUMN has_photo INTEGER NOT NULL DEFAULT 0;
UPDATE posts SET has_photo = 1 WHERE id IN (SELECT post_id FROM media WHERE kind = 'image');
CREATE TRIGGER media_photo_insert AFTER INSERT ON media WHEN new.kind = 'image' BEGIN
	UPDATE posts SET has_photo = 1 WHERE id = new.post_id AND has_photo = 0;
END;
CREATE TRIGGER media_photo_delete AFTER DELETE ON media WHEN old.kind = 'image' BEGIN
	UPDATE posts SET has_photo = EXISTS (SELECT 1 FROM media WHERE post_id = old.post_id AND kind = 'image')
	WHERE id = old.post_id;
END;

CREATE VIRTUAL TABLE posts_fts USING fts5(text, author, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_fts (rowid, text, author)
	SELECT p.id, ` + foldGreekSQL("p.content_warning || ' ' || p.text") + `, ` + foldGreekSQL("a.display_name || ' ' || a.handle") + `
	FROM posts p JOIN authors a ON a.id = p.author_id;
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
	INSERT INTO posts_fts (rowid, text, author)
	SELECT new.id, ` + foldGreekSQL("new.content_warning || ' ' || new.text") + `, ` + foldGreekSQL("a.display_name || ' ' || a.handle") + ` FROM authors a WHERE a.id = new.author_id;
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF text, content_warning, author_id ON posts BEGIN
	DELETE FROM posts_fts WHERE rowid = old.id;
	INSERT INTO posts_fts (rowid, text, author)
	SELECT new.id, ` + foldGreekSQL("new.content_warning || ' ' || new.text") + `, ` + foldGreekSQL("a.display_name || ' ' || a.handle") + ` FROM authors a WHERE a.id = new.author_id;
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
	DELETE FROM posts_fts WHERE rowid = old.id;
END;
CREATE TRIGGER authors_fts_update AFTER UPDATE OF display_name, handle ON authors BEGIN
	UPDATE posts_fts SET author = ` + foldGreekSQL("new.display_name || ' ' || new.handle") + `
	WHERE rowid IN (SELECT id FROM posts WHERE author_id = new.id);
END;

CREATE TABLE post_facets (
	status      TEXT NOT NULL,
	network     TEXT NOT NULL,
	source_name TEXT NOT NULL,
	category    TEXT NOT NULL,
	language    TEXT NOT NULL,
	has_photo   INTEGER NOT NULL,
	n           INTEGER NOT NULL,
	PRIMARY KEY (status, network, source_name, category, language, has_photo)
) WITHOUT ROWID;
INSERT INTO post_facets (status, network, source_name, category, language, has_photo, n)
	SELECT status, network, source_name, category, language, has_photo, COUNT(*) FROM posts
	GROUP BY status, network, source_name, category, language, has_photo;
-- The same per day of publication (UTC), for the counts of a range of days.
CREATE TABLE post_facets_daily (
	day         INTEGER NOT NULL, -- published_at / 86400000
	status      TEXT NOT NULL,
	network     TEXT NOT NULL,
	source_name TEXT NOT NULL,
	category    TEXT NOT NULL,
	language    TEXT NOT NULL,
	has_photo   INTEGER NOT NULL,
	n           INTEGER NOT NULL,
	PRIMARY KEY (day, status, network, source_name, category, language, has_photo)
) WITHOUT ROWID;
INSERT INTO post_facets_daily (day, status, network, source_name, category, language, has_photo, n)
	SELECT published_at / 86400000, status, network, source_name, category, language, has_photo, COUNT(*) FROM posts
	GROUP BY published_at / 86400000, status, network, source_name, category, language, has_photo;
CREATE TRIGGER post_facets_insert AFTER INSERT ON posts BEGIN
	INSERT INTO post_facets (status, network, source_name, category, language, has_photo, n)
	VALUES (new.status, new.network, new.source_name, new.category, new.language, new.has_photo, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
	INSERT INTO post_facets_daily (day, status, network, source_name, category, language, has_photo, n)
	VALUES (new.published_at / 86400000, new.status, new.network, new.source_name, new.category, new.language, new.has_photo, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER post_facets_update AFTER UPDATE OF status, network, source_name, category, language, has_photo, published_at ON posts BEGIN
	UPDATE post_facets SET n = n - 1
	WHERE status = old.status AND network = old.network AND source_name = old.source_name
		AND category = old.category AND language = old.language AND has_photo = old.has_photo;
	INSERT INTO post_facets (status, network, source_name, category, language, has_photo, n)
	VALUES (new.status, new.network, new.source_name, new.category, new.language, new.has_photo, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
	UPDATE post_facets_daily SET n = n - 1
	WHERE day = old.published_at / 86400000 AND status = old.status AND network = old.network AND source_name = old.source_name
		AND category = old.category AND language = old.language AND has_photo = old.has_photo;
	INSERT INTO post_facets_daily (day, status, network, source_name, category, language, has_photo, n)
	VALUES (new.published_at / 86400000, new.status, new.network, new.source_name, new.category, new.language, new.has_photo, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER post_facets_delete AFTER DELETE ON posts BEGIN
	UPDATE post_facets SET n = n - 1
	WHERE status = old.status AND network = old.network AND source_name = old.source_name
		AND category = old.category AND language = old.language AND has_photo = old.has_photo;
	UPDATE post_facets_daily SET n = n - 1
	WHERE day = old.published_at / 86400000 AND status = old.status AND network = old.network AND source_name = old.source_name
		AND category = old.category AND language = old.language AND has_photo = old.has_photo;
END;

-- One index per filter, in the queue's order, holding every other filter's
-- column: a filtered page walks the most selective one without reading rows.
CREATE INDEX posts_queue_network ON posts (status, network, published_at DESC, id DESC, source_name, category, language, has_photo);
CREATE INDEX posts_queue_source ON posts (status, source_name, published_at DESC, id DESC, network, category, language, has_photo);
CREATE INDEX posts_queue_category ON posts (status, category, published_at DESC, id DESC, network, source_name, language, has_photo);
CREATE INDEX posts_queue_language ON posts (status, language, published_at DESC, id DESC, network, source_name, category, has_photo);
-- Counts over a range that is not whole UTC days read this index only.
CREATE INDEX posts_published_facets ON posts (published_at, status, network, source_name, category, language, has_photo);
CREATE INDEX decisions_actor ON decisions (actor, id);
CREATE INDEX decisions_action ON decisions (action, id);
`)
		return err
	},
	// Moderators' leases on pending posts (store/leases.go): the post under a
	// moderator's cursor is hidden from the others' queues for a short
	// while, so a team splits the work instead of reading the same posts.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE post_leases (
	post_id      INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	moderator_id INTEGER NOT NULL REFERENCES moderators(id) ON DELETE CASCADE,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX post_leases_expires ON post_leases (expires_at);
`)
		return err
	},
	// Walls: a moderator's word that a post behind a content warning may be
	// shown uncovered on screens, and what admins changed on a running wall
	// (store/walls.go), overriding the config file's mode and filters.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
ALTER TABLE posts ADD COLUMN show_on_screens INTEGER NOT NULL DEFAULT 0;
CREATE TABLE wall_settings (
	slug       TEXT PRIMARY KEY,
	mode       TEXT NOT NULL DEFAULT '',
	filter     TEXT NOT NULL DEFAULT '{}',
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL
);
`)
		return err
	},
	// The petition's signature count (store/signatures.go): every value it
	// took, scraped or set by an admin, newest last; the newest is the
	// current one. A scrape that reads the same number again only moves its
	// row's time, so the table grows with changes, not with scrapes.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
CREATE TABLE signature_counts (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	value  INTEGER NOT NULL CHECK (value >= 0),
	source TEXT NOT NULL CHECK (source IN ('scraped', 'admin')),
	set_by TEXT NOT NULL DEFAULT '',
	at     INTEGER NOT NULL
);
`)
		return err
	},
	// What admins change of a running wall's look (store/walls.go): title,
	// theme, colours, spotlight seconds and language. look_set = 0 (rows
	// from before) leaves the config file's look.
	func(tx *sql.Tx) error {
		_, err := tx.Exec(`
ALTER TABLE wall_settings ADD COLUMN look_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wall_settings ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE wall_settings ADD COLUMN theme TEXT NOT NULL DEFAULT '';
ALTER TABLE wall_settings ADD COLUMN accent TEXT NOT NULL DEFAULT '';
ALTER TABLE wall_settings ADD COLUMN background TEXT NOT NULL DEFAULT '';
ALTER TABLE wall_settings ADD COLUMN spotlight_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wall_settings ADD COLUMN language TEXT NOT NULL DEFAULT '';
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
