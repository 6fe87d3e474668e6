package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
	"github.com/cohesionalliance/campaignwall/store/storetest"
)

// Queue benchmarks run against a million posts: 50,000 approved, a third
// of the rest rejected, the others pending (about 633,000); four networks,
// eight sources, three categories, ten languages, every fourth post with a
// photo (storetest.CachedDB). The first run generates the database once.
const (
	benchPosts    = 1_000_000
	benchApproved = 50_000
)

// benchCopy is one copy of the cached database per test binary, shared by
// the benchmarks (two gigabytes: copied once, removed by TestMain).
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

// openBench opens the copy of the cached million-post database.
func openBench(b *testing.B) *store.Store {
	b.Helper()
	ctx := context.Background()
	benchCopy.once.Do(func() {
		benchCopy.dir, benchCopy.err = os.MkdirTemp("", "campaignwall-queue-bench")
		if benchCopy.err != nil {
			return
		}
		cached, err := storetest.CachedDB(ctx, benchCopy.dir, benchPosts, benchApproved, os.Stderr)
		if err != nil {
			benchCopy.err = err
			return
		}
		benchCopy.path = filepath.Join(benchCopy.dir, "queue.db")
		benchCopy.err = storetest.CopyFile(cached, benchCopy.path)
	})
	if benchCopy.err != nil {
		b.Fatal(benchCopy.err)
	}
	st, err := store.Open(ctx, benchCopy.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// queueFilters are the filters a summit's moderators use, from none to
// several at once.
var queueFilters = []struct {
	name string
	f    store.QueueFilter
}{
	{"pending", store.QueueFilter{Status: model.StatusPending}},
	{"language", store.QueueFilter{Status: model.StatusPending, Language: "pt"}},
	{"network+source+category+photo", store.QueueFilter{Status: model.StatusPending, Network: model.NetworkBluesky, Source: "bluesky-2", Category: "cities", Photo: store.PhotoWith}},
	{"no match", store.QueueFilter{Status: model.StatusPending, Network: model.NetworkX, Source: "mastodon-1"}},
	{"day", store.QueueFilter{Status: model.StatusPending, From: storetest.Start.AddDate(0, 6, 0), To: storetest.Start.AddDate(0, 6, 1)}},
	{"week+language", store.QueueFilter{Status: model.StatusPending, Language: "el", From: storetest.Start.AddDate(0, 3, 0), To: storetest.Start.AddDate(0, 3, 7)}},
	{"search rare word", store.QueueFilter{Status: model.StatusPending, Search: "funicular"}},
	{"search common word", store.QueueFilter{Status: model.StatusPending, Search: "tram"}},
	{"search common word+language", store.QueueFilter{Status: model.StatusPending, Search: "cohesionalliance", Language: "ro"}},
	{"search one post", store.QueueFilter{Status: model.StatusPending, Search: "\"Post 777001\""}},
}

// BenchmarkQueuePosts is one queue page (51 posts with authors and media).
func BenchmarkQueuePosts(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	for _, q := range queueFilters {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.QueuePosts(ctx, q.f, 0, 51); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQueueCounts is the counts per filter value next to the menus.
func BenchmarkQueueCounts(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	for _, q := range queueFilters {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.QueueCounts(ctx, q.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecide is one approval: the check, the update with its
// triggers (search index untouched, counts moved), the audit row.
func BenchmarkDecide(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	ids, err := st.QueueIDs(ctx, store.QueueFilter{Status: model.StatusPending}, 100_000)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if _, err := st.Decide(ctx, model.Decision{PostID: ids[i], Action: model.ActionApprove, Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
