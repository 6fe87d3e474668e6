package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/collectors/mastodon"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/moderation"
	"github.com/cohesionalliance/campaignwall/scheduler"
	"github.com/cohesionalliance/campaignwall/store"
)

// recordingNotifier stands in for the wall's hub and hands every post it
// is told about to the test.
type recordingNotifier struct{ posts chan model.Post }

func (n *recordingNotifier) PostChanged(p model.Post) { n.posts <- p }

func (n *recordingNotifier) next(t *testing.T, what string) model.Post {
	t.Helper()
	select {
	case p := <-n.posts:
		return p
	case <-time.After(10 * time.Second): // a guard against hanging, not a synchronization
		t.Fatalf("timed out waiting for the wall to hear about %s", what)
		return model.Post{}
	}
}

// statusFixture returns one Status entity of a Mastodon fixture file, as one line.
func statusFixture(t *testing.T, file, id string, edit func(map[string]any)) string {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal(fixture(t, mastodonFixtures, file), &list); err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s["id"] == id {
			if edit != nil {
				edit(s)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("%s has no status %s", file, id)
	return ""
}

const (
	deletedID = "113145081234567009" // approved, then deleted by its author
	editedID  = "113145081234567006" // approved, then edited
	liveID    = "109876543210000020" // statuses_regions.json: only ever streamed
)

func TestStreamDeletesEditsAndNewPosts(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "wall.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	page := fixture(t, mastodonFixtures, "statuses_eupolis.json")
	live := statusFixture(t, "statuses_regions.json", liveID, nil)
	edited := statusFixture(t, "statuses_eupolis.json", editedID, func(s map[string]any) {
		s["content"] = `<p>Edited: the new tram line opened today <a href="https://eupolis.social/tags/CohesionAlliance" class="mention hashtag" rel="tag">#<span>CohesionAlliance</span></a></p>`
		s["edited_at"] = "2026-11-21T13:59:00.000Z"
	})
	var timelineCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", func(w http.ResponseWriter, r *http.Request) {
		timelineCalls.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(page)
	})
	// The hashtag stream as https://docs.joinmastodon.org/methods/streaming/
	// describes it: a greeting comment, then events whose data is a Status
	// (update, status.update) or a status ID (delete).
	mux.HandleFunc("GET /api/v1/streaming/hashtag", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("tag") != "cohesionalliance" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, l := range []string{":)", "",
			"event: update", "data: " + live, "",
			"event: delete", "data: " + deletedID, "",
			"event: delete", "data: 999999", "", // a status never collected
			"event: status.update", "data: " + edited, ""} {
			io.WriteString(w, l+"\n")
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	src := model.Source{Name: "eupolis", Kind: "mastodon", URL: srv.URL, Hashtags: []string{"CohesionAlliance"},
		Schedule: "@every 1h", AllowPrivateNetwork: true, Settings: map[string]string{"stream": "true"}}
	if err := st.SyncSources(ctx, []model.Source{src}); err != nil {
		t.Fatal(err)
	}
	notifier := &recordingNotifier{posts: make(chan model.Post, 10)}
	mod := moderation.NewHandler(st, auth.New(st, auth.Options{}), notifier, nil, moderation.Options{})
	col := mastodon.New(collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), mastodon.Options{})
	sched := scheduler.New(st, nil)
	defer sched.Stop(ctx)
	deps := collectorDeps{}
	if err := sched.Add(scheduler.CollectJobName(src.Name), src.Schedule, newCollection(st, col, src, deps, mod.PostsCollected).Job()); err != nil {
		t.Fatal(err)
	}

	// Polled earlier; two posts were approved since.
	if err := sched.RunSource(ctx, src.Name); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{deletedID, editedID} {
		p, err := st.PostByRemoteID(ctx, src.Name, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
			t.Fatal(err)
		}
	}

	streamCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var streamErr error
	wg.Go(func() {
		streamErr = col.Stream(streamCtx, src, streamHandlers(streamCtx, st, mod, sched, src, newLogger(io.Discard)))
	})

	removed := notifier.next(t, "the deletion")
	editedPost := notifier.next(t, "the edit")
	stop()
	wg.Wait()
	if streamErr != nil {
		t.Errorf("Stream = %v, want nil after its context ended", streamErr)
	}

	if removed.RemoteID != deletedID || removed.Status != model.StatusRemoved {
		t.Errorf("wall told about %s (%s), want %s removed", removed.RemoteID, removed.Status, deletedID)
	}
	ds, err := st.Decisions(ctx, store.DecisionFilter{PostID: removed.ID})
	if err != nil || len(ds) == 0 || ds[0].Action != model.ActionRemove || ds[0].Actor != "network" || ds[0].Reason != "deleted upstream" {
		t.Errorf("audit log of the deleted post = %+v, %v; want its removal by network, deleted upstream", ds, err)
	}
	// An approved post edited upstream leaves the screens and goes back to
	// the queue: its new text was never moderated.
	if editedPost.RemoteID != editedID || editedPost.Status != model.StatusPending || !strings.Contains(editedPost.Text, "Edited: the new tram line") {
		t.Errorf("wall told about %s (%s) %q, want edited %s back to pending", editedPost.RemoteID, editedPost.Status, editedPost.Text, editedID)
	}
	if stored, _ := st.PostByID(ctx, editedPost.ID); !strings.Contains(stored.HTML, "Edited: the new tram line") || stored.Status != model.StatusPending {
		t.Errorf("stored edit = %q (%s), want the new text, pending moderation", stored.HTML, stored.Status)
	}
	newPost, err := st.PostByRemoteID(ctx, src.Name, liveID)
	if err != nil || newPost.Status != model.StatusPending {
		t.Errorf("streamed post: %+v, %v; want it stored, pending moderation", newPost.Status, err)
	}
	if n := timelineCalls.Load(); n != 2 {
		t.Errorf("%d timeline requests, want 2: the earlier poll and the catch-up when the stream connected", n)
	}
	rs, _ := sched.SourceRuns(ctx, src.Name, 10)
	if len(rs) != 2 {
		t.Errorf("%d recorded runs, want 2 (the catch-up runs as the source's job)", len(rs))
	}
	select {
	case p := <-notifier.posts:
		t.Errorf("wall told about %s (%s) too: a deletion of a post never collected must change nothing", p.RemoteID, p.Status)
	default:
	}
	if s, _ := st.SourceStatus(ctx, src.Name); s.Cursor == "" {
		t.Error("no cursor after polling")
	}
}
