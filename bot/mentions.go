package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/cohesionalliance/campaignwall/model"
)

// mentionLister is a publisher that can list the mentions of its account.
// cursor is what the last call returned ("" the first time, when only the
// most recent page is read); mentions come oldest first.
type mentionLister interface {
	Mentions(ctx context.Context, cursor string) (ms []Mention, next string, err error)
}

// PollMentions reads the new mentions of every bot account and handles them
// (HandleMention), then remembers how far it read. A crash in between makes
// the next poll handle some mentions again, which changes nothing. The
// scheduler calls it every minute or so. In dry run it does nothing: opting
// people in without ever confirming would be wrong.
func (s *Service) PollMentions(ctx context.Context) (int, error) {
	if s.cfg.DryRun {
		return 0, nil
	}
	paused, err := s.st.PausedNetworks(ctx)
	if err != nil {
		return 0, fmt.Errorf("bot: mentions: %w", err)
	}
	handled := 0
	var errs []error
	for _, n := range botNetworks {
		lister, ok := s.pubs[n].(mentionLister)
		if _, isPaused := paused[n]; !ok || isPaused || s.blocked(n, s.now()) {
			continue
		}
		name := "mentions:" + string(n)
		cursor, err := s.st.BotCursor(ctx, name)
		if err != nil {
			return handled, fmt.Errorf("bot: mentions: %w", err)
		}
		callCtx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		ms, next, err := lister.Mentions(callCtx, cursor)
		cancel()
		if err != nil {
			s.log.Warn("bot: reading mentions failed", slog.String("network", string(n)), slog.Any("error", err))
			errs = append(errs, fmt.Errorf("bot: mentions on %s: %w", n, err))
			continue
		}
		for _, m := range ms {
			if _, err := s.HandleMention(ctx, m); err != nil {
				return handled, err
			}
			handled++
		}
		if next != "" && next != cursor {
			if err := s.st.SetBotCursor(ctx, name, next); err != nil {
				return handled, fmt.Errorf("bot: mentions: %w", err)
			}
		}
	}
	return handled, errors.Join(errs...)
}

// mentionPages bounds how many pages of mentions one poll reads.
const mentionPages = 3

// Mentions lists mention notifications newer than cursor (a notification ID).
// go-mastodon replaces the pagination it is given with the next, older page,
// so the cursor is tracked here and reading stops at it.
func (m *Mastodon) Mentions(ctx context.Context, cursor string) ([]Mention, string, error) {
	pg := &gomastodon.Pagination{MinID: gomastodon.ID(cursor), Limit: 40}
	var out []Mention
	next, read := cursor, 0
	for n, err := range m.c.Notifications(ctx, &gomastodon.NotificationFilter{Includes: []string{"mention"}}, pg) {
		if err != nil {
			return nil, "", m.fail("mentions", err)
		}
		if cursor != "" && !idAfter(string(n.ID), cursor) {
			break
		}
		if read++; read > 40*mentionPages || (cursor == "" && read > 40) {
			break
		}
		if idAfter(string(n.ID), next) {
			next = string(n.ID)
		}
		if n.Type != "mention" || n.Status == nil {
			continue
		}
		out = append(out, Mention{Network: model.NetworkMastodon, URI: n.Status.URI, RemoteID: string(n.Status.ID),
			Handle: n.Account.Acct, Text: htmlText(n.Status.Content), Language: n.Status.Language})
	}
	reverse(out)
	return out, next, nil
}

// idAfter compares Mastodon's numeric string IDs.
func idAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

var (
	htmlBreak = regexp.MustCompile(`(?i)<br\s*/?>|</p>`)
	htmlTag   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText turns a Mastodon status's HTML into the plain text intent
// detection reads; it is never shown anywhere.
func htmlText(s string) string {
	s = htmlBreak.ReplaceAllString(s, "\n")
	return strings.TrimSpace(html.UnescapeString(htmlTag.ReplaceAllString(s, "")))
}

// Mentions lists mention notifications indexed after cursor (an RFC 3339
// time), oldest first.
func (b *Bluesky) Mentions(ctx context.Context, cursor string) ([]Mention, string, error) {
	var since time.Time
	if cursor != "" {
		t, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			return nil, "", &SendError{Network: model.NetworkBluesky, Op: "mentions", Kind: ErrBadAction, Detail: "bad cursor " + cursor}
		}
		since = t
	}
	q := url.Values{"limit": {"50"}, "reasons": {"mention", "reply"}}
	var out []Mention
	newest := since
	for range mentionPages {
		var page struct {
			Cursor        string `json:"cursor"`
			Notifications []struct {
				URI    string `json:"uri"`
				CID    string `json:"cid"`
				Reason string `json:"reason"`
				Author struct {
					Handle string `json:"handle"`
				} `json:"author"`
				Record struct {
					Text  string   `json:"text"`
					Langs []string `json:"langs"`
				} `json:"record"`
				IndexedAt time.Time `json:"indexedAt"`
			} `json:"notifications"`
		}
		if err := b.call(ctx, xrpcReq{op: "mentions", method: http.MethodGet, nsid: "app.bsky.notification.listNotifications", q: q}, &page); err != nil {
			return nil, "", err
		}
		older := false
		for _, n := range page.Notifications {
			if !n.IndexedAt.After(since) {
				older = true
				break
			}
			if n.IndexedAt.After(newest) {
				newest = n.IndexedAt
			}
			if n.Reason != "mention" && n.Reason != "reply" {
				continue
			}
			m := Mention{Network: model.NetworkBluesky, URI: n.URI, CID: n.CID, Handle: n.Author.Handle, Text: n.Record.Text}
			if len(n.Record.Langs) > 0 {
				m.Language = strings.ToLower(strings.SplitN(n.Record.Langs[0], "-", 2)[0])
			}
			out = append(out, m)
		}
		if older || since.IsZero() || page.Cursor == "" {
			break
		}
		q.Set("cursor", page.Cursor)
	}
	reverse(out)
	next := cursor
	if !newest.IsZero() {
		next = newest.UTC().Format(time.RFC3339Nano)
	}
	return out, next, nil
}

// Mentions lists posts mentioning the X account since cursor (a post ID),
// oldest first.
func (x *X) Mentions(ctx context.Context, cursor string) ([]Mention, string, error) {
	q := url.Values{"tweet.fields": {"lang,author_id"}, "expansions": {"author_id"}, "user.fields": {"username"}}
	if cursor != "" {
		q.Set("since_id", cursor)
		q.Set("max_results", "100")
	} else {
		q.Set("max_results", "20")
	}
	var page struct {
		Data []struct {
			ID       string `json:"id"`
			Text     string `json:"text"`
			AuthorID string `json:"author_id"`
			Lang     string `json:"lang"`
		} `json:"data"`
		Includes struct {
			Users []struct {
				ID       string `json:"id"`
				Username string `json:"username"`
			} `json:"users"`
		} `json:"includes"`
		Meta struct {
			NewestID string `json:"newest_id"`
		} `json:"meta"`
	}
	if err := x.do(ctx, "mentions", http.MethodGet, "/2/users/"+url.PathEscape(x.userID)+"/mentions", q, nil, &page); err != nil {
		return nil, "", err
	}
	users := map[string]string{}
	for _, u := range page.Includes.Users {
		users[u.ID] = u.Username
	}
	var out []Mention
	for _, t := range page.Data {
		if t.AuthorID == x.userID || users[t.AuthorID] == "" {
			continue
		}
		out = append(out, Mention{Network: model.NetworkX, URI: "https://x.com/" + users[t.AuthorID] + "/status/" + t.ID,
			RemoteID: t.ID, Handle: users[t.AuthorID], Text: html.UnescapeString(t.Text), Language: t.Lang})
	}
	reverse(out)
	next := cursor
	if page.Meta.NewestID != "" {
		next = page.Meta.NewestID
	}
	return out, next, nil
}
