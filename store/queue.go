package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/cohesionalliance/campaignwall/model"
)

// ErrSearch is returned for a search that cannot run: one with no letter or
// digit to look for, or that the full-text index refused anyway.
var ErrSearch = errors.New("search has nothing to look for")

// Photo filters posts by whether they carry a photo.
type Photo string

const (
	PhotoAny     Photo = ""
	PhotoWith    Photo = "with"
	PhotoWithout Photo = "without"
)

// QueueFilter selects posts for the moderation queue. Zero fields do not
// filter; the filters combine (AND).
type QueueFilter struct {
	Status   model.Status
	Network  model.Network
	Source   string
	Category string
	Language string
	Photo    Photo
	Search   string    // words as a moderator typed them; see SearchQuery
	From, To time.Time // published at or after From, and before To
	// HideLeasedFor, a moderator's ID, leaves out of QueuePosts and
	// QueueIDs the posts another moderator holds a lease on at LeaseTime
	// (zero: now), as PostFilter's does (leases.go). QueueCounts ignores
	// it: the counts come from tables the triggers keep, and a post under
	// someone's cursor is still waiting, so it is counted.
	HideLeasedFor int64
	LeaseTime     time.Time
}

// Searching reports whether the filter has a text search, which orders
// posts by ID (newest collected first) instead of by publication time.
func (f QueueFilter) Searching() bool { return strings.TrimSpace(f.Search) != "" }

// SearchQuery turns what a moderator typed into an FTS5 query that matches
// every word, each taken literally: quotes, stars, parentheses, NEAR, AND,
// OR and NOT mean nothing special, so no input is an FTS syntax error. A word
// ending in * is a prefix ("cohes*"). It returns "" when nothing in s is a
// letter or digit.
func SearchQuery(s string) string {
	var terms []string
	for _, w := range strings.Fields(s) {
		prefix := strings.HasSuffix(w, "*")
		w = strings.TrimRight(w, "*")
		if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		w = greekFolder.Replace(w) // as the index holds Greek
		t := `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		if prefix {
			t += "*"
		}
		terms = append(terms, t)
	}
	return strings.Join(terms, " ")
}

// where returns the filter's conditions on posts p but the search; with
// skipFacets, only the dates (the facets are counted in Go).
func (f QueueFilter) where(skipFacets bool) ([]string, []any) {
	var where []string
	var args []any
	eq := func(col string, v string) {
		if v != "" {
			where = append(where, "p."+col+" = ?")
			args = append(args, v)
		}
	}
	if !skipFacets {
		eq("status", string(f.Status))
		eq("network", string(f.Network))
		eq("source_name", f.Source)
		eq("category", f.Category)
		eq("language", f.Language)
		switch f.Photo {
		case PhotoWith:
			where = append(where, "p.has_photo = 1")
		case PhotoWithout:
			where = append(where, "p.has_photo = 0")
		}
	}
	if !f.From.IsZero() {
		where = append(where, "p.published_at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "p.published_at < ?")
		args = append(args, ms(f.To))
	}
	return where, args
}

// leaseWhere is the condition that leaves out posts leased by another
// moderator, or nothing. A lookup by post_leases' primary key per post
// walked: a page costs a page of lookups in a table of a few rows.
func (f QueueFilter) leaseWhere() (string, []any) {
	if f.HideLeasedFor == 0 {
		return "", nil
	}
	at := f.LeaseTime
	if at.IsZero() {
		at = time.Now()
	}
	return "NOT EXISTS (SELECT 1 FROM post_leases l WHERE l.post_id = p.id AND l.moderator_id != ? AND l.expires_at > ?)",
		[]any{f.HideLeasedFor, ms(at)}
}

// SearchWindow is how many of a search's newest matches the queue looks
// at. A word nearly every post holds ("cohesionalliance") matches a
// million posts; counting them all per filter value would take seconds.
// Beyond the window a moderator adds a word or a filter.
const SearchWindow = 10_000

// searchWindow is SearchWindow; tests lower it.
var searchWindow = SearchWindow

// search is a filter's search, ready for SQL: the FTS query, and when the
// search matches more than SearchWindow posts, the ID below which matches
// are left out.
type search struct {
	match  string
	floor  int64 // only posts with a greater ID; 0: no bound
	capped bool
}

func (s *Store) search(ctx context.Context, f QueueFilter) (search, error) {
	match := SearchQuery(f.Search)
	if match == "" {
		return search{}, ErrSearch
	}
	var past int64
	err := s.r.QueryRowContext(ctx, `SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?`, match, searchWindow).Scan(&past)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return search{match: match}, nil
	case err != nil:
		if isFTSError(err) {
			return search{}, fmt.Errorf("%w: %w", ErrSearch, err)
		}
		return search{}, fmt.Errorf("store: search: %w", err)
	}
	return search{match: match, floor: past, capped: true}, nil
}

// queueIndexes name the index that walks the queue for each filter.
var queueIndexes = []struct{ column, index string }{
	{"network", "posts_queue_network"}, {"source_name", "posts_queue_source"},
	{"category", "posts_queue_category"}, {"language", "posts_queue_language"},
}

// queueIndex picks the index a filtered page walks: the one for the active
// filter with the fewest posts in this status, read from post_facets. Each
// holds every filter's column, so the walk reads no rows, and it stops after
// a page; the planner, with no statistics, would pick any of them.
func (s *Store) queueIndex(ctx context.Context, f QueueFilter) (string, error) {
	if f.Status == "" {
		return "", nil
	}
	values := map[string]string{"network": string(f.Network), "source_name": f.Source, "category": f.Category, "language": f.Language}
	var sums []string
	var args []any
	var active []string
	for _, qi := range queueIndexes {
		if v := values[qi.column]; v != "" {
			sums = append(sums, "COALESCE(SUM(CASE WHEN "+qi.column+" = ? THEN n END), 0)")
			args = append(args, v)
			active = append(active, qi.index)
		}
	}
	if len(active) == 0 {
		return "", nil
	}
	counts := make([]int64, len(active))
	dest := make([]any, len(active))
	for i := range counts {
		dest[i] = &counts[i]
	}
	args = append(args, f.Status)
	if err := s.r.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM post_facets WHERE status = ?`, args...).Scan(dest...); err != nil {
		return "", fmt.Errorf("store: queue index: %w", err)
	}
	best := 0
	for i := range counts {
		if counts[i] < counts[best] {
			best = i
		}
	}
	return active[best], nil
}

// queueIDs returns the IDs of one page of the filter's posts, in the
// queue's order.
func (s *Store) queueIDs(ctx context.Context, f QueueFilter, before int64, limit int) ([]int64, error) {
	where, args := f.where(false)
	if lw, largs := f.leaseWhere(); lw != "" {
		where = append(where, lw)
		args = append(args, largs...)
	}
	var q string
	if f.Searching() {
		sr, err := s.search(ctx, f)
		if err != nil {
			return nil, err
		}
		where = append([]string{"posts_fts MATCH ?"}, where...)
		args = append([]any{sr.match}, args...)
		if sr.floor > 0 {
			where = append(where, "posts_fts.rowid > ?")
			args = append(args, sr.floor)
		}
		if before > 0 {
			where = append(where, "posts_fts.rowid < ?")
			args = append(args, before)
		}
		// CROSS JOIN keeps the index outermost, walking IDs newest first.
		q = "SELECT p.id FROM posts_fts CROSS JOIN posts p ON p.id = posts_fts.rowid WHERE " + strings.Join(where, " AND ") +
			" ORDER BY posts_fts.rowid DESC"
	} else {
		index, err := s.queueIndex(ctx, f)
		if err != nil {
			return nil, err
		}
		q = "SELECT p.id FROM posts p"
		if index != "" {
			q += " INDEXED BY " + index
		}
		if before > 0 {
			where = append(where, "(p.published_at, p.id) < (SELECT published_at, id FROM posts WHERE id = ?)")
			args = append(args, before)
		}
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		q += " ORDER BY p.published_at DESC, p.id DESC"
	}
	q += " LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		if isFTSError(err) {
			return nil, fmt.Errorf("%w: %w", ErrSearch, err)
		}
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: queue: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// QueuePosts returns one page of the posts the filter selects, with their
// authors and media: newest published first, or, when searching, newest
// collected first (the full-text index walks post IDs in order, so a
// search for a common word stops after a page instead of sorting every
// match), among the newest SearchWindow matches. before is the last post
// of the previous page, or 0. A search with nothing to look for returns
// ErrSearch.
func (s *Store) QueuePosts(ctx context.Context, f QueueFilter, before int64, limit int) ([]model.Post, error) {
	if limit <= 0 {
		limit = 50
	}
	ids, err := s.queueIDs(ctx, f, before, min(limit, 1000))
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	posts, err := s.queryPosts(ctx, postSelect+" WHERE p.id IN (?"+strings.Repeat(",?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, err
	}
	order := make(map[int64]int, len(ids))
	for i, id := range ids {
		order[id] = i
	}
	slices.SortFunc(posts, func(a, b model.Post) int { return order[a.ID] - order[b.ID] })
	return posts, nil
}

// QueueIDs returns the IDs of up to limit posts the filter selects, in the
// order QueuePosts lists them: what a bulk action on a filter acts on.
func (s *Store) QueueIDs(ctx context.Context, f QueueFilter, limit int) ([]int64, error) {
	return s.queueIDs(ctx, f, 0, limit)
}

// QueueCounts says how many posts each filter value would show: for every
// facet (status, network, source, category, language, photo), the count of
// posts per value under all the other active filters, as the counts next
// to a filter's options read. Total is the count under every filter.
type QueueCounts struct {
	Total    int
	Status   map[string]int
	Network  map[string]int
	Source   map[string]int
	Category map[string]int
	Language map[string]int
	Photo    map[Photo]int // PhotoWith and PhotoWithout
	// SearchCapped: the search matched more than SearchWindow posts and
	// only the newest SearchWindow were counted.
	SearchCapped bool
}

// facetRow is one combination of facet values and its post count.
type facetRow struct {
	status, network, source, category, language string
	photo                                       bool
	n                                           int
}

// QueueCounts counts the filter's posts per facet value. Without a search
// it reads the tables the triggers keep: post_facets (a few hundred rows
// whatever the number of posts), or for a range of whole UTC days
// post_facets_daily (as many per day). With a search, or a range that is not
// whole UTC days, it groups the matching posts, which costs in proportion
// to how many match.
func (s *Store) QueueCounts(ctx context.Context, f QueueFilter) (QueueCounts, error) {
	var q string
	var args []any
	capped := false
	switch {
	case !f.Searching() && f.From.IsZero() && f.To.IsZero():
		q = `SELECT status, network, source_name, category, language, has_photo, n FROM post_facets WHERE n > 0`
	case !f.Searching() && wholeDay(f.From) && wholeDay(f.To):
		var where []string
		if !f.From.IsZero() {
			where = append(where, "day >= ?")
			args = append(args, ms(f.From)/dayMS)
		}
		if !f.To.IsZero() {
			where = append(where, "day < ?")
			args = append(args, ms(f.To)/dayMS)
		}
		q = `SELECT status, network, source_name, category, language, has_photo, SUM(n) FROM post_facets_daily WHERE ` +
			strings.Join(where, " AND ") + ` GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(n) > 0`
	default:
		where, wargs := f.where(true)
		args = wargs
		if f.Searching() {
			sr, err := s.search(ctx, f)
			if err != nil {
				return QueueCounts{}, err
			}
			capped = sr.capped
			where = append(where, "p.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? AND rowid > ?)")
			args = append(args, sr.match, sr.floor)
		}
		q = `SELECT p.status, p.network, p.source_name, p.category, p.language, p.has_photo, COUNT(*) FROM posts p WHERE ` +
			strings.Join(where, " AND ") + ` GROUP BY 1, 2, 3, 4, 5, 6`
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		if isFTSError(err) {
			return QueueCounts{}, fmt.Errorf("%w: %w", ErrSearch, err)
		}
		return QueueCounts{}, fmt.Errorf("store: queue counts: %w", err)
	}
	defer rows.Close()
	var facets []facetRow
	for rows.Next() {
		var r facetRow
		if err := rows.Scan(&r.status, &r.network, &r.source, &r.category, &r.language, &r.photo, &r.n); err != nil {
			return QueueCounts{}, fmt.Errorf("store: queue counts: %w", err)
		}
		facets = append(facets, r)
	}
	if err := rows.Err(); err != nil {
		if isFTSError(err) {
			return QueueCounts{}, fmt.Errorf("%w: %w", ErrSearch, err)
		}
		return QueueCounts{}, fmt.Errorf("store: queue counts: %w", err)
	}
	c := countFacets(f, facets)
	c.SearchCapped = capped
	return c, nil
}

// dayMS is a day in milliseconds; post_facets_daily counts by UTC day.
const dayMS = 86_400_000

// wholeDay reports whether t is zero or a UTC midnight, where a range of
// days can be counted from post_facets_daily.
func wholeDay(t time.Time) bool { return t.IsZero() || ms(t)%dayMS == 0 }

// countFacets adds up the rows per facet value: a row counts for a facet
// when it matches every other facet's filter.
func countFacets(f QueueFilter, rows []facetRow) QueueCounts {
	c := QueueCounts{
		Status: map[string]int{}, Network: map[string]int{}, Source: map[string]int{},
		Category: map[string]int{}, Language: map[string]int{}, Photo: map[Photo]int{},
	}
	const (
		status = iota
		network
		source
		category
		language
		photo
		facets
	)
	for _, r := range rows {
		var ok [facets]bool
		ok[status] = f.Status == "" || string(f.Status) == r.status
		ok[network] = f.Network == "" || string(f.Network) == r.network
		ok[source] = f.Source == "" || f.Source == r.source
		ok[category] = f.Category == "" || f.Category == r.category
		ok[language] = f.Language == "" || f.Language == r.language
		ok[photo] = f.Photo == PhotoAny || (f.Photo == PhotoWith) == r.photo
		// others reports whether the row matches every filter but skip's.
		others := func(skip int) bool {
			for i, v := range ok {
				if i != skip && !v {
					return false
				}
			}
			return true
		}
		if others(-1) {
			c.Total += r.n
		}
		if others(status) {
			c.Status[r.status] += r.n
		}
		if others(network) {
			c.Network[r.network] += r.n
		}
		if others(source) {
			c.Source[r.source] += r.n
		}
		if others(category) {
			c.Category[r.category] += r.n
		}
		if others(language) {
			c.Language[r.language] += r.n
		}
		if others(photo) {
			if r.photo {
				c.Photo[PhotoWith] += r.n
			} else {
				c.Photo[PhotoWithout] += r.n
			}
		}
	}
	return c
}

// isFTSError tells a search the full-text index refused from other
// failures. SearchQuery's quoting should leave none; this is the net under it.
func isFTSError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "fts5") || strings.Contains(msg, "MATCH")
}

// greekFolds are what the search index folds in Greek beyond unicode61's
// remove_diacritics (which leaves Greek accents alone): accented vowels to
// plain ones, final sigma to σ (upper-case Σ folds to σ, never to ς).
// The search index's triggers were written with this list: changing it
// needs a migration that rebuilds posts_fts.
var greekFolds = []string{
	"ά", "α", "έ", "ε", "ή", "η", "ί", "ι", "ό", "ο", "ύ", "υ", "ώ", "ω",
	"ϊ", "ι", "ϋ", "υ", "ΐ", "ι", "ΰ", "υ", "ς", "σ",
	"Ά", "α", "Έ", "ε", "Ή", "η", "Ί", "ι", "Ό", "ο", "Ύ", "υ", "Ώ", "ω",
}

var greekFolder = strings.NewReplacer(greekFolds...)

// foldGreekSQL wraps the SQL expression expr in the replace() calls that
// apply greekFolds.
func foldGreekSQL(expr string) string {
	for i := 0; i < len(greekFolds); i += 2 {
		expr = "replace(" + expr + ", '" + greekFolds[i] + "', '" + greekFolds[i+1] + "')"
	}
	return expr
}
