package moderation

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

type recordingWalls struct{ changed []string }

func (r *recordingWalls) WallSettingsChanged(ctx context.Context, slug string) error {
	r.changed = append(r.changed, slug)
	return nil
}

func newWallsServer(t *testing.T) (*server, *recordingWalls) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "walls.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]model.Role{"anna": model.RoleModerator, "ada": model.RoleAdmin} {
		if _, err := st.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: hash, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	walls := &recordingWalls{}
	s := &server{st: st, mux: http.NewServeMux(), notifier: &recordingNotifier{}}
	NewHandler(st, auth.New(st, auth.Options{}), s.notifier, nil, Options{
		CampaignName: "#CohesionAlliance",
		Sources:      SourcesOptions{Sources: configuredSources},
		Walls: WallsOptions{Notifier: walls, Walls: []model.Wall{
			{Slug: "plenary", Title: "Plenary", Mode: model.ModeMasonry},
			{Slug: "stage", Title: "Stage", Mode: model.ModeTicker, Filter: model.WallFilter{Languages: []string{"fr"}}},
		}},
	}).Routes(s.mux)
	return s, walls
}

func TestWallsAdminPage(t *testing.T) {
	s, walls := newWallsServer(t)
	admin := s.login(t, "ada")

	t.Run("admins only", func(t *testing.T) {
		if rec := s.do(t, request{method: "GET", target: "/admin/walls", cookie: s.login(t, "anna")}); rec.Code != http.StatusForbidden {
			t.Errorf("moderator: status = %d, want 403", rec.Code)
		}
		if rec := s.do(t, request{method: "GET", target: "/admin/walls"}); rec.Code == http.StatusOK {
			t.Errorf("logged out: status = %d, want a refusal", rec.Code)
		}
	})

	t.Run("shows the config's settings", func(t *testing.T) {
		doc := parse(t, s.do(t, request{method: "GET", target: "/admin/walls", cookie: admin}))
		stage := doc.Find(`[data-wall="stage"]`)
		if got := stage.Find(`[data-testid="wall-mode"] option[selected]`).AttrOr("value", ""); got != "ticker" {
			t.Errorf("stage mode = %q, want ticker", got)
		}
		if got := stage.Find(`[data-testid="wall-languages"]`).AttrOr("value", ""); got != "fr" {
			t.Errorf("stage languages = %q, want fr", got)
		}
	})

	save := func(slug string, form url.Values, headers map[string]string) int {
		return s.do(t, request{method: "POST", target: "/admin/walls/" + slug, cookie: admin, form: form, headers: headers}).Code
	}
	t.Run("cross-origin refused", func(t *testing.T) {
		if code := save("plenary", url.Values{"mode": {"list"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
			t.Errorf("status = %d, want 403", code)
		}
	})
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"unknown mode", url.Values{"mode": {"carousel"}}},
		{"bad language", url.Values{"mode": {"list"}, "languages": {"english"}}},
		{"unknown network", url.Values{"mode": {"list"}, "network": {"myspace"}}},
		{"unknown source", url.Values{"mode": {"list"}, "source": {"nowhere"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if code := save("plenary", tt.form, sameOrigin()); code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", code)
			}
		})
	}
	if len(walls.changed) != 0 {
		t.Fatalf("screens told to reload after refused changes: %v", walls.changed)
	}

	t.Run("save and reset", func(t *testing.T) {
		form := url.Values{"mode": {"spotlight"}, "languages": {"DE, fr"}, "network": {"bluesky", "mastodon"}, "source": {"eupolis"}, "categories": {"regions"}}
		if code := save("plenary", form, sameOrigin()); code != http.StatusSeeOther {
			t.Fatalf("status = %d, want 303", code)
		}
		got, err := s.st.WallSettings(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := model.WallSettings{Slug: "plenary", Mode: model.ModeSpotlight, UpdatedBy: "ada", Filter: model.WallFilter{
			Languages: []string{"de", "fr"}, Networks: []model.Network{"bluesky", "mastodon"}, Sources: []string{"eupolis"}, Categories: []string{"regions"}}}
		if g := got["plenary"]; g.Mode != want.Mode || g.UpdatedBy != want.UpdatedBy || !slices.Equal(g.Filter.Languages, want.Filter.Languages) ||
			!slices.Equal(g.Filter.Networks, want.Filter.Networks) || !slices.Equal(g.Filter.Sources, want.Filter.Sources) {
			t.Errorf("stored = %+v, want %+v", g, want)
		}
		if !slices.Equal(walls.changed, []string{"plenary"}) {
			t.Errorf("screens told = %v, want plenary", walls.changed)
		}
		page := s.do(t, request{method: "GET", target: "/admin/walls?saved=plenary", cookie: admin}).Body.String()
		if !strings.Contains(page, "Changed here by ada") || !strings.Contains(page, "Screens of wall plenary reload") {
			t.Errorf("page after saving does not say so")
		}
		rec := s.do(t, request{method: "POST", target: "/admin/walls/plenary/reset", cookie: admin, headers: sameOrigin()})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reset: status = %d", rec.Code)
		}
		if got, _ := s.st.WallSettings(context.Background()); len(got) != 0 {
			t.Errorf("after reset: %v, want none stored", got)
		}
		if !slices.Equal(walls.changed, []string{"plenary", "plenary"}) {
			t.Errorf("screens told = %v, want plenary twice", walls.changed)
		}
	})

	if rec := s.do(t, request{method: "POST", target: "/admin/walls/nope", cookie: admin, form: url.Values{"mode": {"list"}}, headers: sameOrigin()}); rec.Code != http.StatusNotFound {
		t.Errorf("unknown wall: status = %d, want 404", rec.Code)
	}
}

func TestUncoverRoute(t *testing.T) {
	s := newServer(t)
	p := s.savePosts(t, 1)[0]
	cookie := s.login(t, "anna")
	for _, a := range []string{"approve", "uncover"} {
		if rec := s.do(t, request{method: "POST", target: "/moderate/posts/" + strconv.FormatInt(p.ID, 10) + "/" + a, cookie: cookie, form: url.Values{}, headers: sameOrigin()}); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: status = %d", a, rec.Code)
		}
	}
	got, _ := s.st.PostByID(context.Background(), p.ID)
	if !got.ShowOnScreens {
		t.Error("uncovered post: ShowOnScreens = false")
	}
	if n := s.notifier.got(); len(n) != 2 || !n[1].ShowOnScreens {
		t.Errorf("screens heard %d changes, want the uncovered post", len(n))
	}
}
