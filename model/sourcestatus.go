package model

import "time"

// SourceStatus is what the store remembers about a source's collections:
// the admins' status page shows it, and the scheduler reads its wait before
// calling the source again.
type SourceStatus struct {
	Name         string
	Kind         string
	Cursor       string
	LastRunAt    time.Time
	LastDuration time.Duration
	LastNew      int
	// LastError is the last run's full error, for logs and the command
	// line; never shown on a page. Problem is the same in plain words, safe
	// to show. Both are "" when the last run went through.
	LastError string
	Problem   string
	// WaitUntil is the earliest time the source may be called again (a
	// network's rate limit, or the backoff after failures); zero for none.
	WaitUntil  time.Time
	WaitReason WaitReason
	Failures   int // consecutive temporary failures, which the backoff grows with
	TotalPosts int
}

// WaitReason says why a source waits before its next collection.
type WaitReason string

const (
	WaitRateLimit WaitReason = "rate_limit" // the network said when to come back
	WaitBackoff   WaitReason = "backoff"    // the network failed (5xx, timeout): waits double
)

// SourceRun is the outcome of one collection of a source, as the scheduler
// records it on the source (the run history is in Run).
type SourceRun struct {
	At         time.Time
	Duration   time.Duration
	New        int
	Error      string // full text; "" when the run went through
	Problem    string // Error in plain words, safe to show on a page
	WaitUntil  time.Time
	WaitReason WaitReason
	Failures   int
}
