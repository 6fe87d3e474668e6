package store

import (
	"context"
	"errors"
	"testing"

	"github.com/cohesionalliance/campaignwall/model"
)

func TestRuleLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	r, err := s.CreateRule(ctx, model.Rule{Name: "Partners", Kind: model.RuleTrustAuthor, Value: "@cor@social.example", Action: model.RuleApprove, Enabled: true, CreatedBy: "anna"})
	if err != nil || r.ID == 0 {
		t.Fatalf("CreateRule: %+v, %v", r, err)
	}
	if _, err := s.CreateRule(ctx, model.Rule{Name: "partners", Kind: model.RuleBanAuthor, Action: model.RuleReject}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second rule named partners: err = %v, want ErrDuplicate", err)
	}
	got, err := s.RuleByID(ctx, r.ID)
	if err != nil || got.Name != "Partners" || got.Value != "@cor@social.example" || !got.Enabled || got.CreatedBy != "anna" || got.CreatedAt.IsZero() {
		t.Fatalf("RuleByID = %+v, %v; want the rule as created", got, err)
	}

	got.Name, got.Value, got.UpdatedBy = "Partner organisations", "@cor@social.example\n@ems@social.example", "bob"
	upd, err := s.UpdateRule(ctx, got)
	if err != nil || upd.Name != "Partner organisations" || len(upd.Entries()) != 2 || upd.UpdatedBy != "bob" || upd.UpdatedAt.IsZero() {
		t.Fatalf("UpdateRule = %+v, %v", upd, err)
	}
	if _, err := s.UpdateRule(ctx, model.Rule{ID: 999, Name: "x", Kind: model.RuleBanAuthor}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateRule of a missing rule: err = %v, want ErrNotFound", err)
	}

	off, err := s.SetRuleEnabled(ctx, r.ID, false, "bob")
	if err != nil || off.Enabled {
		t.Fatalf("SetRuleEnabled(false) = %+v, %v", off, err)
	}
	del, err := s.DeleteRule(ctx, r.ID)
	if err != nil || del.Name != "Partner organisations" {
		t.Fatalf("DeleteRule = %+v, %v", del, err)
	}
	if _, err := s.RuleByID(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("RuleByID after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteRule(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteRule: err = %v, want ErrNotFound", err)
	}
}

func TestInstallDefaultRulesOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	defaults := []model.Rule{
		{Name: "Blocked words (Deutsch)", Kind: model.RuleBlockWords, Value: "fotze", Action: model.RuleReject, Language: "de", Enabled: true},
		{Name: "Blocked words (Polski)", Kind: model.RuleBlockWords, Value: "kurw*", Action: model.RuleReject, Language: "pl", Enabled: true},
	}
	n, err := s.InstallDefaultRules(ctx, defaults)
	if err != nil || n != 2 {
		t.Fatalf("first install: %d, %v; want 2", n, err)
	}
	rules, _ := s.Rules(ctx)
	if _, err := s.DeleteRule(ctx, rules[0].ID); err != nil {
		t.Fatal(err)
	}
	n, err = s.InstallDefaultRules(ctx, defaults)
	if err != nil || n != 0 {
		t.Fatalf("second install: %d, %v; want 0", n, err)
	}
	if rules, _ := s.Rules(ctx); len(rules) != 1 || rules[0].Language != "pl" {
		t.Errorf("rules after second install = %+v; want only the Polish list (the deleted one stays deleted)", rules)
	}
}

func TestRuleSettings(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	got, err := s.RuleSettings(ctx)
	if err != nil || got != model.DefaultRuleSettings() {
		t.Fatalf("fresh RuleSettings = %+v, %v; want defaults %+v", got, err, model.DefaultRuleSettings())
	}
	want := model.RuleSettings{SkipReplies: true, RequirePhoto: true}
	if err := s.SaveRuleSettings(ctx, want, "anna"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RuleSettings(ctx); err != nil || got != want {
		t.Errorf("RuleSettings = %+v, %v; want %+v", got, err, want)
	}
}

func TestFlagPost(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1), testPost(2)}, "")
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := res.New[0], res.New[1]
	flag := model.RuleFlag{PostID: p1.ID, Rule: "Spam words", Reason: `blocked word "casino" in the post text`}
	for i, want := range []bool{true, false} {
		added, err := s.FlagPost(ctx, flag)
		if err != nil || added != want {
			t.Errorf("FlagPost #%d = %v, %v; want %v", i+1, added, err, want)
		}
	}
	ds, _ := s.Decisions(ctx, DecisionFilter{PostID: p1.ID})
	if len(ds) != 1 || ds[0].Action != model.ActionHold || ds[0].Actor != "rule:Spam words" || ds[0].Reason != flag.Reason {
		t.Errorf("decisions = %+v; want one hold by rule:Spam words", ds)
	}
	if p, _ := s.PostByID(ctx, p1.ID); p.Status != model.StatusPending {
		t.Errorf("held post status = %s, want pending", p.Status)
	}

	if _, err := s.Decide(ctx, model.Decision{PostID: p2.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	if added, err := s.FlagPost(ctx, model.RuleFlag{PostID: p2.ID, Rule: "Spam words"}); err != nil || added {
		t.Errorf("FlagPost of an approved post = %v, %v; want false, nil", added, err)
	}

	flags, err := s.RuleFlags(ctx, []int64{p1.ID, p2.ID})
	if err != nil || len(flags[p1.ID]) != 1 || len(flags[p2.ID]) != 0 || flags[p1.ID][0].Rule != "Spam words" {
		t.Fatalf("RuleFlags = %+v, %v", flags, err)
	}

	r, err := s.CreateRule(ctx, model.Rule{Name: "Spam words", Kind: model.RuleBlockWords, Value: "casino", Action: model.RuleHold, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	r.Name = "Gambling"
	if _, err := s.UpdateRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	if flags, _ := s.RuleFlags(ctx, []int64{p1.ID}); len(flags[p1.ID]) != 1 || flags[p1.ID][0].Rule != "Gambling" {
		t.Errorf("flags after rename = %+v; want the flag under the new name", flags)
	}
	if _, err := s.SetRuleEnabled(ctx, r.ID, false, "anna"); err != nil {
		t.Fatal(err)
	}
	if flags, _ := s.RuleFlags(ctx, []int64{p1.ID}); len(flags[p1.ID]) != 0 {
		t.Errorf("flags after disabling the rule = %+v; want none", flags)
	}
}

func TestPostsOfAuthor(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	other := testPost(3)
	other.Author = model.Author{Handle: "bob@example.social"}
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1), testPost(2), other}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.New {
		if _, err := s.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PostsOfAuthor(ctx, res.New[0].Author.ID, model.StatusApproved)
	if err != nil || len(got) != 2 || got[0].ID != res.New[1].ID || got[1].ID != res.New[0].ID {
		t.Errorf("PostsOfAuthor = %d posts, %v; want anna's 2, newest first", len(got), err)
	}
}
