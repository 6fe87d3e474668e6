package moderation

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// storeCounter is what main wires in: it stores the count (and main also
// tells the bot and the walls, which this records as calls).
type storeCounter struct {
	st    *store.Store
	mu    sync.Mutex
	calls []string
}

func (c *storeCounter) SetSignatureCount(ctx context.Context, n int64, by string) error {
	c.mu.Lock()
	c.calls = append(c.calls, by)
	c.mu.Unlock()
	_, err := c.st.SetSignatureCount(ctx, model.SignatureCount{Value: n, Source: model.SignaturesAdmin, By: by})
	return err
}

func newCounterServer(t *testing.T) (*server, *storeCounter) {
	t.Helper()
	s := newServer(t)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.CreateModerator(context.Background(), model.Moderator{Name: "ada", PasswordHash: hash, Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	c := &storeCounter{st: s.st}
	s.mux = http.NewServeMux()
	NewHandler(s.st, auth.New(s.st, auth.Options{}), s.notifier, nil, Options{CampaignName: "#CohesionAlliance", Counter: c}).Routes(s.mux)
	return s, c
}

func TestCounterPage(t *testing.T) {
	s, counter := newCounterServer(t)
	admin, mod := s.login(t, "ada"), s.login(t, "anna")
	set := func(value, cookie string, headers map[string]string) int {
		return s.do(t, request{method: "POST", target: "/admin/counter", form: url.Values{"signatures": {value}}, cookie: cookie, headers: headers}).Code
	}
	tests := []struct {
		name      string
		value     string
		cookie    string
		headers   map[string]string
		wantCode  int
		wantCount int64 // -1: none stored
	}{
		{"not logged in", "100", "", sameOrigin(), http.StatusUnauthorized, -1},
		{"moderator, not admin", "100", mod, sameOrigin(), http.StatusForbidden, -1},
		{"cross-origin", "100", admin, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, -1},
		{"not a number", "lots", admin, sameOrigin(), http.StatusUnprocessableEntity, -1},
		{"negative", "-5", admin, sameOrigin(), http.StatusUnprocessableEntity, -1},
		{"admin with grouping", "12.345", admin, sameOrigin(), http.StatusSeeOther, 12345},
		{"admin again", "12 400", admin, sameOrigin(), http.StatusSeeOther, 12400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := set(tt.value, tt.cookie, tt.headers); code != tt.wantCode {
				t.Fatalf("status %d, want %d", code, tt.wantCode)
			}
			c, err := s.st.SignatureCount(context.Background())
			switch {
			case tt.wantCount < 0 && err == nil:
				t.Errorf("count stored: %+v, want none", c)
			case tt.wantCount >= 0 && (err != nil || c.Value != tt.wantCount || c.By != "ada" || c.Source != model.SignaturesAdmin):
				t.Errorf("count = %+v, %v; want %d set by ada", c, err, tt.wantCount)
			}
		})
	}
	if got := strings.Join(counter.calls, ","); got != "ada,ada" {
		t.Errorf("counter calls = %s, want ada,ada", got)
	}

	rec := s.do(t, request{method: "GET", target: "/admin/counter?saved=1", cookie: admin})
	if rec.Code != http.StatusOK {
		t.Fatalf("page: %d", rec.Code)
	}
	doc := parse(t, rec)
	if got := doc.Find(`[data-testid="counter-current"]`).Text(); !strings.Contains(got, "12400") || !strings.Contains(got, "set by ada") {
		t.Errorf("current = %q, want 12400 set by ada", got)
	}
	if n := doc.Find(`[data-testid="counter-history"] tbody tr`).Length(); n != 2 {
		t.Errorf("history rows = %d, want 2", n)
	}
	if doc.Find(`[data-testid="counter-saved"]`).Length() != 1 {
		t.Error("no saved notice")
	}
}
