package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// HighlightKey is the idempotency key of a highlight repost.
func HighlightKey(p model.Post) string {
	return "highlight:" + string(p.Network) + ":" + p.URI
}

// optOut matches the tags by which authors keep the bot away: #nobot, #nowall
// (as words: not inside a URL, and a bio may be HTML).
var optOut = regexp.MustCompile(`(?i)(?:^|[\s(>])#no(?:bot|wall)\b`)

// OptedOut reports whether the post's author asked not to be amplified, in the
// post or in their bio.
func OptedOut(p model.Post) bool {
	for _, t := range p.Tags {
		if t = strings.ToLower(strings.TrimPrefix(t, "#")); t == "nobot" || t == "nowall" {
			return true
		}
	}
	return optOut.MatchString(p.Text) || optOut.MatchString(p.Author.Bio)
}

// PlanHighlight plans the repost of a post a moderator highlighted, on the
// post's own network, at the first slot caps, spacing and quiet hours allow.
// A post the bot must not repost (a reply, content-warned, its author opted
// out, not approved, or the author's daily cap reached) is recorded as skipped
// with the reason. Highlighting the same post again returns the row planned
// the first time. It returns ErrNoAccount if the bot has no account on the
// post's network.
func (s *Service) PlanHighlight(ctx context.Context, p model.Post) (model.OutboxItem, error) {
	if p.Network == "" || p.URI == "" {
		return model.OutboxItem{}, errors.New("bot: highlight: post without network or URI")
	}
	if _, ok := s.pubs[p.Network]; !ok {
		return model.OutboxItem{}, fmt.Errorf("bot: highlight post %d on %s: %w", p.ID, p.Network, ErrNoAccount)
	}
	target := p.URI
	if p.Network == model.NetworkX {
		target = p.RemoteID // X reposts by tweet ID
	}
	it := model.OutboxItem{
		IdempotencyKey: HighlightKey(p),
		Network:        p.Network,
		Kind:           model.OutboxRepost,
		PostID:         p.ID,
		Author:         p.Author.Handle,
		Target:         target,
		Payload:        model.OutboxPayload{CID: p.CID},
	}
	if why := notHighlightable(p); why != "" {
		it.Status, it.Reason = model.OutboxSkipped, why
	}
	out, err := s.Plan(ctx, it)
	if err != nil || out.Status == model.OutboxSkipped || s.cfg.HighlightPost == "" {
		return out, err
	}
	return out, s.planHighlightPosts(ctx, p)
}

// planHighlightPosts plans the short post linking to a highlighted post on
// each of the campaign's other networks.
func (s *Service) planHighlightPosts(ctx context.Context, p model.Post) error {
	link := p.URL
	if link == "" {
		link = p.URI
	}
	if !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "http://") {
		return nil // nothing to link to (an at:// URI, say)
	}
	author := p.Author.DisplayName
	if author == "" {
		author = p.Author.Handle
	}
	text := strings.NewReplacer("{url}", link, "{author}", author).Replace(s.cfg.HighlightPost)
	for _, n := range botNetworks {
		if _, ok := s.pubs[n]; !ok || n == p.Network {
			continue
		}
		if _, err := s.Plan(ctx, model.OutboxItem{
			IdempotencyKey: "highlight-post:" + string(n) + ":" + string(p.Network) + ":" + p.URI,
			Network:        n,
			Kind:           model.OutboxPost,
			PostID:         p.ID,
			Author:         p.Author.Handle,
			Text:           text,
			Payload:        model.OutboxPayload{Language: p.Language},
		}); err != nil {
			return err
		}
	}
	return nil
}

// notHighlightable says why the bot must never repost p, judged from what was
// collected. (The Mastodon and Bluesky publishers check replies and content
// warnings again on the live post before reposting.)
func notHighlightable(p model.Post) string {
	switch {
	case p.Status != model.StatusApproved:
		return fmt.Sprintf("the post is not approved (%s)", p.Status)
	case p.ContentWarning != "" || p.Sensitive:
		return "the post has a content warning"
	case OptedOut(p):
		return "the author opted out (#nobot or #nowall)"
	case looksLikeReply(p):
		return "the post is a reply"
	case p.Network == model.NetworkX && p.RemoteID == "":
		return "the post has no X ID to repost"
	}
	return ""
}

// looksLikeReply: model.Post carries no in-reply-to field, but replies on
// Mastodon and X open with the mention of whom they answer.
func looksLikeReply(p model.Post) bool {
	return strings.HasPrefix(strings.TrimSpace(p.Text), "@")
}

// Plan writes an action to the outbox. A public action (repost, post) is
// planned for the first slot at or after its NextAttemptAt (now if zero) that
// respects quiet hours, the network's caps and spacing, and, for reposts, the
// per-author daily cap (which skips it rather than delaying it). The estimated
// cost is filled in. If the idempotency key is known, the existing row is
// returned unchanged.
func (s *Service) Plan(ctx context.Context, it model.OutboxItem) (model.OutboxItem, error) {
	if it.IdempotencyKey == "" || it.Network == "" || it.Kind == "" {
		return model.OutboxItem{}, errors.New("bot: plan: an action needs an idempotency key, a network and a kind")
	}
	s.planMu.Lock()
	defer s.planMu.Unlock()
	if old, err := s.st.OutboxItemByKey(ctx, it.IdempotencyKey); err == nil {
		return old, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return model.OutboxItem{}, fmt.Errorf("bot: plan: %w", err)
	}
	now := s.now()
	it.CreatedAt = now
	if it.NextAttemptAt.IsZero() || it.NextAttemptAt.Before(now) {
		it.NextAttemptAt = now
	}
	it.EstimatedCost = s.estimateCost(it)
	if it.Status == "" && isPublic(it.Kind) {
		slot, why, err := s.nextSlot(ctx, it.Network, it.Author, it.Kind, it.NextAttemptAt)
		if err != nil {
			return model.OutboxItem{}, err
		}
		if why != "" {
			it.Status, it.Reason = model.OutboxSkipped, why
		} else {
			it.NextAttemptAt = slot
		}
	}
	out, _, err := s.st.CreateOutboxItem(ctx, it)
	if err != nil {
		return model.OutboxItem{}, fmt.Errorf("bot: plan: %w", err)
	}
	return out, nil
}

// urlInText finds links, which X charges more for.
var urlInText = regexp.MustCompile(`(?i)\bhttps?://\S+`)

func (s *Service) estimateCost(it model.OutboxItem) float64 {
	if it.Network != model.NetworkX {
		return 0
	}
	switch {
	case it.Kind == model.OutboxRepost:
		return s.cfg.X.CostPerRepost
	case urlInText.MatchString(it.Text):
		return s.cfg.X.CostPerLinkPost
	}
	return s.cfg.X.CostPerPost
}

// slotHorizon bounds the search for a slot.
const slotHorizon = 30 * 24 * time.Hour

// nextSlot finds the first moment at or after from when the network may take
// one more public action: outside quiet hours, under the hourly and daily
// caps (counted per clock hour and calendar day in the bot's time zone), and
// at least MinSpacing from every other planned or sent action. If the author's
// daily cap is full on that day, it returns a reason to skip instead.
func (s *Service) nextSlot(ctx context.Context, n model.Network, author string, kind model.OutboxKind, from time.Time) (time.Time, string, error) {
	caps := s.caps(n)
	slots, err := s.st.OutboxSlots(ctx, n, publicKinds, from.Add(-48*time.Hour), from.Add(slotHorizon+48*time.Hour))
	if err != nil {
		return time.Time{}, "", fmt.Errorf("bot: plan: %w", err)
	}
	t := from
	for t.Before(from.Add(slotHorizon)) {
		if s.quiet.contains(t, s.loc) {
			t = s.quiet.endAfter(t, s.loc)
			continue
		}
		lt := t.In(s.loc)
		hour := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, s.loc)
		day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, s.loc)
		nextDay := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, s.loc)
		if caps.PerHour > 0 && countIn(slots, hour, hour.Add(time.Hour)) >= caps.PerHour {
			t = hour.Add(time.Hour)
			continue
		}
		if caps.PerDay > 0 && countIn(slots, day, nextDay) >= caps.PerDay {
			t = nextDay
			continue
		}
		if caps.MinSpacing > 0 {
			moved := false
			for _, sl := range slots {
				if d := t.Sub(sl.At); d > -caps.MinSpacing && d < caps.MinSpacing {
					t = sl.At.Add(caps.MinSpacing)
					moved = true
				}
			}
			if moved {
				continue
			}
		}
		if kind == model.OutboxRepost && author != "" && caps.PerAuthorPerDay > 0 {
			n := 0
			for _, sl := range slots {
				if sl.Kind == model.OutboxRepost && strings.EqualFold(sl.Author, author) && !sl.At.Before(day) && sl.At.Before(nextDay) {
					n++
				}
			}
			if n >= caps.PerAuthorPerDay {
				return time.Time{}, fmt.Sprintf("author %s already reposted %d times that day", author, n), nil
			}
		}
		return t, "", nil
	}
	return time.Time{}, fmt.Sprintf("no free slot within %d days (caps full)", int(slotHorizon.Hours()/24)), nil
}

func countIn(slots []store.OutboxSlot, from, to time.Time) int {
	n := 0
	for _, sl := range slots {
		if !sl.At.Before(from) && sl.At.Before(to) {
			n++
		}
	}
	return n
}
