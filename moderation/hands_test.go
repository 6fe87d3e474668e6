package moderation

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// handsServer is the test server with a hand-moved clock and its Handler.
type handsServer struct {
	*server
	h     *Handler
	clock *testClock
}

func newHandsServer(t *testing.T) *handsServer {
	t.Helper()
	s := newServer(t)
	clock := &testClock{t: time.Date(2026, 10, 14, 14, 0, 0, 0, time.UTC)}
	s.mux = http.NewServeMux()
	h := NewHandler(s.st, auth.New(s.st, auth.Options{}), s.notifier, nil, Options{CampaignName: "#CohesionAlliance", Now: clock.now})
	h.Routes(s.mux)
	t.Cleanup(h.Close)
	return &handsServer{server: s, h: h, clock: clock}
}

// postJSON posts a form as queue.js does and decodes the answer.
func (s *handsServer) postJSON(t *testing.T, cookie, target string, form url.Values) (int, decisionJSON) {
	t.Helper()
	h := sameOrigin()
	h["Accept"] = "application/json"
	rec := s.do(t, request{method: "POST", target: target, form: form, cookie: cookie, headers: h})
	var body decisionJSON
	if err := json.NewDecoder(rec.Body).Decode(&body); err != nil && rec.Code != http.StatusNoContent {
		t.Fatalf("POST %s: %d, body not JSON: %v", target, rec.Code, err)
	}
	return rec.Code, body
}

func postTarget(p model.Post, action string) string {
	return fmt.Sprintf("/moderate/posts/%d/%s", p.ID, action)
}

func TestUndoOverHTTP(t *testing.T) {
	s := newHandsServer(t)
	anna, bob := s.login(t, "anna"), s.login(t, "bob")
	posts := s.savePosts(t, 3)
	ctx := context.Background()

	t.Run("within the window", func(t *testing.T) {
		p := posts[0]
		code, body := s.postJSON(t, anna, postTarget(p, "approve"), url.Values{"status": {"pending"}})
		if code != 200 || body.Action != "approve" || !strings.Contains(body.HTML, `data-status="approved"`) {
			t.Fatalf("approve: %d %+v, want 200 with the approved card", code, body)
		}
		s.clock.advance(UndoWindow - time.Second)
		code, body = s.postJSON(t, anna, postTarget(p, "undo"), url.Values{"status": {"pending"}})
		if code != 200 || body.Post == nil || body.Post.Status != model.StatusPending || !strings.Contains(body.HTML, `data-testid="approve-button"`) {
			t.Fatalf("undo: %d %+v, want 200 with the pending card back", code, body)
		}
		log, err := s.st.Decisions(ctx, store.DecisionFilter{PostID: p.ID, Limit: 1})
		if err != nil || len(log) != 1 || log[0].Action != model.ActionUndo || log[0].Actor != "anna" || log[0].Reason != "undo approve" {
			t.Errorf("audit log = %+v (%v), want an undo by anna", log, err)
		}
		got := s.notifier.got()
		if len(got) != 2 || got[1].ID != p.ID || got[1].Status != model.StatusPending {
			t.Errorf("wall heard %d changes, last %+v; want the approval and the undo (pending: off the screens)", len(got), got[len(got)-1])
		}
	})
	t.Run("after the window", func(t *testing.T) {
		p := posts[1]
		if code, _ := s.postJSON(t, anna, postTarget(p, "reject"), url.Values{}); code != 200 {
			t.Fatalf("reject: %d", code)
		}
		s.clock.advance(UndoWindow + time.Second)
		code, body := s.postJSON(t, anna, postTarget(p, "undo"), url.Values{})
		if code != http.StatusConflict || !strings.HasPrefix(body.Message, "Too late to undo") {
			t.Errorf("late undo: %d %q, want 409 Too late", code, body.Message)
		}
		if got, _ := s.st.PostByID(ctx, p.ID); got.Status != model.StatusRejected {
			t.Errorf("status after a refused undo = %s, want rejected", got.Status)
		}
	})
	t.Run("after another moderator acted", func(t *testing.T) {
		p := posts[2]
		if code, _ := s.postJSON(t, anna, postTarget(p, "approve"), url.Values{}); code != 200 {
			t.Fatalf("approve: %d", code)
		}
		s.clock.advance(2 * time.Second)
		if code, _ := s.postJSON(t, bob, postTarget(p, "retract"), url.Values{}); code != 200 {
			t.Fatalf("bob retracts: %d", code)
		}
		code, body := s.postJSON(t, anna, postTarget(p, "undo"), url.Values{})
		want := "Not undone: bob retracted it at 14:00 since."
		if code != http.StatusConflict || body.Message != want {
			t.Errorf("undo after bob: %d %q, want 409 %q", code, body.Message, want)
		}
		if got, _ := s.st.PostByID(ctx, p.ID); got.Status != model.StatusRejected {
			t.Errorf("status = %s, want bob's retraction to stand", got.Status)
		}
		// bob may undo his own.
		if code, body := s.postJSON(t, bob, postTarget(p, "undo"), url.Values{}); code != 200 || body.Post.Status != model.StatusApproved {
			t.Errorf("bob undoes his retraction: %d %+v, want approved again", code, body)
		}
	})
}

func TestLeasesSplitTheQueue(t *testing.T) {
	s := newHandsServer(t)
	anna, bob := s.login(t, "anna"), s.login(t, "bob")
	posts := s.savePosts(t, 3)
	queueIDs := func(cookie string) []string {
		t.Helper()
		rec := s.do(t, request{method: "GET", target: "/moderate", cookie: cookie})
		var ids []string
		parse(t, rec).Find(`[data-testid="queue-post"]`).Each(func(_ int, c *goquery.Selection) {
			ids = append(ids, c.AttrOr("data-post-id", ""))
		})
		return ids
	}
	newest := posts[2]
	if code, body := s.postJSON(t, anna, postTarget(newest, "lease"), url.Values{}); code != 200 {
		t.Fatalf("anna leases: %d %+v", code, body)
	}
	if got := queueIDs(bob); strings.Join(got, ",") != fmt.Sprintf("%d,%d", posts[1].ID, posts[0].ID) {
		t.Errorf("bob's queue = %v, want anna's leased post %d hidden", got, newest.ID)
	}
	if got := queueIDs(anna); len(got) != 3 {
		t.Errorf("anna's queue = %v, want all three", got)
	}
	code, body := s.postJSON(t, bob, postTarget(newest, "lease"), url.Values{})
	if code != http.StatusConflict || body.Error != "leased" || !strings.HasPrefix(body.Message, "anna is looking at that post") {
		t.Errorf("bob leases anna's post: %d %+v, want 409 naming anna", code, body)
	}
	// Renewed while under anna's cursor; moving on releases it.
	s.clock.advance(LeaseDuration / 2)
	if code, _ := s.postJSON(t, anna, postTarget(newest, "lease"), url.Values{"renew": {"1"}}); code != 200 {
		t.Fatalf("renew: %d", code)
	}
	s.clock.advance(LeaseDuration/2 + time.Second)
	if got := queueIDs(bob); len(got) != 2 {
		t.Errorf("bob's queue after the renewal = %v, want the post still hidden", got)
	}
	s.clock.advance(LeaseDuration / 2)
	if got := queueIDs(bob); len(got) != 3 {
		t.Errorf("bob's queue once the lease expired = %v, want all three", got)
	}
	if code, _ := s.postJSON(t, anna, postTarget(posts[1], "lease"), url.Values{"release": {idString(newest.ID)}}); code != 200 {
		t.Fatalf("anna moves on: %d", code)
	}
	if got := queueIDs(bob); len(got) != 2 || got[0] != idString(newest.ID) {
		t.Errorf("bob's queue after anna moved on = %v, want %d back and %d hidden", got, newest.ID, posts[1].ID)
	}
	// The lease only hides: bob's decision still goes through, and ends it.
	if code, _ := s.postJSON(t, bob, postTarget(posts[1], "reject"), url.Values{}); code != 200 {
		t.Errorf("bob rejects the post anna leased: %d, want 200", code)
	}
	if code, body := s.postJSON(t, anna, postTarget(posts[1], "approve"), url.Values{}); code != http.StatusConflict ||
		!strings.HasPrefix(body.Message, "Already rejected by bob at") {
		t.Errorf("anna approves it after: %d %q, want 409 Already rejected by bob", code, body.Message)
	}
}

func photoPost(t *testing.T, s *handsServer, name string, status model.Status, alt string) model.Post {
	t.Helper()
	ctx := context.Background()
	res, err := s.st.SavePosts(ctx, "test", []model.Post{{
		Network: model.NetworkMastodon, URI: "https://example.social/users/anna/statuses/photo-" + name,
		Author:      model.Author{Handle: "anna@example.social", DisplayName: "Anna"},
		HTML:        "<p>The bridge #CohesionAlliance</p>",
		Media:       []model.Media{{Kind: model.MediaImage, URL: "https://example.social/bridge.jpg", AltText: alt}},
		PublishedAt: time.Date(2026, 10, 1, 13, 0, 0, 0, time.UTC),
	}}, "")
	if err != nil || len(res.New) != 1 {
		t.Fatalf("SavePosts: %v", err)
	}
	p := res.New[0]
	if status == model.StatusApproved {
		if p, err = s.st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "bob"}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestAltText(t *testing.T) {
	s := newHandsServer(t)
	anna := s.login(t, "anna")
	ctx := context.Background()

	t.Run("saved, audited and sent to the wall", func(t *testing.T) {
		p := photoPost(t, s, "saved", model.StatusApproved, "")
		before := len(s.notifier.got())
		code, body := s.postJSON(t, anna, postTarget(p, "alt_text"), url.Values{
			"status": {"approved"}, fmt.Sprintf("alt-%d", p.Media[0].ID): {"  A new cycle bridge\n over the Danube "}})
		if code != 200 || !strings.Contains(body.HTML, "A new cycle bridge over the Danube") {
			t.Fatalf("save: %d %+v", code, body)
		}
		got, _ := s.st.PostByID(ctx, p.ID)
		if got.Media[0].AltText != "A new cycle bridge over the Danube" {
			t.Errorf("stored alt text = %q", got.Media[0].AltText)
		}
		log, err := s.st.Decisions(ctx, store.DecisionFilter{PostID: p.ID, Action: model.ActionAltText})
		if err != nil || len(log) != 1 || log[0].Actor != "anna" || log[0].Reason != "photo 1: A new cycle bridge over the Danube" {
			t.Errorf("audit rows = %+v (%v), want one alt_text by anna", log, err)
		}
		if heard := s.notifier.got(); len(heard) != before+1 || heard[len(heard)-1].Media[0].AltText == "" {
			t.Errorf("the wall heard %d changes, want the post with its alt text", len(heard)-before)
		}
	})
	t.Run("highlight asks for alt text first", func(t *testing.T) {
		p := photoPost(t, s, "asks", model.StatusApproved, "")
		code, body := s.postJSON(t, anna, postTarget(p, "highlight"), url.Values{"status": {"approved"}})
		if code != http.StatusUnprocessableEntity || body.Error != "alt_text_needed" || !strings.Contains(body.HTML, `data-testid="alt-needed"`) {
			t.Fatalf("highlight without alt: %d %+v, want 422 with the alt text form open", code, body)
		}
		if got, _ := s.st.PostByID(ctx, p.ID); got.Highlighted {
			t.Fatal("highlighted although its photo has no alt text")
		}
		// Without JavaScript: back to the page with the form open.
		rec := s.do(t, request{method: "POST", target: postTarget(p, "highlight"), form: url.Values{"status": {"approved"}}, cookie: anna, headers: sameOrigin()})
		loc := rec.Header().Get("Location")
		if rec.Code != 303 || loc != fmt.Sprintf("/moderate?status=approved&alt=%d#post-%d", p.ID, p.ID) {
			t.Fatalf("form highlight: %d %q", rec.Code, loc)
		}
		page := parse(t, s.do(t, request{method: "GET", target: strings.Split(loc, "#")[0], cookie: anna}))
		if page.Find(fmt.Sprintf(`#post-%d details[open] [data-testid="alt-form"]`, p.ID)).Length() != 1 {
			t.Error("the queue page does not open the alt text form of the post")
		}
		// Save and highlight.
		code, body = s.postJSON(t, anna, postTarget(p, "alt_text"), url.Values{"status": {"approved"}, "then": {"highlight"},
			fmt.Sprintf("alt-%d", p.Media[0].ID): {"Mayor cutting the ribbon"}})
		if code != 200 || body.Action != "highlight" {
			t.Fatalf("save and highlight: %d %+v", code, body)
		}
		if got, _ := s.st.PostByID(ctx, p.ID); !got.Highlighted || got.Media[0].AltText != "Mayor cutting the ribbon" {
			t.Errorf("after save and highlight: highlighted %v, alt %q", got.Highlighted, got.Media[0].AltText)
		}
	})
	t.Run("highlight without alt text when chosen", func(t *testing.T) {
		p := photoPost(t, s, "without", model.StatusApproved, "")
		if code, body := s.postJSON(t, anna, postTarget(p, "highlight"), url.Values{"without_alt": {"1"}}); code != 200 {
			t.Fatalf("highlight without alt text: %d %+v", code, body)
		}
	})
	t.Run("content warnings stay visible in the queue", func(t *testing.T) {
		res, err := s.st.SavePosts(ctx, "test", []model.Post{{Network: model.NetworkMastodon, URI: "https://example.social/cw",
			Author: model.Author{Handle: "anna@example.social"}, HTML: "<p>x</p>", ContentWarning: "flood photos"}}, "")
		if err != nil || len(res.New) != 1 {
			t.Fatal(err)
		}
		page := parse(t, s.do(t, request{method: "GET", target: "/moderate", cookie: anna}))
		if got := page.Find(fmt.Sprintf(`#post-%d [data-testid="post-cw"]`, res.New[0].ID)).Text(); !strings.Contains(got, "flood photos") {
			t.Errorf("content warning = %q", got)
		}
	})
}

// TestQueueEventsAnnounceNewPendingPosts reads the moderators' stream as a
// browser would: a collected post that stays pending arrives as a card,
// and never reaches the wall's notifier.
func TestQueueEventsAnnounceNewPendingPosts(t *testing.T) {
	s := newHandsServer(t)
	anna := s.login(t, "anna")
	srv := httptest.NewServer(s.mux)
	defer srv.Close()

	if resp, err := http.Get(srv.URL + "/moderate/events"); err != nil || resp.Request.URL.Path != "/login" {
		t.Fatalf("stream without a session: %v, ended at %v; want the login page", err, resp.Request.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/moderate/events", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: anna})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	next := func(event string) string {
		t.Helper()
		name := ""
		for lines.Scan() {
			l := lines.Text()
			if v, ok := strings.CutPrefix(l, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(l, "data: "); ok && name == event {
				return v
			}
		}
		t.Fatalf("stream ended before a %s event: %v", event, lines.Err())
		return ""
	}
	next("hello") // subscribed: what follows is live

	posts := s.savePosts(t, 2)
	s.h.PostsCollected(context.Background(), posts[:1])
	var d postEventData
	if err := json.Unmarshal([]byte(next("post")), &d); err != nil {
		t.Fatal(err)
	}
	if d.ID != posts[0].ID || d.Status != model.StatusPending || !strings.Contains(d.HTML, `data-testid="approve-button"`) ||
		d.Published != posts[0].PublishedAt.UnixMilli() {
		t.Errorf("event = %+v, want post %d pending with its card", d, posts[0].ID)
	}
	if n := len(s.notifier.got()); n != 0 {
		t.Errorf("the wall heard of %d pending posts, want none", n)
	}
	// A decision by another moderator reaches the stream too, as does a lease.
	bob := s.login(t, "bob")
	if code, _ := s.postJSON(t, bob, postTarget(posts[0], "lease"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	var le leaseEventData
	if err := json.Unmarshal([]byte(next("lease")), &le); err != nil || le.ID != posts[0].ID || le.By != "bob" {
		t.Errorf("lease event = %+v (%v)", le, err)
	}
	// bob moves on: the post he leaves shows again in the other queues.
	if code, _ := s.postJSON(t, bob, postTarget(posts[1], "lease"), url.Values{"release": {idString(posts[0].ID)}}); code != 200 {
		t.Fatal(code)
	}
	if err := json.Unmarshal([]byte(next("post")), &d); err != nil || d.ID != posts[0].ID || d.Status != model.StatusPending {
		t.Errorf("event after bob moved on = %+v (%v), want post %d pending again", d, err, posts[0].ID)
	}
	if err := json.Unmarshal([]byte(next("lease")), &le); err != nil || le.ID != posts[1].ID || le.By != "bob" {
		t.Errorf("lease event = %+v (%v), want bob's lease of %d", le, err, posts[1].ID)
	}
	if code, _ := s.postJSON(t, bob, postTarget(posts[0], "approve"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	if err := json.Unmarshal([]byte(next("post")), &d); err != nil || d.Status != model.StatusApproved || d.DecidedBy != "bob" ||
		!strings.HasPrefix(d.Message, "Approved by bob at") {
		t.Errorf("decision event = %+v (%v)", d, err)
	}
}

// TestHandsRoutesNeedSessionAndSameOrigin: the new routes are guarded like
// the decision buttons: a session, and no cross-origin posts.
func TestHandsRoutesNeedSessionAndSameOrigin(t *testing.T) {
	s := newHandsServer(t)
	anna := s.login(t, "anna")
	p := s.savePosts(t, 1)[0]
	for _, action := range []string{"undo", "lease", "release", "alt_text", "pin", "unpin"} {
		target := postTarget(p, action)
		t.Run(action, func(t *testing.T) {
			if rec := s.do(t, request{method: "POST", target: target, form: url.Values{}, headers: sameOrigin()}); rec.Code != http.StatusUnauthorized {
				t.Errorf("without a session: %d, want 401", rec.Code)
			}
			rec := s.do(t, request{method: "POST", target: target, form: url.Values{}, cookie: anna,
				headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Accept": "application/json"}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("cross-site: %d, want 403", rec.Code)
			}
		})
	}
	if log, _ := s.st.Decisions(context.Background(), store.DecisionFilter{PostID: p.ID}); len(log) != 0 {
		t.Errorf("refused requests wrote %d decisions", len(log))
	}
	if rec := s.do(t, request{method: "GET", target: "/static/moderation/queue.js"}); rec.Code != 200 ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") || !strings.Contains(rec.Body.String(), "EventSource") {
		t.Errorf("queue.js: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}
