package moderation

import (
	"context"
	"log/slog"
	"regexp"
	"strings"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// mediaStates loads the fetch state of every photo on the page that is not
// in the media cache yet, so the queue can tell "still coming" from "will
// not arrive". A failure to load them only loses the flag, not the page.
func (h *Handler) mediaStates(ctx context.Context, posts []model.Post) map[int64]store.MediaFetch {
	var ids []int64
	for _, p := range posts {
		for _, m := range p.Media {
			if m.CacheKey == "" {
				ids = append(ids, m.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	states, err := h.st.MediaFetchStates(ctx, ids)
	if err != nil {
		h.log.ErrorContext(ctx, "media fetch states", slog.Any("error", err))
		return nil
	}
	return states
}

// mediaFailed returns why a photo will not arrive, in plain words, and
// whether it failed for good (the cache gave up on it).
func (v QueueView) mediaFailed(m model.Media) (string, bool) {
	s, ok := v.MediaStates[m.ID]
	if !ok || !s.Failed {
		return "", false
	}
	return plainReason(s.LastError), true
}

var httpStatus = regexp.MustCompile(`HTTP (\d{3})`)

// plainReason turns the error the media cache recorded into words for a
// moderator. It reads the messages package media and the shared HTTP client
// write; anything unknown is "the download failed".
func plainReason(msg string) string {
	switch {
	case strings.Contains(msg, "too large"), strings.Contains(msg, "exceeds the size limit"):
		return "the file is larger than the media cache takes"
	case strings.Contains(msg, "too many pixels"):
		return "the picture has too many pixels"
	case strings.Contains(msg, "unsupported media type"):
		return "it is not a photo format the wall can show"
	case strings.Contains(msg, "broken image"):
		return "the file is damaged"
	case strings.Contains(msg, "non-public address"):
		return "its address points into a private network, which is never fetched"
	case strings.Contains(msg, "unusable media URL"), strings.Contains(msg, "no image to fetch"):
		return "the post gives no usable address for it"
	case strings.Contains(msg, "deadline exceeded"), strings.Contains(msg, "timeout"):
		return "its server did not answer in time"
	}
	if m := httpStatus.FindStringSubmatch(msg); m != nil {
		switch m[1] {
		case "404", "410":
			return "its server says it no longer exists (HTTP " + m[1] + ")"
		case "401", "403":
			return "its server refuses to hand it out (HTTP " + m[1] + ")"
		}
		return "its server answered with an error (HTTP " + m[1] + ")"
	}
	return "the download failed"
}

// posterURL is the cached still of a video or sound, if there is one.
func posterURL(m model.Media) string {
	if m.Kind == model.MediaImage {
		return ""
	}
	return photoURL(m)
}

func submissionURL(p model.Post) string { return "/moderate/submissions/" + idString(p.ID) }
