package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestWallPostsFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mk := func(n int, network model.Network, lang, category, source string, cached bool) model.Post {
		p := testPost(n)
		p.Network, p.Language, p.Category, p.SourceName = network, lang, category, source
		if cached {
			p.Media[0].CacheKey = fmt.Sprintf("key%d", n)
		}
		return p
	}
	res, err := s.SavePosts(ctx, "", []model.Post{
		mk(1, model.NetworkMastodon, "de-AT", "regions", "eupolis", true),
		mk(2, model.NetworkBluesky, "en", "cities", "bsky", false),
		mk(3, model.NetworkMastodon, "fr", "cities", "eupolis", false),
		mk(4, model.NetworkMastodon, "de", "regions", "eupolis", false), // stays pending
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]int64{}
	for i, p := range res.New {
		ids[i+1] = p.ID
	}
	for _, n := range []int{1, 2, 3} {
		if _, err := s.Decide(ctx, model.Decision{PostID: ids[n], Action: model.ActionApprove, Actor: "mod"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: ids[3], Action: model.ActionPin, Actor: "mod"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		f      WallPostFilter
		want   []int
		pinned []int
	}{
		{"everything approved", WallPostFilter{}, []int{3, 2, 1}, []int{3}},
		{"language matches its region variants", WallPostFilter{Filter: model.WallFilter{Languages: []string{"de"}}}, []int{1}, nil},
		{"network", WallPostFilter{Filter: model.WallFilter{Networks: []model.Network{model.NetworkBluesky}}}, []int{2}, nil},
		{"category", WallPostFilter{Filter: model.WallFilter{Categories: []string{"cities"}}}, []int{3, 2}, []int{3}},
		{"source and language together", WallPostFilter{Filter: model.WallFilter{Sources: []string{"eupolis"}, Languages: []string{"fr", "en"}}}, []int{3}, []int{3}},
		{"photos in the cache only", WallPostFilter{PhotosOnly: true}, []int{1}, nil},
		{"paged", WallPostFilter{Before: ids[3], Limit: 1}, []int{2}, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.WallPosts(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "posts", got, tt.want, ids)
			for _, p := range got {
				if !tt.f.Filter.Matches(p) {
					t.Errorf("post %d: the store selects it but WallFilter.Matches does not", p.ID)
				}
			}
			pf := tt.f
			pf.Before = 0
			pinned, err := s.WallPinnedPosts(ctx, pf)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "pinned", pinned, tt.pinned, ids)
		})
	}
}

func check(t *testing.T, what string, got []model.Post, want []int, ids map[int]int64) {
	t.Helper()
	var g, w []int64
	for _, p := range got {
		g = append(g, p.ID)
	}
	for _, n := range want {
		w = append(w, ids[n])
	}
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}

func TestUncoverAndEditCoversAgain(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := testPost(1)
	p.ContentWarning = "flood damage"
	res, err := s.SavePosts(ctx, "src", []model.Post{p}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := res.New[0].ID
	for _, a := range []model.Action{model.ActionApprove, model.ActionUncover} {
		if _, err := s.Decide(ctx, model.Decision{PostID: id, Action: a, Actor: "mod"}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.PostByID(ctx, id)
	if !got.ShowOnScreens {
		t.Fatal("uncovered post: ShowOnScreens = false, want true")
	}
	if got, err = s.Decide(ctx, model.Decision{PostID: id, Action: model.ActionEdited, Actor: "network"}); err != nil {
		t.Fatal(err)
	}
	if got.ShowOnScreens {
		t.Error("post edited upstream: ShowOnScreens = true, want false (its new text was never seen)")
	}
}

func TestWallSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	want := model.WallSettings{Slug: "stage", Mode: model.ModeTicker, UpdatedBy: "anna",
		Filter: model.WallFilter{Languages: []string{"de"}, Networks: []model.Network{model.NetworkBluesky}}}
	if err := s.SaveWallSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.WallSettings(ctx); got["stage"].Look != nil {
		t.Errorf("saved without a look: Look = %+v, want nil (the config file's)", *got["stage"].Look)
	}
	before := time.Now().Add(-time.Second)
	want.Mode = model.ModeList
	want.Look = &model.WallLook{Title: "Stage", Theme: "light", Accent: "#0a4fa8", Background: "#ffffff", SpotlightSeconds: 42, Language: "pl"}
	if err := s.SaveWallSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.WallSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if at := got["stage"].UpdatedAt; at.Before(before) || at.After(time.Now()) {
		t.Errorf("UpdatedAt = %v, want about now", at)
	}
	gotLook := got["stage"].Look
	if gotLook == nil || *gotLook != *want.Look {
		t.Errorf("look = %+v, want %+v", gotLook, *want.Look)
	}
	g := got["stage"]
	g.UpdatedAt, g.Look, want.Look = time.Time{}, nil, nil
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("settings = %v, want %v", g, want)
	}
	if err := s.ResetWallSettings(ctx, "stage"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.WallSettings(ctx); len(got) != 0 {
		t.Errorf("after reset: %v, want none", got)
	}
}
