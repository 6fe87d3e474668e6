package wall

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// loggedHub is one process's hub over a database file: tests start several
// in a row on the same file to play a server restart.
type loggedHub struct {
	hub *Hub
	srv *httptest.Server
}

func openLoggedHub(t *testing.T, st *store.Store, opts HubOptions) *loggedHub {
	t.Helper()
	if opts.HeartbeatEvery == 0 {
		opts.HeartbeatEvery = time.Hour
	}
	hub, err := OpenHub(context.Background(), st, discardLogger(), opts)
	if err != nil {
		t.Fatalf("OpenHub: %v", err)
	}
	srv := httptest.NewServer(hub)
	lh := &loggedHub{hub: hub, srv: srv}
	t.Cleanup(lh.stop)
	return lh
}

// stop is the shutdown of one process: streams end, the server goes.
func (lh *loggedHub) stop() {
	lh.hub.Close()
	lh.srv.Close()
}

func decideT(t *testing.T, st *store.Store, p model.Post, a model.Action) model.Post {
	t.Helper()
	p, err := st.Decide(context.Background(), model.Decision{PostID: p.ID, Action: a, Actor: "tester"})
	if err != nil {
		t.Fatalf("%s post %d: %v", a, p.ID, err)
	}
	return p
}

func frameSummary(t *testing.T, f sseFrame) string {
	t.Helper()
	switch f.Event {
	case "post":
		return fmt.Sprintf("%s post %d", f.ID, decode[postData](t, f).ID)
	case "remove":
		return fmt.Sprintf("%s remove %d", f.ID, decode[removeData](t, f).ID)
	}
	return fmt.Sprintf("%s %s %s", f.ID, f.Event, f.Data)
}

func TestLoggedHubIDsContinueAcrossRestarts(t *testing.T) {
	st := openStore(t)
	p := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)

	first := openLoggedHub(t, st, HubOptions{})
	if got := first.hub.LastEventID(); got != 0 {
		t.Fatalf("LastEventID of a new log = %d, want 0", got)
	}
	first.hub.PostChanged(p)
	first.hub.PostChanged(p)
	before := first.hub.LastEventID()
	if before != 2 {
		t.Fatalf("LastEventID after two events = %d, want 2", before)
	}
	first.stop()

	second := openLoggedHub(t, st, HubOptions{})
	if got := second.hub.LastEventID(); got != before {
		t.Fatalf("LastEventID after restart = %d, want %d", got, before)
	}
	s := connect(t, second.srv.URL, http.Header{"Last-Event-Id": {strconv.FormatUint(before, 10)}})
	second.hub.PostChanged(p)
	if got, want := frameSummary(t, s.nextEvent()), fmt.Sprintf("%d post %d", before+1, p.ID); got != want {
		t.Errorf("first event after restart = %q, want %q", got, want)
	}
}

// TestLoggedHubResumesAfterRestart is the screen's view of a restart: it
// missed events of the old process and of the time the server was down, and
// gets each of them once, showing the posts as they are now.
func TestLoggedHubResumesAfterRestart(t *testing.T) {
	st := openStore(t)
	kept := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusPending, false)
	flip := savePost(t, st, variant("plain_text_only", 2), model.StatusPending, false)
	late := savePost(t, st, variant("with_content_warning", 3), model.StatusPending, false)

	old := openLoggedHub(t, st, HubOptions{})
	screen := connect(t, old.srv.URL, nil)
	old.hub.PostChanged(decideT(t, st, kept, model.ActionApprove))
	seen := screen.nextEvent()
	if got, want := frameSummary(t, seen), fmt.Sprintf("1 post %d", kept.ID); got != want {
		t.Fatalf("live event = %q, want %q", got, want)
	}
	// The screen's network drops; the old process sends one more event,
	// then stops.
	screen.resp.Body.Close()
	old.hub.PostChanged(decideT(t, st, flip, model.ActionApprove))
	old.stop()

	// While the server is down, moderation goes on through the event path
	// (another process's hub on the same database): flip is retracted, late
	// approved.
	offline := openLoggedHub(t, st, HubOptions{})
	offline.hub.PostChanged(decideT(t, st, flip, model.ActionRetract))
	offline.hub.PostChanged(decideT(t, st, late, model.ActionApprove))
	offline.stop()

	restarted := openLoggedHub(t, st, HubOptions{})
	resumed := connect(t, restarted.srv.URL, http.Header{"Last-Event-Id": {seen.ID}})
	// Event 2 announced flip's approval, but flip is retracted now: the
	// replay shows it as it is, removed, both times.
	want := []string{
		fmt.Sprintf("2 remove %d", flip.ID),
		fmt.Sprintf("3 remove %d", flip.ID),
		fmt.Sprintf("4 post %d", late.ID),
	}
	for _, w := range want {
		if got := frameSummary(t, resumed.nextEvent()); got != w {
			t.Errorf("replayed %q, want %q", got, w)
		}
	}
	restarted.hub.PostChanged(kept)
	if got, w := frameSummary(t, resumed.nextEvent()), fmt.Sprintf("5 post %d", kept.ID); got != w {
		t.Errorf("after the replay got %q, want the new %q (nothing twice)", got, w)
	}
}

func TestLoggedHubReloadWhenResumeImpossible(t *testing.T) {
	post := fmt.Sprintf("post %d", fixtures["mastodon_with_photo"].ID)
	tests := []struct {
		name, lastID string
		want         []string
	}{
		{"saw everything", "5", nil},
		{"oldest kept event is replayed", "3", []string{"4 " + post, "5 " + post}},
		{"missed more than is kept", "2", []string{"5 reload {}"}},
		{"an ID from an in-memory hub (microseconds)", strconv.FormatInt(time.Now().UnixMicro(), 10), []string{"5 reload {}"}},
		{"an ID from a newer database", "6", []string{"5 reload {}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			p := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
			old := openLoggedHub(t, st, HubOptions{})
			for range 5 {
				old.hub.PostChanged(p)
			}
			old.stop()

			// The new process keeps the newest two logged events: 4 and 5.
			restarted := openLoggedHub(t, st, HubOptions{Replay: 2})
			s := connect(t, restarted.srv.URL, http.Header{"Last-Event-Id": {tt.lastID}})
			for _, w := range tt.want {
				if got := frameSummary(t, s.nextEvent()); got != w {
					t.Errorf("got %q, want %q", got, w)
				}
			}
			// Nothing else came before the marker.
			restarted.hub.publish("marker", []byte(`{}`))
			if got, want := frameSummary(t, s.nextEvent()), "6 marker {}"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestLoggedHubSendsThePostAsStoredNow(t *testing.T) {
	st := openStore(t)
	p := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	lh := openLoggedHub(t, st, HubOptions{})
	s := connect(t, lh.srv.URL, nil)

	retracted := decideT(t, st, p, model.ActionRetract)
	// Announcements crossed: the retraction's first, the approval's last.
	lh.hub.PostChanged(retracted)
	lh.hub.PostChanged(p)
	for i := range 2 {
		if got, want := frameSummary(t, s.nextEvent()), fmt.Sprintf("%d remove %d", i+1, p.ID); got != want {
			t.Errorf("event %d = %q, want %q", i+1, got, want)
		}
	}

	// A post the log names but the store no longer has is removed too.
	if _, err := st.AppendWallEvent(context.Background(), store.WallEvent{PostID: 999, Kind: "post"}); err != nil {
		t.Fatal(err)
	}
	lh.stop()
	again := openLoggedHub(t, st, HubOptions{})
	s = connect(t, again.srv.URL, http.Header{"Last-Event-Id": {"2"}})
	if got, want := frameSummary(t, s.nextEvent()), "3 remove 999"; got != want {
		t.Errorf("replay of a deleted post = %q, want %q", got, want)
	}
}

func TestLoggedHubLogsBeforeSending(t *testing.T) {
	st := openStore(t)
	p := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	lh := openLoggedHub(t, st, HubOptions{})
	s := connect(t, lh.srv.URL, nil)
	for i := range 3 {
		lh.hub.PostChanged(p)
		f := s.nextEvent()
		evs, err := st.WallEvents(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || strconv.FormatInt(evs[0].ID, 10) != f.ID || evs[0].PostID != p.ID || evs[0].Kind != "post" {
			t.Errorf("event %d: screen got id %s, newest logged event is %+v; want it logged first", i, f.ID, evs)
		}
	}
}

func TestLoggedHubReplaysWallEventsAsSent(t *testing.T) {
	st := openStore(t)
	old := openLoggedHub(t, st, HubOptions{})
	old.hub.publish("counter", []byte(`{"signatures":1204}`))
	old.stop()
	restarted := openLoggedHub(t, st, HubOptions{})
	s := connect(t, restarted.srv.URL, http.Header{"Last-Event-Id": {"0"}})
	if got, want := frameSummary(t, s.nextEvent()), `1 counter {"signatures":1204}`; got != want {
		t.Errorf("replayed %q, want %q", got, want)
	}
}

// TestLoggedHubStoreFailureStillReachesScreens: a retraction that cannot be
// logged still goes to the screens connected now, without an ID (so no
// screen records a position the log does not have).
func TestLoggedHubStoreFailureStillReachesScreens(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wall.db"))
	if err != nil {
		t.Fatal(err)
	}
	p := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	lh := openLoggedHub(t, st, HubOptions{})
	s := connect(t, lh.srv.URL, nil)
	st.Close() // every read and write fails from here

	lh.hub.PostChanged(withStatus(p, model.StatusRejected))
	f := s.nextEvent()
	if f.Event != "remove" || f.ID != "" || decode[removeData](t, f).ID != p.ID {
		t.Errorf("got %+v, want remove %d without an id", f, p.ID)
	}
	if got := lh.hub.LastEventID(); got != 0 {
		t.Errorf("LastEventID = %d, want 0 (nothing logged)", got)
	}
}

func TestOpenHubFailsOnBrokenStore(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wall.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if hub, err := OpenHub(context.Background(), st, discardLogger(), HubOptions{}); err == nil {
		hub.Close()
		t.Fatal("OpenHub on a closed store succeeded, want an error")
	}
}

// TestLoggedHubKeepsWallsApartAcrossRestarts: after a restart, a screen of
// wall b replaying the log gets wall a's post as a removal and not wall a's
// reload.
func TestLoggedHubKeepsWallsApartAcrossRestarts(t *testing.T) {
	st := openStore(t)
	old := openLoggedHub(t, st, HubOptions{})
	polish := savePost(t, st, variant("mastodon_with_photo", 1), model.StatusApproved, false)
	old.hub.PostChanged(polish)
	old.hub.ReloadWall("a")
	old.hub.publish("counter", []byte(`{"signatures":1204}`))
	old.stop()

	restarted := openLoggedHub(t, st, HubOptions{})
	onlyFrench := &model.WallFilter{Languages: []string{"fr"}}
	srv := httptest.NewServer(restarted.hub.Stream("b", onlyFrench))
	t.Cleanup(srv.Close)
	t.Cleanup(restarted.hub.Close)
	s := connect(t, srv.URL, http.Header{"Last-Event-Id": {"0"}})
	if got, want := frameSummary(t, s.nextEvent()), fmt.Sprintf("1 remove %d", polish.ID); got != want {
		t.Errorf("first replayed %q, want %q", got, want)
	}
	if got, want := frameSummary(t, s.nextEvent()), `3 counter {"signatures":1204}`; got != want {
		t.Errorf("then %q, want %q (not wall a's reload)", got, want)
	}
}
