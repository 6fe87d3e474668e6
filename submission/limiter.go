package submission

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// limiter counts submissions per client address in a sliding window. It
// lives in memory: a restart forgets the counts, an acceptable trade for one
// binary (and the form is public: it must not need a database write to turn
// a flood away).
//
// Two counts: submissions that were stored (the configured limit), and
// attempts of any outcome (four times that, at least ten), so a client
// sending refused files over and over is slowed too, while a person who
// forgot to tick the consent box is not held against the limit.
type limiter struct {
	window   time.Duration
	limit    int
	attempts int

	mu        sync.Mutex
	sent      map[string][]time.Time // key → times of stored (or in-flight) submissions, oldest first
	tried     map[string][]time.Time // key → times of every attempt
	lastSweep time.Time
}

func newLimiter(window time.Duration, limit int) *limiter {
	return &limiter{window: window, limit: limit, attempts: max(10, 4*limit),
		sent: map[string][]time.Time{}, tried: map[string][]time.Time{}}
}

// clientKey groups addresses that belong to one client: an IPv4 address, or
// an IPv6 /64 (one home or phone gets a whole /64 and may use any of it).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// reserve counts a submission before it is checked, so parallel requests
// cannot slip past the limit; release takes it back when the submission is
// refused. When over the limit it returns how long until a slot frees, and
// whether it was the attempts count (not stored submissions) that is full.
func (l *limiter) reserve(now time.Time, key string) (wait time.Duration, attempts bool, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	sent, tried := l.recent(l.sent[key], now), l.recent(l.tried[key], now)
	if len(sent) >= l.limit {
		return sent[len(sent)-l.limit].Add(l.window).Sub(now), false, false
	}
	if len(tried) >= l.attempts {
		return tried[len(tried)-l.attempts].Add(l.window).Sub(now), true, false
	}
	l.sent[key] = append(sent, now)
	l.tried[key] = append(tried, now)
	return 0, false, true
}

// release takes back the submission reserved at the given time; the
// attempt stays counted.
func (l *limiter) release(at time.Time, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.sent[key]
	if i := slices.IndexFunc(times, at.Equal); i >= 0 {
		l.sent[key] = slices.Delete(times, i, i+1)
	}
}

// recent returns the times inside the window ending at now.
func (l *limiter) recent(times []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-l.window)) {
		cut++
	}
	return times[cut:]
}

// sweep drops clients with nothing inside the window, at most once a
// minute, so the maps do not grow with every address ever seen.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for _, m := range []map[string][]time.Time{l.sent, l.tried} {
		for k, times := range m {
			if r := l.recent(times, now); len(r) == 0 {
				delete(m, k)
			} else {
				m[k] = r
			}
		}
	}
}
