package moderation

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/cohesionalliance/campaignwall/auth"
)

const defaultNext = "/moderate"

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := auth.LocalPath(r.URL.Query().Get("next"), defaultNext)
	if token := auth.SessionToken(r); token != "" {
		if _, err := h.auth.Authenticate(r.Context(), token); err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
	}
	h.render(w, r, http.StatusOK, LoginPage(LoginView{CampaignName: h.opts.CampaignName, Next: next}))
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The login form could not be read.", http.StatusBadRequest)
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	next := auth.LocalPath(r.PostFormValue("next"), defaultNext)
	token, m, err := h.auth.Login(r.Context(), h.opts.ClientIP(r), name, password)
	if err != nil {
		view := LoginView{CampaignName: h.opts.CampaignName, Name: name, Next: next}
		status := http.StatusUnauthorized
		var limit *auth.LimitError
		switch {
		case errors.Is(err, auth.ErrBadCredentials):
			view.Error = "Wrong name or password."
		case errors.As(err, &limit):
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limit.RetryAfter.Seconds()))))
			view.Error = fmt.Sprintf("Too many attempts; try again in %s.", minutes(limit.RetryAfter.Minutes()))
		default:
			h.log.ErrorContext(r.Context(), "login", slog.Any("error", err))
			status = http.StatusInternalServerError
			view.Error = "Logging in failed on our side. Please try again in a moment."
		}
		h.render(w, r, status, LoginPage(view))
		return
	}
	h.auth.SetSessionCookie(w, token)
	h.log.InfoContext(r.Context(), "moderator logged in", slog.String("moderator", m.Name))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// minutes rounds up, so "try again in 1 minute" is never too early.
func minutes(m float64) string {
	n := max(1, int(math.Ceil(m)))
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.auth.Logout(r.Context(), auth.SessionToken(r)); err != nil {
		// The cookie is cleared anyway; the stored session expires on its own.
		h.log.ErrorContext(r.Context(), "logout", slog.Any("error", err))
	}
	h.auth.ClearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
