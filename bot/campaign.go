package bot

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cohesionalliance/campaignwall/model"
)

// PlanCampaign plans one run of a public reminder campaign: a post on each of
// its networks, in the first slot caps, spacing and quiet hours allow. The
// idempotency key holds the campaign's name and the run's minute, so a
// scheduler that fires twice for the same run plans it once.
func (s *Service) PlanCampaign(ctx context.Context, c Campaign) ([]model.OutboxItem, error) {
	if c.Name == "" || strings.TrimSpace(c.Text) == "" {
		return nil, fmt.Errorf("bot: campaign %q: needs a name and a text", c.Name)
	}
	if c.ImagePath != "" && strings.TrimSpace(c.ImageAlt) == "" {
		return nil, fmt.Errorf("bot: campaign %q: image without alt text", c.Name)
	}
	networks := c.Networks
	if len(networks) == 0 {
		for _, n := range botNetworks {
			if _, ok := s.pubs[n]; ok {
				networks = append(networks, n)
			}
		}
	}
	now := s.now()
	run := now.In(s.loc).Format("2006-01-02T15:04")
	text := s.campaignText(c.Text)
	var payload model.OutboxPayload
	payload.Language = c.Language
	if c.ImagePath != "" {
		payload.Media = []model.OutboxMedia{{Path: c.ImagePath, AltText: c.ImageAlt}}
	}
	var out []model.OutboxItem
	for _, n := range networks {
		if !slices.Contains(botNetworks, n) {
			return out, fmt.Errorf("bot: campaign %q: unknown network %q", c.Name, n)
		}
		it, err := s.Plan(ctx, model.OutboxItem{
			IdempotencyKey: "campaign:" + c.Name + ":" + string(n) + ":" + run,
			Network:        n,
			Kind:           model.OutboxPost,
			Text:           text,
			Payload:        payload,
		})
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// campaignText fills {count}, {url} and {days}.
func (s *Service) campaignText(tmpl string) string {
	count := "Many"
	if n := s.signatures.Load(); n > 0 {
		count = strconv.FormatInt(n, 10)
	}
	days := ""
	if dl := s.cfg.Reminders.Deadline; !dl.IsZero() {
		days = strconv.Itoa(max(0, int(math.Ceil(dl.Sub(s.now()).Hours()/24))))
	}
	return strings.NewReplacer("{count}", count, "{url}", s.cfg.Reminders.SigningURL, "{days}", days).Replace(tmpl)
}
