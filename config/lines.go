package config

import (
	"strconv"
	"strings"
)

// lineIndex maps a key path, spelled as errors print it ("server.addr",
// "sources[1].schedule", "sources[1]"), to the line of the file that defines it.
//
// The TOML decoder knows positions but keeps them private, and it keys array
// tables without their index, so it cannot tell sources[0].schedule from
// sources[1].schedule. A light scan of the text can: it follows table headers
// and key/value lines, and skips values that span lines (multi-line arrays
// and strings). It never has to judge validity: the decoder has already
// accepted the file.
type lineIndex map[string]int

func indexLines(text string) lineIndex {
	idx := lineIndex{}
	arrays := map[string]int{} // path of an array of tables → elements seen so far
	table := ""                // path of the table the current line belongs to
	var v valueState
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if v.open() {
			v.scan(line)
			continue
		}
		s := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(s, "[["):
			parts, _ := parseKeyPath(s[2:])
			if len(parts) == 0 {
				continue
			}
			path := joinPath(resolve(parts[:len(parts)-1], arrays), parts[len(parts)-1])
			arrays[path]++
			table = path + "[" + strconv.Itoa(arrays[path]-1) + "]"
			idx.setOnce(table, n)
			idx.setOnce(path, n)
		case strings.HasPrefix(s, "["):
			parts, _ := parseKeyPath(s[1:])
			if len(parts) == 0 {
				continue
			}
			table = resolve(parts, arrays)
			idx.setOnce(table, n)
		default:
			parts, rest := parseKeyPath(s)
			if len(parts) == 0 || !strings.HasPrefix(rest, "=") {
				continue
			}
			path := table
			for _, p := range parts {
				path = joinPath(path, p)
				idx.setOnce(path, n)
			}
			v.scan(rest[1:])
		}
	}
	return idx
}

// find returns the line defining path or, when the file does not spell it
// out (a missing key, a key inside an inline table), the line of the nearest
// enclosing table; 0 if there is none.
func (idx lineIndex) find(path string) int {
	for path != "" {
		if n, ok := idx[path]; ok {
			return n
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			return 0
		}
		path = path[:cut]
	}
	return 0
}

func (idx lineIndex) setOnce(path string, line int) {
	if _, ok := idx[path]; !ok {
		idx[path] = line
	}
}

// valueState follows a value across lines, so that the lines inside a
// multi-line array or string are not mistaken for keys or table headers.
type valueState struct {
	depth    int    // open [ and {
	inString string // the closing delimiter while inside a multi-line string
}

func (v *valueState) open() bool { return v.depth > 0 || v.inString != "" }

func (v *valueState) scan(s string) {
	for len(s) > 0 {
		if v.inString != "" {
			end := closingDelimiter(s, v.inString, v.inString == `"""`)
			if end < 0 {
				return
			}
			s, v.inString = s[end+3:], ""
			continue
		}
		switch c := s[0]; {
		case c == '#':
			return
		case strings.HasPrefix(s, `"""`) || strings.HasPrefix(s, `'''`):
			v.inString, s = s[:3], s[3:]
			continue
		case c == '"' || c == '\'':
			end := closingDelimiter(s[1:], s[:1], c == '"')
			if end < 0 {
				return
			}
			s = s[end+2:]
			continue
		case c == '[' || c == '{':
			v.depth++
		case c == ']' || c == '}':
			v.depth = max(0, v.depth-1)
		}
		s = s[1:]
	}
}

// resolve turns header parts into a path, adding the index of the latest
// element wherever a part names an array of tables ([[sources]] then
// [sources.extra] means sources[last].extra).
func resolve(parts []string, arrays map[string]int) string {
	path := ""
	for _, p := range parts {
		path = joinPath(path, p)
		if n := arrays[path]; n > 0 {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	return path
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// parseKeyPath reads a dotted TOML key (bare, "basic" or 'literal' parts)
// from the start of s and returns its parts and what follows, trimmed.
// It returns no parts when s does not start with a key.
func parseKeyPath(s string) (parts []string, rest string) {
	s = strings.TrimSpace(s)
	for {
		var part string
		switch {
		case strings.HasPrefix(s, `"`):
			end := closingDelimiter(s[1:], `"`, true)
			if end < 0 {
				return nil, s
			}
			part, s = s[1:1+end], s[2+end:]
			if u, err := strconv.Unquote(`"` + part + `"`); err == nil {
				part = u
			}
		case strings.HasPrefix(s, "'"):
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, s
			}
			part, s = s[1:1+end], s[2+end:]
		default:
			end := 0
			for end < len(s) && isBareKeyChar(s[end]) {
				end++
			}
			if end == 0 {
				return nil, s
			}
			part, s = s[:end], s[end:]
		}
		parts = append(parts, part)
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, ".") {
			return parts, s
		}
		s = strings.TrimSpace(s[1:])
	}
}

// closingDelimiter returns the index in s of the first delim, skipping
// backslash escapes when the string kind has them (basic strings do,
// literal strings do not).
func closingDelimiter(s, delim string, escapes bool) int {
	for i := 0; i < len(s); i++ {
		switch {
		case escapes && s[i] == '\\':
			i++
		case strings.HasPrefix(s[i:], delim):
			return i
		}
	}
	return -1
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
