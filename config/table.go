package config

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// table reads the keys of one decoded TOML table by hand rather than through
// struct tags, for two reasons: every problem gets the exact key path with its
// array index (sources[1].schedule), which the decoder cannot give, and the
// table knows which keys the code asked for, so whatever else the file holds is
// reported as unknown, including a key of another source kind.
type table struct {
	path  string // "" for the file's top level
	m     map[string]any
	known map[string]bool
	p     *problems
}

func newTable(p *problems, path string, m map[string]any) *table {
	return &table{path: path, m: m, known: map[string]bool{}, p: p}
}

// key returns the path of one of the table's keys, as errors print it.
func (t *table) key(k string) string { return joinPath(t.path, k) }

func (t *table) fail(k, format string, args ...any) {
	t.p.add(t.key(k), format, args...)
}

// has reports whether the file sets k. It marks k as known.
func (t *table) has(k string) bool {
	t.known[k] = true
	_, ok := t.m[k]
	return ok
}

// blank reports whether k is missing or an empty string, which required keys
// treat alike; a value of the wrong type is not blank (str reports it).
func (t *table) blank(k string) bool {
	v, ok := t.m[k]
	s, isString := v.(string)
	return !ok || isString && strings.TrimSpace(s) == ""
}

func (t *table) str(k string) string {
	if !t.has(k) {
		return ""
	}
	s, ok := t.m[k].(string)
	if !ok {
		t.fail(k, "want a string, got %s", typeName(t.m[k]))
	}
	return strings.TrimSpace(s)
}

func (t *table) boolean(k string) bool {
	if !t.has(k) {
		return false
	}
	b, ok := t.m[k].(bool)
	if !ok {
		t.fail(k, "want true or false, got %s", typeName(t.m[k]))
	}
	return b
}

func (t *table) list(k string) []string {
	if !t.has(k) {
		return nil
	}
	list, ok := t.m[k].([]any)
	if !ok {
		t.fail(k, `want a list of strings such as ["a", "b"], got %s`, typeName(t.m[k]))
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			t.fail(k, "want a list of strings, got a list holding %s", typeName(v))
			return nil
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// sub returns the sub-table k, empty when the file has none.
func (t *table) sub(k string) *table {
	sub := newTable(t.p, t.key(k), nil)
	if !t.has(k) {
		return sub
	}
	m, ok := t.m[k].(map[string]any)
	if !ok {
		t.fail(k, "want a table ([%s]), got %s", t.key(k), typeName(t.m[k]))
		return sub
	}
	sub.m = m
	return sub
}

// tables returns the elements of the array of tables k ([[k]] in the file).
func (t *table) tables(k string) []*table {
	if !t.has(k) {
		return nil
	}
	var elems []map[string]any
	switch v := t.m[k].(type) {
	case []map[string]any:
		elems = v
	case []any: // an inline array: k = [{...}, {...}]
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				t.fail(k, "want tables ([[%s]]), got a list holding %s", t.key(k), typeName(e))
				return nil
			}
			elems = append(elems, m)
		}
	default:
		t.fail(k, "want tables ([[%s]]), got %s", t.key(k), typeName(t.m[k]))
		return nil
	}
	out := make([]*table, len(elems))
	for i, m := range elems {
		out[i] = newTable(t.p, t.key(k)+"["+strconv.Itoa(i)+"]", m)
	}
	return out
}

// reportUnknown reports each key of the file the code did not ask for,
// naming the keys it would have understood. Call it after reading every key.
func (t *table) reportUnknown() {
	known := slices.Sorted(maps.Keys(t.known))
	for _, k := range slices.Sorted(maps.Keys(t.m)) {
		if !t.known[k] {
			t.fail(k, "unknown key (known keys here: %s)", strings.Join(known, ", "))
		}
	}
}

// typeName describes a decoded TOML value for an error, without its value:
// a misplaced secret must not end up in a log.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a number with a fraction"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "a list of tables"
	}
	return "an unsupported value"
}
