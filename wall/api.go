package wall

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// apiPost is a post as the public API shows it: only what the wall shows,
// nothing about moderation or sources.
type apiPost struct {
	ID             int64      `json:"id"`
	Network        string     `json:"network"`
	URL            string     `json:"url"`
	Author         apiAuthor  `json:"author"`
	HTML           string     `json:"html"`
	Text           string     `json:"text"`
	Language       string     `json:"language"`
	ContentWarning string     `json:"content_warning"`
	Sensitive      bool       `json:"sensitive"`
	PublishedAt    string     `json:"published_at"`
	Media          []apiMedia `json:"media"`
}

type apiAuthor struct {
	Handle    string `json:"handle"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
	URL       string `json:"url"`
}

type apiMedia struct {
	Kind       string `json:"kind"`
	URL        string `json:"url"`
	PreviewURL string `json:"preview_url"`
	AltText    string `json:"alt_text"`
}

type apiPostsResponse struct {
	Posts      []apiPost `json:"posts"`
	NextBefore *int64    `json:"next_before"`
}

type apiError struct {
	Error string `json:"error"`
}

const (
	apiDefaultLimit = 50
	apiMaxLimit     = 200
)

// apiPosts serves GET /api/posts: approved posts, newest first, paged with
// limit and before (the ID of the last post of the previous page).
func (h *Handler) apiPosts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := apiDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "limit must be a whole number from 1 to 200"})
			return
		}
		limit = n
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "before must be the id of a post"})
			return
		}
		before = n
	}
	posts, err := h.st.Posts(r.Context(), store.PostFilter{Status: model.StatusApproved, Before: before, Limit: limit})
	if err != nil {
		h.log.Error("wall: api posts", slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "posts are unavailable right now"})
		return
	}
	resp := apiPostsResponse{Posts: make([]apiPost, 0, len(posts))}
	for _, p := range posts {
		resp.Posts = append(resp.Posts, toAPIPost(p))
	}
	// A full page may have more behind it; a short one is the end.
	if len(posts) == limit {
		last := posts[len(posts)-1].ID
		resp.NextBefore = &last
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func toAPIPost(p model.Post) apiPost {
	media := make([]apiMedia, 0, len(p.Media))
	for _, m := range p.Media {
		media = append(media, apiMedia{Kind: string(m.Kind), URL: m.URL, PreviewURL: m.PreviewURL, AltText: m.AltText})
	}
	return apiPost{
		ID:      p.ID,
		Network: string(p.Network),
		URL:     p.URL,
		Author: apiAuthor{
			Handle:    p.Author.Handle,
			Name:      p.Author.DisplayName,
			AvatarURL: p.Author.AvatarURL,
			URL:       p.Author.URL,
		},
		HTML:           p.HTML,
		Text:           p.Text,
		Language:       p.Language,
		ContentWarning: p.ContentWarning,
		Sensitive:      p.Sensitive,
		PublishedAt:    p.PublishedAt.UTC().Format(time.RFC3339),
		Media:          media,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs are written here; this cannot happen.
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
