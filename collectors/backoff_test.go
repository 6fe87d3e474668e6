package collectors

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBackoffDoublesUpToMaxAndResets(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 10 * time.Second, Jitter: func(d time.Duration) time.Duration { return d }}
	var got []time.Duration
	for range 6 {
		got = append(got, b.Next())
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v", got, want)
		}
	}
	b.Reset()
	if d := b.Next(); d != time.Second {
		t.Errorf("after Reset: %s, want 1s", d)
	}
}

func TestBackoffDefaultJitterStaysInRange(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	for i := range 8 {
		want := min(time.Second<<i, time.Minute)
		if d := b.Next(); d < want/2 || d > want {
			t.Errorf("attempt %d: wait %s, want between %s and %s", i, d, want/2, want)
		}
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
}

func TestStreamingClientHasNoTotalCapOrTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		io.WriteString(w, strings.Repeat("x", 5000))
	}))
	defer srv.Close()
	base := NewClient(ClientOptions{AllowPrivateNetwork: true, MaxBodyBytes: 1000, Timeout: time.Minute})
	sc := StreamingClient(base)
	if sc.Timeout != 0 {
		t.Errorf("streaming client timeout = %s, want none", sc.Timeout)
	}
	resp, err := sc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || len(body) != 5000 {
		t.Errorf("read %d bytes, err %v; want all 5000", len(body), err)
	}
	// The original client keeps its cap.
	resp, err = base.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("original client: err %v, want ErrResponseTooLarge", err)
	}
	if base.Timeout != time.Minute {
		t.Errorf("original client timeout changed to %s", base.Timeout)
	}
}

func TestBackoffAfterFailures(t *testing.T) {
	b := Backoff{Min: time.Minute, Max: time.Hour, Jitter: func(d time.Duration) time.Duration { return d }}
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {7, time.Hour}, {100, time.Hour},
	} {
		if got := b.After(tc.failures); got != tc.want {
			t.Errorf("After(%d) = %s, want %s", tc.failures, got, tc.want)
		}
	}
	if d := b.Next(); d != time.Minute {
		t.Errorf("After must not count attempts: Next = %s, want 1m", d)
	}
}
