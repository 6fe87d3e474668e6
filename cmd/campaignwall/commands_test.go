package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// syncBuffer is a bytes.Buffer safe for a command writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCmd runs one campaignwall command in-process.
func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	err = run(context.Background(), args, environment{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errOut,
		lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	return out.String(), err
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "campaignwall.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const minimalConfig = `[campaign]
name = "Cohesion Alliance"
hashtags = ["CohesionAlliance"]
[store]
path = "wall.db"
`

func TestHelpAndUnknownCommand(t *testing.T) {
	out, err := runCmd(t, "", nil, "help")
	if err != nil || !strings.Contains(out, "campaignwall demo") || !strings.Contains(out, "check-config") {
		t.Errorf("help: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "", nil, "frobnicate"); err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %v", err)
	}
	out, err = runCmd(t, "", nil, "serve", "--help")
	if err != nil || !strings.Contains(out, "-config") {
		t.Errorf("serve --help: %v\n%s", err, out)
	}
}

func TestCheckConfig(t *testing.T) {
	t.Run("example file", func(t *testing.T) {
		data, err := os.ReadFile("../../campaignwall.example.toml")
		if err != nil {
			t.Fatal(err)
		}
		path := writeConfig(t, string(data))
		env := map[string]string{}
		for _, m := range regexp.MustCompile(`(?m)^\s*token_env\s*=\s*"([A-Z0-9_]+)"`).FindAllStringSubmatch(string(data), -1) {
			env[m[1]] = "test-token"
		}
		out, err := runCmd(t, "", env, "check-config", "--config", path)
		if err != nil {
			t.Fatalf("the shipped example does not check: %v", err)
		}
		if !strings.Contains(out, "ok") || strings.Contains(out, "test-token") {
			t.Errorf("output should say ok and never print a token:\n%s", out)
		}
	})
	t.Run("error names file, line and key", func(t *testing.T) {
		path := writeConfig(t, minimalConfig+`
[[sources]]
name = "m"
kind = "mastodon"
url = "https://mastodon.social"
schedule = "every minute"
`)
		_, err := runCmd(t, "", nil, "check-config", "--config", path)
		if err == nil || !strings.Contains(err.Error(), "campaignwall.toml:11: sources[0].schedule:") {
			t.Errorf("got %v, want file:line: key", err)
		}
	})
	t.Run("missing env var", func(t *testing.T) {
		path := writeConfig(t, minimalConfig+`
[[sources]]
name = "m"
kind = "mastodon"
url = "https://mastodon.social"
token_env = "MASTODON_TOKEN"
`)
		_, err := runCmd(t, "", nil, "check-config", "--config", path)
		if err == nil || !strings.Contains(err.Error(), "MASTODON_TOKEN") {
			t.Errorf("got %v, want the missing variable named", err)
		}
	})
	t.Run("no config flag", func(t *testing.T) {
		if _, err := runCmd(t, "", nil, "check-config"); err == nil || !strings.Contains(err.Error(), "--config") {
			t.Errorf("got %v, want --config required", err)
		}
	})
}

func TestModeratorCommands(t *testing.T) {
	cfg := writeConfig(t, minimalConfig)
	out, err := runCmd(t, "a long enough passphrase\n", nil, "moderator", "add", "--config", cfg, "--admin", "anna")
	if err != nil || !strings.Contains(out, `"anna" added (admin)`) || strings.Contains(out, "password:") {
		t.Fatalf("add with stdin password: %v\n%s", err, out)
	}
	out, err = runCmd(t, "", nil, "moderator", "add", "--config", cfg, "ben")
	if err != nil || !regexp.MustCompile(`password: \S{10,}`).MatchString(out) {
		t.Fatalf("add with generated password: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "short\n", nil, "moderator", "add", "--config", cfg, "carl"); err == nil {
		t.Error("a 5-character password was accepted")
	}
	if _, err := runCmd(t, "another long passphrase\n", nil, "moderator", "add", "--config", cfg, "ANNA"); err == nil {
		t.Error("a second moderator named anna (other case) was accepted")
	}
	out, err = runCmd(t, "", nil, "moderator", "list", "--config", cfg)
	if err != nil || !strings.Contains(out, "anna") || !strings.Contains(out, "ben") || strings.Contains(out, "carl") {
		t.Errorf("list: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "", nil, "moderator", "remove", "--config", cfg, "ben"); err != nil {
		t.Errorf("remove: %v", err)
	}
	if _, err := runCmd(t, "", nil, "moderator", "remove", "--config", cfg, "ben"); err == nil {
		t.Error("removing a missing moderator succeeded")
	}
	if _, err := runCmd(t, "", nil, "moderator", "promote", "--config", cfg, "anna"); err == nil {
		t.Error("unknown subcommand accepted")
	}
}

func TestPostsCommand(t *testing.T) {
	cfg := writeConfig(t, minimalConfig)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg), "wall.db"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.SavePosts(ctx, "test", []model.Post{
		fixturePost("https://social.example/users/a/statuses/1", "Anna", "<p>approved one</p>"),
		fixturePost("https://social.example/users/b/statuses/2", "Ben", "<p>still pending</p>"),
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(ctx, model.Decision{PostID: res.New[0].ID, Action: model.ActionApprove, Actor: "anna"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, err := runCmd(t, "", nil, "posts", "--config", cfg, "--status", "approved", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("approved posts: %d lines, want 1:\n%s", len(lines), out)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["status"] != "approved" || raw["text"] != "approved one" || raw["decided_by"] != "anna" {
		t.Errorf("json line = %v", raw)
	}
	out, err = runCmd(t, "", nil, "posts", "--config", cfg)
	if err != nil || !strings.Contains(out, "still pending") || !strings.Contains(out, "approved one") {
		t.Errorf("table: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "", nil, "posts", "--config", cfg, "--status", "deleted"); err == nil {
		t.Error("unknown status accepted")
	}
}

// TestDemoCommand runs `campaignwall demo` as a newcomer would and uses it
// over HTTP: the wall shows approved demo posts with cached photos, the
// printed moderator can log in, and the queue has pending posts.
func TestDemoCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	dbDir := t.TempDir()
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--every", "@every 1h", "--db", filepath.Join(dbDir, "demo.db")}, environment{
			stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
			lookup: func(string) (string, bool) { return "", false },
			ready:  func(addr string) { ready <- addr },
		})
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("demo stopped: %v\n%s", err, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("demo did not start:\n%s", errOut.String())
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo exit: %v", err)
		}
	}()

	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(http.DefaultClient, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, wall := get(http.DefaultClient, "/")
	if code != 200 || strings.Count(wall, `data-testid="wall-post"`) < 5 {
		t.Errorf("wall: %d, %d posts; want the seeded approved posts", code, strings.Count(wall, `data-testid="wall-post"`))
	}
	photo := regexp.MustCompile(`src="(/media/[0-9a-f]+/\d+)"`).FindStringSubmatch(wall)
	if photo == nil {
		t.Fatal("no cached photo on the demo wall")
	}
	if code, _ := get(http.DefaultClient, photo[1]); code != 200 {
		t.Errorf("photo %s = %d", photo[1], code)
	}

	password := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(out.String())
	if password == nil || !strings.Contains(out.String(), "moderator:   demo") {
		t.Fatalf("demo did not print a login:\n%s", out.String())
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(base+"/login", url.Values{"name": {"demo"}, "password": {password[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, queue := get(client, "/moderate")
	if code != 200 || !strings.Contains(queue, `data-testid="queue-post"`) {
		t.Errorf("queue after login: %d, has posts: %v", code, strings.Contains(queue, `data-testid="queue-post"`))
	}
}
