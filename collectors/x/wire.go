package x

import (
	"html"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// The API v2 wire format, as documented at
// https://docs.x.com/x-api/posts/search-recent-posts and the data dictionary
// (https://developer.x.com/en/docs/x-api/data-dictionary/object-model/tweet).
// An empty result has no "data" key; a 200 may carry "errors" beside data.

type searchResponse struct {
	Data     []tweet   `json:"data"`
	Includes includes  `json:"includes"`
	Errors   []Problem `json:"errors"`
	Meta     *meta     `json:"meta"`
}

type meta struct {
	ResultCount int    `json:"result_count"`
	NewestID    string `json:"newest_id"`
	OldestID    string `json:"oldest_id"`
	NextToken   string `json:"next_token"`
}

type includes struct {
	Users []user  `json:"users"`
	Media []media `json:"media"`
}

type tweet struct {
	ID                string      `json:"id"`
	Text              string      `json:"text"`
	AuthorID          string      `json:"author_id"`
	CreatedAt         string      `json:"created_at"`
	Lang              string      `json:"lang"`
	PossiblySensitive bool        `json:"possibly_sensitive"`
	ConversationID    string      `json:"conversation_id"`
	InReplyToUserID   string      `json:"in_reply_to_user_id"`
	ReferencedTweets  []reference `json:"referenced_tweets"`
	Attachments       attachments `json:"attachments"`
	Entities          entities    `json:"entities"`
	NoteTweet         *noteTweet  `json:"note_tweet"`
}

type reference struct {
	Type string `json:"type"` // retweeted, quoted, replied_to
	ID   string `json:"id"`
}

type attachments struct {
	MediaKeys []string `json:"media_keys"`
}

type entities struct {
	URLs     []urlEntity `json:"urls"`
	Hashtags []struct {
		Tag string `json:"tag"`
	} `json:"hashtags"`
}

type urlEntity struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	UnwoundURL  string `json:"unwound_url"`
	MediaKey    string `json:"media_key"`
}

// noteTweet holds the full text of a post longer than 280 characters; its
// "text" field then stops at 280 with a link.
type noteTweet struct {
	Text     string   `json:"text"`
	Entities entities `json:"entities"`
}

type user struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Username        string `json:"username"`
	ProfileImageURL string `json:"profile_image_url"`
	Description     string `json:"description"`
}

type media struct {
	MediaKey        string    `json:"media_key"`
	Type            string    `json:"type"` // photo, video, animated_gif
	URL             string    `json:"url"`
	PreviewImageURL string    `json:"preview_image_url"`
	AltText         string    `json:"alt_text"`
	Width           int       `json:"width"`
	Height          int       `json:"height"`
	Variants        []variant `json:"variants"`
}

type variant struct {
	BitRate     int    `json:"bit_rate"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
}

// bounds returns the newest and oldest post IDs of a page, from meta or,
// when meta lacks them, from the data.
func (r *searchResponse) bounds() (newest, oldest string) {
	if r.Meta != nil {
		newest, oldest = r.Meta.NewestID, r.Meta.OldestID
	}
	metaNewest, metaOldest := newest != "", oldest != ""
	for _, t := range r.Data {
		if !metaNewest {
			newest = maxID(newest, t.ID)
		}
		if !metaOldest && (oldest == "" || maxID(oldest, t.ID) == oldest) {
			oldest = t.ID
		}
	}
	return newest, oldest
}

func mapPosts(r *searchResponse, now time.Time) []model.Post {
	users := make(map[string]user, len(r.Includes.Users))
	for _, u := range r.Includes.Users {
		users[u.ID] = u
	}
	mediaByKey := make(map[string]media, len(r.Includes.Media))
	for _, m := range r.Includes.Media {
		mediaByKey[m.MediaKey] = m
	}
	posts := make([]model.Post, 0, len(r.Data))
	for _, t := range r.Data {
		if t.ID == "" || isReplyOrRepost(t) {
			continue
		}
		posts = append(posts, mapPost(t, users[t.AuthorID], mediaByKey, now))
	}
	return posts
}

func isReplyOrRepost(t tweet) bool {
	if t.InReplyToUserID != "" {
		return true
	}
	for _, ref := range t.ReferencedTweets {
		if ref.Type == "replied_to" || ref.Type == "retweeted" {
			return true
		}
	}
	return false
}

func mapPost(t tweet, u user, mediaByKey map[string]media, now time.Time) model.Post {
	text, ents := t.Text, t.Entities
	if t.NoteTweet != nil && t.NoteTweet.Text != "" {
		text, ents = t.NoteTweet.Text, t.NoteTweet.Entities
	}
	text = expandLinks(html.UnescapeString(text), ents.URLs)

	uri := "https://x.com/i/web/status/" + t.ID // the author is unknown when X withheld the user
	author := model.Author{Network: model.NetworkX, Handle: u.Username}
	if u.Username != "" {
		uri = "https://x.com/" + u.Username + "/status/" + t.ID
		author = model.Author{
			Network:     model.NetworkX,
			Handle:      u.Username,
			DisplayName: u.Name,
			URL:         "https://x.com/" + u.Username,
			AvatarURL:   u.ProfileImageURL,
			Bio:         u.Description,
		}
	}
	p := model.Post{
		Network:     model.NetworkX,
		URI:         uri,
		URL:         uri,
		RemoteID:    t.ID,
		Author:      author,
		Text:        text,
		HTML:        collectors.TextToHTML(text),
		Language:    language(t.Lang),
		Sensitive:   t.PossiblySensitive,
		CollectedAt: now,
	}
	if t.PossiblySensitive {
		p.ContentWarning = "Possibly sensitive (flagged by X)"
	}
	if ts, err := time.Parse(time.RFC3339, t.CreatedAt); err == nil {
		p.PublishedAt = ts.UTC()
	}
	for _, h := range ents.Hashtags {
		if h.Tag != "" {
			p.Tags = append(p.Tags, h.Tag)
		}
	}
	for _, key := range t.Attachments.MediaKeys {
		if m, ok := mediaByKey[key]; ok {
			if mm, ok := mapMedia(m); ok {
				p.Media = append(p.Media, mm)
			}
		}
	}
	return p
}

// expandLinks replaces X's t.co links with the addresses they stand for and
// drops the links that only point at the post's own photos or videos, which
// the wall shows from the media list.
func expandLinks(text string, urls []urlEntity) string {
	for _, u := range urls {
		if u.URL == "" {
			continue
		}
		switch {
		case u.MediaKey != "" || isOwnMediaLink(u.ExpandedURL):
			text = strings.Replace(text, u.URL, "", 1)
		case u.UnwoundURL != "":
			text = strings.Replace(text, u.URL, u.UnwoundURL, 1)
		case u.ExpandedURL != "":
			text = strings.Replace(text, u.URL, u.ExpandedURL, 1)
		}
	}
	return strings.TrimSpace(text)
}

func isOwnMediaLink(expanded string) bool {
	return (strings.Contains(expanded, "://x.com/") || strings.Contains(expanded, "://twitter.com/")) &&
		strings.Contains(expanded, "/status/") &&
		(strings.Contains(expanded, "/photo/") || strings.Contains(expanded, "/video/"))
}

func mapMedia(m media) (model.Media, bool) {
	out := model.Media{AltText: m.AltText, Width: m.Width, Height: m.Height}
	switch m.Type {
	case "photo":
		if m.URL == "" {
			return out, false
		}
		out.Kind, out.URL = model.MediaImage, m.URL
	case "video", "animated_gif":
		out.Kind = model.MediaVideo
		if m.Type == "animated_gif" {
			out.Kind = model.MediaGIFV
		}
		out.PreviewURL = m.PreviewImageURL
		best := -1
		for _, v := range m.Variants {
			if v.ContentType == "video/mp4" && v.URL != "" && v.BitRate > best {
				best, out.URL = v.BitRate, v.URL
			}
		}
		if out.URL == "" {
			if out.PreviewURL == "" {
				return out, false
			}
			// Without a playable file the wall can still show the still image.
			out.Kind, out.URL = model.MediaImage, out.PreviewURL
		}
	default:
		return out, false
	}
	return out, true
}

// language drops X's codes for "no language" (und, zxx, art) and its
// pseudo-languages for posts of only hashtags, mentions or links (qam, qht, …).
func language(code string) string {
	switch {
	case code == "und" || code == "zxx" || code == "art":
		return ""
	case len(code) == 3 && code[0] == 'q':
		return ""
	}
	return code
}
