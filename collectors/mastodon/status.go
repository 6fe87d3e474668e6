package mastodon

import (
	"encoding/json"
	"strings"
	"time"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// status is the part of the Status entity campaignwall reads
// (https://docs.joinmastodon.org/entities/Status/). Only these fields are
// decoded, so a server that sends an unusual shape for a field we ignore
// (polls, cards, filters, emoji reactions on forks) cannot break collection.
// IDs use go-mastodon's ID, which also accepts the bare numbers some older
// servers send, and orders Mastodon's numeric IDs and other servers' ULIDs.
type status struct {
	ID               gomastodon.ID `json:"id"`
	URI              string        `json:"uri"`
	URL              string        `json:"url"` // nullable
	CreatedAt        time.Time     `json:"created_at"`
	InReplyToID      gomastodon.ID `json:"in_reply_to_id"` // nullable
	Visibility       string        `json:"visibility"`
	Sensitive        bool          `json:"sensitive"`
	SpoilerText      string        `json:"spoiler_text"`
	Language         string        `json:"language"` // nullable
	Content          string        `json:"content"`
	Account          account       `json:"account"`
	Reblog           *status       `json:"reblog"`
	MediaAttachments []attachment  `json:"media_attachments"`
	Tags             []tag         `json:"tags"`
}

// account is the part of https://docs.joinmastodon.org/entities/Account/ a
// post's author needs.
type account struct {
	ID           gomastodon.ID `json:"id"`
	Username     string        `json:"username"`
	Acct         string        `json:"acct"` // "user" for accounts local to the server asked
	DisplayName  string        `json:"display_name"`
	URL          string        `json:"url"`
	Avatar       string        `json:"avatar"`
	AvatarStatic string        `json:"avatar_static"`
	Note         string        `json:"note"` // HTML
}

// attachment follows https://docs.joinmastodon.org/entities/MediaAttachment/.
type attachment struct {
	Type        string `json:"type"` // image, gifv, video, audio, unknown
	URL         string `json:"url"`
	PreviewURL  string `json:"preview_url"`
	RemoteURL   string `json:"remote_url"`
	Description string `json:"description"` // alt text, nullable
	Meta        *struct {
		Original *struct {
			// Numbers, but float64 tolerates servers that send 1080.0.
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"original"`
	} `json:"meta"`
}

type tag struct {
	Name string `json:"name"`
}

var mediaKinds = map[string]model.MediaKind{
	"image": model.MediaImage,
	"gifv":  model.MediaGIFV,
	"video": model.MediaVideo,
	"audio": model.MediaAudio,
}

// skipReason says why a status is not collected; empty means it is.
func skipReason(st status) string {
	orig := st
	if st.Reblog != nil {
		orig = *st.Reblog
	}
	switch {
	case st.Visibility != "public" || orig.Visibility != "public":
		// Tag timelines only carry public posts; anything else here is a
		// server quirk, and a wall must never show a post its author did
		// not publish to everyone.
		return "not public"
	case orig.InReplyToID != "":
		return "reply"
	case orig.URI == "":
		return "no uri"
	}
	return ""
}

// toPost maps a status to a post. A reblog becomes the post it boosts: the
// wall shows the original author's words, and the original's uri makes a
// boost and the post itself (or two boosts) one post. host qualifies the
// handles of accounts local to the server asked.
func toPost(st status, src model.Source, host string, now time.Time) model.Post {
	if st.Reblog != nil {
		st = *st.Reblog
	}
	html, text := collectors.SanitizeHTML(st.Content)
	p := model.Post{
		Network:        model.NetworkMastodon,
		URI:            st.URI,
		URL:            st.URL,
		RemoteID:       string(st.ID),
		SourceName:     src.Name,
		Category:       src.Category,
		Author:         toAuthor(st.Account, host),
		HTML:           html,
		Text:           text,
		Language:       st.Language,
		ContentWarning: st.SpoilerText,
		Sensitive:      st.Sensitive,
		PublishedAt:    st.CreatedAt,
		CollectedAt:    now,
	}
	if p.URL == "" {
		p.URL = st.URI // url is nullable; the uri of a Mastodon post also opens in a browser
	}
	for _, t := range st.Tags {
		if t.Name != "" {
			p.Tags = append(p.Tags, t.Name)
		}
	}
	for _, a := range st.MediaAttachments {
		kind, ok := mediaKinds[a.Type]
		u := a.URL
		if u == "" {
			u = a.RemoteURL // not (yet) cached by the server asked
		}
		if !ok || u == "" {
			continue
		}
		m := model.Media{Kind: kind, URL: u, PreviewURL: a.PreviewURL, AltText: a.Description}
		if a.Meta != nil && a.Meta.Original != nil {
			m.Width, m.Height = int(a.Meta.Original.Width), int(a.Meta.Original.Height)
		}
		p.Media = append(p.Media, m)
	}
	return p
}

func toAuthor(a account, host string) model.Author {
	handle := a.Acct
	if handle == "" {
		handle = a.Username
	}
	if handle != "" && !strings.Contains(handle, "@") && host != "" {
		handle += "@" + host
	}
	avatar := a.Avatar
	if avatar == "" {
		avatar = a.AvatarStatic
	}
	_, bio := collectors.SanitizeHTML(a.Note)
	return model.Author{
		Network:     model.NetworkMastodon,
		Handle:      handle,
		DisplayName: a.DisplayName,
		URL:         a.URL,
		AvatarURL:   avatar,
		Bio:         bio,
	}
}

// decodePage decodes a timeline page. A body that is not a JSON array
// (truncated, an HTML error page) is an error for the whole page. A single
// status of an unexpected shape is returned in bad, with its id when that
// much could be read, so the caller can log it and still move past it
// instead of failing on it forever.
func decodePage(body []byte) (statuses []status, bad []badStatus, err error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, err
	}
	for i, r := range raw {
		var st status
		if err := json.Unmarshal(r, &st); err != nil {
			var idOnly struct {
				ID gomastodon.ID `json:"id"`
			}
			_ = json.Unmarshal(r, &idOnly)
			bad = append(bad, badStatus{Index: i, ID: string(idOnly.ID), Err: err})
			continue
		}
		statuses = append(statuses, st)
	}
	return statuses, bad, nil
}

type badStatus struct {
	Index int
	ID    string
	Err   error
}
