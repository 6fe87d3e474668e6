package moderation

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// maxModeratorName caps a moderator's name, in characters.
const maxModeratorName = 64

// moderatorRoutes registers the admins' page of moderator accounts, and
// "log out everywhere" on one's own account, which every moderator has.
func (h *Handler) moderatorRoutes(mux *http.ServeMux, form func(http.Handler) http.Handler) {
	admin := func(f http.HandlerFunc) http.Handler { return h.auth.RequireAdmin(f) }
	mux.Handle("GET /admin/moderators", auth.SecurityHeaders(admin(h.moderatorsPage)))
	mux.Handle("POST /admin/moderators", form(admin(h.addModerator)))
	mux.Handle("POST /admin/moderators/{id}/remove", form(admin(h.removeModerator)))
	mux.Handle("POST /admin/moderators/{id}/password", form(admin(h.resetPassword)))
	mux.Handle("POST /admin/moderators/{id}/logout", form(admin(h.logoutModerator)))
	mux.Handle("POST /logout/everywhere", form(h.auth.Require(http.HandlerFunc(h.logoutEverywhere))))
}

// ModeratorsView is the admins' page of moderator accounts. Password is
// a new password, shown once on the answer to the form that made it.
type ModeratorsView struct {
	CampaignName string
	Moderator    model.Moderator // who is looking
	Moderators   []model.Moderator
	Notice       string
	Error        string
	PasswordFor  string
	Password     string
	NewName      string // typed before a refused add, shown again
	MinPassword  int
}

func (h *Handler) moderatorsView(r *http.Request) (ModeratorsView, error) {
	m, _ := auth.ModeratorFromContext(r.Context())
	mods, err := h.st.Moderators(r.Context())
	return ModeratorsView{CampaignName: h.opts.CampaignName, Moderator: m, Moderators: mods, MinPassword: auth.MinPasswordLength}, err
}

func (h *Handler) moderatorsPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.moderatorsView(r)
	if err != nil {
		h.serverError(w, r, "moderators", err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "removed":
		v.Notice = "The moderator was removed. Their decisions stay in the audit log."
	case "logout":
		v.Notice = "Every session of that moderator was ended."
	}
	h.render(w, r, http.StatusOK, ModeratorsPage(v))
}

// answerModerators renders the page again after a form, with a message or a new
// password; the list is read afresh.
func (h *Handler) answerModerators(w http.ResponseWriter, r *http.Request, status int, edit func(*ModeratorsView)) {
	v, err := h.moderatorsView(r)
	if err != nil {
		h.serverError(w, r, "moderators", err)
		return
	}
	edit(&v)
	h.render(w, r, status, ModeratorsPage(v))
}

// validName reports what is wrong with a new moderator's name, or "".
func validName(name string) string {
	switch {
	case name == "":
		return "Give the moderator a name."
	case utf8.RuneCountInString(name) > maxModeratorName:
		return fmt.Sprintf("Names are at most %d characters.", maxModeratorName)
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) && r != ' ' }):
		return "Names cannot hold tabs, line breaks or control characters."
	}
	return ""
}

func (h *Handler) addModerator(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	admin, _ := auth.ModeratorFromContext(ctx)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	role := model.RoleModerator
	if r.PostFormValue("role") == string(model.RoleAdmin) {
		role = model.RoleAdmin
	}
	refuse := func(msg string) {
		h.answerModerators(w, r, http.StatusBadRequest, func(v *ModeratorsView) { v.Error, v.NewName = msg, name })
	}
	if msg := validName(name); msg != "" {
		refuse(msg)
		return
	}
	password, generated := r.PostFormValue("password"), false
	if password == "" {
		password, generated = auth.GeneratePassword(), true
	}
	hash, err := auth.HashPassword(password)
	switch {
	case errors.Is(err, auth.ErrPasswordTooShort):
		refuse(fmt.Sprintf("The password is shorter than %d characters. Leave it empty to get a generated one.", auth.MinPasswordLength))
		return
	case errors.Is(err, auth.ErrPasswordTooLong):
		refuse("The password is longer than 72 bytes.")
		return
	case err != nil:
		h.serverError(w, r, "hash password", err)
		return
	}
	m, err := h.st.CreateModerator(ctx, model.Moderator{Name: name, PasswordHash: hash, Role: role})
	if errors.Is(err, store.ErrDuplicate) {
		refuse(fmt.Sprintf("There is already a moderator called %q.", name))
		return
	}
	if err != nil {
		h.serverError(w, r, "add moderator", err)
		return
	}
	h.log.InfoContext(ctx, "moderator added", slog.String("moderator", m.Name), slog.String("role", string(m.Role)), slog.String("by", admin.Name))
	h.answerModerators(w, r, http.StatusOK, func(v *ModeratorsView) {
		v.Notice = fmt.Sprintf("%s added as %s.", m.Name, m.Role)
		if generated {
			v.PasswordFor, v.Password = m.Name, password
		}
	})
}

// target reads the moderator a form acts on.
func (h *Handler) target(w http.ResponseWriter, r *http.Request) (model.Moderator, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "That is not a moderator ID.", http.StatusBadRequest)
		return model.Moderator{}, false
	}
	m, err := h.st.ModeratorByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "There is no such moderator.", http.StatusNotFound)
		return model.Moderator{}, false
	}
	if err != nil {
		h.serverError(w, r, "moderator", err)
		return model.Moderator{}, false
	}
	return m, true
}

func (h *Handler) removeModerator(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	admin, _ := auth.ModeratorFromContext(ctx)
	m, ok := h.target(w, r)
	if !ok {
		return
	}
	if m.ID == admin.ID {
		h.answerModerators(w, r, http.StatusConflict, func(v *ModeratorsView) {
			v.Error = "You cannot remove your own account. Ask another admin."
		})
		return
	}
	err := h.st.RemoveModerator(ctx, m.ID)
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		h.answerModerators(w, r, http.StatusConflict, func(v *ModeratorsView) {
			v.Error = fmt.Sprintf("%s is the last admin and cannot be removed.", m.Name)
		})
		return
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "There is no such moderator.", http.StatusNotFound)
		return
	case err != nil:
		h.serverError(w, r, "remove moderator", err)
		return
	}
	h.log.InfoContext(ctx, "moderator removed", slog.String("moderator", m.Name), slog.String("by", admin.Name))
	http.Redirect(w, r, "/admin/moderators?done=removed", http.StatusSeeOther)
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	admin, _ := auth.ModeratorFromContext(ctx)
	m, ok := h.target(w, r)
	if !ok {
		return
	}
	password := auth.GeneratePassword()
	hash, err := auth.HashPassword(password)
	if err == nil {
		// Ends every session of theirs too: whoever knew the old password is out.
		err = h.st.UpdateModeratorPassword(ctx, m.ID, hash)
	}
	if err != nil {
		h.serverError(w, r, "reset password", err)
		return
	}
	h.log.InfoContext(ctx, "password reset", slog.String("moderator", m.Name), slog.String("by", admin.Name))
	if m.ID == admin.ID {
		// Their own sessions ended with the reset, this one included.
		h.auth.ClearSessionCookie(w)
	}
	h.answerModerators(w, r, http.StatusOK, func(v *ModeratorsView) {
		v.Notice = fmt.Sprintf("New password for %s; every session of theirs was ended.", m.Name)
		v.PasswordFor, v.Password = m.Name, password
	})
}

func (h *Handler) logoutModerator(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	admin, _ := auth.ModeratorFromContext(ctx)
	m, ok := h.target(w, r)
	if !ok {
		return
	}
	if err := h.auth.LogoutEverywhere(ctx, m.ID); err != nil {
		h.serverError(w, r, "logout everywhere", err)
		return
	}
	h.log.InfoContext(ctx, "moderator logged out everywhere", slog.String("moderator", m.Name), slog.String("by", admin.Name))
	if m.ID == admin.ID {
		h.auth.ClearSessionCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/moderators?done=logout", http.StatusSeeOther)
}

// logoutEverywhere ends every session of the moderator asking, on every
// device: for a laptop left behind at a venue.
func (h *Handler) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, _ := auth.ModeratorFromContext(ctx)
	if err := h.auth.LogoutEverywhere(ctx, m.ID); err != nil {
		h.serverError(w, r, "logout everywhere", err)
		return
	}
	h.log.InfoContext(ctx, "moderator logged out everywhere", slog.String("moderator", m.Name), slog.String("by", m.Name))
	h.auth.ClearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func moderatorURL(m model.Moderator, what string) string {
	return "/admin/moderators/" + strconv.FormatInt(m.ID, 10) + "/" + what
}
