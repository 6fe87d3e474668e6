package moderation

import (
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/model"
)

// auditFixture decides the summit posts: anna approves two Portuguese
// posts, bob rejects a Greek one with a reason that is a formula, a rule
// rejects the English one, and the network removes an approved post.
func auditFixture(t *testing.T, s *server) map[string][]int64 {
	t.Helper()
	ids := s.summitPosts(t)
	at := func(day, h int) time.Time { return time.Date(2026, 10, day, h, 0, 0, 0, time.UTC) }
	for _, d := range []model.Decision{
		{PostID: ids["pt"][0], Action: model.ActionApprove, Actor: "anna", At: at(14, 9)},
		{PostID: ids["pt"][1], Action: model.ActionApprove, Actor: "anna", At: at(14, 10)},
		{PostID: ids["el"][0], Action: model.ActionReject, Actor: "bob", Reason: `=HYPERLINK("https://evil.example","click")`, At: at(15, 9)},
		{PostID: ids["en"][0], Action: model.ActionReject, Actor: "rule:blocklist", Reason: "blocked word, \"quoted\"\nsecond line", At: at(15, 10)},
		{PostID: ids["pt"][1], Action: model.ActionRemove, Actor: "network", At: at(16, 9)},
	} {
		if _, err := s.st.Decide(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func auditRows(doc *goquery.Document) []string {
	return doc.Find(`[data-testid="audit-entry"]`).Map(func(_ int, s *goquery.Selection) string {
		return s.AttrOr("data-action", "") + " " + s.AttrOr("data-actor", "")
	})
}

func TestAuditPageFilters(t *testing.T) {
	s := newServer(t)
	ids := auditFixture(t, s)
	anna := s.login(t, "anna")
	tests := []struct {
		name, query string
		want        []string
	}{
		{"all, newest first", "", []string{"remove network", "reject rule:blocklist", "reject bob", "approve anna", "approve anna"}},
		{"action", "action=reject", []string{"reject rule:blocklist", "reject bob"}},
		{"actor", "actor=anna", []string{"approve anna", "approve anna"}},
		{"rule", "actor=rule:blocklist", []string{"reject rule:blocklist"}},
		{"post", "post=" + idString(ids["pt"][1]), []string{"remove network", "approve anna"}},
		{"day range", "from=2026-10-15&to=2026-10-15", []string{"reject rule:blocklist", "reject bob"}},
		{"combined", "action=approve&from=2026-10-14&to=2026-10-14&actor=anna", []string{"approve anna", "approve anna"}},
		{"nothing", "actor=nobody", nil},
		{"bad values are left out", "post=abc&action=bogus&from=yesterday", []string{"remove network", "reject rule:blocklist", "reject bob", "approve anna", "approve anna"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: "/admin/audit?" + tt.query, cookie: anna})
			if rec.Code != 200 {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			doc := parse(t, rec)
			if got := auditRows(doc); !slices.Equal(got, tt.want) {
				t.Errorf("GET /admin/audit?%s = %q, want %q", tt.query, got, tt.want)
			}
			if got, want := doc.Find(`[data-testid="audit-csv"]`).AttrOr("href", ""), "/admin/audit.csv"; !strings.HasPrefix(got, want) {
				t.Errorf("CSV link = %q, want it under %s", got, want)
			}
		})
	}
	doc := parse(t, s.do(t, request{method: "GET", target: "/admin/audit?actor=bob", cookie: anna}))
	row := doc.Find(`[data-testid="audit-entry"]`)
	if got := row.Find(`[data-testid="audit-post-link"]`).AttrOr("href", ""); got != "/admin/audit?post="+idString(ids["el"][0]) {
		t.Errorf("post link = %q, want the post's history", got)
	}
	if got := row.Find(`[data-testid="audit-post-text"]`).Text(); got != "Η πολιτική συνοχής στην Κρήτη" {
		t.Errorf("post text = %q", got)
	}
	if got := row.Find(`[data-testid="audit-reason"]`).Text(); got != `=HYPERLINK("https://evil.example","click")` {
		t.Errorf("reason = %q, want it shown as text", got)
	}
}

func TestAuditPaging(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	ps := s.savePosts(t, auditPageSize+5)
	for _, p := range ps {
		if _, err := s.st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
			t.Fatal(err)
		}
	}
	anna := s.login(t, "anna")
	doc := parse(t, s.do(t, request{method: "GET", target: "/admin/audit?actor=anna", cookie: anna}))
	if n := doc.Find(`[data-testid="audit-entry"]`).Length(); n != auditPageSize {
		t.Errorf("first page has %d rows, want %d", n, auditPageSize)
	}
	older := doc.Find(`[data-testid="audit-older"]`).AttrOr("href", "")
	if !strings.Contains(older, "actor=anna") || !strings.Contains(older, "before=") {
		t.Fatalf("older link = %q, want the filter and a cursor", older)
	}
	doc = parse(t, s.do(t, request{method: "GET", target: older, cookie: anna}))
	if n := doc.Find(`[data-testid="audit-entry"]`).Length(); n != 5 {
		t.Errorf("second page has %d rows, want 5", n)
	}
}

func TestAuditCSV(t *testing.T) {
	s := newServer(t)
	ids := auditFixture(t, s)
	anna := s.login(t, "anna")
	rec := s.do(t, request{method: "GET", target: "/admin/audit.csv?action=reject", cookie: anna})
	if rec.Code != 200 {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("Content-Disposition = %q, want an attachment", cd)
	}
	records, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatalf("the export is not valid CSV: %v", err)
	}
	want := [][]string{
		{"decision_id", "at_utc", "actor", "action", "post_id", "post_url", "post_text", "reason"},
		{"", "2026-10-15T10:00:00Z", "rule:blocklist", "reject", idString(ids["en"][0]), "", "A new tram line in Lyon", "blocked word, \"quoted\"\nsecond line"},
		{"", "2026-10-15T09:00:00Z", "bob", "reject", idString(ids["el"][0]), "", "Η πολιτική συνοχής στην Κρήτη", `'=HYPERLINK("https://evil.example","click")`},
	}
	if len(records) != len(want) {
		t.Fatalf("%d records, want %d: %q", len(records), len(want), records)
	}
	for i := range want {
		records[i][0] = want[i][0] // decision IDs are the store's
		if !slices.Equal(records[i], want[i]) {
			t.Errorf("record %d\n got %q\nwant %q", i, records[i], want[i])
		}
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+33 1 23", "'+33 1 23"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
		{"", ""},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := csvCell(tt.in); got != tt.want {
			t.Errorf("csvCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
