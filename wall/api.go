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
	limit, before, ok := apiPage(w, r)
	if !ok {
		return
	}
	posts, err := h.st.Posts(r.Context(), store.PostFilter{Status: model.StatusApproved, Before: before, Limit: limit})
	h.writePosts(w, posts, err, limit, toAPIPost)
}

// wallAPIPosts serves GET /w/{slug}/api/posts: the wall's posts, paged like
// /api/posts, with media as this server's cached copies.
func (h *Handler) wallAPIPosts(w http.ResponseWriter, r *http.Request, v wallView, _ *wallState) {
	limit, before, ok := apiPage(w, r)
	if !ok {
		return
	}
	posts, err := h.st.WallPosts(r.Context(), wallPostFilter(v, before, limit))
	h.writePosts(w, posts, err, limit, toWallAPIPost)
}

// wallPostFilter selects a wall's posts as its configured mode shows them.
func wallPostFilter(v wallView, before int64, limit int) store.WallPostFilter {
	return store.WallPostFilter{Filter: v.Filter, PhotosOnly: v.Mode == model.ModePhotos, Before: before, Limit: limit}
}

// apiPage reads limit and before, answering 400 itself when they are wrong.
func apiPage(w http.ResponseWriter, r *http.Request) (limit int, before int64, ok bool) {
	q := r.URL.Query()
	limit = apiDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "limit must be a whole number from 1 to 200"})
			return 0, 0, false
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "before must be the id of a post"})
			return 0, 0, false
		}
		before = n
	}
	return limit, before, true
}

func (h *Handler) writePosts(w http.ResponseWriter, posts []model.Post, err error, limit int, conv func(model.Post) apiPost) {
	if err != nil {
		h.log.Error("wall: api posts", slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "posts are unavailable right now"})
		return
	}
	resp := apiPostsResponse{Posts: make([]apiPost, 0, len(posts))}
	for _, p := range posts {
		resp.Posts = append(resp.Posts, conv(p))
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

// toWallAPIPost is a post as a wall's API shows it: media as this server's
// cached copies (none before they are cached: a wall's clients, like its
// screens, load nothing from the networks), and nothing of a post behind a
// content warning but the warning until a moderator uncovers it.
func toWallAPIPost(p model.Post) apiPost {
	a := toAPIPost(p)
	a.Author.AvatarURL = localURL(p.Author.AvatarURL)
	a.Media = []apiMedia{}
	if covered(p) && p.ContentWarning != "" {
		a.HTML, a.Text = "", ""
		return a
	}
	if covered(p) {
		return a // sensitive media: the text, not the photos
	}
	for _, ph := range photos(p) {
		kind := string(model.MediaImage)
		if ph.Video {
			kind = string(model.MediaVideo) + "_poster"
		}
		a.Media = append(a.Media, apiMedia{Kind: kind, URL: ph.Src, PreviewURL: ph.Src, AltText: ph.Alt})
	}
	return a
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
