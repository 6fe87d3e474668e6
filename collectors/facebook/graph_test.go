package facebook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
)

func TestGetNextStaysOnTheAPI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request made to %s", r.URL)
	}))
	defer srv.Close()
	g := &Graph{Client: collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true}), Base: srv.URL + "/v21.0", Token: "t"}
	for _, next := range []string{
		"https://evil.example/v21.0/1/posts?after=x",
		strings.Replace(srv.URL, "http://", "https://", 1) + "/v21.0/1/posts",
		"://broken",
	} {
		var out struct{}
		if err := g.GetNext(context.Background(), next, &out); err == nil {
			t.Errorf("GetNext(%q) succeeded, want a refusal", next)
		}
	}
}

func TestUsageWait(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{`{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":19}]}`, 19 * time.Minute},
		{`{"1":[{"type":"pages","estimated_time_to_regain_access":2}],"2":[{"type":"instagram","estimated_time_to_regain_access":5}]}`, 5 * time.Minute},
		{`{"1":[{"type":"pages","call_count":40,"estimated_time_to_regain_access":0}]}`, 0},
		{`not json`, 0},
		{``, 0},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("X-Business-Use-Case-Usage", tc.header)
		}
		if got := usageWait(h); got != tc.want {
			t.Errorf("usageWait(%s) = %s, want %s", tc.header, got, tc.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 20, 11, 50, 0, 0, time.UTC)
	for _, s := range []string{"2026-11-20T11:50:00+0000", "2026-11-20T12:50:00+0100", "2026-11-20T11:50:00Z"} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("ParseTime(yesterday) succeeded")
	}
}
