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
			{Slug: "plenary", Title: "Plenary", Mode: model.ModeMasonry, Theme: "dark", SpotlightSeconds: 10},
			{Slug: "stage", Title: "Stage", Mode: model.ModeTicker, Filter: model.WallFilter{Languages: []string{"fr"}},
				Theme: "light", Accent: "#0a4fa8", SpotlightSeconds: 12, Language: "fr"},
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
		for sel, want := range map[string]string{
			`[data-testid="wall-title"]`:                     "Stage",
			`[data-testid="wall-theme"] option[selected]`:    "light",
			`[data-testid="wall-accent"]`:                    "#0a4fa8",
			`[data-testid="wall-background"]`:                "",
			`[data-testid="wall-spotlight-seconds"]`:         "12",
			`[data-testid="wall-language"] option[selected]`: "fr",
		} {
			if got := stage.Find(sel).AttrOr("value", "?"); got != want {
				t.Errorf("stage %s = %q, want %q", sel, got, want)
			}
		}
		if got := doc.Find(`[data-testid="walls-config-only"]`).Text(); !strings.Contains(got, "logo") || !strings.Contains(got, "custom CSS") {
			t.Errorf("page does not say logo and custom CSS stay in the config file: %q", got)
		}
	})

	save := func(slug string, form url.Values, headers map[string]string) int {
		return s.do(t, request{method: "POST", target: "/admin/walls/" + slug, cookie: admin, form: form, headers: headers}).Code
	}
	// valid is a form that saves, changed by edit.
	valid := func(edit func(url.Values)) url.Values {
		f := url.Values{"mode": {"list"}, "title": {"Plenary hall"}, "theme": {"light"}, "accent": {"#0A4FA8"},
			"background": {"#fff"}, "spotlight_seconds": {"20"}, "language": {"pl"}}
		if edit != nil {
			edit(f)
		}
		return f
	}
	nothingStored := func(t *testing.T) {
		t.Helper()
		if got, _ := s.st.WallSettings(context.Background()); len(got) != 0 {
			t.Errorf("stored = %+v, want nothing", got)
		}
	}
	t.Run("cross-origin refused", func(t *testing.T) {
		if code := save("plenary", valid(nil), map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
			t.Errorf("status = %d, want 403", code)
		}
		if code := save("plenary", valid(nil), map[string]string{"Origin": "https://evil.example"}); code != http.StatusForbidden {
			t.Errorf("foreign Origin: status = %d, want 403", code)
		}
		nothingStored(t)
	})
	t.Run("moderators may not save", func(t *testing.T) {
		rec := s.do(t, request{method: "POST", target: "/admin/walls/plenary", cookie: s.login(t, "anna"), form: valid(nil), headers: sameOrigin()})
		if rec.Code != http.StatusForbidden {
			t.Errorf("status = %d, want 403", rec.Code)
		}
		rec = s.do(t, request{method: "POST", target: "/admin/walls/plenary/reset", cookie: s.login(t, "anna"), headers: sameOrigin()})
		if rec.Code != http.StatusForbidden {
			t.Errorf("reset: status = %d, want 403", rec.Code)
		}
		nothingStored(t)
	})
	set := func(k string, v ...string) func(url.Values) { return func(f url.Values) { f[k] = v } }
	for _, tt := range []struct {
		name string
		form url.Values
		want string // in the error shown
	}{
		{"unknown mode", valid(set("mode", "carousel")), "mode"},
		{"bad filter language", valid(set("languages", "english")), "languages"},
		{"unknown network", valid(set("network", "myspace")), "network"},
		{"unknown source", valid(set("source", "nowhere")), "source"},
		{"no title", valid(set("title", "  ")), "Title:"},
		{"unknown theme", valid(set("theme", "sepia")), "Theme:"},
		{"bad accent", valid(set("accent", "yellow")), `Accent colour: "yellow" is not a colour`},
		{"bad background", valid(set("background", "#12345")), `Background colour: "#12345" is not a colour`},
		{"accent contrast too low", valid(set("accent", "#ffff00")), "Accent colour: #ffff00 on the background #ffffff has a contrast of 1.1:1; want at least 3:1"},
		{"background contrast too low", valid(func(f url.Values) { f.Set("background", "#333333"); f.Set("accent", "") }), "Background colour: #333333 with the light theme's text"},
		{"theme's own background too dark for the accent", valid(func(f url.Values) { f.Set("theme", "dark"); f.Set("background", ""); f.Set("accent", "#0a4fa8") }), "Accent colour: #0a4fa8 on the background #0b0f17"},
		{"spotlight seconds too few", valid(set("spotlight_seconds", "2")), "Spotlight seconds: a whole number from 3 to 600"},
		{"spotlight seconds too many", valid(set("spotlight_seconds", "601")), "Spotlight seconds"},
		{"spotlight seconds not a number", valid(set("spotlight_seconds", "ten")), "Spotlight seconds"},
		{"unknown language", valid(set("language", "tlh")), `Language: "tlh" is not one of the EU's 24 languages`},
		{"a region is not a language", valid(set("language", "pt-PT")), "Language:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, request{method: "POST", target: "/admin/walls/plenary", cookie: admin, form: tt.form, headers: sameOrigin()})
			if rec.Code != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", rec.Code)
			}
			got := parse(t, rec).Find(`[data-testid="walls-error"]`).Text()
			if !strings.Contains(got, "Wall plenary was not changed") || !strings.Contains(got, tt.want) {
				t.Errorf("error = %q, want it to say the wall was not changed and %q", got, tt.want)
			}
			nothingStored(t)
		})
	}
	t.Run("a mistake keeps what was typed", func(t *testing.T) {
		rec := s.do(t, request{method: "POST", target: "/admin/walls/plenary", cookie: admin, headers: sameOrigin(),
			form: valid(func(f url.Values) { f.Set("accent", "#ffff00"); f.Set("spotlight_seconds", "ten") })})
		plenary := parse(t, rec).Find(`[data-wall="plenary"]`)
		for sel, want := range map[string]string{
			`[data-testid="wall-title"]`:                     "Plenary hall",
			`[data-testid="wall-accent"]`:                    "#ffff00",
			`[data-testid="wall-spotlight-seconds"]`:         "ten",
			`[data-testid="wall-theme"] option[selected]`:    "light",
			`[data-testid="wall-language"] option[selected]`: "pl",
		} {
			if got := plenary.Find(sel).AttrOr("value", "?"); got != want {
				t.Errorf("%s = %q, want what was typed (%q)", sel, got, want)
			}
		}
		nothingStored(t)
	})
	if len(walls.changed) != 0 {
		t.Fatalf("screens told to reload after refused changes: %v", walls.changed)
	}

	t.Run("save and reset", func(t *testing.T) {
		form := valid(func(f url.Values) {
			f.Set("mode", "spotlight")
			f.Set("languages", "DE, fr")
			f["network"] = []string{"bluesky", "mastodon"}
			f.Set("source", "eupolis")
			f.Set("categories", "regions")
		})
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
		wantLook := model.WallLook{Title: "Plenary hall", Theme: "light", Accent: "#0a4fa8", Background: "#ffffff", SpotlightSeconds: 20, Language: "pl"}
		if g := got["plenary"].Look; g == nil || *g != wantLook {
			t.Errorf("stored look = %+v, want %+v", g, wantLook)
		}
		if !slices.Equal(walls.changed, []string{"plenary"}) {
			t.Errorf("screens told = %v, want plenary", walls.changed)
		}
		page := s.do(t, request{method: "GET", target: "/admin/walls?saved=plenary", cookie: admin}).Body.String()
		if !strings.Contains(page, "Changed here by ada") || !strings.Contains(page, "Screens of wall plenary reload") {
			t.Errorf("page after saving does not say so")
		}
		doc := parse(t, s.do(t, request{method: "GET", target: "/admin/walls", cookie: admin}))
		plenary := doc.Find(`[data-wall="plenary"]`)
		when := got["plenary"].UpdatedAt.UTC().Format("2006-01-02 15:04 UTC")
		if c := plenary.Find(`[data-testid="wall-changed"]`).Text(); !strings.Contains(c, "ada") || !strings.Contains(c, when) {
			t.Errorf("changed note = %q, want who (ada) and when (%s)", c, when)
		}
		if got := plenary.Find(`[data-testid="wall-title"]`).AttrOr("value", ""); got != "Plenary hall" {
			t.Errorf("title field after saving = %q, want the saved one", got)
		}
		if got := plenary.Find(`[data-testid="wall-theme"] option[selected]`).AttrOr("value", ""); got != "light" {
			t.Errorf("theme after saving = %q, want light", got)
		}
		rec := s.do(t, request{method: "POST", target: "/admin/walls/plenary/reset", cookie: admin, headers: sameOrigin()})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reset: status = %d", rec.Code)
		}
		nothingStored(t)
		doc = parse(t, s.do(t, request{method: "GET", target: "/admin/walls", cookie: admin}))
		if got := doc.Find(`[data-wall="plenary"] [data-testid="wall-title"]`).AttrOr("value", ""); got != "Plenary" {
			t.Errorf("title after reset = %q, want the config file's (Plenary)", got)
		}
		if doc.Find(`[data-wall="plenary"] [data-testid="wall-reset"]`).Length() != 0 {
			t.Error("after reset: the reset button still shows")
		}
		if !slices.Equal(walls.changed, []string{"plenary", "plenary"}) {
			t.Errorf("screens told = %v, want plenary twice", walls.changed)
		}
	})

	if rec := s.do(t, request{method: "POST", target: "/admin/walls/nope", cookie: admin, form: valid(nil), headers: sameOrigin()}); rec.Code != http.StatusNotFound {
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
