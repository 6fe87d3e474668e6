package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

func submittedPost(id string) model.Post {
	return model.Post{
		Network:  model.NetworkSubmission,
		URI:      "urn:campaignwall:submission:" + id,
		Category: "submission",
		Author:   model.Author{Handle: "submission-" + id, DisplayName: "Maria Rossi", Bio: "Comune di Bari"},
		Text:     "Our new tram line was built with cohesion funds.",
		Media:    []model.Media{{Kind: model.MediaImage, CacheKey: "k-" + id, Width: 640, Height: 480}},
	}
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSaveSubmission(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 10, 13, 9, 0, 0, 0, time.UTC)
	p, err := s.SaveSubmission(ctx, submittedPost("a"), model.Submission{Email: "maria@example.org", ConsentText: "Show it", ConsentAt: at})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PostByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != model.StatusPending || got.Author.DisplayName != "Maria Rossi" || got.Author.Bio != "Comune di Bari" ||
		len(got.Media) != 1 || got.Media[0].CacheKey != "k-a" || got.Media[0].ID != p.Media[0].ID || got.Category != "submission" {
		t.Errorf("stored post %+v", got)
	}
	sub, err := s.SubmissionByPostID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Email != "maria@example.org" || sub.ConsentText != "Show it" || !sub.ConsentAt.Equal(at) {
		t.Errorf("submission %+v", sub)
	}

	// Another submission by someone of the same name is another author.
	q, err := s.SaveSubmission(ctx, submittedPost("b"), model.Submission{ConsentText: "Show it"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Author.ID == p.Author.ID {
		t.Errorf("two submissions share author %d", q.Author.ID)
	}
	if _, err := s.SubmissionByPostID(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing submission: %v, want ErrNotFound", err)
	}
}

func TestSaveSubmissionAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.SaveSubmission(ctx, submittedPost("a"), model.Submission{ConsentText: "ok"}); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, tbl := range []string{"authors", "posts", "media", "submissions"} {
		before[tbl] = countRows(t, s, tbl)
	}
	// The same URI again, under a fresh author: the post insert fails after
	// the author's, and nothing of it may stay.
	again := submittedPost("a")
	again.Author.Handle = "submission-other"
	if _, err := s.SaveSubmission(ctx, again, model.Submission{ConsentText: "ok"}); err == nil {
		t.Fatal("second save of the same URI succeeded")
	}
	for tbl, n := range before {
		if got := countRows(t, s, tbl); got != n {
			t.Errorf("%s: %d rows after a failed save, want %d", tbl, got, n)
		}
	}
}

func TestClearSubmissionEmails(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	old, _ := s.SaveSubmission(ctx, submittedPost("old"), model.Submission{Email: "a@example.org", ConsentText: "ok", ConsentAt: t0})
	recent, _ := s.SaveSubmission(ctx, submittedPost("new"), model.Submission{Email: "b@example.org", ConsentText: "ok", ConsentAt: t0.Add(48 * time.Hour)})
	n, err := s.ClearSubmissionEmails(ctx, t0.Add(24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("cleared %d, %v; want 1", n, err)
	}
	for _, tc := range []struct {
		id   int64
		want string
	}{{old.ID, ""}, {recent.ID, "b@example.org"}} {
		sub, err := s.SubmissionByPostID(ctx, tc.id)
		if err != nil || sub.Email != tc.want {
			t.Errorf("post %d email %q (%v), want %q", tc.id, sub.Email, err, tc.want)
		}
	}
}

func TestDiscardMediaFile(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p, err := s.SaveSubmission(ctx, submittedPost("a"), model.Submission{ConsentText: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{p.Media[0].CacheKey, "k-unused"} {
		if err := s.SaveMediaFile(ctx, MediaFile{Key: k, Bytes: 10, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{{p.Media[0].CacheKey, false}, {"k-unused", true}} {
		removed, err := s.DiscardMediaFile(ctx, tc.key)
		if err != nil || removed != tc.want {
			t.Errorf("DiscardMediaFile(%s) = %v, %v; want %v", tc.key, removed, err, tc.want)
		}
	}
	if used, _ := s.MediaDiskUsage(ctx); used != 10 {
		t.Errorf("disk usage %d after discarding, want 10 (the used file only)", used)
	}
}

func TestMediaFetchStates(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	res, err := s.SavePosts(ctx, "src", []model.Post{testPost(1), testPost(2)}, "")
	if err != nil {
		t.Fatal(err)
	}
	failed, fine := res.New[0].Media[0].ID, res.New[1].Media[0].ID
	if err := s.RecordMediaFailure(ctx, failed, "fetch https://example.social/m.jpg: 404 Not Found", time.Time{}); err != nil {
		t.Fatal(err)
	}
	states, err := s.MediaFetchStates(ctx, []int64{failed, fine, 12345})
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || !states[failed].Failed || states[failed].LastError == "" || states[fine].Failed {
		t.Errorf("states %+v", states)
	}
}
