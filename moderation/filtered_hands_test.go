package moderation

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
)

// Where the queue's filters and bulk actions meet the keyboard's hands:
// leases, JSON answers, undo and the moderators' live stream.

// eventReader opens /moderate/events as a moderator and returns a function
// that reads up to the next event of a name and returns its data.
func eventReader(t *testing.T, s *handsServer, cookie string) func(event string) string {
	t.Helper()
	srv := httptest.NewServer(s.mux)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/moderate/events", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
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
	next("hello")
	return next
}

func TestFilteredQueueHidesLeasedPosts(t *testing.T) {
	s := newHandsServer(t)
	ids := s.summitPosts(t)
	anna, bob := s.login(t, "anna"), s.login(t, "bob")
	leased := model.Post{ID: ids["pt"][0]}
	if code, body := s.postJSON(t, bob, postTarget(leased, "lease"), url.Values{}); code != 200 {
		t.Fatalf("bob leases: %d %+v", code, body)
	}
	for _, target := range []string{"/moderate?language=pt", "/moderate?language=pt&q=regi%C3%A3o", "/moderate?photo=with"} {
		doc := parse(t, s.do(t, request{method: "GET", target: target, cookie: anna}))
		if got := cardIDs(doc); slices.Contains(got, idString(leased.ID)) {
			t.Errorf("%s: anna's page lists %v, want bob's leased post %d hidden", target, got, leased.ID)
		}
		if got := cardIDs(parse(t, s.do(t, request{method: "GET", target: target, cookie: bob}))); !slices.Contains(got, idString(leased.ID)) {
			t.Errorf("%s: bob's page lists %v, want his leased post %d", target, got, leased.ID)
		}
	}
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate?language=pt", cookie: anna}))
	if got := strings.Fields(doc.Find(`[data-testid="match-count"]`).Text()); len(got) == 0 || got[0] != "3" {
		t.Errorf("match count = %q, want 3: a leased post is still waiting", got)
	}
	// "Approve all matching" leaves bob's post to him, and says so.
	doc = parse(t, s.do(t, request{method: "GET", target: "/moderate/bulk?action=approve&language=pt", cookie: anna}))
	if got := doc.Find(`[data-testid="bulk-count-number"]`).Text(); got != "2" {
		t.Errorf("bulk count = %q, want 2", got)
	}
	if got := doc.Find(`[data-testid="bulk-leased"]`).Text(); got != "1 more is open in another moderator's queue and left to them." {
		t.Errorf("bulk leased = %q", got)
	}
	if got := doc.Find(`[data-testid="bulk-confirm-form"] input[name="ids"]`).AttrOr("value", ""); strings.Contains(","+got+",", ","+idString(leased.ID)+",") {
		t.Errorf("bulk IDs %q include bob's leased post %d", got, leased.ID)
	}
}

func TestDecisionsFromAFilteredPageKeepFilters(t *testing.T) {
	s := newHandsServer(t)
	ids := s.summitPosts(t)
	anna := s.login(t, "anna")
	const page = "/moderate?language=pt"
	p := model.Post{ID: ids["pt"][1]}
	card := func(html string) *goquery.Selection {
		t.Helper()
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
		if err != nil {
			t.Fatal(err)
		}
		return doc.Find(`[data-testid="queue-post"]`)
	}
	code, body := s.postJSON(t, anna, postTarget(p, "approve"), url.Values{"status": {"pending"}, "back": {page}})
	if code != 200 || body.Action != "approve" {
		t.Fatalf("approve: %d %+v", code, body)
	}
	c := card(body.HTML)
	if backs := c.Find(`input[name="back"]`); backs.Length() == 0 || backs.AttrOr("value", "") != page {
		t.Errorf("approved card's back fields = %d, %q; want %q", backs.Length(), backs.AttrOr("value", ""), page)
	}
	if c.Find(`[data-testid="select"]`).Length() != 0 {
		t.Error("approved card has a bulk checkbox")
	}
	// u after a single action: the post is pending again, its card has the
	// bulk form's checkbox and the filters.
	code, body = s.postJSON(t, anna, postTarget(p, "undo"), url.Values{"status": {"pending"}, "back": {page}})
	if code != 200 {
		t.Fatalf("undo: %d %+v", code, body)
	}
	c = card(body.HTML)
	if c.AttrOr("data-status", "") != "pending" || c.Find(`input[type="checkbox"][name="ids"][form="bulk"][data-testid="select"]`).Length() != 1 ||
		c.Find(`input[name="back"]`).AttrOr("value", "") != page {
		t.Errorf("undone card: status %q, %d checkboxes, back %q; want pending, 1, %q", c.AttrOr("data-status", ""),
			c.Find(`[data-testid="select"]`).Length(), c.Find(`input[name="back"]`).AttrOr("value", ""), page)
	}
	// Without JavaScript the forms land back on the filtered page, and an
	// address that is not a queue page is not followed.
	for _, tt := range []struct{ back, want string }{{page, page}, {"https://evil.example/moderate", "/moderate"}} {
		rec := s.do(t, request{method: "POST", target: postTarget(p, "reject"), cookie: anna, headers: sameOrigin(),
			form: url.Values{"status": {"pending"}, "back": {tt.back}}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.want {
			t.Errorf("back %q: %d to %q, want 303 to %q", tt.back, rec.Code, rec.Header().Get("Location"), tt.want)
		}
		rec = s.do(t, request{method: "POST", target: postTarget(p, "undo"), cookie: anna, headers: sameOrigin(),
			form: url.Values{"status": {"pending"}, "back": {tt.back}}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.want {
			t.Errorf("undo, back %q: %d to %q, want 303 to %q", tt.back, rec.Code, rec.Header().Get("Location"), tt.want)
		}
	}
}

func TestBulkReleasesLeasesAndTellsTheQueues(t *testing.T) {
	s := newHandsServer(t)
	ids := s.summitPosts(t)
	anna, bob := s.login(t, "anna"), s.login(t, "bob")
	next := eventReader(t, s, bob)
	ctx := context.Background()

	// The live card of a new post carries what a filtered queue tests.
	res, err := s.st.SavePosts(ctx, "mastodon-source", []model.Post{{Network: model.NetworkMastodon, URI: "https://example.org/late",
		Language: "pt", Category: "regions", Author: model.Author{Handle: "late"}, Text: "Chegou tarde",
		Media: []model.Media{{Kind: model.MediaImage, URL: "https://example.org/late.jpg"}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	s.h.PostsCollected(ctx, res.New)
	var d postEventData
	if err := json.Unmarshal([]byte(next("post")), &d); err != nil {
		t.Fatal(err)
	}
	if d.ID != res.New[0].ID || d.Network != "mastodon" || d.Source != "mastodon-source" || d.Category != "regions" || d.Language != "pt" || !d.Photo {
		t.Errorf("new post event = %+v, want its network, source, category, language and photo", d)
	}

	el := ids["el"]
	if code, _ := s.postJSON(t, bob, postTarget(model.Post{ID: el[0]}, "lease"), url.Values{}); code != 200 {
		t.Fatal(code)
	}
	next("lease")
	rec := s.do(t, request{method: "POST", target: "/moderate/bulk", cookie: anna, headers: sameOrigin(),
		form: url.Values{"action": {"approve"}, "ids": {idString(el[0]), idString(el[1])}}})
	if rec.Code != 200 {
		t.Fatalf("bulk approve: %d", rec.Code)
	}
	for _, id := range el {
		if err := json.Unmarshal([]byte(next("post")), &d); err != nil || d.ID != id || d.Status != model.StatusApproved || d.DecidedBy != "anna" {
			t.Errorf("event after the bulk approval = %+v (%v), want post %d approved by anna", d, err, id)
		}
	}
	bobM, err := s.st.ModeratorByName(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if released, err := s.st.ReleaseLease(ctx, el[0], bobM.ID); err != nil || released {
		t.Errorf("bob's lease after the bulk approval: still there %v (%v), want released by the decision", released, err)
	}
}
