package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// summitPosts are pending posts in several languages and networks:
// "pt" 3 on mastodon (one with a photo), "el" 2 on bluesky, "en" 1 on x.
func (s *server) summitPosts(t *testing.T) map[string][]int64 {
	t.Helper()
	type spec struct {
		lang    string
		network model.Network
		text    string
		photo   bool
	}
	specs := []spec{
		{"pt", model.NetworkMastodon, "A coesão chega à região Norte", true},
		{"pt", model.NetworkMastodon, "Nova escola em Braga, região do Minho", false},
		{"pt", model.NetworkMastodon, "Ponte nova no Porto", false},
		{"el", model.NetworkBluesky, "Η πολιτική συνοχής στην Κρήτη", false},
		{"el", model.NetworkBluesky, "Νέο σχολείο στη Θεσσαλονίκη", false},
		{"en", model.NetworkX, "A new tram line in Lyon", false},
	}
	ids := map[string][]int64{}
	for i, sp := range specs {
		p := model.Post{
			Network: sp.network, URI: fmt.Sprintf("https://example.org/%s/%d", sp.lang, i), Language: sp.lang,
			Author: model.Author{Handle: "region" + sp.lang, DisplayName: "Region " + sp.lang},
			Text:   sp.text, HTML: "<p>" + sp.text + "</p>", Category: "regions",
			PublishedAt: time.Date(2026, 10, 10+i, 12, 0, 0, 0, time.UTC),
		}
		if sp.photo {
			p.Media = []model.Media{{Kind: model.MediaImage, URL: "https://example.org/photo.jpg"}}
		}
		res, err := s.st.SavePosts(context.Background(), string(sp.network)+"-source", []model.Post{p}, "")
		if err != nil || len(res.New) != 1 {
			t.Fatalf("SavePosts: %v", err)
		}
		ids[sp.lang] = append(ids[sp.lang], res.New[0].ID)
	}
	return ids
}

func cardIDs(doc *goquery.Document) []string {
	ids := doc.Find(`[data-testid="queue-post"]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-post-id", "") })
	slices.Sort(ids)
	return ids
}

func idStrings(ids []int64) []string {
	var out []string
	for _, id := range ids {
		out = append(out, idString(id))
	}
	slices.Sort(out)
	return out
}

func TestQueueFilterPage(t *testing.T) {
	s := newServer(t)
	ids := s.summitPosts(t)
	anna := s.login(t, "anna")
	tests := []struct {
		name, query string
		want        []int64
	}{
		{"language", "language=pt", ids["pt"]},
		{"network", "network=bluesky", ids["el"]},
		{"source", "source=x-source", ids["en"]},
		{"category", "category=regions&language=en", ids["en"]},
		{"with photo", "photo=with", ids["pt"][:1]},
		{"without photo", "photo=without&language=pt", ids["pt"][1:]},
		{"search folds diacritics", "q=regiao", ids["pt"][:2]},
		{"search in Greek without accents", "q=συνοχης", ids["el"][:1]},
		{"search and language", "q=nova&language=pt", ids["pt"][1:3]},
		{"from and to are whole days", "from=2026-10-11&to=2026-10-12", ids["pt"][1:3]},
		{"nothing", "language=pt&network=x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: "/moderate?" + tt.query, cookie: anna})
			if rec.Code != 200 {
				t.Fatalf("status %d, want 200 (body %q)", rec.Code, rec.Body)
			}
			doc := parse(t, rec)
			if got, want := cardIDs(doc), idStrings(tt.want); !slices.Equal(got, want) {
				t.Errorf("GET /moderate?%s shows %v, want %v", tt.query, got, want)
			}
			// The form shows what is filtered.
			q, _ := url.ParseQuery(tt.query)
			for k := range q {
				name := k
				if k == "q" {
					name = "search"
				}
				el := doc.Find(`[data-testid="filter-` + name + `"]`)
				got := el.AttrOr("value", "")
				if goquery.NodeName(el) == "select" {
					got = el.Find("option[selected]").AttrOr("value", "")
				}
				if got != q.Get(k) {
					t.Errorf("filter %s shows %q, want %q", k, got, q.Get(k))
				}
			}
		})
	}
}

// TestQueueFilterCounts: each option carries the number of posts it would
// show under the other filters; tabs count under the filters too.
func TestQueueFilterCounts(t *testing.T) {
	s := newServer(t)
	ids := s.summitPosts(t)
	if _, err := s.st.Decide(context.Background(), model.Decision{PostID: ids["pt"][2], Action: model.ActionApprove, Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	anna := s.login(t, "anna")
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate?network=mastodon", cookie: anna}))
	options := func(menu string) map[string]string {
		out := map[string]string{}
		doc.Find(`[data-testid="filter-` + menu + `"] option`).Each(func(_ int, o *goquery.Selection) {
			if v := o.AttrOr("value", ""); v != "" {
				out[v] = o.AttrOr("data-count", "")
			}
		})
		return out
	}
	tests := []struct {
		menu string
		want map[string]string
	}{
		// The network menu counts under the other filters only: every network stays on offer.
		{"network", map[string]string{"mastodon": "2", "bluesky": "2", "x": "1"}},
		{"language", map[string]string{"pt": "2"}},
		{"photo", map[string]string{"with": "1", "without": "1"}},
		{"source", map[string]string{"mastodon-source": "2"}},
	}
	for _, tt := range tests {
		if got := options(tt.menu); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s options = %v, want %v", tt.menu, got, tt.want)
		}
	}
	if got := doc.Find(`[data-testid="filter-network"] option[value="bluesky"]`).Text(); got != "bluesky (2)" {
		t.Errorf("option text = %q, want %q", got, "bluesky (2)")
	}
	tabs := map[string]string{}
	doc.Find(`[data-testid="status-tab"]`).Each(func(_ int, s *goquery.Selection) {
		tabs[s.AttrOr("data-status", "")] = s.Find(`[data-testid="status-count"]`).Text()
		if href := s.AttrOr("href", ""); !strings.Contains(href, "network=mastodon") {
			t.Errorf("tab %s link %q drops the filter", s.AttrOr("data-status", ""), href)
		}
	})
	if tabs["pending"] != "2" || tabs["approved"] != "1" {
		t.Errorf("tab counts = %v, want pending 2 and approved 1 (mastodon only)", tabs)
	}
}

func TestQueueFilterPagingAndDecisionsKeepFilters(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	var in []model.Post
	for i := range pageSize + 3 {
		lang := "de"
		if i%2 == 0 {
			lang = "fr"
		}
		in = append(in, model.Post{Network: model.NetworkMastodon, URI: fmt.Sprintf("https://example.org/%d", i), Language: lang,
			Author: model.Author{Handle: "a"}, Text: "Kohäsion cohésion", PublishedAt: time.Date(2026, 10, 1, 0, i, 0, 0, time.UTC)})
	}
	if _, err := s.st.SavePosts(ctx, "src", in, ""); err != nil {
		t.Fatal(err)
	}
	anna := s.login(t, "anna")
	for _, query := range []string{"language=fr&q=cohesion", "language=fr"} {
		t.Run(query, func(t *testing.T) {
			seen := map[string]bool{}
			target := "/moderate?" + query
			for range 5 {
				doc := parse(t, s.do(t, request{method: "GET", target: target, cookie: anna}))
				for _, id := range cardIDs(doc) {
					if seen[id] {
						t.Errorf("post %s on two pages", id)
					}
					seen[id] = true
				}
				back := doc.Find(`[data-testid="approve-button"]`).First().Closest("form").Find(`input[name="back"]`).AttrOr("value", "")
				if !strings.Contains(back, "language=fr") {
					t.Errorf("decision form's back = %q, want the filters kept", back)
				}
				older, ok := doc.Find(`[data-testid="older-link"]`).Attr("href")
				if !ok {
					break
				}
				if !strings.Contains(older, "language=fr") {
					t.Errorf("older link %q drops the filter", older)
				}
				target = older
			}
			if want := (pageSize + 4) / 2; len(seen) != want {
				t.Errorf("pages showed %d posts, want %d (the French ones)", len(seen), want)
			}
		})
	}
	// A decision goes back to the filtered page; a "back" elsewhere is ignored.
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate?language=fr", cookie: anna}))
	id := cardIDs(doc)[0]
	for back, want := range map[string]string{"/moderate?language=fr": "/moderate?language=fr", "https://evil.example/": "/moderate", "/admin/rules": "/moderate"} {
		rec := s.do(t, request{method: "POST", target: "/moderate/posts/" + id + "/reject", cookie: anna, headers: sameOrigin(),
			form: url.Values{"status": {"pending"}, "back": {back}}})
		if got := rec.Header().Get("Location"); !strings.HasPrefix(got, want) {
			t.Errorf("back %q: redirect to %q, want %q", back, got, want)
		}
	}
}

// TestQueueHostileSearch: whatever is typed in the search box, the page
// answers, never with a 500.
func TestQueueHostileSearch(t *testing.T) {
	s := newServer(t)
	s.summitPosts(t)
	anna := s.login(t, "anna")
	for _, q := range []string{`"`, `*`, `NEAR(`, `NEAR(a b, 1)`, `"unbalanced`, `a OR`, `{text}: x`, `^`, `-`, `'--`, strings.Repeat("é", 500), "\x00"} {
		t.Run(q, func(t *testing.T) {
			rec := s.do(t, request{method: "GET", target: "/moderate?q=" + url.QueryEscape(q), cookie: anna})
			if rec.Code != 200 {
				t.Fatalf("search %q: status %d, want 200 (body %q)", q, rec.Code, rec.Body)
			}
		})
	}
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate?q=%22*", cookie: anna}))
	if got := doc.Find(`[data-testid="filter-problem"]`).Text(); !strings.Contains(got, "letter or digit") {
		t.Errorf("problem = %q, want it to say a search needs a letter or digit", got)
	}
	if n := doc.Find(`[data-testid="queue-post"]`).Length(); n != 6 {
		t.Errorf("page with an empty search shows %d posts, want all 6", n)
	}
}

func TestBulkApproveFilterWithConflict(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	ids := s.summitPosts(t)
	anna := s.login(t, "anna")

	// Ask: "approve all pending Portuguese posts".
	rec := s.do(t, request{method: "GET", target: "/moderate/bulk?language=pt&action=approve", cookie: anna})
	if rec.Code != 200 {
		t.Fatalf("confirmation: status %d, want 200", rec.Code)
	}
	doc := parse(t, rec)
	if got := doc.Find(`[data-testid="bulk-count-number"]`).Text(); got != "3" {
		t.Errorf("confirmation count = %q, want 3", got)
	}
	form := doc.Find(`[data-testid="bulk-confirm-form"]`)
	fields := url.Values{}
	form.Find("input").Each(func(_ int, in *goquery.Selection) {
		fields.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/moderate/bulk" {
		t.Fatalf("confirm form method %q action %q, want post /moderate/bulk", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}

	// Meanwhile bob rejects one of them, and a new Portuguese post arrives.
	if _, err := s.st.Decide(ctx, model.Decision{PostID: ids["pt"][1], Action: model.ActionReject, Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	late, err := s.st.SavePosts(ctx, "mastodon-source", []model.Post{{Network: model.NetworkMastodon, URI: "https://example.org/late", Language: "pt",
		Author: model.Author{Handle: "late"}, Text: "Chegou tarde", PublishedAt: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)}}, "")
	if err != nil {
		t.Fatal(err)
	}

	fields.Set("reason", "partner accounts")
	rec = s.do(t, request{method: "POST", target: "/moderate/bulk", cookie: anna, headers: sameOrigin(), form: fields})
	if rec.Code != 200 {
		t.Fatalf("bulk approve: status %d, want 200 (body %q)", rec.Code, rec.Body)
	}
	doc = parse(t, rec)
	if got := strings.Join(strings.Fields(doc.Find(`[data-testid="bulk-decided"]`).Text()), " "); got != "Approved 2 posts." {
		t.Errorf("result = %q, want %q", got, "Approved 2 posts.")
	}
	conflicts := doc.Find(`[data-testid="bulk-conflict"]`)
	if conflicts.Length() != 1 || conflicts.AttrOr("data-post-id", "") != idString(ids["pt"][1]) || !strings.Contains(conflicts.Text(), "— Already rejected by bob at ") {
		t.Errorf("conflicts = %d %q, want post %d \"Already rejected by bob at …\", as a refused single decision says", conflicts.Length(), conflicts.Text(), ids["pt"][1])
	}
	if got := doc.Find(`[data-testid="bulk-back"]`).AttrOr("href", ""); got != "/moderate?language=pt" {
		t.Errorf("back link = %q, want /moderate?language=pt", got)
	}

	want := map[int64]struct {
		status    model.Status
		decisions []string
	}{
		ids["pt"][0]:   {model.StatusApproved, []string{"approve anna partner accounts"}},
		ids["pt"][1]:   {model.StatusRejected, []string{"reject bob "}}, // bob's decision stands, alone
		ids["pt"][2]:   {model.StatusApproved, []string{"approve anna partner accounts"}},
		late.New[0].ID: {model.StatusPending, nil}, // arrived after the count: not touched
		ids["el"][0]:   {model.StatusPending, nil},
	}
	for id, w := range want {
		p, err := s.st.PostByID(ctx, id)
		if err != nil || p.Status != w.status {
			t.Errorf("post %d: status %q (%v), want %q", id, p.Status, err, w.status)
		}
		ds, err := s.st.Decisions(ctx, store.DecisionFilter{PostID: id})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, fmt.Sprintf("%s %s %s", d.Action, d.Actor, d.Reason))
		}
		if !slices.Equal(got, w.decisions) {
			t.Errorf("post %d decisions = %q, want %q", id, got, w.decisions)
		}
	}
	var notified []int64
	for _, p := range s.notifier.got() {
		notified = append(notified, p.ID)
	}
	slices.Sort(notified)
	if wantN := []int64{ids["pt"][0], ids["pt"][2]}; !slices.Equal(notified, wantN) {
		t.Errorf("wall told about %v, want %v", notified, wantN)
	}
}

func TestBulkSelected(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	ids := s.summitPosts(t)
	anna := s.login(t, "anna")
	doc := parse(t, s.do(t, request{method: "GET", target: "/moderate?language=el", cookie: anna}))
	boxes := doc.Find(`[data-testid="select"]`)
	if boxes.Length() != 2 {
		t.Fatalf("%d select checkboxes, want 2", boxes.Length())
	}
	boxes.Each(func(_ int, b *goquery.Selection) {
		if b.AttrOr("name", "") != "ids" || b.AttrOr("form", "") != "bulk" || b.AttrOr("type", "") != "checkbox" {
			t.Errorf("checkbox name=%q form=%q type=%q, want ids, bulk, checkbox", b.AttrOr("name", ""), b.AttrOr("form", ""), b.AttrOr("type", ""))
		}
	})
	if doc.Find(`form#bulk[method="post"][action="/moderate/bulk"]`).Length() != 1 {
		t.Error("no bulk form posting to /moderate/bulk")
	}

	form := url.Values{"action": {"reject"}, "ids": {idString(ids["el"][0]), idString(ids["el"][1])}, "back": {"/moderate?language=el"}}
	rec := s.do(t, request{method: "POST", target: "/moderate/bulk", cookie: anna, headers: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}, form: form})
	if rec.Code != 200 {
		t.Fatalf("status %d, want 200 (%s)", rec.Code, rec.Body)
	}
	var got bulkJSON
	if err := json.NewDecoder(rec.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Decided) != 2 || len(got.Conflicts) != 0 {
		t.Errorf("JSON = %+v, want 2 decided, no conflicts", got)
	}
	for _, id := range ids["el"] {
		if p, _ := s.st.PostByID(ctx, id); p.Status != model.StatusRejected || p.DecidedBy != "anna" {
			t.Errorf("post %d: %s by %q, want rejected by anna", id, p.Status, p.DecidedBy)
		}
	}

	bad := []struct {
		name string
		form url.Values
	}{
		{"no posts", url.Values{"action": {"approve"}}},
		{"unknown action", url.Values{"action": {"retract"}, "ids": {idString(ids["en"][0])}}},
		{"not an ID", url.Values{"action": {"approve"}, "ids": {"1; DROP"}}},
		{"too many", url.Values{"action": {"approve"}, "ids": {idList(manyIDs(maxBulk + 1))}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "POST", target: "/moderate/bulk", cookie: anna, headers: sameOrigin(), form: tt.form})
			if rec.Code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", rec.Code)
			}
		})
	}
	if p, _ := s.st.PostByID(ctx, ids["en"][0]); p.Status != model.StatusPending {
		t.Errorf("post after refused bulk requests: %s, want pending", p.Status)
	}
}

// TestTwoBulkApprovalsAtOnce: two moderators confirming the same filter at
// the same moment decide each post once; the other is told who did.
func TestTwoBulkApprovalsAtOnce(t *testing.T) {
	s := newServer(t)
	ids := s.summitPosts(t)
	anna, bob := s.login(t, "anna"), s.login(t, "bob")
	form := url.Values{"action": {"approve"}, "ids": {idList(ids["pt"])}}
	results := make(chan bulkJSON, 2)
	for _, cookie := range []string{anna, bob} {
		go func() {
			rec := s.do(t, request{method: "POST", target: "/moderate/bulk", cookie: cookie, form: form,
				headers: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}})
			var got bulkJSON
			_ = json.NewDecoder(rec.Body).Decode(&got)
			results <- got
		}()
	}
	a, b := <-results, <-results
	if n := len(a.Decided) + len(b.Decided); n != 3 {
		t.Errorf("decided %d + %d posts, want 3 in all", len(a.Decided), len(b.Decided))
	}
	if n := len(a.Conflicts) + len(b.Conflicts); n != 3 {
		t.Errorf("%d + %d conflicts, want 3 in all", len(a.Conflicts), len(b.Conflicts))
	}
	for _, id := range ids["pt"] {
		ds, _ := s.st.Decisions(context.Background(), store.DecisionFilter{PostID: id})
		if len(ds) != 1 {
			t.Errorf("post %d has %d decisions, want 1", id, len(ds))
		}
	}
}

func manyIDs(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}
