package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// The collectors' own fixtures, each following its documented format (see
// the README.md next to them).
var (
	mastodonFixtures = filepath.Join("..", "..", "collectors", "mastodon", "testdata")
	feedFixtures     = filepath.Join("..", "..", "collectors", "feed", "testdata")
)

func fixture(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// networkServer answers like a Mastodon server (GET
// /api/v1/timelines/tag/:hashtag with statuses_eupolis.json, one page) and
// an RSS publisher (/feed.xml with rss2.xml), or with failures when told to.
type networkServer struct {
	*httptest.Server
	mastodonStatus, feedStatus atomic.Int32 // 0: answer normally
}

func newNetworkServer(t *testing.T) *networkServer {
	t.Helper()
	statuses := fixture(t, mastodonFixtures, "statuses_eupolis.json")
	railsError := fixture(t, mastodonFixtures, "error_500.html")
	rss := fixture(t, feedFixtures, "rss2.xml")
	n := &networkServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", func(w http.ResponseWriter, r *http.Request) {
		if code := int(n.mastodonStatus.Load()); code != 0 {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(code)
			w.Write(railsError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(statuses)
	})
	mux.HandleFunc("GET /feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if code := int(n.feedStatus.Load()); code != 0 {
			http.Error(w, "unavailable", code)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(rss)
	})
	n.Server = httptest.NewServer(mux)
	t.Cleanup(n.Close)
	return n
}

// writeConfig writes a config file naming a Mastodon and a feed source on
// srv, which is on loopback: allow_private_network lets them reach it.
func writeNetworkConfig(t *testing.T, srv *networkServer) (cfgPath, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath, dbPath = filepath.Join(dir, "campaignwall.toml"), filepath.Join(dir, "wall.db")
	data := fmt.Sprintf(`[campaign]
name = "Cohesion Alliance"
hashtags = ["CohesionAlliance"]

[store]
path = %q

[[sources]]
name = "eupolis"
kind = "mastodon"
url = %q
allow_private_network = true

[[sources]]
name = "cor-news"
kind = "feed"
url = %q
allow_private_network = true
`, dbPath, srv.URL, srv.URL+"/feed.xml")
	if err := os.WriteFile(cfgPath, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

func runCommand(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := environment{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, lookup: func(string) (string, bool) { return "", false }}
	err = run(context.Background(), args, env)
	return out.String(), err
}

// summaryRows reads collect's table into source → [kind, new, known, error].
func summaryRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !regexp.MustCompile(`^SOURCE\s+KIND\s+NEW\s+KNOWN\s+ERROR$`).MatchString(lines[0]) {
		t.Fatalf("summary header missing in:\n%s", out)
	}
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 {
			t.Fatalf("summary line %q has %d fields, want 5 or more", l, len(f))
		}
		rows[f[0]] = []string{f[1], f[2], f[3], strings.Join(f[4:], " ")}
	}
	return rows
}

func TestCollectOnce(t *testing.T) {
	srv := newNetworkServer(t)
	cfg, db := writeNetworkConfig(t, srv)

	out, err := runCommand(t, "collect", "--config", cfg, "--once")
	if err != nil {
		t.Fatalf("collect --once: %v\n%s", err, out)
	}
	rows := summaryRows(t, out)
	// statuses_eupolis.json: 9 statuses, of which a private, an unlisted
	// one and a reply are skipped. rss2.xml: 2 items.
	want := map[string][]string{
		"eupolis":  {"mastodon", "6", "0", "-"},
		"cor-news": {"feed", "2", "0", "-"},
	}
	for name, w := range want {
		if got := strings.Join(rows[name], " "); got != strings.Join(w, " ") {
			t.Errorf("row %s = %q, want %q", name, got, strings.Join(w, " "))
		}
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"eupolis", "cor-news"} {
		s, err := st.SourceStatus(context.Background(), name)
		if err != nil || s.LastRunAt.IsZero() || s.Cursor == "" || s.Problem != "" {
			t.Errorf("source %s after collect: %+v, %v; want a recorded run, a cursor and no problem", name, s, err)
		}
	}
	posts, err := st.Posts(context.Background(), store.PostFilter{Status: model.StatusPending})
	if err != nil || len(posts) != 8 {
		t.Errorf("%d pending posts, %v; want 8", len(posts), err)
	}
}

func TestCollectOnceExitStatus(t *testing.T) {
	tests := []struct {
		name           string
		mastodon, feed int32 // HTTP status to fail with; 0 answers
		wantErr        string
		wantErrors     map[string]string // source → part of its ERROR column
	}{
		{"one source fails, the other collects: success", 500, 0, "",
			map[string]string{"eupolis": "HTTP 500", "cor-news": "-"}},
		{"every source fails: non-zero exit", 503, 502, "every source failed (2)",
			map[string]string{"eupolis": "HTTP 503", "cor-news": "HTTP 502"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newNetworkServer(t)
			srv.mastodonStatus.Store(tt.mastodon)
			srv.feedStatus.Store(tt.feed)
			cfg, db := writeNetworkConfig(t, srv)
			out, err := runCommand(t, "collect", "--config", cfg, "--once")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("collect --once = %v, want success\n%s", err, out)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("collect --once = %v, want %q", err, tt.wantErr)
			}
			rows := summaryRows(t, out)
			for name, want := range tt.wantErrors {
				if got := rows[name][3]; !strings.Contains(got, want) {
					t.Errorf("%s error column = %q, want it to contain %q", name, got, want)
				}
			}
			// The status page's words for what failed were recorded too.
			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			s, _ := st.SourceStatus(context.Background(), "eupolis")
			if want := fmt.Sprintf("The network had a problem (HTTP %d): next try at ", tt.mastodon); !strings.HasPrefix(s.Problem, want) {
				t.Errorf("eupolis problem = %q, want it to start with %q", s.Problem, want)
			}
		})
	}
}

func TestCollectNeedsOnce(t *testing.T) {
	srv := newNetworkServer(t)
	cfg, _ := writeNetworkConfig(t, srv)
	if _, err := runCommand(t, "collect", "--config", cfg); err == nil || !strings.Contains(err.Error(), "--once") {
		t.Errorf("collect without --once = %v, want an error asking for --once", err)
	}
}
