package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testPost(n int) model.Post {
	return model.Post{
		Network:     model.NetworkMastodon,
		URI:         fmt.Sprintf("https://example.social/users/anna/statuses/%d", n),
		URL:         fmt.Sprintf("https://example.social/@anna/%d", n),
		RemoteID:    fmt.Sprint(n),
		Author:      model.Author{Handle: "anna@example.social", DisplayName: "Anna"},
		HTML:        "<p>#CohesionAlliance post</p>",
		Text:        "#CohesionAlliance post",
		Language:    "en",
		PublishedAt: time.Date(2026, 10, 1, 12, 0, n, 0, time.UTC),
		Media:       []model.Media{{Kind: model.MediaImage, URL: "https://example.social/m.jpg", AltText: "a bridge"}},
	}
}

func TestMigrationsFromEmpty(t *testing.T) {
	s := openTest(t)
	v, err := s.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v != len(migrations) {
		t.Errorf("schema version = %d, want %d", v, len(migrations))
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePosts(ctx, "src", []model.Post{testPost(1)}, "c1"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	c, err := s.Cursor(ctx, "src")
	if err != nil || c != "c1" {
		t.Errorf("cursor after reopen = %q, %v; want c1", c, err)
	}
}

func TestSavePostsDedupes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "a", []model.Post{testPost(1), testPost(2)}, "2")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 2 || res.Known != 0 {
		t.Fatalf("first save: new=%d known=%d, want 2, 0", len(res.New), res.Known)
	}
	// The same statuses seen through another instance: same URI, other URL.
	again := []model.Post{testPost(2), testPost(3)}
	again[0].URL = "https://other.social/@anna@example.social/999"
	res, err = s.SavePosts(ctx, "b", again, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.Known != 1 {
		t.Errorf("second save: new=%d known=%d, want 1, 1", len(res.New), res.Known)
	}
	posts, err := s.Posts(ctx, PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 {
		t.Fatalf("stored %d posts, want 3", len(posts))
	}
	if posts[0].RemoteID != "3" || len(posts[0].Media) != 1 || posts[0].Media[0].AltText != "a bridge" {
		t.Errorf("newest post = %+v, want remote id 3 with its photo", posts[0])
	}
	if posts[1].URL != "https://example.social/@anna/2" {
		t.Errorf("known post was changed: url %q", posts[1].URL)
	}
}

func TestSavePostsIsAtomicWithCursor(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.SavePosts(ctx, "a", []model.Post{testPost(1)}, "1"); err != nil {
		t.Fatal(err)
	}
	bad := testPost(3)
	bad.URI = "" // invalid: the whole batch must be refused, cursor kept
	if _, err := s.SavePosts(ctx, "a", []model.Post{testPost(2), bad}, "3"); err == nil {
		t.Fatal("SavePosts accepted a post without URI")
	}
	c, _ := s.Cursor(ctx, "a")
	if c != "1" {
		t.Errorf("cursor after failed batch = %q, want 1", c)
	}
	posts, _ := s.Posts(ctx, PostFilter{})
	if len(posts) != 1 {
		t.Errorf("posts after failed batch = %d, want 1 (no half-saved batch)", len(posts))
	}
}

func TestDecideOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "a", []model.Post{testPost(1)}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := res.New[0].ID
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Decide(ctx, model.Decision{PostID: id, Action: model.ActionApprove, Actor: fmt.Sprintf("mod%d", i)})
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		var se *StateError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &se):
			refused++
			if se.Post.DecidedBy == "" {
				t.Errorf("refusal does not say who decided: %v", err)
			}
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || refused != 7 {
		t.Errorf("approvals: %d succeeded, %d refused; want 1 and 7", ok, refused)
	}
	ds, err := s.Decisions(ctx, DecisionFilter{PostID: id})
	if err != nil || len(ds) != 1 {
		t.Errorf("audit log has %d rows (%v), want 1", len(ds), err)
	}
	p, err := s.Decide(ctx, model.Decision{PostID: id, Action: model.ActionRetract, Actor: "mod0", Reason: "off topic"})
	if err != nil || p.Status != model.StatusRejected {
		t.Errorf("retract: status %q, %v; want rejected", p.Status, err)
	}
	if _, err := s.Decide(ctx, model.Decision{PostID: 999, Action: model.ActionApprove, Actor: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("approve of missing post: %v, want ErrNotFound", err)
	}
}

func TestPostsPaging(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var batch []model.Post
	for i := 1; i <= 5; i++ {
		batch = append(batch, testPost(i))
	}
	if _, err := s.SavePosts(ctx, "a", batch, ""); err != nil {
		t.Fatal(err)
	}
	first, _ := s.Posts(ctx, PostFilter{Limit: 2})
	next, _ := s.Posts(ctx, PostFilter{Limit: 2, Before: first[1].ID})
	got := []string{first[0].RemoteID, first[1].RemoteID, next[0].RemoteID, next[1].RemoteID}
	want := []string{"5", "4", "3", "2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

func TestSessionsExpire(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	m, err := s.CreateModerator(ctx, model.Moderator{Name: "Anna", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateModerator(ctx, model.Moderator{Name: "anna", PasswordHash: "h"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate name: %v, want ErrDuplicate", err)
	}
	now := time.Now()
	if err := s.CreateSession(ctx, model.Session{TokenHash: "t", ModeratorID: m.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, "t", now); err != nil {
		t.Errorf("live session: %v", err)
	}
	if _, err := s.SessionByTokenHash(ctx, "t", now.Add(2*time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session: %v, want ErrNotFound", err)
	}
}
