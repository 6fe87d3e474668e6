package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func eventIDs(evs []WallEvent) string {
	s := ""
	for i, e := range evs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(e.ID)
	}
	return s
}

func TestWallEventIDsContinueAfterReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for i := range 3 {
		e, err := s.AppendWallEvent(ctx, WallEvent{PostID: int64(i + 1), Kind: "post"})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID <= last {
			t.Fatalf("event id %d after %d, want increasing", e.ID, last)
		}
		last = e.ID
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := s.AppendWallEvent(ctx, WallEvent{Kind: "counter", Data: []byte(`{"n":5}`)})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != last+1 {
		t.Errorf("first id after reopen = %d, want %d", e.ID, last+1)
	}
	evs, err := s.WallEvents(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(evs), fmt.Sprintf("%d,%d", last, last+1); got != want {
		t.Fatalf("newest two events = %s, want %s (oldest first)", got, want)
	}
	if got := evs[0]; got.PostID != 3 || got.Kind != "post" || got.Data != nil || got.At.IsZero() {
		t.Errorf("post event read back as %+v, want post 3, kind post, no data, a time", got)
	}
	if got := evs[1]; got.PostID != 0 || got.Kind != "counter" || string(got.Data) != `{"n":5}` {
		t.Errorf("wall event read back as %+v, want kind counter with its data", got)
	}
}

func TestWallEventNeedsKind(t *testing.T) {
	s := openTest(t)
	if _, err := s.AppendWallEvent(context.Background(), WallEvent{PostID: 1}); err == nil {
		t.Fatal("event without kind stored, want an error")
	}
	evs, err := s.WallEvents(context.Background(), 10)
	if err != nil || len(evs) != 0 {
		t.Errorf("log = %v, %v; want empty", evs, err)
	}
}

func TestWallEventsTrimmedByAgeKeepingTheNewest(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	old := time.Now().Add(-WallEventsMaxAge - time.Hour)
	// Everything is old, up to the append that trims: the newest row stays
	// (it carries the sequence), the rest go.
	var last WallEvent
	for i := 1; i <= trimEvery; i++ {
		at := old
		if i > trimEvery-3 {
			at = time.Now()
		}
		var err error
		if last, err = s.AppendWallEvent(ctx, WallEvent{PostID: int64(i), Kind: "post", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.WallEvents(ctx, 2*trimEvery)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(evs), fmt.Sprintf("%d,%d,%d", last.ID-2, last.ID-1, last.ID); got != want {
		t.Errorf("log after trimming = %s, want %s", got, want)
	}

	// An old newest row is kept too, so the sequence survives a quiet day.
	recent := last
	for i := 0; i < trimEvery; i++ {
		if last, err = s.AppendWallEvent(ctx, WallEvent{Kind: "post", At: old}); err != nil {
			t.Fatal(err)
		}
	}
	if evs, err = s.WallEvents(ctx, 2*trimEvery); err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(evs), fmt.Sprintf("%d,%d,%d,%d", recent.ID-2, recent.ID-1, recent.ID, last.ID); got != want {
		t.Errorf("log after trimming old rows = %s, want the recent ones and the newest: %s", got, want)
	}
	next, err := s.AppendWallEvent(ctx, WallEvent{Kind: "post"})
	if err != nil {
		t.Fatal(err)
	}
	if next.ID != last.ID+1 {
		t.Errorf("id after trimming = %d, want %d (never reused)", next.ID, last.ID+1)
	}
}

func TestWallEventsTrimmedByCount(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	// One transaction per append, as the hub does; the count that trims is
	// the first multiple of trimEvery past the limit.
	n := (WallEventsKept/trimEvery + 1) * trimEvery
	var last WallEvent
	for range n {
		var err error
		if last, err = s.AppendWallEvent(ctx, WallEvent{Kind: "post"}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.WallEvents(ctx, 2*WallEventsKept)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != WallEventsKept || evs[len(evs)-1].ID != last.ID || evs[0].ID != last.ID-WallEventsKept+1 {
		t.Errorf("log holds %d events (%d..%d), want the newest %d (%d..%d)", len(evs), evs[0].ID, evs[len(evs)-1].ID,
			WallEventsKept, last.ID-WallEventsKept+1, last.ID)
	}
}

func TestPostsByID(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1), testPost(2), testPost(3)}, "")
	if err != nil {
		t.Fatal(err)
	}
	// More IDs than one query takes, most of them unknown.
	ids := []int64{res.New[2].ID, res.New[0].ID}
	for i := int64(1000); i < 1600; i++ {
		ids = append(ids, i)
	}
	got, err := s.PostsByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d posts, want 2", len(got))
	}
	for _, want := range []model.Post{res.New[0], res.New[2]} {
		p, ok := got[want.ID]
		if !ok || p.URI != want.URI || len(p.Media) != 1 || p.Author.Handle != "anna@example.social" {
			t.Errorf("post %d = %+v, want %s with its author and media", want.ID, p, want.URI)
		}
	}
}

// TestPinnedPostsQueryUsesIndex: the wall asks for pinned posts on every
// render; without the partial index that walks every approved post.
func TestPinnedPostsQueryUsesIndex(t *testing.T) {
	s := openTest(t)
	rows, err := s.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+postSelect+` WHERE p.status = ? AND p.pinned = 1
ORDER BY p.published_at DESC, p.id DESC LIMIT ?`, model.StatusApproved, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := fmt.Sprint(plan); !strings.Contains(got, "USING INDEX posts_pinned") {
		t.Errorf("query plan %s, want it to use posts_pinned", got)
	}
}
