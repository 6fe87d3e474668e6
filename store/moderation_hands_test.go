package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// handsFixture is a store with two moderators and three pending posts
// (posts[2] newest).
func handsFixture(t *testing.T) (*Store, [2]model.Moderator, []model.Post) {
	t.Helper()
	s := openTest(t)
	ctx := context.Background()
	var mods [2]model.Moderator
	for i, name := range []string{"anna", "bob"} {
		m, err := s.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		mods[i] = m
	}
	res, err := s.SavePosts(ctx, "test", []model.Post{testPost(1), testPost(2), testPost(3)}, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, mods, res.New
}

func pendingIDs(t *testing.T, s *Store, moderatorID int64, at time.Time) []int64 {
	t.Helper()
	posts, err := s.Posts(context.Background(), PostFilter{Status: model.StatusPending, HideLeasedFor: moderatorID, LeaseTime: at})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range posts {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestLeases(t *testing.T) {
	s, mods, posts := handsFixture(t)
	anna, bob := mods[0], mods[1]
	ctx := context.Background()
	t0 := time.Date(2026, 10, 14, 14, 0, 0, 0, time.UTC)
	if _, err := s.TakeLease(ctx, posts[2].ID, anna.ID, t0, time.Minute); err != nil {
		t.Fatalf("anna leases: %v", err)
	}
	if got := pendingIDs(t, s, bob.ID, t0.Add(time.Second)); len(got) != 2 || got[0] != posts[1].ID {
		t.Errorf("bob's queue = %v, want %d and %d without anna's leased %d", got, posts[1].ID, posts[0].ID, posts[2].ID)
	}
	if got := pendingIDs(t, s, anna.ID, t0.Add(time.Second)); len(got) != 3 {
		t.Errorf("anna's queue = %v, want all three posts: she holds the lease", got)
	}
	var le *LeaseError
	if _, err := s.TakeLease(ctx, posts[2].ID, bob.ID, t0.Add(time.Second), time.Minute); !errors.As(err, &le) || le.Holder != "anna" {
		t.Errorf("bob leases anna's post: %v, want a LeaseError naming anna", err)
	}
	// Renewing moves the expiry; after it the post is everyone's again.
	if renewed, err := s.TakeLease(ctx, posts[2].ID, anna.ID, t0.Add(30*time.Second), time.Minute); err != nil || !renewed {
		t.Fatalf("anna renews: renewed %v, %v; want a renewal", renewed, err)
	}
	if got := pendingIDs(t, s, bob.ID, t0.Add(80*time.Second)); len(got) != 2 {
		t.Errorf("bob's queue 80 s in = %v, want the renewed lease to hide the post", got)
	}
	if got := pendingIDs(t, s, bob.ID, t0.Add(91*time.Second)); len(got) != 3 {
		t.Errorf("bob's queue after expiry = %v, want all three", got)
	}
	if renewed, err := s.TakeLease(ctx, posts[2].ID, bob.ID, t0.Add(91*time.Second), time.Minute); err != nil || renewed {
		t.Errorf("bob takes over an expired lease: renewed %v, %v; want a new lease", renewed, err)
	}
	// Released on release and on decision.
	if released, err := s.ReleaseLease(ctx, posts[2].ID, anna.ID); err != nil || released {
		t.Fatalf("anna releases bob's lease: %v, %v; want nothing released", released, err)
	}
	if got := pendingIDs(t, s, anna.ID, t0.Add(92*time.Second)); len(got) != 2 {
		t.Errorf("anna's release ended bob's lease: her queue = %v", got)
	}
	if released, err := s.ReleaseLease(ctx, posts[2].ID, bob.ID); err != nil || !released {
		t.Fatalf("bob releases his lease: %v, %v", released, err)
	}
	if got := pendingIDs(t, s, anna.ID, t0.Add(92*time.Second)); len(got) != 3 {
		t.Errorf("after bob's release anna's queue = %v, want all three", got)
	}
	now := time.Now()
	if _, err := s.TakeLease(ctx, posts[0].ID, bob.ID, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: posts[0].ID, Action: model.ActionReject, Actor: "anna"}); err != nil {
		t.Fatalf("a decision on a post another moderator leased: %v, want it to go through", err)
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: posts[0].ID, Action: model.ActionUndo, Actor: "anna"}); err == nil {
		t.Error("Decide took an undo; undo goes through Undo only")
	}
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM post_leases WHERE post_id = ?`, posts[0].ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("leases of a decided post: %d (%v), want 0", n, err)
	}
	if _, err := s.TakeLease(ctx, 9999, bob.ID, now, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("lease of a missing post: %v, want ErrNotFound", err)
	}
}

// TestExpireLeases: a lease that simply runs out is reported once, by the
// sweep after it expired, so the queues that hid its post can show it again;
// taking another post's lease leaves it to the sweep instead of clearing it.
func TestExpireLeases(t *testing.T) {
	s, mods, posts := handsFixture(t)
	anna, bob := mods[0], mods[1]
	ctx := context.Background()
	t0 := time.Date(2026, 10, 14, 14, 0, 0, 0, time.UTC)
	if _, err := s.TakeLease(ctx, posts[0].ID, anna.ID, t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeLease(ctx, posts[1].ID, bob.ID, t0.Add(30*time.Second), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ExpireLeases(ctx, t0.Add(59*time.Second)); err != nil || len(got) != 0 {
		t.Fatalf("sweep before any lease expired = %v, %v; want none", got, err)
	}
	// A lease taken after anna's ran out must not swallow hers.
	if _, err := s.TakeLease(ctx, posts[2].ID, bob.ID, t0.Add(61*time.Second), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ExpireLeases(ctx, t0.Add(62*time.Second)); err != nil || len(got) != 1 || got[0] != posts[0].ID {
		t.Fatalf("sweep after anna's lease expired = %v, %v; want [%d]", got, err, posts[0].ID)
	}
	if got, err := s.ExpireLeases(ctx, t0.Add(63*time.Second)); err != nil || len(got) != 0 {
		t.Errorf("second sweep = %v, %v; want nothing reported twice", got, err)
	}
	// Coming back to an expired lease is a new lease, not a renewal.
	if renewed, err := s.TakeLease(ctx, posts[0].ID, anna.ID, t0.Add(64*time.Second), time.Minute); err != nil || renewed {
		t.Errorf("anna back after her lease was swept: renewed %v, %v; want a new lease", renewed, err)
	}
	if got := pendingIDs(t, s, bob.ID, t0.Add(65*time.Second)); len(got) != 2 || slices.Contains(got, posts[0].ID) {
		t.Errorf("bob's queue = %v, want his two posts without anna's %d", got, posts[0].ID)
	}
}

func TestUndo(t *testing.T) {
	t0 := time.Date(2026, 10, 14, 14, 0, 0, 0, time.UTC)
	window := 10 * time.Second
	tests := []struct {
		name        string
		decisions   []model.Decision // on the post, in order
		undoBy      string
		undoAt      time.Time
		wantRefusal UndoRefusal
		wantStatus  model.Status
		check       func(t *testing.T, p model.Post)
	}{
		{name: "approval within the window goes back to pending",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}},
			undoBy:    "anna", undoAt: t0.Add(9 * time.Second), wantStatus: model.StatusPending,
			check: func(t *testing.T, p model.Post) {
				if p.DecidedBy != "" || !p.DecidedAt.IsZero() {
					t.Errorf("decided by %q at %v after undo, want nobody", p.DecidedBy, p.DecidedAt)
				}
			}},
		{name: "rejection within the window goes back to pending",
			decisions: []model.Decision{{Action: model.ActionReject, Actor: "anna", At: t0}},
			undoBy:    "anna", undoAt: t0.Add(time.Second), wantStatus: model.StatusPending},
		{name: "after the window",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}},
			undoBy:    "anna", undoAt: t0.Add(11 * time.Second), wantRefusal: UndoExpired},
		{name: "someone else's decision",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}},
			undoBy:    "bob", undoAt: t0.Add(time.Second), wantRefusal: UndoOther},
		{name: "another moderator acted since",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}, {Action: model.ActionPin, Actor: "bob", At: t0.Add(time.Second)}},
			undoBy:    "anna", undoAt: t0.Add(2 * time.Second), wantRefusal: UndoOther},
		{name: "pin toggled back",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "bob", At: t0}, {Action: model.ActionPin, Actor: "anna", At: t0.Add(time.Second)}},
			undoBy:    "anna", undoAt: t0.Add(2 * time.Second), wantStatus: model.StatusApproved,
			check: func(t *testing.T, p model.Post) {
				if p.Pinned || p.DecidedBy != "bob" {
					t.Errorf("pinned %v, decided by %q; want unpinned, still bob's approval", p.Pinned, p.DecidedBy)
				}
			}},
		{name: "highlight toggled back",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}, {Action: model.ActionHighlight, Actor: "anna", At: t0.Add(time.Second)}},
			undoBy:    "anna", undoAt: t0.Add(2 * time.Second), wantStatus: model.StatusApproved,
			check: func(t *testing.T, p model.Post) {
				if p.Highlighted {
					t.Error("still highlighted after undo")
				}
			}},
		{name: "retraction goes back to the approval",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "bob", At: t0}, {Action: model.ActionRetract, Actor: "anna", At: t0.Add(time.Minute)}},
			undoBy:    "anna", undoAt: t0.Add(time.Minute + time.Second), wantStatus: model.StatusApproved,
			check: func(t *testing.T, p model.Post) {
				if p.DecidedBy != "bob" || !p.DecidedAt.Equal(t0) {
					t.Errorf("decided by %q at %v, want bob at %v", p.DecidedBy, p.DecidedAt, t0)
				}
			}},
		{name: "uncovering on screens toggled back",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}, {Action: model.ActionUncover, Actor: "anna", At: t0.Add(time.Second)}},
			undoBy:    "anna", undoAt: t0.Add(2 * time.Second), wantStatus: model.StatusApproved,
			check: func(t *testing.T, p model.Post) {
				if p.ShowOnScreens {
					t.Error("still uncovered on screens after undo")
				}
			}},
		{name: "an undo is not undone",
			decisions: []model.Decision{{Action: model.ActionApprove, Actor: "anna", At: t0}},
			undoBy:    "anna", undoAt: t0.Add(time.Second), wantStatus: model.StatusPending},
		{name: "nothing decided", undoBy: "anna", undoAt: t0, wantRefusal: UndoNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, posts := handsFixture(t)
			ctx := context.Background()
			id := posts[0].ID
			for _, d := range tt.decisions {
				d.PostID = id
				if _, err := s.Decide(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			p, undone, err := s.Undo(ctx, id, tt.undoBy, tt.undoAt.Add(-window), tt.undoAt)
			if tt.wantRefusal != "" {
				var ue *UndoError
				if !errors.As(err, &ue) || ue.Refusal != tt.wantRefusal {
					t.Fatalf("Undo = %v, want refusal %q", err, tt.wantRefusal)
				}
				if got, _ := s.PostByID(ctx, id); got.Status != posts[0].Status && len(tt.decisions) == 0 {
					t.Errorf("status changed by a refused undo: %s", got.Status)
				}
				return
			}
			if err != nil {
				t.Fatalf("Undo: %v", err)
			}
			if p.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", p.Status, tt.wantStatus)
			}
			if want := tt.decisions[len(tt.decisions)-1].Action; undone.Action != want {
				t.Errorf("undid %s, want %s", undone.Action, want)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			log, err := s.Decisions(ctx, DecisionFilter{PostID: id, Limit: 1})
			if err != nil || len(log) != 1 || log[0].Action != model.ActionUndo || log[0].Actor != tt.undoBy ||
				log[0].Reason != "undo "+string(undone.Action) || !log[0].At.Equal(tt.undoAt) {
				t.Errorf("audit log's last row = %+v (%v), want undo by %s", log, err, tt.undoBy)
			}
			if _, _, err := s.Undo(ctx, id, tt.undoBy, tt.undoAt.Add(-window), tt.undoAt); err == nil {
				t.Error("an undo was undone")
			}
		})
	}
}

func TestSetAltText(t *testing.T) {
	s, _, posts := handsFixture(t)
	ctx := context.Background()
	p := posts[0]
	at := time.Date(2026, 10, 14, 14, 0, 0, 0, time.UTC)
	got, changed, err := s.SetAltText(ctx, p.ID, map[int64]string{p.Media[0].ID: "A new cycle bridge over the river"}, "anna", at)
	if err != nil || !changed {
		t.Fatalf("SetAltText = %v, %v; want changed", changed, err)
	}
	if got.Media[0].AltText != "A new cycle bridge over the river" {
		t.Errorf("alt text = %q", got.Media[0].AltText)
	}
	log, err := s.Decisions(ctx, DecisionFilter{PostID: p.ID})
	if err != nil || len(log) != 1 || log[0].Action != model.ActionAltText || log[0].Actor != "anna" ||
		log[0].Reason != "photo 1: A new cycle bridge over the river" || !log[0].At.Equal(at) {
		t.Errorf("audit log = %+v (%v), want one alt_text row by anna", log, err)
	}
	if _, changed, err := s.SetAltText(ctx, p.ID, map[int64]string{p.Media[0].ID: "A new cycle bridge over the river"}, "anna", at); err != nil || changed {
		t.Errorf("same text again: changed %v, %v; want nothing written", changed, err)
	}
	if _, _, err := s.SetAltText(ctx, p.ID, map[int64]string{posts[1].Media[0].ID: "not this post's photo"}, "anna", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("another post's photo: %v, want ErrNotFound", err)
	}
	if other, _ := s.PostByID(ctx, posts[1].ID); other.Media[0].AltText != "a bridge" {
		t.Errorf("another post's alt text changed to %q", other.Media[0].AltText)
	}
}
