package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// NetworkState is what the admin page shows about one bot account.
type NetworkState struct {
	Network          model.Network
	Enabled          bool // an account is configured
	DryRun           bool
	Paused           bool
	PausedBy         string
	PausedAt         time.Time
	Halted           string    // why sending stopped (revoked token, …) until Resume
	RateLimitedUntil time.Time // zero when not rate limited
	SpentThisMonth   float64   // estimated, X only
	MonthlyBudget    float64   // X only
}

// botNetworks are the networks the bot can have accounts on.
var botNetworks = []model.Network{model.NetworkMastodon, model.NetworkBluesky, model.NetworkX}

// State returns the state of each network's bot account.
func (s *Service) State(ctx context.Context) ([]NetworkState, error) {
	paused, err := s.st.PausedNetworks(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: state: %w", err)
	}
	now := s.now()
	lt := now.In(s.loc)
	month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, s.loc)
	var out []NetworkState
	for _, n := range botNetworks {
		_, enabled := s.pubs[n]
		ns := NetworkState{Network: n, Enabled: enabled, DryRun: s.cfg.DryRun}
		if p, ok := paused[n]; ok {
			ns.Paused, ns.PausedBy, ns.PausedAt = true, p.By, p.At
		}
		s.mu.Lock()
		ns.Halted = s.halted[n]
		if until := s.limited[n]; now.Before(until) {
			ns.RateLimitedUntil = until
		}
		s.mu.Unlock()
		if n == model.NetworkX {
			ns.MonthlyBudget = s.cfg.X.MonthlyBudget
			if ns.SpentThisMonth, err = s.st.OutboxSpend(ctx, n, month, month.AddDate(0, 1, 0), 0); err != nil {
				return nil, fmt.Errorf("bot: state: %w", err)
			}
		}
		out = append(out, ns)
	}
	return out, nil
}

// Pause stops sending on a network (rows stay planned) until Resume.
func (s *Service) Pause(ctx context.Context, n model.Network, by string) error {
	if !slices.Contains(botNetworks, n) {
		return fmt.Errorf("bot: pause: unknown network %q", n)
	}
	return s.wrapStore(s.st.PauseNetwork(ctx, n, by, s.now()))
}

// Resume lets the bot send on a network again, and clears a halt (after a
// revoked token was replaced, say) and a rate-limit wait.
func (s *Service) Resume(ctx context.Context, n model.Network) error {
	if !slices.Contains(botNetworks, n) {
		return fmt.Errorf("bot: resume: unknown network %q", n)
	}
	s.mu.Lock()
	delete(s.halted, n)
	delete(s.limited, n)
	s.mu.Unlock()
	return s.wrapStore(s.st.ResumeNetwork(ctx, n))
}

// Preview returns what the bot plans to do within d from now (and anything
// overdue), soonest first: `campaignwall bot preview` prints the next 24 hours.
// In dry run this is what "would send".
func (s *Service) Preview(ctx context.Context, d time.Duration) ([]model.OutboxItem, error) {
	to := s.now().Add(d)
	var out []model.OutboxItem
	for _, st := range []model.OutboxStatus{model.OutboxPlanned, model.OutboxSending} {
		items, err := s.st.OutboxItems(ctx, store.OutboxFilter{Status: st, To: to, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("bot: preview: %w", err)
		}
		out = append(out, items...)
	}
	slices.SortFunc(out, func(a, b model.OutboxItem) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out, nil
}
