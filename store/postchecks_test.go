package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestRecordCollectionAndSourceStatus(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SyncSources(ctx, []model.Source{{Name: "x-campaign", Kind: "x"}, {Name: "eupolis", Kind: "mastodon"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePosts(ctx, "eupolis", []model.Post{testPost(1), testPost(2)}, "c1"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	run := model.SourceRun{
		At: at, Duration: 1500 * time.Millisecond, New: 2, Error: "collect eupolis: HTTP 429", Problem: "Rate limited",
		WaitUntil: at.Add(5 * time.Minute), WaitReason: model.WaitRateLimit, Failures: 0,
	}
	if err := s.RecordCollection(ctx, "eupolis", run); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceStatus(ctx, "eupolis")
	if err != nil {
		t.Fatal(err)
	}
	want := model.SourceStatus{
		Name: "eupolis", Kind: "mastodon", Cursor: "c1", LastRunAt: at, LastDuration: 1500 * time.Millisecond, LastNew: 2,
		LastError: run.Error, Problem: run.Problem, WaitUntil: run.WaitUntil, WaitReason: model.WaitRateLimit, TotalPosts: 2,
	}
	if got != want {
		t.Errorf("SourceStatus = %+v\nwant %+v", got, want)
	}
	// A later run replaces the wait and the problem.
	if err := s.RecordCollection(ctx, "eupolis", model.SourceRun{At: at.Add(time.Hour), New: 0}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SourceStatus(ctx, "eupolis"); got.Problem != "" || !got.WaitUntil.IsZero() || got.WaitReason != "" || got.LastError != "" {
		t.Errorf("after a good run: %+v, want no problem and no wait", got)
	}
	all, err := s.SourceStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range all {
		names = append(names, st.Name)
	}
	if !slices.Equal(names, []string{"eupolis", "x-campaign"}) {
		t.Errorf("SourceStatuses names = %v, want [eupolis x-campaign]", names)
	}
	if _, err := s.SourceStatus(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SourceStatus of an unknown source: %v, want ErrNotFound", err)
	}
}

func TestPostByRemoteID(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.SavePosts(ctx, "eupolis", []model.Post{testPost(7)}, ""); err != nil {
		t.Fatal(err)
	}
	p, err := s.PostByRemoteID(ctx, "eupolis", "7")
	if err != nil || p.URI != testPost(7).URI {
		t.Fatalf("PostByRemoteID = %+v, %v; want post 7", p.URI, err)
	}
	for _, tc := range []struct{ source, id string }{{"other", "7"}, {"eupolis", "8"}, {"eupolis", ""}} {
		if _, err := s.PostByRemoteID(ctx, tc.source, tc.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("PostByRemoteID(%q, %q) = %v, want ErrNotFound", tc.source, tc.id, err)
		}
	}
}

func TestUpdatePostContent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	orig := testPost(1)
	orig.Media = append(orig.Media, model.Media{Kind: model.MediaImage, URL: "https://example.social/second.jpg"})
	res, err := s.SavePosts(ctx, "eupolis", []model.Post{orig}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := res.New[0].ID
	if err := s.SetMediaCacheKey(ctx, res.New[0].Media[0].ID, "bridgekey"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: id, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}

	t.Run("unchanged", func(t *testing.T) {
		p, changed, err := s.UpdatePostContent(ctx, orig)
		if err != nil || changed || p.ID != id {
			t.Errorf("UpdatePostContent of the same content = id %d, changed %v, %v; want id %d, unchanged", p.ID, changed, err, id)
		}
	})
	t.Run("edited", func(t *testing.T) {
		edit := orig
		edit.HTML, edit.Text = "<p>Edited #CohesionAlliance</p>", "Edited #CohesionAlliance"
		edit.ContentWarning, edit.Sensitive = "spoiler", true
		edit.Tags = []string{"CohesionAlliance"}
		// The second photo is dropped, the first kept (with its cached copy), a new one added.
		edit.Media = []model.Media{orig.Media[0], {Kind: model.MediaImage, URL: "https://example.social/third.jpg", AltText: "a tram"}}
		p, changed, err := s.UpdatePostContent(ctx, edit)
		if err != nil || !changed {
			t.Fatalf("UpdatePostContent = changed %v, %v; want changed", changed, err)
		}
		if p.HTML != edit.HTML || p.Text != edit.Text || p.ContentWarning != "spoiler" || !p.Sensitive || !slices.Equal(p.Tags, edit.Tags) {
			t.Errorf("content after edit = %q %q cw %q sensitive %v tags %v", p.HTML, p.Text, p.ContentWarning, p.Sensitive, p.Tags)
		}
		if p.Status != model.StatusApproved || p.DecidedBy != "anna" {
			t.Errorf("status after edit = %s by %q, want approved by anna (an edit keeps the decision)", p.Status, p.DecidedBy)
		}
		var urls, keys []string
		for _, m := range p.Media {
			urls, keys = append(urls, m.URL), append(keys, m.CacheKey)
		}
		if !slices.Equal(urls, []string{orig.Media[0].URL, "https://example.social/third.jpg"}) || !slices.Equal(keys, []string{"bridgekey", ""}) {
			t.Errorf("media after edit = %v with cache keys %v, want the kept photo still cached and the new one to fetch", urls, keys)
		}
	})
	t.Run("unknown post", func(t *testing.T) {
		unknown := testPost(99)
		if _, _, err := s.UpdatePostContent(ctx, unknown); !errors.Is(err, ErrNotFound) {
			t.Errorf("UpdatePostContent of an unknown post = %v, want ErrNotFound", err)
		}
	})
}

func TestPostsToRecheckOldestCheckedFirst(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var posts []model.Post
	for i := 1; i <= 4; i++ {
		posts = append(posts, testPost(i))
	}
	res, err := s.SavePosts(ctx, "eupolis", posts, "")
	if err != nil {
		t.Fatal(err)
	}
	other := testPost(5)
	other.Network = model.NetworkX
	if _, err := s.SavePosts(ctx, "x-campaign", []model.Post{other}, ""); err != nil {
		t.Fatal(err)
	}
	ids := map[int]int64{}
	for i, p := range res.New {
		ids[i+1] = p.ID
		if i+1 == 4 {
			continue // post 4 stays pending: not on the wall, nothing to re-check
		}
		if _, err := s.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	if err := s.MarkPostChecked(ctx, ids[1], now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPostChecked(ctx, ids[2], now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := func(before time.Time, limit int) []int64 {
		t.Helper()
		ps, err := s.PostsToRecheck(ctx, []string{"eupolis"}, before, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	if g, want := got(now, 10), []int64{ids[3], ids[2], ids[1]}; !slices.Equal(g, want) {
		t.Errorf("to re-check = %v, want %v (never checked first, then the longest unchecked)", g, want)
	}
	if g, want := got(now, 2), []int64{ids[3], ids[2]}; !slices.Equal(g, want) {
		t.Errorf("with limit 2 = %v, want %v", g, want)
	}
	if g, want := got(now.Add(-90*time.Minute), 10), []int64{ids[3], ids[2]}; !slices.Equal(g, want) {
		t.Errorf("checked before 12:30 = %v, want %v (post 1 was checked since)", g, want)
	}
	if ps, err := s.PostsToRecheck(ctx, nil, now, 10); err != nil || len(ps) != 0 {
		t.Errorf("no sources: %d posts, %v; want none", len(ps), err)
	}
}
