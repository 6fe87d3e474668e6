// Package model holds the plain types every other package shares: posts, their
// authors and media, sources, moderation decisions, moderators and sessions.
// It imports only the standard library and holds no behaviour beyond small
// predicates, so any package may depend on it.
package model

import (
	"log/slog"
	"strings"
	"time"
)

// Network names where a post came from. It is half of a post's dedupe key.
type Network string

const (
	NetworkMastodon   Network = "mastodon"
	NetworkX          Network = "x"
	NetworkBluesky    Network = "bluesky"
	NetworkInstagram  Network = "instagram"
	NetworkFacebook   Network = "facebook"
	NetworkFeed       Network = "feed"
	NetworkWebpage    Network = "webpage"
	NetworkSubmission Network = "submission"
	NetworkDemo       Network = "demo"
)

// Status is where a post is in its one-way life:
// pending → approved | rejected, and → removed when its author deletes it upstream.
type Status string

const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
	StatusRemoved  Status = "removed"
)

// ParseStatus returns the Status named by s, and false for anything else.
func ParseStatus(s string) (Status, bool) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusPending, StatusApproved, StatusRejected, StatusRemoved:
		return st, true
	}
	return "", false
}

// Author is who wrote a post. Handle is unique per network and fully qualified
// where the network federates (user@instance on Mastodon).
type Author struct {
	ID          int64
	Network     Network
	Handle      string
	DisplayName string
	URL         string
	AvatarURL   string
	Bio         string
}

// MediaKind is what a Media item holds.
type MediaKind string

const (
	MediaImage MediaKind = "image"
	MediaVideo MediaKind = "video"
	MediaGIFV  MediaKind = "gifv"
	MediaAudio MediaKind = "audio"
)

// Media is a photo, video or sound a post carries. URL and PreviewURL point at
// the network's servers; screens are served from the local media cache instead
// (CacheKey, filled by package media once the file is fetched).
type Media struct {
	ID         int64
	Kind       MediaKind
	URL        string
	PreviewURL string
	AltText    string
	Width      int
	Height     int
	CacheKey   string
}

// StoredVideo returns the address of a video campaignwall keeps itself (a
// direct submission's, served by the media package), or "" for a video that
// stays on its network, of which screens show only the cached poster.
func (m Media) StoredVideo() string {
	if m.Kind == MediaVideo && m.CacheKey != "" && strings.HasPrefix(m.URL, "/media/video/") && !strings.Contains(m.URL, "..") {
		return m.URL
	}
	return ""
}

// Post is one item of campaign chatter, whatever network it came from.
//
// URI is the canonical identifier on its network (a federated Mastodon status has
// one uri on every instance); Network plus URI is the dedupe key. HTML is already
// sanitized by the collector; Text is the same content as plain text.
type Post struct {
	ID             int64
	Network        Network
	URI            string
	URL            string
	RemoteID       string
	CID            string // content hash some networks need to repost (Bluesky)
	SourceName     string
	Category       string
	Author         Author
	HTML           string
	Text           string
	Language       string
	ContentWarning string
	Sensitive      bool
	Tags           []string
	Media          []Media
	PublishedAt    time.Time
	CollectedAt    time.Time

	Status      Status
	Pinned      bool
	Highlighted bool
	// ShowOnScreens is a moderator's word that a post with a content warning
	// or sensitive media may be shown uncovered on the wall's screens.
	ShowOnScreens bool
	DecidedBy     string
	DecidedAt     time.Time
}

// HasImage reports whether the post carries at least one photo.
func (p Post) HasImage() bool {
	for _, m := range p.Media {
		if m.Kind == MediaImage {
			return true
		}
	}
	return false
}

// Source is a configured place to collect from, with what the store remembers
// about its last run.
type Source struct {
	Name                string
	Kind                string
	URL                 string
	Hashtags            []string
	Token               string // resolved from the env var or file named in config; never logged
	Schedule            string
	Category            string
	AllowPrivateNetwork bool
	// Settings holds the keys only this kind of source understands (a
	// monthly read budget, CSS selectors, an account ID), as config
	// validated them; lists are comma-separated. main maps them to the
	// collector's options.
	Settings map[string]string

	Cursor     string
	LastRunAt  time.Time
	LastError  string
	LastNew    int
	TotalPosts int
}

// Action is what a decision did to a post.
type Action string

const (
	ActionApprove     Action = "approve"
	ActionReject      Action = "reject"
	ActionRetract     Action = "retract"
	ActionRemove      Action = "remove" // deleted upstream by its author or network
	ActionEdited      Action = "edited" // edited upstream after approval: back to moderation
	ActionPin         Action = "pin"
	ActionUnpin       Action = "unpin"
	ActionHighlight   Action = "highlight"
	ActionUnhighlight Action = "unhighlight"
	ActionUndo        Action = "undo"     // a moderator took back their own decision moments after it
	ActionAltText     Action = "alt_text" // a moderator wrote or changed the alt text of a post's photos
	// A post with a content warning shows only the warning on screens until
	// a moderator uncovers it; cover takes that back.
	ActionUncover Action = "uncover"
	ActionCover   Action = "cover"
)

// Decision is one row of the audit log: who did what to which post, when and why.
// Actor is a moderator's name, "rule:NAME" for a rule, or "network" for an
// upstream deletion.
type Decision struct {
	ID     int64
	PostID int64
	Action Action
	Actor  string
	Reason string
	At     time.Time
}

// Role is what a moderator may do.
type Role string

const (
	RoleAdmin     Role = "admin"
	RoleModerator Role = "moderator"
)

// Moderator is a staff account that may log in to the moderation pages.
type Moderator struct {
	ID           int64
	Name         string
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
}

// Session is a logged-in moderator's server-side session. Only a hash of the
// cookie's token is stored.
type Session struct {
	TokenHash   string
	ModeratorID int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Run records one execution of a scheduled job.
type Run struct {
	ID       int64
	Job      string
	Started  time.Time
	Finished time.Time
	Items    int
	Error    string
}

// LogValue keeps the token out of logs whatever logs a Source.
func (s Source) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", s.Name), slog.String("kind", s.Kind), slog.Bool("token_set", s.Token != ""))
}

// String keeps the token out of anything that prints a Source with %v.
func (s Source) String() string {
	return "source " + s.Name + " (" + s.Kind + ")"
}
