package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Publisher does the bot's actions on one network.
type Publisher interface {
	Network() model.Network
	// Send does it.Kind on the network and returns the ID of what it created
	// (or, for a repost, of the reposted post). Errors wrap a sentinel of this
	// package that says whether the action certainly did not happen.
	Send(ctx context.Context, it model.OutboxItem) (remoteID string, err error)
	// Lookup reports whether an earlier attempt of it, whose outcome is
	// unknown, did happen on the network.
	Lookup(ctx context.Context, it model.OutboxItem) (remoteID string, found bool, err error)
}

// Options are the Service's collaborators. Zero values are fine.
type Options struct {
	// HTTPClient is used by the publishers New builds from Config. It should
	// have a timeout and must not retry requests by itself (a retried POST
	// can post twice); nil: a client with a one-minute timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
	// Publishers replace, by network, the ones New would build from Config.
	Publishers []Publisher
}

// Service is the bot: it plans actions into the outbox and dispatches them.
type Service struct {
	st    *store.Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	loc   *time.Location
	quiet window
	pubs  map[model.Network]Publisher

	tickMu sync.Mutex // one Tick at a time
	planMu sync.Mutex // slot search and insert of a plan are one step

	signatures atomic.Int64 // the petition's count, quoted in reminders

	mu      sync.Mutex
	limited map[model.Network]time.Time // rate-limited until
	halted  map[model.Network]string    // why sending stopped (bad token), until Resume
}

// New returns the bot service for cfg, which must come from DefaultConfig.
func New(st *store.Store, cfg Config, opts Options) (*Service, error) {
	if st == nil {
		return nil, errors.New("bot: nil store")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("bot: time zone %q: %w", cfg.TimeZone, err)
	}
	quiet, err := parseWindow(cfg.QuietStart, cfg.QuietEnd)
	if err != nil {
		return nil, fmt.Errorf("bot: quiet hours: %w", err)
	}
	if _, err := parseWindow(cfg.Reminders.WakingStart, cfg.Reminders.WakingEnd); err != nil {
		return nil, fmt.Errorf("bot: reminder waking hours: %w", err)
	}
	s := &Service{
		st: st, cfg: cfg, log: opts.Logger, now: opts.Now, loc: loc, quiet: quiet,
		pubs:    map[model.Network]Publisher{},
		limited: map[model.Network]time.Time{},
		halted:  map[model.Network]string{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	if cfg.Mastodon.enabled() {
		p, err := NewMastodon(cfg.Mastodon, hc)
		if err != nil {
			return nil, err
		}
		s.pubs[model.NetworkMastodon] = p
	}
	if cfg.Bluesky.enabled() {
		p, err := NewBluesky(cfg.Bluesky, hc)
		if err != nil {
			return nil, err
		}
		s.pubs[model.NetworkBluesky] = p
	}
	if cfg.X.enabled() {
		p, err := NewX(cfg.X, hc)
		if err != nil {
			return nil, err
		}
		s.pubs[model.NetworkX] = p
	}
	for _, p := range opts.Publishers {
		s.pubs[p.Network()] = p
	}
	return s, nil
}

// Tick dispatches the outbox rows that are due. The scheduler calls it every
// few seconds; concurrent calls return at once. Failures of single sends are
// recorded on their rows; the returned error is about the store or ctx.
func (s *Service) Tick(ctx context.Context) error {
	if !s.tickMu.TryLock() {
		return nil
	}
	defer s.tickMu.Unlock()
	if !s.cfg.DryRun {
		// In dry run nothing is planned for supporters: a reminder planned
		// but never sent would still count against their maximum.
		if _, err := s.PlanReminders(ctx); err != nil {
			return err
		}
	}
	now := s.now()
	if s.cfg.DryRun {
		due, err := s.st.DueOutboxItems(ctx, now, s.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("bot: tick: %w", err)
		}
		if len(due) > 0 {
			s.log.Info("bot dry run: not sending", slog.Int("due", len(due)))
		}
		return nil
	}
	paused, err := s.st.PausedNetworks(ctx)
	if err != nil {
		return fmt.Errorf("bot: tick: %w", err)
	}
	var skip []model.Network
	for n := range paused {
		skip = append(skip, n)
	}
	s.mu.Lock()
	for n, until := range s.limited {
		if now.Before(until) {
			skip = append(skip, n)
		}
	}
	for n := range s.halted {
		skip = append(skip, n)
	}
	s.mu.Unlock()
	due, err := s.st.DueOutboxItems(ctx, now, s.cfg.BatchSize, skip...)
	if err != nil {
		return fmt.Errorf("bot: tick: %w", err)
	}
	var errs []error
	for _, it := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.blocked(it.Network, now) { // a send earlier in this batch hit a limit
			continue
		}
		if err := s.dispatch(ctx, it, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) halt(n model.Network, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.halted[n] = err.Error()
	s.log.Error("bot halted on network until resumed", slog.String("network", string(n)), slog.Any("error", err))
}

func (s *Service) blocked(n model.Network, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, halted := s.halted[n]
	return halted || now.Before(s.limited[n])
}

// dispatch takes one due row one step further.
func (s *Service) dispatch(ctx context.Context, it model.OutboxItem, now time.Time) error {
	log := s.log.With(slog.Int64("outbox_id", it.ID), slog.String("network", string(it.Network)),
		slog.String("kind", string(it.Kind)))
	pub := s.pubs[it.Network]
	if pub == nil {
		return s.fail(ctx, it, fmt.Sprintf("no bot account configured for %s", it.Network))
	}
	if it.Attempts >= s.cfg.MaxAttempts {
		return s.giveUp(ctx, pub, it)
	}
	reconcile := it.Status == model.OutboxSending
	if !reconcile {
		if reason, err := s.mustSkip(ctx, it, now); err != nil {
			return err
		} else if reason != "" {
			log.Info("bot skipped", slog.String("reason", reason))
			return s.wrapStore(s.st.MarkOutboxSkipped(ctx, it.ID, reason))
		}
		if wait, ok, err := s.spacingWait(ctx, it, now); err != nil {
			return err
		} else if ok {
			return s.wrapStore(s.st.RetryOutboxItem(ctx, it.ID, model.OutboxPlanned, wait, "waiting for minimum spacing"))
		}
	}
	it, err := s.st.StartOutboxAttempt(ctx, it.ID, it.Status, now)
	if err != nil {
		return s.wrapStore(err)
	}
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	if reconcile {
		remoteID, found, err := pub.Lookup(callCtx, it)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // shutting down: the row stays in sending
			}
			log.Warn("bot lookup failed", slog.Any("error", err))
			switch {
			case halting(err):
				s.halt(it.Network, err)
			case permanent(err):
				// Never resend what might have been sent.
				return s.fail(ctx, it, "cannot tell whether an earlier attempt was sent: "+err.Error())
			}
			return s.retry(ctx, it, model.OutboxSending, now, err)
		}
		if found {
			log.Info("bot reconciled: already done upstream", slog.String("remote_id", remoteID))
			return s.wrapStore(s.st.MarkOutboxSent(ctx, it.ID, remoteID, now))
		}
		log.Info("bot reconciled: not done upstream, sending")
	}
	if reason, err := s.overBudget(ctx, it, now); err != nil {
		return err
	} else if reason != "" {
		log.Info("bot skipped", slog.String("reason", reason))
		return s.wrapStore(s.st.MarkOutboxSkipped(ctx, it.ID, reason))
	}
	remoteID, err := pub.Send(callCtx, it)
	if err == nil {
		log.Info("bot sent", slog.String("remote_id", remoteID))
		return s.wrapStore(s.st.MarkOutboxSent(ctx, it.ID, remoteID, now))
	}
	if ctx.Err() != nil {
		// Shutdown or crash mid-request: leave the row in sending, to be
		// reconciled on the next start.
		return ctx.Err()
	}
	log.Warn("bot send failed", slog.Any("error", err))
	switch {
	case halting(err):
		s.halt(it.Network, err)
		return s.fail(ctx, it, err.Error())
	case permanent(err):
		return s.fail(ctx, it, err.Error())
	case errors.Is(err, ErrRateLimited):
		until := now.Add(max(retryDelay(err, now), s.backoff(it.Attempts)))
		s.mu.Lock()
		s.limited[it.Network] = until
		s.mu.Unlock()
		return s.wrapStore(s.st.RetryOutboxItem(ctx, it.ID, model.OutboxPlanned, until, err.Error()))
	case notDone(err):
		return s.retry(ctx, it, model.OutboxPlanned, now, err)
	default:
		return s.retry(ctx, it, model.OutboxSending, now, err)
	}
}

// retry schedules the next attempt. A row that certainly did nothing upstream
// is failed after MaxAttempts at once; one whose last attempt may have
// reached the network comes back once more, to be looked up (giveUp).
func (s *Service) retry(ctx context.Context, it model.OutboxItem, to model.OutboxStatus, now time.Time, cause error) error {
	it.Reason = cause.Error()
	if it.Attempts >= s.cfg.MaxAttempts && to == model.OutboxPlanned {
		it.Status = to
		return s.fail(ctx, it, fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, it.Reason))
	}
	next := now.Add(max(retryDelay(cause, now), s.backoff(it.Attempts)))
	return s.wrapStore(s.st.RetryOutboxItem(ctx, it.ID, to, next, it.Reason))
}

// giveUp fails a row that used up its attempts. If the last one may have
// reached the network, the network is asked a last time first.
func (s *Service) giveUp(ctx context.Context, pub Publisher, it model.OutboxItem) error {
	reason := fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, it.Reason)
	if it.Status == model.OutboxSending {
		callCtx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		remoteID, found, err := pub.Lookup(callCtx, it)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil && found:
			return s.wrapStore(s.st.MarkOutboxSent(ctx, it.ID, remoteID, s.now()))
		case err != nil:
			reason += " (the last attempt may have reached the network, and checking failed: " + err.Error() + ")"
		}
	}
	return s.fail(ctx, it, reason)
}

func (s *Service) fail(ctx context.Context, it model.OutboxItem, reason string) error {
	s.log.Warn("bot action failed", slog.Int64("outbox_id", it.ID), slog.String("network", string(it.Network)),
		slog.String("reason", reason))
	return s.wrapStore(s.st.MarkOutboxFailed(ctx, it.ID, reason))
}

// backoff is RetryBase doubled per attempt made, capped at RetryMax.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

func (s *Service) wrapStore(err error) error {
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	return nil
}

// mustSkip says why a planned row must not be sent at all, if it must not.
func (s *Service) mustSkip(ctx context.Context, it model.OutboxItem, now time.Time) (string, error) {
	if it.Attempts == 0 && now.Sub(it.NextAttemptAt) > s.cfg.StaleAfter {
		return fmt.Sprintf("stale: was due at %s", it.NextAttemptAt.In(s.loc).Format(time.DateTime)), nil
	}
	if it.PostID == 0 {
		return "", nil
	}
	p, err := s.st.PostByID(ctx, it.PostID)
	if errors.Is(err, store.ErrNotFound) {
		return "the post was deleted", nil
	}
	if err != nil {
		return "", fmt.Errorf("bot: %w", err)
	}
	if p.Status != model.StatusApproved {
		return fmt.Sprintf("the post is no longer approved (%s)", p.Status), nil
	}
	return "", nil
}

// publicKinds are what caps and spacing count.
var publicKinds = []model.OutboxKind{model.OutboxRepost, model.OutboxPost}

func isPublic(k model.OutboxKind) bool { return k == model.OutboxRepost || k == model.OutboxPost }

// spacingWait keeps minimum spacing at send time too: after a pause, a rate
// limit or a dry run, due rows would otherwise all go out at once.
func (s *Service) spacingWait(ctx context.Context, it model.OutboxItem, now time.Time) (time.Time, bool, error) {
	spacing := s.caps(it.Network).MinSpacing
	if !isPublic(it.Kind) || spacing <= 0 {
		return time.Time{}, false, nil
	}
	sent, err := s.st.OutboxItems(ctx, store.OutboxFilter{Network: it.Network, Status: model.OutboxSent,
		From: now.Add(-spacing), To: now.Add(time.Second), Limit: 10})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("bot: %w", err)
	}
	for _, o := range sent {
		if isPublic(o.Kind) {
			return o.SentAt.Add(spacing), true, nil // newest first
		}
	}
	return time.Time{}, false, nil
}

// overBudget checks the network's monthly budget before a send.
func (s *Service) overBudget(ctx context.Context, it model.OutboxItem, now time.Time) (string, error) {
	if it.Network != model.NetworkX {
		return "", nil
	}
	budget := s.cfg.X.MonthlyBudget
	lt := now.In(s.loc)
	from := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, s.loc)
	spent, err := s.st.OutboxSpend(ctx, it.Network, from, from.AddDate(0, 1, 0), it.ID)
	if err != nil {
		return "", fmt.Errorf("bot: %w", err)
	}
	if budget <= 0 || spent+it.EstimatedCost > budget+1e-9 {
		return "X monthly budget reached", nil
	}
	return "", nil
}

// caps returns a network's caps.
func (s *Service) caps(n model.Network) Caps {
	switch n {
	case model.NetworkMastodon:
		return s.cfg.Mastodon.Caps
	case model.NetworkBluesky:
		return s.cfg.Bluesky.Caps
	case model.NetworkX:
		return s.cfg.X.Caps
	}
	return Caps{}
}
