package model

import "time"

// OutboxKind is what an outbox action does on its network.
type OutboxKind string

const (
	OutboxRepost OutboxKind = "repost" // boost, repost, retweet of Target
	OutboxPost   OutboxKind = "post"   // a new public post
	OutboxReply  OutboxKind = "reply"  // a reply to Target
	OutboxDM     OutboxKind = "dm"     // a direct message to the handle in Target
)

// OutboxStatus is where an outbox action is in its life:
// planned → sending → sent | failed, or planned → skipped.
// A row left in sending means an attempt may have reached the network; it is
// reconciled (asked of the network) before it is ever sent again.
type OutboxStatus string

const (
	OutboxPlanned OutboxStatus = "planned"
	OutboxSending OutboxStatus = "sending"
	OutboxSent    OutboxStatus = "sent"
	OutboxFailed  OutboxStatus = "failed"
	OutboxSkipped OutboxStatus = "skipped"
)

// OutboxItem is one action the bot will take, is taking or took on a network.
// It is written before anything is sent; IdempotencyKey is unique, so planning
// the same action twice yields one row.
type OutboxItem struct {
	ID             int64
	IdempotencyKey string
	Network        Network
	Kind           OutboxKind
	PostID         int64  // the collected post the action is about; 0 for none
	Author         string // handle of that post's author, for per-author caps
	// Target is what the action points at: for a repost or reply the post's
	// URI on its network (a tweet ID on X), for a direct message the handle.
	Target        string
	Text          string
	Payload       OutboxPayload
	Status        OutboxStatus
	Reason        string // why it was skipped or failed, or the last retry's error
	RemoteID      string // the network's ID of what was created or reposted
	Attempts      int
	NextAttemptAt time.Time // when it is due (the planned slot, or the next retry)
	// FirstAttemptAt is when it was first handed to the network: reconciling a
	// row left in sending looks for the bot's own activity since then.
	FirstAttemptAt time.Time
	LastAttemptAt  time.Time
	EstimatedCost  float64 // what the network charges for it (X), in the budget's currency
	CreatedAt      time.Time
	SentAt         time.Time
}

// OutboxPayload holds what some networks need beyond Target and Text.
type OutboxPayload struct {
	// CID is the Bluesky content hash of Target (repost subject, reply parent).
	CID string `json:"cid,omitempty"`
	// RootURI and RootCID name the thread root of a Bluesky reply; empty when
	// the parent is the root.
	RootURI string `json:"root_uri,omitempty"`
	RootCID string `json:"root_cid,omitempty"`
	// Visibility is the Mastodon visibility of a post or reply; empty means
	// "public" (and "direct" for a DM). The bot always sends it explicitly.
	Visibility string `json:"visibility,omitempty"`
	// LocalID is Mastodon's ID of Target on the bot's own instance, when known
	// (a mention's notification gives it), so no search is needed to reply.
	LocalID  string        `json:"local_id,omitempty"`
	Language string        `json:"language,omitempty"` // ISO 639-1
	Media    []OutboxMedia `json:"media,omitempty"`
}

// OutboxMedia is a local image file attached to a post, with its alt text.
type OutboxMedia struct {
	Path    string `json:"path"`
	AltText string `json:"alt_text"`
}
