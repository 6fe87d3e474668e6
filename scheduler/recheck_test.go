package scheduler

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/mastodon"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// mastodonTestdata holds the Mastodon API fixtures (see its README.md for
// the documentation pages they follow).
var mastodonTestdata = filepath.Join("..", "collectors", "mastodon", "testdata")

// fakeMastodon serves statuses_eupolis.json the way a Mastodon server does
// for GET /api/v1/timelines/tag/:hashtag (one page: fewer than the limit)
// and GET /api/v1/statuses/:id, where a deleted status answers 404 with the
// API's Error entity, and a broken one 500 with Rails' HTML page.
type fakeMastodon struct {
	*httptest.Server
	mu       sync.Mutex
	statuses map[string]json.RawMessage // by id, boosted statuses included
	deleted  map[string]bool
	broken   map[string]bool
	lookups  []string
}

func newFakeMastodon(t *testing.T) *fakeMastodon {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(mastodonTestdata, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	page := read("statuses_eupolis.json")
	notFound, serverError := read("error_404.json"), read("error_500.html")
	var list []json.RawMessage
	if err := json.Unmarshal(page, &list); err != nil {
		t.Fatal(err)
	}
	f := &fakeMastodon{statuses: map[string]json.RawMessage{}, deleted: map[string]bool{}, broken: map[string]bool{}}
	for _, raw := range list {
		var s struct {
			ID     string          `json:"id"`
			Reblog json.RawMessage `json:"reblog"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		f.statuses[s.ID] = raw
		if len(s.Reblog) > 0 && string(s.Reblog) != "null" {
			var inner struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(s.Reblog, &inner); err != nil {
				t.Fatal(err)
			}
			f.statuses[inner.ID] = s.Reblog
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /api/v1/statuses/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		f.mu.Lock()
		f.lookups = append(f.lookups, id)
		raw, ok := f.statuses[id]
		deleted, broken := f.deleted[id], f.broken[id]
		f.mu.Unlock()
		switch {
		case broken:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(serverError)
		case deleted || !ok:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			w.Write(notFound)
		default:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(raw)
		}
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeMastodon) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lookups)
}

// removals records what the re-check removed, deciding it in the store as
// moderation.Handler.RemoveUpstream does.
type removals struct {
	st  *store.Store
	ids []int64
}

func (r *removals) remove(ctx context.Context, id int64, reason string) (bool, error) {
	if _, err := r.st.Decide(ctx, model.Decision{PostID: id, Action: model.ActionRemove, Actor: "network", Reason: reason}); err != nil {
		return false, err
	}
	r.ids = append(r.ids, id)
	return true, nil
}

func TestRecheckRemovesPostsDeletedUpstream(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	srv := newFakeMastodon(t)
	src := model.Source{Name: "eupolis", Kind: "mastodon", URL: srv.URL, Hashtags: []string{"CohesionAlliance"}, AllowPrivateNetwork: true}
	col := mastodon.New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), mastodon.Options{})
	if sum := CollectSource(ctx, st, col, src, time.Minute, nil); sum.Err != nil || sum.New < 4 {
		t.Fatalf("collect: %+v, want at least 4 posts", sum)
	}
	posts, err := st.Posts(ctx, store.PostFilter{Source: src.Name})
	if err != nil {
		t.Fatal(err)
	}
	byRemote := map[string]model.Post{}
	for _, p := range posts {
		byRemote[p.RemoteID] = p
		if _, err := st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
			t.Fatal(err)
		}
	}
	const gone, flaky = "113145081234567009", "113145081234567006"
	if _, ok := byRemote[gone]; !ok {
		t.Fatalf("fixture post %s was not collected", gone)
	}
	srv.deleted[gone] = true
	srv.broken[flaky] = true

	clk := &testClock{now: t0}
	rm := &removals{st: st}
	r := &Recheck{Store: st, Sources: []CheckedSource{{Source: src, Checker: col}}, Remove: rm.remove,
		Batch: 100, Every: 30 * time.Minute, Now: clk.Now}
	removed, err := r.Run(ctx)
	if removed != 1 || !slices.Equal(rm.ids, []int64{byRemote[gone].ID}) {
		t.Errorf("removed %d posts %v, want only post %d (deleted upstream)", removed, rm.ids, byRemote[gone].ID)
	}
	if err == nil || !strings.Contains(err.Error(), "1 of ") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("err = %v, want the one post the server failed on reported", err)
	}
	if got := len(srv.calls()); got != len(posts) {
		t.Errorf("%d lookups, want one per approved post (%d)", got, len(posts))
	}
	ds, err := st.Decisions(ctx, store.DecisionFilter{PostID: byRemote[gone].ID})
	if err != nil || len(ds) == 0 || ds[0].Action != model.ActionRemove || ds[0].Actor != "network" || !strings.Contains(ds[0].Reason, "deleted upstream") {
		t.Errorf("audit log of the deleted post = %+v, %v; want a removal by network", ds, err)
	}
	if p, _ := st.PostByID(ctx, byRemote[flaky].ID); p.Status != model.StatusApproved {
		t.Errorf("post the server failed on is %s, want still approved (an outage removes nothing)", p.Status)
	}

	// Every post was checked just now: the next run within the interval asks nothing.
	clk.now = t0.Add(10 * time.Minute)
	before := len(srv.calls())
	if removed, err := r.Run(ctx); removed != 0 || err != nil || len(srv.calls()) != before {
		t.Errorf("second run: removed %d, err %v, %d new lookups; want nothing done", removed, err, len(srv.calls())-before)
	}

	// A source waiting for its rate limit is not asked either.
	clk.now = t0.Add(time.Hour)
	if err := st.RecordCollection(ctx, src.Name, model.SourceRun{At: clk.now, WaitUntil: clk.now.Add(time.Minute), WaitReason: model.WaitRateLimit}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx); err != nil || len(srv.calls()) != before {
		t.Errorf("run while rate limited: err %v, %d lookups; want none", err, len(srv.calls())-before)
	}
}

func TestRecheckBatchTakesTheLongestUncheckedFirst(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	srv := newFakeMastodon(t)
	src := model.Source{Name: "eupolis", Kind: "mastodon", URL: srv.URL, Hashtags: []string{"CohesionAlliance"}}
	col := mastodon.New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), mastodon.Options{})
	if sum := CollectSource(ctx, st, col, src, time.Minute, nil); sum.Err != nil {
		t.Fatal(sum.Err)
	}
	posts, _ := st.Posts(ctx, store.PostFilter{Source: src.Name})
	for _, p := range posts {
		if _, err := st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
			t.Fatal(err)
		}
	}
	clk := &testClock{now: t0}
	r := &Recheck{Store: st, Sources: []CheckedSource{{Source: src, Checker: col}}, Remove: (&removals{st: st}).remove, Batch: 2, Now: clk.Now}
	seen := map[string]int{}
	for i := range (len(posts) + 1) / 2 {
		clk.now = t0.Add(time.Duration(i) * time.Minute)
		if _, err := r.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range srv.calls() {
		seen[id]++
	}
	if len(seen) != len(posts) {
		t.Errorf("batches of 2 checked %d distinct posts in %d runs, want all %d once each: %v", len(seen), (len(posts)+1)/2, len(posts), seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("post %s checked %d times, want once before every other post had its turn", id, n)
		}
	}
}
