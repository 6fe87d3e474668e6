package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Media is the [media] table: limits of the local media cache, where every
// photo a screen shows is kept (next to the database).
type Media struct {
	// DiskBudget is how many bytes all cached files may take. When full,
	// files only rejected or removed posts use are evicted, oldest first.
	DiskBudget int64
	// MaxBytes is the largest photo the cache takes, fetched or uploaded.
	MaxBytes int64
}

// Defaults of the [media] table.
const (
	DefaultDiskBudget    = 2 << 30
	DefaultMediaMaxBytes = 20 << 20
)

// DefaultMedia is the [media] table of a file that leaves it out.
func DefaultMedia() Media {
	return Media{DiskBudget: DefaultDiskBudget, MaxBytes: DefaultMediaMaxBytes}
}

func (l *loader) media(t *table) Media {
	m := DefaultMedia()
	if n, ok := t.byteSize("disk_budget", 16<<20, math.MaxInt64); ok {
		m.DiskBudget = n
	}
	if n, ok := t.byteSize("max_bytes", 64<<10, 1<<30); ok {
		m.MaxBytes = n
	}
	if m.MaxBytes > m.DiskBudget {
		t.fail("max_bytes", "%s is more than disk_budget (%s)", formatBytes(m.MaxBytes), formatBytes(m.DiskBudget))
	}
	t.reportUnknown()
	return m
}

// byteUnits are the suffixes a size may carry; KB/MB/GB are decimal, KiB/MiB/GiB binary.
var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1000, "mb": 1000 * 1000, "gb": 1000 * 1000 * 1000,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// byteSize reads a size: a whole number of bytes, or a string such as
// "20MiB" or "500 MB". ok is false when the key is missing or wrong (and
// then reported).
func (t *table) byteSize(k string, lo, hi int64) (int64, bool) {
	if !t.has(k) {
		return 0, false
	}
	var n int64
	switch v := t.m[k].(type) {
	case int64:
		n = v
	case string:
		var err error
		if n, err = parseBytes(v); err != nil {
			t.fail(k, `%q is not a size (want e.g. "20MiB", "500MB" or a number of bytes)`, v)
			return 0, false
		}
	default:
		t.fail(k, `want a size such as "20MiB", got %s`, typeName(t.m[k]))
		return 0, false
	}
	if n < lo || n > hi {
		t.fail(k, "%s is out of range (want %s to %s)", formatBytes(n), formatBytes(lo), formatBytes(hi))
		return 0, false
	}
	return n, true
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	if i < 0 {
		i = len(s)
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	n, err := strconv.ParseInt(num, 10, 64)
	mult, ok := byteUnits[unit]
	if err != nil || !ok || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return n * mult, nil
}

// formatBytes writes a size the way a config file would, in binary units
// when it is a whole number of them.
func formatBytes(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
