package moderation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
	"github.com/cohesionalliance/campaignwall/store/storetest"
	"github.com/cohesionalliance/campaignwall/wall"
)

// The queue's benchmarks run against the million-post database the store's
// benchmarks use (storetest.CachedDB): about 633,000 pending posts.
const (
	benchPosts    = 1_000_000
	benchApproved = 50_000
)

// benchCopy is one copy of the cached database per test binary (two
// gigabytes: copied once, removed by TestMain).
var benchCopy struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCopy.dir != "" {
		os.RemoveAll(benchCopy.dir)
	}
	os.Exit(code)
}

// benchServer is the moderation pages over the big database, with the
// wall's real hub (logging each event to the store) as the Notifier, and a
// logged-in moderator's cookie.
type benchServer struct {
	st     *store.Store
	mux    *http.ServeMux
	cookie string
}

func openBenchServer(b *testing.B) benchServer {
	b.Helper()
	ctx := context.Background()
	benchCopy.once.Do(func() {
		benchCopy.dir, benchCopy.err = os.MkdirTemp("", "campaignwall-moderation-bench")
		if benchCopy.err != nil {
			return
		}
		cached, err := storetest.CachedDB(ctx, benchCopy.dir, benchPosts, benchApproved, os.Stderr)
		if err != nil {
			benchCopy.err = err
			return
		}
		benchCopy.path = filepath.Join(benchCopy.dir, "queue.db")
		if benchCopy.err = storetest.CopyFile(cached, benchCopy.path); benchCopy.err != nil {
			return
		}
		st, err := store.Open(ctx, benchCopy.path)
		if err != nil {
			benchCopy.err = err
			return
		}
		defer st.Close()
		hash, err := auth.HashPassword(password)
		if err == nil {
			_, err = st.CreateModerator(ctx, model.Moderator{Name: "anna", PasswordHash: hash})
		}
		benchCopy.err = err
	})
	if benchCopy.err != nil {
		b.Fatal(benchCopy.err)
	}
	st, err := store.Open(ctx, benchCopy.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	hub, err := wall.OpenHub(ctx, st, nil, wall.HubOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(hub.Close)
	a := auth.New(st, auth.Options{})
	token, _, err := a.Login(ctx, "192.0.2.1", "anna", password)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	NewHandler(st, a, hub, nil, Options{}).Routes(mux)
	return benchServer{st: st, mux: mux, cookie: token}
}

func (s benchServer) serve(b *testing.B, method, target string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: s.cookie})
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return rec
}

// BenchmarkQueuePage is the queue page as the server answers it: session
// check, counts per filter value, one page of 50 posts, render.
func BenchmarkQueuePage(b *testing.B) {
	s := openBenchServer(b)
	pages := []struct{ name, query string }{
		{"pending", ""},
		{"page 100", ""}, // filled in below: 100 pages deep
		{"language", "language=pt"},
		{"network+source+category+photo", "network=bluesky&source=bluesky-2&category=cities&photo=without"},
		{"network+category+language", "network=x&category=partners&language=el"},
		{"no match", "network=x&source=mastodon-1"},
		{"day", "from=2026-07-01&to=2026-07-01"},
		{"month+language", "from=2026-04-01&to=2026-04-30&language=el"},
		{"search rare word", "q=funicular"},
		{"search common word", "q=tram"},
		{"search common word+language", "q=cohesionalliance&language=ro"},
		{"search+filters+dates", "q=tram&network=mastodon&photo=with&from=2026-03-01&to=2026-03-31"},
	}
	ids, err := s.st.QueueIDs(context.Background(), store.QueueFilter{Status: model.StatusPending}, 100*pageSize)
	if err != nil {
		b.Fatal(err)
	}
	pages[1].query = "before=" + idString(ids[len(ids)-1])
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				rec := s.serve(b, "GET", "/moderate?"+p.query, nil)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkApprove is one approval as a moderator's click makes it: the
// form POST, session check, store.Decide (check, update, triggers, audit
// row) and the wall hub's PostChanged (read back, card render, event
// logged to the store, fan-out).
func BenchmarkApprove(b *testing.B) {
	s := openBenchServer(b)
	ids, err := s.st.QueueIDs(context.Background(), store.QueueFilter{Status: model.StatusPending, Language: "fr"}, 100_000)
	if err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		rec := s.serve(b, "POST", "/moderate/posts/"+idString(ids[len(took)])+"/approve", url.Values{"status": {"pending"}})
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		took = append(took, time.Since(start))
	}
	reportPercentiles(b, took)
}

// reportPercentiles adds the median, 99th percentile and maximum of the
// operations' times: a WAL checkpoint now and then (SQLite copies the log
// into the database file and syncs it) is what an average hides.
func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(at(1), "max-ms")
}

// BenchmarkBulkApprove is "approve all matching" for 100 posts: each its
// own decision and wall event.
func BenchmarkBulkApprove(b *testing.B) {
	s := openBenchServer(b)
	ids, err := s.st.QueueIDs(context.Background(), store.QueueFilter{Status: model.StatusPending, Language: "de"}, 100_000)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		rec := s.serve(b, "POST", "/moderate/bulk", url.Values{"action": {"approve"}, "ids": {idList(ids[i : i+100])}})
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		i += 100
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100)/1000, "ms/post")
}
