package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// fakeCollector answers each Collect with the next of its replies and
// remembers the cursors it was given.
type fakeCollector struct {
	replies []reply
	cursors []string
}

type reply struct {
	posts []model.Post
	next  string
	err   error
	block bool // wait for the context to end, then return its error
}

func (f *fakeCollector) Collect(ctx context.Context, src model.Source, cursor string) ([]model.Post, string, error) {
	f.cursors = append(f.cursors, cursor)
	r := f.replies[0]
	f.replies = f.replies[1:]
	if r.block {
		<-ctx.Done()
		return nil, "", ctx.Err()
	}
	return r.posts, r.next, r.err
}

var source = model.Source{Name: "mastodon.social", Kind: "mastodon", Category: "fediverse"}

func post(uri string) model.Post {
	return model.Post{
		Network: model.NetworkMastodon,
		URI:     uri,
		Author:  model.Author{Handle: "region@mastodon.social"},
		Text:    "Cohesion matters #CohesionAlliance",
	}
}

// onNewRecorder collects what CollectSource passes to onNew.
type onNewRecorder struct{ calls [][]model.Post }

func (r *onNewRecorder) onNew(_ context.Context, posts []model.Post) {
	r.calls = append(r.calls, posts)
}

func state(t *testing.T, st *store.Store) model.Source {
	t.Helper()
	src, err := st.SourceState(t.Context(), source.Name)
	if err != nil {
		t.Fatalf("SourceState: %v", err)
	}
	return src
}

func TestCollectSourceStoresPostsOnceAndSavesCursor(t *testing.T) {
	st := openStore(t)
	c := &fakeCollector{replies: []reply{
		{posts: []model.Post{post("https://a.example/1"), post("https://a.example/2")}, next: "c1"},
		{posts: []model.Post{post("https://a.example/2"), post("https://a.example/1")}, next: "c2"},
	}}
	var rec onNewRecorder

	sum := CollectSource(t.Context(), st, c, source, time.Minute, rec.onNew)
	if sum != (Summary{Source: source.Name, New: 2}) {
		t.Errorf("first run: summary = %+v, want 2 new and no error", sum)
	}
	if len(rec.calls) != 1 || len(rec.calls[0]) != 2 || rec.calls[0][0].ID == 0 {
		t.Fatalf("onNew calls = %+v, want one call with the 2 stored posts", rec.calls)
	}
	if p := rec.calls[0][0]; p.SourceName != source.Name || p.Category != source.Category {
		t.Errorf("stored post has source %q category %q, want %q %q", p.SourceName, p.Category, source.Name, source.Category)
	}
	if s := state(t, st); s.Cursor != "c1" || s.LastNew != 2 || s.LastError != "" || s.LastRunAt.IsZero() || s.TotalPosts != 2 {
		t.Errorf("source state = %+v, want cursor c1, 2 new, no error, a run time, 2 posts", s)
	}

	// The same posts again: nothing new, nothing doubled, the cursor moves on.
	sum = CollectSource(t.Context(), st, c, source, time.Minute, rec.onNew)
	if sum != (Summary{Source: source.Name, Known: 2}) {
		t.Errorf("second run: summary = %+v, want 2 known", sum)
	}
	if len(rec.calls) != 1 {
		t.Errorf("onNew called %d times, want once (nothing new the second time)", len(rec.calls))
	}
	if got := strings.Join(c.cursors, ","); got != ",c1" {
		t.Errorf("collector got cursors %q, want %q", got, ",c1")
	}
	if s := state(t, st); s.Cursor != "c2" || s.LastNew != 0 || s.TotalPosts != 2 {
		t.Errorf("source state = %+v, want cursor c2, 0 new, still 2 posts", s)
	}
}

func TestCollectSourceErrorKeepsCursor(t *testing.T) {
	unavailable := errors.New("503 service unavailable")
	tests := []struct {
		name       string
		second     reply
		wantCursor string
		wantNew    int
		wantPosts  int
	}{
		{"error without posts", reply{err: unavailable}, "c1", 0, 1},
		{"error after a complete page", reply{posts: []model.Post{post("https://a.example/2")}, next: "c2", err: unavailable}, "c2", 1, 2},
		{"error with posts but no cursor", reply{posts: []model.Post{post("https://a.example/2")}, err: unavailable}, "c1", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			c := &fakeCollector{replies: []reply{{posts: []model.Post{post("https://a.example/1")}, next: "c1"}, tt.second}}
			if sum := CollectSource(t.Context(), st, c, source, time.Minute, nil); sum.Err != nil {
				t.Fatalf("first run: %v", sum.Err)
			}
			var rec onNewRecorder
			sum := CollectSource(t.Context(), st, c, source, time.Minute, rec.onNew)
			if !errors.Is(sum.Err, unavailable) || sum.New != tt.wantNew {
				t.Errorf("summary = %+v, want the collector's error and %d new", sum, tt.wantNew)
			}
			if len(rec.calls) != min(tt.wantNew, 1) {
				t.Errorf("onNew called %d times, want %d", len(rec.calls), min(tt.wantNew, 1))
			}
			s := state(t, st)
			if s.Cursor != tt.wantCursor || s.TotalPosts != tt.wantPosts {
				t.Errorf("cursor %q with %d posts, want %q with %d", s.Cursor, s.TotalPosts, tt.wantCursor, tt.wantPosts)
			}
			if want := "collect mastodon.social: 503 service unavailable"; s.LastError != want {
				t.Errorf("last error = %q, want %q", s.LastError, want)
			}
		})
	}
}

func TestCollectSourceTimeout(t *testing.T) {
	st := openStore(t)
	c := &fakeCollector{replies: []reply{{block: true}}}
	sum := CollectSource(t.Context(), st, c, source, 10*time.Millisecond, nil)
	if !errors.Is(sum.Err, context.DeadlineExceeded) || !strings.Contains(sum.Err.Error(), "no answer within 10ms") {
		t.Errorf("err = %v, want a deadline error naming the timeout", sum.Err)
	}
	if s := state(t, st); !strings.Contains(s.LastError, "no answer within 10ms") || s.Cursor != "" {
		t.Errorf("source state = %+v, want the timeout recorded and no cursor", s)
	}
}

func TestCollectSourceSkipsPostsItCannotKey(t *testing.T) {
	st := openStore(t)
	bad := post("")
	c := &fakeCollector{replies: []reply{{posts: []model.Post{post("https://a.example/1"), bad}, next: "c1"}}}
	sum := CollectSource(t.Context(), st, c, source, time.Minute, nil)
	if sum.New != 1 || sum.Err == nil || !strings.Contains(sum.Err.Error(), "skipped 1 posts without a network or URI") {
		t.Errorf("summary = %+v, want 1 new and an error about the skipped post", sum)
	}
	if s := state(t, st); s.Cursor != "c1" || s.TotalPosts != 1 {
		t.Errorf("cursor %q with %d posts, want c1 with 1: one bad post must not block the source", s.Cursor, s.TotalPosts)
	}
}

func TestCollectJobRecordsNewPostsAsItems(t *testing.T) {
	s, st := newScheduler(t)
	c := &fakeCollector{replies: []reply{{posts: []model.Post{post("https://a.example/1"), post("https://a.example/2")}, next: "c1"}}}
	if err := s.Add("collect:"+source.Name, "@every 1m", CollectJob(st, c, source, time.Minute, nil)); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := s.RunNow(t.Context(), "collect:"+source.Name); err != nil {
		t.Fatalf("RunNow: %v", err)
	}
	rs := runs(t, st, "collect:"+source.Name)
	if len(rs) != 1 || rs[0].Items != 2 || rs[0].Error != "" {
		t.Errorf("runs = %+v, want one run with 2 items", rs)
	}
}
