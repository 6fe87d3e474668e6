package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestPinnedPosts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1), testPost(2), testPost(3), testPost(4)}, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(res.New))
	for i, p := range res.New {
		ids[i] = p.ID
	}
	decide := func(id int64, actions ...model.Action) {
		for _, a := range actions {
			if _, err := s.Decide(ctx, model.Decision{PostID: id, Action: a, Actor: "mod"}); err != nil {
				t.Fatalf("%s %d: %v", a, id, err)
			}
		}
	}
	decide(ids[0], model.ActionApprove, model.ActionPin)                      // pinned, oldest
	decide(ids[1], model.ActionApprove)                                       // approved, not pinned
	decide(ids[2], model.ActionApprove, model.ActionPin)                      // pinned, newer
	decide(ids[3], model.ActionApprove, model.ActionPin, model.ActionRetract) // pinned, then retracted

	got, err := s.PinnedPosts(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []int64
	for _, p := range got {
		gotIDs = append(gotIDs, p.ID)
		if len(p.Media) != 1 || p.Author.Handle == "" {
			t.Errorf("post %d: media %d, author %q; want them loaded", p.ID, len(p.Media), p.Author.Handle)
		}
	}
	if want := []int64{ids[2], ids[0]}; fmt.Sprint(gotIDs) != fmt.Sprint(want) {
		t.Errorf("pinned = %v, want %v (approved and pinned, newest first)", gotIDs, want)
	}
}
