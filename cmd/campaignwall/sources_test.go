package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/config"
	"github.com/cohesionalliance/campaignwall/model"
)

// TestServeWiresSources runs the daemon with a streamed Mastodon source and
// a failing feed: the stream's connection triggers a catch-up poll through
// the scheduler, an admin's "Run now" shows the feed's failure in plain
// words on /admin/sources, and shutdown ends the stream.
func TestServeWiresSources(t *testing.T) {
	statuses := fixture(t, mastodonFixtures, "statuses_eupolis.json")
	polled := make(chan struct{}, 4)
	streaming := make(chan struct{}, 4)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(statuses)
		polled <- struct{}{}
	})
	mux.HandleFunc("GET /api/v1/streaming/hashtag", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, ":)\n\n")
		w.(http.Flusher).Flush()
		streaming <- struct{}{}
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /feed.xml", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	network := httptest.NewServer(mux)
	defer network.Close()

	cfg := &config.Config{
		Path:     "(test)",
		Campaign: config.Campaign{Name: "Cohesion Alliance", Hashtags: []string{"CohesionAlliance"}},
		Server:   config.Server{Addr: "127.0.0.1:0"},
		Store:    config.Store{Path: filepath.Join(t.TempDir(), "wall.db")},
		Sources: []model.Source{
			{Name: "eupolis", Kind: "mastodon", URL: network.URL, Hashtags: []string{"CohesionAlliance"}, Schedule: "@every 1h",
				AllowPrivateNetwork: true, Settings: map[string]string{"stream": "true"}},
			{Name: "cor-news", Kind: "feed", URL: network.URL + "/feed.xml", Hashtags: []string{"CohesionAlliance"}, Schedule: "@every 1h",
				AllowPrivateNetwork: true},
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	a, err := newApp(ctx, cfg, newLogger(logs), collectorDeps{})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword(password)
	if _, err := a.store.CreateModerator(ctx, model.Moderator{Name: "ada", PasswordHash: hash, Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- a.serve(ctx, cfg.Server.Addr, func(addr string) { ready <- addr }) }()
	base := "http://" + waitFor(t, ready, "the server to listen")

	waitFor(t, streaming, "the stream to connect")
	waitFor(t, polled, "the catch-up poll after the stream connected")

	// An admin logs in and runs the feed now.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post("/login", url.Values{"name": {"ada"}, "password": {password}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	resp := post("/admin/sources/cor-news/run", url.Values{})
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin/sources" {
		t.Fatalf("run now: %d at %s, want the sources page", resp.StatusCode, resp.Request.URL)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var feed *goquery.Selection
	doc.Find(`[data-testid="source"]`).Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("data-source", "") == "cor-news" {
			feed = s
		}
	})
	if feed == nil {
		t.Fatal("no cor-news section on /admin/sources")
	}
	if got := feed.Find(`[data-testid="source-problem"]`).Text(); !strings.HasPrefix(got, "The network had a problem (HTTP 503): next try at ") {
		t.Errorf("cor-news problem = %q, want the 503 in plain words with the next try", got)
	}
	if got := feed.Find(`[data-testid="source-wait"]`).Text(); !strings.Contains(got, "Paused after 1 failure in a row") {
		t.Errorf("cor-news wait = %q, want the backoff explained", got)
	}
	if strings.Contains(doc.Text(), "maintenance") {
		t.Error("the page shows the server's own error text")
	}

	cancel()
	if err := waitFor(t, served, "serve to return"); err != nil {
		t.Errorf("serve: %v", err)
	}
	if strings.Contains(logs.String(), "streams stop") {
		t.Errorf("serve did not wait for the streams to end:\n%s", logs.String())
	}
}

const password = "correct horse battery"

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second): // a guard against hanging, not a synchronization
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
