package mastodon

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeServer is an httptest Mastodon that serves statuses from testdata
// the way GET /api/v1/timelines/tag/:hashtag pages them (see
// testdata/README.md). Tests add statuses while it runs, and can take over
// any request with intercept.
type fakeServer struct {
	*httptest.Server
	t *testing.T

	mu        sync.Mutex
	statuses  []fakeStatus // ascending by id
	requests  []*http.Request
	intercept func(w http.ResponseWriter, r *http.Request, n int) bool // n counts timeline requests from 1
	stream    http.HandlerFunc
	timelineN int
}

type fakeStatus struct {
	id   string
	tags []string // of the status, or of the status it boosts
	raw  json.RawMessage
}

func newFakeServer(t *testing.T, fixtures ...string) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t}
	for _, name := range fixtures {
		f.add(loadStatuses(t, name)...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", f.timeline)
	mux.HandleFunc("GET /api/v1/statuses/{id}", f.status)
	mux.HandleFunc("GET /api/v1/streaming/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := f.stream
		f.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Clone(r.Context()))
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// loadStatuses reads a testdata array of Status entities.
func loadStatuses(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return raw
}

// statusByID picks one status out of a fixture file.
func statusByID(t *testing.T, name, id string) json.RawMessage {
	t.Helper()
	for _, r := range loadStatuses(t, name) {
		if fakeID(t, r) == id {
			return r
		}
	}
	t.Fatalf("%s has no status %s", name, id)
	return nil
}

func fakeID(t *testing.T, r json.RawMessage) string {
	var s struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r, &s); err != nil {
		t.Fatalf("fixture status: %v", err)
	}
	return s.ID
}

// add publishes statuses on the server.
func (f *fakeServer) add(raws ...json.RawMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range raws {
		var s struct {
			ID   string `json:"id"`
			Tags []struct {
				Name string `json:"name"`
			} `json:"tags"`
			Reblog *struct {
				Tags []struct {
					Name string `json:"name"`
				} `json:"tags"`
			} `json:"reblog"`
		}
		if err := json.Unmarshal(r, &s); err != nil {
			f.t.Fatalf("fixture status: %v", err)
		}
		st := fakeStatus{id: s.ID, raw: r}
		tags := s.Tags
		if s.Reblog != nil {
			tags = s.Reblog.Tags
		}
		for _, tg := range tags {
			st.tags = append(st.tags, strings.ToLower(tg.Name))
		}
		f.statuses = append(f.statuses, st)
	}
	slices.SortFunc(f.statuses, func(a, b fakeStatus) int { return idOrder(a.id, b.id) })
}

// idOrder is the server's own order of ids: numeric for Mastodon's, lexical
// for ULIDs (same length), written independently of the code under test.
func idOrder(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func (f *fakeServer) timeline(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.timelineN++
	n := f.timelineN
	intercept := f.intercept
	f.mu.Unlock()
	if intercept != nil && intercept(w, r, n) {
		return
	}
	tag := r.PathValue("tag")
	q := r.URL.Query()
	limit := 20
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
		limit = min(l, 40)
	}
	f.mu.Lock()
	var match []fakeStatus
	for _, s := range f.statuses {
		if slices.Contains(s.tags, tag) {
			match = append(match, s)
		}
	}
	f.mu.Unlock()
	if len(match) == 0 && tag == "neverused" {
		serveFile(w, http.StatusNotFound, "error_404.json", "application/json; charset=utf-8")
		return
	}
	var page []fakeStatus
	if minID := q.Get("min_id"); minID != "" {
		// Immediately newer than min_id: the oldest ones after it, newest first.
		for _, s := range match {
			if idOrder(s.id, minID) > 0 && len(page) < limit {
				page = append(page, s)
			}
		}
		slices.Reverse(page)
	} else {
		for i := len(match) - 1; i >= 0 && len(page) < limit; i-- {
			page = append(page, match[i])
		}
	}
	if len(page) > 0 {
		self := f.URL + r.URL.Path
		w.Header().Set("Link", `<`+self+`?max_id=`+page[len(page)-1].id+`>; rel="next", <`+self+`?min_id=`+page[0].id+`>; rel="prev"`)
	}
	raws := make([]json.RawMessage, len(page))
	for i, s := range page {
		raws[i] = s.raw
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "300")
	w.Header().Set("X-RateLimit-Remaining", "299")
	json.NewEncoder(w).Encode(raws)
}

func (f *fakeServer) status(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	intercept := f.intercept
	f.mu.Unlock()
	if intercept != nil && intercept(w, r, 0) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.statuses {
		if s.id == r.PathValue("id") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(s.raw)
			return
		}
	}
	serveFile(w, http.StatusNotFound, "error_404.json", "application/json; charset=utf-8")
}

// timelineQueries returns the query strings of the tag timeline requests.
func (f *fakeServer) timelineQueries() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var qs []url.Values
	for _, r := range f.requests {
		if strings.HasPrefix(r.URL.Path, "/api/v1/timelines/tag/") {
			qs = append(qs, r.URL.Query())
		}
	}
	return qs
}

func (f *fakeServer) lastRequest() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func serveFile(w http.ResponseWriter, code int, name, contentType string) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	w.Write(b)
}
