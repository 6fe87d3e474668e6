package config

import (
	"strconv"
	"strings"
	"time"
)

// Submissions is the [submissions] table: the public form at /submit where
// supporters without a social account send a photo or a short video with a
// statement. Everything sent waits for a moderator like any post.
type Submissions struct {
	Enabled           bool
	MaxPhotoBytes     int64         // at most [media] max_bytes
	MaxVideoBytes     int64         // the largest video file accepted
	MaxVideoSeconds   int           // 1 to 60
	MaxStatementChars int           // the statement's length limit, in characters
	RateLimit         int           // submissions one address may send per RateWindow
	RateWindow        time.Duration //
	// EmailRetention is how long a submitter's email (optional, only for
	// contacting them about their submission) is kept before it is cleared.
	EmailRetention time.Duration
}

// DefaultSubmissions is the [submissions] table of a file that leaves it
// out, but for Enabled, which is false.
func DefaultSubmissions() Submissions {
	return Submissions{
		MaxPhotoBytes:     10 << 20,
		MaxVideoBytes:     50 << 20,
		MaxVideoSeconds:   60,
		MaxStatementChars: 500,
		RateLimit:         3,
		RateWindow:        10 * time.Minute,
		EmailRetention:    90 * 24 * time.Hour,
	}
}

func (l *loader) submissions(t *table, m Media) Submissions {
	s := DefaultSubmissions()
	s.Enabled = t.boolean("enabled")
	if n, ok := t.byteSize("max_photo_bytes", 64<<10, m.MaxBytes); ok {
		s.MaxPhotoBytes = n
	} else if s.MaxPhotoBytes > m.MaxBytes {
		s.MaxPhotoBytes = m.MaxBytes
	}
	if n, ok := t.byteSize("max_video_bytes", 64<<10, 1<<30); ok {
		s.MaxVideoBytes = n
	}
	if n, ok := t.integer("max_video_seconds", 1, 60); ok {
		s.MaxVideoSeconds = int(n)
	}
	if n, ok := t.integer("max_statement_chars", 50, 5000); ok {
		s.MaxStatementChars = int(n)
	}
	if n, ok := t.integer("rate_limit", 1, 1000); ok {
		s.RateLimit = int(n)
	}
	if d, ok := t.longDuration("rate_window", time.Minute, 7*24*time.Hour); ok {
		s.RateWindow = d
	}
	if d, ok := t.longDuration("email_retention", 24*time.Hour, 5*365*24*time.Hour); ok {
		s.EmailRetention = d
	}
	t.reportUnknown()
	return s
}

func (t *table) integer(k string, lo, hi int64) (int64, bool) {
	if !t.has(k) {
		return 0, false
	}
	n, ok := t.m[k].(int64)
	if !ok {
		t.fail(k, "want a whole number, got %s", typeName(t.m[k]))
		return 0, false
	}
	if n < lo || n > hi {
		t.fail(k, "%d is out of range (want %d to %d)", n, lo, hi)
		return 0, false
	}
	return n, true
}

// longDuration reads a duration such as "10m", "36h" or "90d" (days, which
// Go's durations lack).
func (t *table) longDuration(k string, lo, hi time.Duration) (time.Duration, bool) {
	v := t.str(k)
	if v == "" {
		if t.has(k) {
			t.fail(k, `want a duration such as "10m" or "90d"`)
		}
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, perr := strconv.ParseInt(days, 10, 64)
		d, err = time.Duration(n)*24*time.Hour, perr
		if n > 100_000 {
			d = hi + 1
		}
	}
	if err != nil {
		t.fail(k, `%q is not a duration (want e.g. "10m", "36h" or "90d")`, v)
		return 0, false
	}
	if d < lo || d > hi {
		t.fail(k, "%s is out of range (want %s to %s)", v, formatDuration(lo), formatDuration(hi))
		return 0, false
	}
	return d, true
}

// formatDuration writes a duration the way a config file would.
func formatDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
