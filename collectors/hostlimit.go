package collectors

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HostLimiter keeps campaignwall from hammering one host from several
// sources at once: at most PerHost requests to a host are in flight, and
// request starts to a host are at least Spacing apart. One HostLimiter is
// shared by every client main builds (ClientOptions.Limiter), so two sources
// on the same Mastodon server, or Facebook and Instagram on the same Graph
// API, take turns instead of adding up.
//
// A request holds its slot until its response body is read to the end or
// closed. The zero value is not usable: call NewHostLimiter.
type HostLimiter struct {
	perHost int
	spacing time.Duration
	now     func() time.Time
	wait    func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	hosts map[string]*hostSlot // grows with the hosts collected from: a few dozen at most

	blocked func(host string) // tests: called when a request waits for a slot
}

type hostSlot struct {
	inFlight chan struct{} // a token per request in flight
	next     time.Time     // earliest start of the next request
}

// HostLimiterOptions tunes NewHostLimiter. The zero value gives the defaults.
type HostLimiterOptions struct {
	PerHost int           // requests in flight per host, default 2
	Spacing time.Duration // between request starts to one host, default 200ms; negative: none
	// Now and Wait are the clock; tests inject them (Wait records instead
	// of sleeping). Default time.Now and Sleep.
	Now  func() time.Time
	Wait func(ctx context.Context, d time.Duration) error
}

// NewHostLimiter returns a HostLimiter for every client of the process.
func NewHostLimiter(opts HostLimiterOptions) *HostLimiter {
	if opts.PerHost <= 0 {
		opts.PerHost = 2
	}
	if opts.Spacing == 0 {
		opts.Spacing = 200 * time.Millisecond
	}
	if opts.Spacing < 0 {
		opts.Spacing = 0
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wait == nil {
		opts.Wait = Sleep
	}
	return &HostLimiter{perHost: opts.PerHost, spacing: opts.Spacing, now: opts.Now, wait: opts.Wait, hosts: map[string]*hostSlot{}}
}

func (l *HostLimiter) slot(host string) *hostSlot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.hosts[host]
	if !ok {
		s = &hostSlot{inFlight: make(chan struct{}, l.perHost)}
		l.hosts[host] = s
	}
	return s
}

// acquire waits for a free slot on host and for the spacing since the
// previous start, and returns the function that frees the slot. With
// holdSlot false (streams, which stay open for hours) only the spacing applies.
func (l *HostLimiter) acquire(ctx context.Context, host string, holdSlot bool) (release func(), err error) {
	s := l.slot(strings.ToLower(host))
	release = func() {}
	if holdSlot {
		select {
		case s.inFlight <- struct{}{}:
		default:
			if l.blocked != nil {
				l.blocked(host)
			}
			select {
			case s.inFlight <- struct{}{}:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		var once sync.Once
		release = func() { once.Do(func() { <-s.inFlight }) }
	}
	// Reserve a start time under the lock, then wait outside it: requests
	// queued on one host line up Spacing apart without blocking other hosts.
	l.mu.Lock()
	now := l.now()
	start := s.next
	if start.Before(now) {
		start = now
	}
	s.next = start.Add(l.spacing)
	l.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		if err := l.wait(ctx, d); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// limitedTransport runs each request through a HostLimiter.
type limitedTransport struct {
	next     http.RoundTripper
	limiter  *HostLimiter
	holdSlot bool
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.limiter.acquire(req.Context(), req.URL.Host, t.holdSlot)
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{rc: resp.Body, release: release}
	return resp, nil
}

// releasingBody frees the request's slot at the end of the body or on
// Close, whichever comes first.
type releasingBody struct {
	rc      io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	defer b.release()
	return b.rc.Close()
}
