package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// queuePosts are named posts for the queue's filter tests, one per line of
// what a summit's queue holds.
var queuePosts = map[string]model.Post{
	"pt_mastodon_photo": {Network: model.NetworkMastodon, SourceName: "eupolis", Category: "regions", Language: "pt",
		Author: model.Author{Handle: "norte@eupolis.social", DisplayName: "Região Norte"},
		Text:   "A coesão chega à região: nova linha de metro #CohesionAlliance", PublishedAt: day(1),
		Media: []model.Media{{Kind: model.MediaImage, URL: "https://eupolis.social/metro.jpg"}}},
	"el_bluesky": {Network: model.NetworkBluesky, SourceName: "bluesky", Category: "regions", Language: "el",
		Author: model.Author{Handle: "kriti.bsky.social", DisplayName: "Περιφέρεια Κρήτης"},
		Text:   "Η πολιτική συνοχής χτίζει σχολεία στην Κρήτη #CohesionAlliance", PublishedAt: day(2)},
	"bg_mastodon": {Network: model.NetworkMastodon, SourceName: "eupolis", Category: "cities", Language: "bg",
		Author: model.Author{Handle: "sofia@eupolis.social", DisplayName: "София"},
		Text:   "Кохезионната политика строи мостове в България #CohesionAlliance", PublishedAt: day(3)},
	"en_x_photo": {Network: model.NetworkX, SourceName: "x-campaign", Category: "cities", Language: "en",
		Author: model.Author{Handle: "lyoncity", DisplayName: "Lyon"},
		Text:   "Trams, schools and bridges: cohesion policy at work #CohesionAlliance", PublishedAt: day(4),
		Media: []model.Media{{Kind: model.MediaImage, URL: "https://x.example/tram.jpg"}}},
	"de_feed_video": {Network: model.NetworkFeed, SourceName: "cor-news", Category: "news", Language: "de",
		Author: model.Author{Handle: "cor", DisplayName: "AdR"}, ContentWarning: "Brückenbau",
		Text: "Kohäsionspolitik in Sachsen #CohesionAlliance", PublishedAt: day(5),
		Media: []model.Media{{Kind: model.MediaVideo, URL: "https://cor.example/film.mp4"}}},
}

func day(n int) time.Time { return time.Date(2026, 10, n, 12, 0, 0, 0, time.UTC) }

func midnight(n int) time.Time { return time.Date(2026, 10, n, 0, 0, 0, 0, time.UTC) }

// saveQueuePosts stores queuePosts and returns their IDs by name.
func saveQueuePosts(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	for name, p := range queuePosts {
		p.URI = "https://example.org/" + name
		res, err := s.SavePosts(context.Background(), p.SourceName, []model.Post{p}, "")
		if err != nil || len(res.New) != 1 {
			t.Fatalf("SavePosts %s: %v", name, err)
		}
		ids[name] = res.New[0].ID
	}
	return ids
}

// names maps posts back to their fixture names, sorted.
func names(ids map[string]int64, posts []model.Post) []string {
	var out []string
	for _, p := range posts {
		for name, id := range ids {
			if id == p.ID {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestQueueFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ids := saveQueuePosts(t, s)
	if _, err := s.Decide(ctx, model.Decision{PostID: ids["en_x_photo"], Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    QueueFilter
		want []string
	}{
		{"everything", QueueFilter{}, []string{"bg_mastodon", "de_feed_video", "el_bluesky", "en_x_photo", "pt_mastodon_photo"}},
		{"pending", QueueFilter{Status: model.StatusPending}, []string{"bg_mastodon", "de_feed_video", "el_bluesky", "pt_mastodon_photo"}},
		{"approved", QueueFilter{Status: model.StatusApproved}, []string{"en_x_photo"}},
		{"network", QueueFilter{Network: model.NetworkMastodon}, []string{"bg_mastodon", "pt_mastodon_photo"}},
		{"source", QueueFilter{Source: "cor-news"}, []string{"de_feed_video"}},
		{"category", QueueFilter{Category: "cities"}, []string{"bg_mastodon", "en_x_photo"}},
		{"language", QueueFilter{Language: "el"}, []string{"el_bluesky"}},
		{"with photo (a video is not one)", QueueFilter{Photo: PhotoWith}, []string{"en_x_photo", "pt_mastodon_photo"}},
		{"without photo", QueueFilter{Photo: PhotoWithout}, []string{"bg_mastodon", "de_feed_video", "el_bluesky"}},
		{"from (inclusive)", QueueFilter{From: day(4)}, []string{"de_feed_video", "en_x_photo"}},
		{"to (exclusive)", QueueFilter{To: day(2)}, []string{"pt_mastodon_photo"}},
		{"date range", QueueFilter{From: day(2), To: day(4)}, []string{"bg_mastodon", "el_bluesky"}},
		{"whole days (counted per day)", QueueFilter{From: midnight(2), To: midnight(4)}, []string{"bg_mastodon", "el_bluesky"}},
		{"whole days from", QueueFilter{Status: model.StatusPending, From: midnight(4)}, []string{"de_feed_video"}},
		{"whole days to", QueueFilter{Network: model.NetworkMastodon, To: midnight(3)}, []string{"pt_mastodon_photo"}},
		{"combined", QueueFilter{Status: model.StatusPending, Network: model.NetworkMastodon, Category: "cities"}, []string{"bg_mastodon"}},
		{"combined with search", QueueFilter{Category: "regions", Search: "cohesionalliance"}, []string{"el_bluesky", "pt_mastodon_photo"}},
		{"nothing matches", QueueFilter{Network: model.NetworkX, Language: "de"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts, err := s.QueuePosts(ctx, tt.f, 0, 50)
			if err != nil {
				t.Fatalf("QueuePosts: %v", err)
			}
			if got := names(ids, posts); !slices.Equal(got, tt.want) {
				t.Errorf("QueuePosts(%+v) = %v, want %v", tt.f, got, tt.want)
			}
			c, err := s.QueueCounts(ctx, tt.f)
			if err != nil {
				t.Fatalf("QueueCounts: %v", err)
			}
			if c.Total != len(tt.want) {
				t.Errorf("QueueCounts(%+v).Total = %d, want %d", tt.f, c.Total, len(tt.want))
			}
			got, err := s.QueueIDs(ctx, tt.f, 100)
			if err != nil || len(got) != len(tt.want) {
				t.Errorf("QueueIDs(%+v) = %v, %v; want %d IDs", tt.f, got, err, len(tt.want))
			}
		})
	}
}

func TestQueueSearch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ids := saveQueuePosts(t, s)
	tests := []struct {
		search string
		want   []string
	}{
		{"regiao", []string{"pt_mastodon_photo"}},          // região, diacritics folded
		{"COESAO", []string{"pt_mastodon_photo"}},          // coesão, case folded too
		{"região norte", []string{"pt_mastodon_photo"}},    // the author's name
		{"συνοχής", []string{"el_bluesky"}},                // Greek
		{"ΣΥΝΟΧΗΣ", []string{"el_bluesky"}},                // Greek, upper case
		{"Κρήτη", []string{"el_bluesky"}},                  // Greek, in text and author
		{"συνοχης κρητη", []string{"el_bluesky"}},          // Greek typed without accents
		{"мостове", []string{"bg_mastodon"}},               // Bulgarian Cyrillic
		{"софия", []string{"bg_mastodon"}},                 // Cyrillic author, case folded
		{"@sofia@eupolis.social", []string{"bg_mastodon"}}, // a handle as people write it
		{"brückenbau", []string{"de_feed_video"}},          // the content warning
		{"bruckenbau", []string{"de_feed_video"}},          // umlaut folded
		{"tram*", []string{"en_x_photo"}},                  // prefix
		{"trams bridges", []string{"en_x_photo"}},          // every word
		{"trams sachsen", nil},                             // every word, not any
		{"kohä*", []string{"de_feed_video"}},               // prefix with a diacritic
		{"cohesionalliance", []string{"bg_mastodon", "de_feed_video", "el_bluesky", "en_x_photo", "pt_mastodon_photo"}},
	}
	for _, tt := range tests {
		t.Run(tt.search, func(t *testing.T) {
			posts, err := s.QueuePosts(ctx, QueueFilter{Search: tt.search}, 0, 50)
			if err != nil {
				t.Fatalf("QueuePosts(search %q): %v", tt.search, err)
			}
			if got := names(ids, posts); !slices.Equal(got, tt.want) {
				t.Errorf("search %q = %v, want %v", tt.search, got, tt.want)
			}
		})
	}
}

// TestQueueSearchHostile: nothing a moderator types is FTS syntax; input
// with nothing to look for is ErrSearch, never an SQL error.
func TestQueueSearchHostile(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	saveQueuePosts(t, s)
	tests := []struct {
		search  string
		wantErr bool
	}{
		{`"`, true},
		{`*`, true},
		{`"*"`, true},
		{`(`, true},
		{`- ^ :`, true},
		{`NEAR(`, false},
		{`NEAR(tram bridge, 2)`, false},
		{`tram" OR "x`, false},
		{`"tram`, false},
		{`text:tram`, false},
		{`tram AND`, false},
		{`NOT tram`, false},
		{`{text author}: tram`, false},
		{`tram*"*`, false},
		{`^tram`, false},
		{`'; DROP TABLE posts; --`, false},
	}
	for _, tt := range tests {
		t.Run(tt.search, func(t *testing.T) {
			_, err := s.QueuePosts(ctx, QueueFilter{Search: tt.search}, 0, 50)
			if tt.wantErr != errors.Is(err, ErrSearch) || (!tt.wantErr && err != nil) {
				t.Errorf("QueuePosts(search %q) error = %v, want ErrSearch: %v", tt.search, err, tt.wantErr)
			}
			_, err = s.QueueCounts(ctx, QueueFilter{Search: tt.search})
			if tt.wantErr != errors.Is(err, ErrSearch) || (!tt.wantErr && err != nil) {
				t.Errorf("QueueCounts(search %q) error = %v, want ErrSearch: %v", tt.search, err, tt.wantErr)
			}
		})
	}
	// Literal: the quoted query finds the words, not operators.
	posts, err := s.QueuePosts(ctx, QueueFilter{Search: `"trams" NOT`}, 0, 50)
	if err != nil || len(posts) != 0 {
		t.Errorf(`search "trams" NOT = %d posts, %v; want 0 (NOT is a word to find)`, len(posts), err)
	}
}

func TestQueueCountsPerFilterValue(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ids := saveQueuePosts(t, s)
	if _, err := s.Decide(ctx, model.Decision{PostID: ids["en_x_photo"], Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    QueueFilter
		want QueueCounts
	}{
		{"pending", QueueFilter{Status: model.StatusPending}, QueueCounts{
			Total:    4,
			Status:   map[string]int{"pending": 4, "approved": 1},
			Network:  map[string]int{"mastodon": 2, "bluesky": 1, "feed": 1},
			Source:   map[string]int{"eupolis": 2, "bluesky": 1, "cor-news": 1},
			Category: map[string]int{"regions": 2, "cities": 1, "news": 1},
			Language: map[string]int{"pt": 1, "el": 1, "bg": 1, "de": 1},
			Photo:    map[Photo]int{PhotoWith: 1, PhotoWithout: 3},
		}},
		// Each facet counts under the other filters, not its own: the
		// network list still offers bluesky while mastodon is chosen.
		{"pending mastodon", QueueFilter{Status: model.StatusPending, Network: model.NetworkMastodon}, QueueCounts{
			Total:    2,
			Status:   map[string]int{"pending": 2},
			Network:  map[string]int{"mastodon": 2, "bluesky": 1, "feed": 1},
			Source:   map[string]int{"eupolis": 2},
			Category: map[string]int{"regions": 1, "cities": 1},
			Language: map[string]int{"pt": 1, "bg": 1},
			Photo:    map[Photo]int{PhotoWith: 1, PhotoWithout: 1},
		}},
		{"search and dates use the posts themselves", QueueFilter{Status: model.StatusPending, Search: "cohesionalliance", From: day(2)}, QueueCounts{
			Total:    3,
			Status:   map[string]int{"pending": 3, "approved": 1},
			Network:  map[string]int{"mastodon": 1, "bluesky": 1, "feed": 1},
			Source:   map[string]int{"eupolis": 1, "bluesky": 1, "cor-news": 1},
			Category: map[string]int{"regions": 1, "cities": 1, "news": 1},
			Language: map[string]int{"el": 1, "bg": 1, "de": 1},
			Photo:    map[Photo]int{PhotoWithout: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.QueueCounts(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("QueueCounts(%+v)\n got %v\nwant %v", tt.f, got, tt.want)
			}
		})
	}
}

// TestQueueIndexesFollowWrites: the search index and the facet counts
// follow every write path: decisions, upstream edits (new text, photos
// dropped), author renames and deletions.
func TestQueueIndexesFollowWrites(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ids := saveQueuePosts(t, s)
	pt := queuePosts["pt_mastodon_photo"]
	pt.URI = "https://example.org/pt_mastodon_photo"
	pt.Text, pt.HTML = "Texto editado sobre pontes", "<p>Texto editado sobre pontes</p>"
	pt.Media = nil
	if _, changed, err := s.UpdatePostContent(ctx, pt); err != nil || !changed {
		t.Fatalf("UpdatePostContent: changed %v, %v", changed, err)
	}
	search := func(q string) []string {
		t.Helper()
		posts, err := s.QueuePosts(ctx, QueueFilter{Search: q}, 0, 50)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		return names(ids, posts)
	}
	if got := search("metro"); len(got) != 0 {
		t.Errorf("search for the text before the edit = %v, want nothing", got)
	}
	if got := search("pontes"); !slices.Equal(got, []string{"pt_mastodon_photo"}) {
		t.Errorf("search for the edited text = %v, want [pt_mastodon_photo]", got)
	}
	// Renamed upstream: the next collected post carries the new profile.
	renamed := queuePosts["bg_mastodon"]
	renamed.URI, renamed.Author.DisplayName = "https://example.org/bg_2", "Столична община"
	if _, err := s.SavePosts(ctx, "eupolis", []model.Post{renamed}, ""); err != nil {
		t.Fatal(err)
	}
	if got := search("столична"); !slices.Contains(got, "bg_mastodon") {
		t.Errorf("search for the author's new name = %v, want bg_mastodon among them", got)
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: ids["el_bluesky"], Action: model.ActionReject, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM posts WHERE id = ?`, ids["de_feed_video"]); err != nil {
		t.Fatal(err)
	}
	if got := search("sachsen"); len(got) != 0 {
		t.Errorf("search finds a deleted post: %v", got)
	}
	c, err := s.QueueCounts(ctx, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// What the triggers kept must equal counting the posts themselves.
	direct, err := s.QueueCounts(ctx, QueueFilter{From: day(0)})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c) != fmt.Sprint(direct) {
		t.Errorf("kept counts differ from the posts:\n kept %v\nposts %v", c, direct)
	}
	daily, err := s.QueueCounts(ctx, QueueFilter{From: midnight(1), To: midnight(30)})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(daily) != fmt.Sprint(direct) {
		t.Errorf("counts kept per day differ from the posts:\ndaily %v\nposts %v", daily, direct)
	}
	if c.Photo[PhotoWith] != 1 || c.Status["rejected"] != 1 || c.Total != 5 {
		t.Errorf("counts = %v; want 1 with photo, 1 rejected, 5 in all", c)
	}
}

func TestQueuePaging(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var posts []model.Post
	for i := range 7 {
		p := testPost(i)
		p.Text = fmt.Sprintf("tram number %d", i)
		posts = append(posts, p)
	}
	if _, err := s.SavePosts(ctx, "a", posts, ""); err != nil {
		t.Fatal(err)
	}
	for _, f := range []QueueFilter{{Status: model.StatusPending}, {Search: "tram"}} {
		var seen []int64
		before := int64(0)
		for range 10 {
			page, err := s.QueuePosts(ctx, f, before, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page {
				seen = append(seen, p.ID)
			}
			if len(page) < 3 {
				break
			}
			before = page[len(page)-1].ID
		}
		slices.Sort(seen)
		if want := []int64{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(seen, want) {
			t.Errorf("pages of %+v = %v, want each post once: %v", f, seen, want)
		}
	}
}

// TestQueueSearchWindow: past SearchWindow matches, a search looks at the
// newest ones only, and says so.
func TestQueueSearchWindow(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	defer func(w int) { searchWindow = w }(searchWindow)
	searchWindow = 3
	var posts []model.Post
	for i := range 5 {
		p := testPost(i)
		p.Text = fmt.Sprintf("tram %d", i)
		posts = append(posts, p)
	}
	res, err := s.SavePosts(ctx, "a", posts, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.QueuePosts(ctx, QueueFilter{Search: "tram"}, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	want := []int64{res.New[4].ID, res.New[3].ID, res.New[2].ID}
	if !slices.Equal(ids, want) {
		t.Errorf("search past the window = %v, want the newest 3: %v", ids, want)
	}
	c, err := s.QueueCounts(ctx, QueueFilter{Search: "tram"})
	if err != nil || c.Total != 3 || !c.SearchCapped {
		t.Errorf("counts = total %d, capped %v, %v; want 3, capped", c.Total, c.SearchCapped, err)
	}
	c, err = s.QueueCounts(ctx, QueueFilter{Search: "tram 1"})
	if err != nil || c.Total != 1 || c.SearchCapped {
		t.Errorf("counts of a narrower search = total %d, capped %v, %v; want 1, not capped", c.Total, c.SearchCapped, err)
	}
}

// TestQueueMigrationBackfills: a database with posts from before the
// queue's migration gets them indexed for search, their photos flagged and
// their counts kept, as if they had been written after it.
func TestQueueMigrationBackfills(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// Apply the migrations before the queue's: the first that creates
	// posts_fts is rolled back, wherever a merge put it in the list.
	before := 0
	for _, m := range migrations {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := m(tx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'posts_fts'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			tx.Rollback()
			break
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		before++
	}
	_, err = db.Exec(`CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (?);
INSERT INTO authors (id, network, handle, display_name) VALUES (1, 'mastodon', 'norte@eupolis.social', 'Região Norte');
INSERT INTO posts (id, network, uri, author_id, text, language, published_at, collected_at, status)
	VALUES (1, 'mastodon', 'u1', 1, 'Nova ponte em Κρήτη', 'pt', 1, 1, 'pending'),
	       (2, 'mastodon', 'u2', 1, 'Metro', 'pt', 2, 2, 'approved');
INSERT INTO media (post_id, position, kind, url) VALUES (2, 0, 'image', 'https://example.org/m.jpg');`, before)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open (migrating): %v", err)
	}
	defer s.Close()
	for q, want := range map[string]int{"ponte": 1, "κρητη": 1, "regiao": 2, "norte": 2, "metro": 1} {
		posts, err := s.QueuePosts(ctx, QueueFilter{Search: q}, 0, 50)
		if err != nil || len(posts) != want {
			t.Errorf("search %q after the migration = %d posts, %v; want %d", q, len(posts), err, want)
		}
	}
	c, err := s.QueueCounts(ctx, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := "{2 map[approved:1 pending:1] map[mastodon:2] map[:2] map[:2] map[pt:2] map[with:1 without:1] false}"
	if got := fmt.Sprint(c); got != want {
		t.Errorf("counts after the migration = %s, want %s", got, want)
	}
	daily, err := s.QueueCounts(ctx, QueueFilter{From: time.UnixMilli(0).UTC(), To: time.UnixMilli(dayMS).UTC()})
	if err != nil || fmt.Sprint(daily) != want {
		t.Errorf("daily counts after the migration = %v, %v; want %s", daily, err, want)
	}
}

// TestQueueHidesLeasedPosts: a filtered page, a search and a bulk action's
// IDs leave out the posts another moderator holds a lease on, as the
// unfiltered queue does; the counts still include them.
func TestQueueHidesLeasedPosts(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ids := saveQueuePosts(t, s)
	var mods []model.Moderator
	for _, name := range []string{"anna", "bob"} {
		m, err := s.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		mods = append(mods, m)
	}
	anna, bob := mods[0], mods[1]
	now := day(10)
	if _, err := s.TakeLease(ctx, ids["en_x_photo"], bob.ID, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		f      QueueFilter
		annas  []string // what anna's page lists
		counts int
	}{
		{"photo", QueueFilter{Photo: PhotoWith}, []string{"pt_mastodon_photo"}, 2},
		{"network", QueueFilter{Network: model.NetworkX}, nil, 1},
		{"category", QueueFilter{Category: "cities"}, []string{"bg_mastodon"}, 2},
		{"search", QueueFilter{Search: "cohesion"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.Status = model.StatusPending
			f.HideLeasedFor, f.LeaseTime = anna.ID, now
			posts, err := s.QueuePosts(ctx, f, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ids, posts); !slices.Equal(got, tt.annas) {
				t.Errorf("anna's page = %v, want %v", got, tt.annas)
			}
			bulk, err := s.QueueIDs(ctx, f, 50)
			if err != nil || len(bulk) != len(tt.annas) {
				t.Errorf("anna's bulk IDs = %v (%v), want %d", bulk, err, len(tt.annas))
			}
			c, err := s.QueueCounts(ctx, f)
			if err != nil || c.Total != tt.counts {
				t.Errorf("count = %d (%v), want %d with the leased post", c.Total, err, tt.counts)
			}
			// bob's own page shows it, and anna's does once the lease is over.
			f.HideLeasedFor = bob.ID
			mine, _ := s.QueuePosts(ctx, f, 0, 50)
			f.HideLeasedFor, f.LeaseTime = anna.ID, now.Add(time.Minute)
			later, _ := s.QueuePosts(ctx, f, 0, 50)
			if len(mine) != tt.counts || len(later) != tt.counts {
				t.Errorf("bob's page %d posts, anna's after the lease %d, want %d", len(mine), len(later), tt.counts)
			}
		})
	}
}
