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
	Admin        bool                       // the moderator is an admin (links to admin pages)
	Query        queueQuery                 // the page's status, filters and cursor (filters.go)
	Menus        []FilterMenu               // the filters' menus with counts per value
	Total        int                        // posts matching the status and every filter
	Problems     []string                   // filter values that were left out, and why
	SearchCapped bool                       // the search matched more than store.SearchWindow posts
	Hands        handsView                  // keyboard, undo, leases and alt text (hands.go)
	EventsSince  string                     // the moderators' stream's last event when the page was read: its stream starts after it (live.go)
}

// backURL is where a form on the page sends the moderator back to: this page.
func (v QueueView) backURL() string { return v.Query.URL() }

// bulkAllowed: bulk actions act on pending posts only. The bar is on every
// pending page, hidden while it lists no post: a card the live stream
// brings in (queue.js) has a checkbox for its form.
func (v QueueView) bulkAllowed() bool { return v.Status == model.StatusPending }

// selectable tells whether a card gets a checkbox for the bulk form: a
// pending post in the pending tab. It depends on the card and the tab
// only, so cards rendered alone (JSON answers, live events) have it too.
func (v QueueView) selectable(p model.Post) bool {
	return p.Status == model.StatusPending && v.Status == model.StatusPending
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

func statusLabelLower(s model.Status) string { return strings.ToLower(statusLabel(s)) }

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

// conflictText says who decided a post first, the one wording of a refused
// decision everywhere (queue notice, JSON answers, bulk results): "Already
// approved by anna at 14:02." in the moderators' time zone.
func conflictText(p model.Post, loc *time.Location) string {
	if p.DecidedBy == "" {
		return fmt.Sprintf("That post is already %s.", p.Status)
	}
	if loc == nil {
		loc = time.UTC
	}
	return fmt.Sprintf("Already %s by %s at %s.", p.Status, p.DecidedBy, p.DecidedAt.In(loc).Format("15:04"))
}

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

// liveFrom and liveTo are the page's date range in Unix milliseconds (""
// when open), for queue.js to tell whether a post arriving live belongs on
// this page: the days are whole days in the moderators' time zone, which
// the browser need not share.
func (v QueueView) liveFrom() string {
	if f := v.Query.filter(v.loc()); !f.From.IsZero() {
		return idString(f.From.UnixMilli())
	}
	return ""
}

func (v QueueView) liveTo() string {
	if f := v.Query.filter(v.loc()); !f.To.IsZero() {
		return idString(f.To.UnixMilli())
	}
	return ""
}
