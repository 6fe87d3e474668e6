package auth

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// limiter counts failed logins per account and per client IP in a sliding
// window. It lives in memory: a restart forgets the counts, which is an
// acceptable trade for a single-binary deployment with a handful of moderators.
type limiter struct {
	window     time.Duration
	perAccount int
	perIP      int

	mu        sync.Mutex
	fails     map[string][]time.Time // "a:name" or "i:ip" → failure times, oldest first
	lastSweep time.Time
}

func newLimiter(window time.Duration, perAccount, perIP int) *limiter {
	return &limiter{window: window, perAccount: perAccount, perIP: perIP, fails: map[string][]time.Time{}}
}

func accountKey(name string) string { return "a:" + strings.ToLower(name) }
func ipKey(ip string) string        { return "i:" + ip }

// reserve counts an attempt as failed before the password is checked, so
// parallel guesses cannot slip past the limit while bcrypt runs; succeeded
// takes the reservation back. When the account or the IP is over its limit
// it returns how long until the oldest counted failure leaves the window.
func (l *limiter) reserve(now time.Time, ip, account string) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	ak, ik := accountKey(account), ipKey(ip)
	a, i := l.recent(ak, now), l.recent(ik, now)
	if len(a) >= l.perAccount {
		retryAfter = max(retryAfter, a[len(a)-l.perAccount].Add(l.window).Sub(now))
	}
	if len(i) >= l.perIP {
		retryAfter = max(retryAfter, i[len(i)-l.perIP].Add(l.window).Sub(now))
	}
	if retryAfter > 0 {
		return retryAfter, false
	}
	l.fails[ak] = append(a, now)
	l.fails[ik] = append(i, now)
	return 0, true
}

// succeeded clears the account's failures and takes back the IP's
// reservation made at the given time: a moderator who finally types the
// right password starts afresh, while a client guessing many accounts from
// one address does not.
func (l *limiter) succeeded(at time.Time, ip, account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, accountKey(account))
	ik := ipKey(ip)
	times := l.fails[ik]
	if j := slices.IndexFunc(times, at.Equal); j >= 0 {
		times = slices.Delete(times, j, j+1)
	}
	if len(times) == 0 {
		delete(l.fails, ik)
	} else {
		l.fails[ik] = times
	}
}

// recent returns key's failures inside the window ending at now.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	times := l.fails[key]
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-l.window)) {
		cut++
	}
	return times[cut:]
}

// sweep drops keys with no failure inside the window, at most once a minute,
// so names sprayed by a guesser do not pile up in memory.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k := range l.fails {
		if r := l.recent(k, now); len(r) == 0 {
			delete(l.fails, k)
		} else {
			l.fails[k] = r
		}
	}
}
