package collectors

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff spaces out retries of a failing call: each wait doubles, from Min
// up to Max, so a struggling server is not hammered, and a random jitter
// keeps many clients that failed together from retrying together.
// The zero value waits 1s, 2s, 4s, … up to 5 minutes. Not safe for
// concurrent use: each retry loop owns one.
type Backoff struct {
	Min time.Duration // first wait, default 1s
	Max time.Duration // longest wait, default 5m
	// Jitter turns a computed wait into the one used; nil means "equal
	// jitter": half of d fixed, the other half random. Tests pass an
	// identity function to get exact waits.
	Jitter func(d time.Duration) time.Duration

	attempt int
}

// Next returns how long to wait before the next retry and counts the attempt.
func (b *Backoff) Next() time.Duration {
	b.attempt++
	return b.After(b.attempt)
}

// After returns the wait after n consecutive failures (n ≥ 1: Min, then
// doubling up to Max), jittered, without counting an attempt. It is for
// callers that keep the failure count themselves, such as the scheduler,
// which counts a source's failures across runs in the store.
func (b *Backoff) After(n int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = 5 * time.Minute
	}
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if b.Jitter != nil {
		return b.Jitter(d)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Reset starts the sequence again from Min, after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Sleep waits for d or until ctx ends, whichever comes first, and returns
// ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
