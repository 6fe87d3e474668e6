package moderation

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// LoginView is what the login page shows.
type LoginView struct {
	CampaignName string
	Name         string // typed in before a failed attempt, shown again
	Next         string // local path to go to after logging in
	Error        string // a message safe to show, or ""
}

// QueueView is what a queue page shows: one status's posts, newest first.
type QueueView struct {
	CampaignName string
	Moderator    string
	Status       model.Status
	Tabs         []Tab
	Posts        []model.Post
	Before       int64  // the page's paging cursor, kept by decision forms
	Notice       string // e.g. who decided a post first; safe text, escaped on render
	OlderURL     string // next page, or ""
	NewestURL    string // first page when paging, or ""
	Location     *time.Location
	MediaStates  map[int64]store.MediaFetch // fetch state of photos not cached yet, by media ID (media.go)
	Hands        handsView                  // keyboard, undo, leases and alt text (hands.go)
}

// Tab links to one status's queue.
type Tab struct {
	Status  model.Status
	Label   string
	Count   int
	URL     string
	Current bool
}

// tabStatuses are the queues moderators switch between, in order.
var tabStatuses = []model.Status{model.StatusPending, model.StatusApproved, model.StatusRejected, model.StatusRemoved}

func statusLabel(s model.Status) string {
	switch s {
	case model.StatusPending:
		return "Pending"
	case model.StatusApproved:
		return "Approved"
	case model.StatusRejected:
		return "Rejected"
	case model.StatusRemoved:
		return "Removed"
	}
	return string(s)
}

// queueURL is the address of a queue page. Only IDs and known statuses go
// in, so it is always a local path.
func queueURL(status model.Status, before int64) string {
	q := url.Values{}
	if status != "" && status != model.StatusPending {
		q.Set("status", string(status))
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return "/moderate"
	}
	return "/moderate?" + q.Encode()
}

func actionURL(id int64, a model.Action) string {
	return fmt.Sprintf("/moderate/posts/%d/%s", id, a)
}

func postDOMID(p model.Post) string { return fmt.Sprintf("post-%d", p.ID) }

func authorDOMID(p model.Post) string { return fmt.Sprintf("post-%d-author", p.ID) }

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// handle shows an account as people write it on its network. A direct
// submission has no account: its line shows the organisation the submitter
// gave (its handle is only an ID).
func handle(a model.Author) string {
	if a.Network == model.NetworkSubmission {
		return a.Bio
	}
	h := a.Handle
	switch a.Network {
	case model.NetworkMastodon, model.NetworkX, model.NetworkBluesky, model.NetworkInstagram:
		if h != "" && !strings.HasPrefix(h, "@") {
			return "@" + h
		}
	}
	return h
}

func displayName(a model.Author) string {
	if strings.TrimSpace(a.DisplayName) != "" {
		return a.DisplayName
	}
	return handle(a)
}

// webURL returns u if it is an http(s) URL and "" otherwise. templ checks
// link targets itself but not img src, and a post's URLs come from the network.
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}

// photoURL prefers the smaller preview: the queue shows photos at card size.
// photoURL is the small copy of a photo in campaignwall's media cache. A
// photo not cached yet has none: moderators see it flagged instead of a
// broken or hot-linked image, exactly as screens would not show it.
func photoURL(m model.Media) string {
	if m.CacheKey == "" {
		return ""
	}
	return "/media/" + m.CacheKey + "/480"
}

func (v QueueView) loc() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}

func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2 Jan 2006 15:04 MST")
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// decidedText says who last decided a post, e.g. "Approved by anna at 14:02 UTC".
func decidedText(p model.Post, loc *time.Location) string {
	if p.DecidedBy == "" {
		return ""
	}
	return fmt.Sprintf("%s by %s at %s", statusLabel(p.Status), p.DecidedBy, p.DecidedAt.In(loc).Format("15:04 MST"))
}

func sourceText(p model.Post) string {
	if p.SourceName == "" {
		return string(p.Network)
	}
	return fmt.Sprintf("%s · %s", p.Network, p.SourceName)
}

func mediaLabel(k model.MediaKind) string {
	switch k {
	case model.MediaVideo:
		return "Video"
	case model.MediaGIFV:
		return "Animated GIF"
	case model.MediaAudio:
		return "Audio"
	}
	return "Media"
}
