package collectors

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestIsPublicAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"::1", false},
		{"fe80::1", false},
		{"fd00::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"93.184.216.34", true},
		{"2a00:1450:4001::1", true},
	} {
		if got := IsPublicAddr(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret metadata")
	}))
	defer srv.Close()
	redirector := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redirector.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]

	client := NewClient(ClientOptions{Timeout: 5 * time.Second})
	for _, u := range []string{
		srv.URL,
		"http://localhost" + port,
		"http://2130706433" + port, // 127.0.0.1 written as one decimal number
		"http://[::1]" + port,
		"http://[::ffff:127.0.0.1]" + port,
	} {
		t.Run(u, func(t *testing.T) {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s succeeded, want refusal", u)
			}
			if !errors.Is(err, ErrPrivateAddress) && !strings.Contains(err.Error(), "no such host") {
				t.Errorf("GET %s: %v, want ErrPrivateAddress", u, err)
			}
		})
	}
	allowed := NewClient(ClientOptions{AllowPrivateNetwork: true})
	resp, err := allowed.Get(srv.URL)
	if err != nil {
		t.Fatalf("with AllowPrivateNetwork: %v", err)
	}
	resp.Body.Close()
}

func TestClientCapsBodyAndSetsUserAgent(t *testing.T) {
	var gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.UserAgent()
		w.(http.Flusher).Flush() // chunked: no Content-Length to check up front
		io.WriteString(w, strings.Repeat("x", 5000))
	}))
	defer srv.Close()
	client := NewClient(ClientOptions{AllowPrivateNetwork: true, MaxBodyBytes: 1000})
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("read %d bytes, err %v; want ErrResponseTooLarge", len(body), err)
	}
	if len(body) > 1000 {
		t.Errorf("read %d bytes past the 1000-byte cap", len(body))
	}
	if !strings.Contains(gotUA, "campaignwall") {
		t.Errorf("User-Agent %q does not name campaignwall", gotUA)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"30"}}, 30 * time.Second},
		{"http date", http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, time.Minute},
		{"x epoch reset", http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1795269720"}}, time.Unix(1795269720, 0).Sub(now)},
		{"mastodon iso reset", http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"2026-11-21T12:05:00.000Z"}}, 5 * time.Minute},
		{"remaining left", http.Header{"X-Ratelimit-Remaining": {"10"}, "X-Ratelimit-Reset": {"2026-11-21T12:05:00.000Z"}}, 0},
		{"nothing", http.Header{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RetryAfter(tc.header, now); got != tc.want {
				t.Errorf("RetryAfter = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestWithDeadline(t *testing.T) {
	ctx, cancel := WithDeadline(context.Background(), time.Minute)
	defer cancel()
	if _, ok := ctx.Deadline(); !ok {
		t.Error("no deadline set")
	}
}
