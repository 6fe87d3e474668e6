package webpage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrDisallowed is returned when a site's robots.txt disallows a page for
// campaignwall.
var ErrDisallowed = errors.New("disallowed by robots.txt")

// robotsToken is the product token campaignwall answers to in robots.txt
// user-agent lines (the first word of collectors.UserAgent).
const robotsToken = "campaignwall"

// robots is the part of one host's robots.txt that applies to campaignwall.
type robots struct {
	rules []robotsRule // nil: everything allowed
	all   bool         // true: everything disallowed (robots.txt unreachable)
}

type robotsRule struct {
	allow   bool
	pattern string
}

// fetchRobots reads the robots.txt of u's host. Following RFC 9309: a 4xx
// means no rules; a 5xx or an unreachable server means everything is
// disallowed until it can be read.
func fetchRobots(ctx context.Context, client *http.Client, u *url.URL) (*robots, error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ru.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("robots.txt %s: %w", ru, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		// RFC 9309 2.5: at least 500 KiB must be parsed; more may be ignored.
		body, err := io.ReadAll(io.LimitReader(resp.Body, 500<<10))
		if err != nil {
			return nil, fmt.Errorf("robots.txt %s: %w", ru, err)
		}
		return parseRobots(string(body), robotsToken), nil
	case resp.StatusCode >= 400 && resp.StatusCode <= 499:
		return &robots{}, nil
	default:
		return &robots{all: true}, nil
	}
}

// parseRobots keeps the rules of the groups naming token, or of the "*"
// groups when none does (RFC 9309 2.2.1). Groups naming the same agent are
// merged.
func parseRobots(body, token string) *robots {
	var mine, star []robotsRule
	var foundMine bool
	var agents []string
	inRules := false
	for line := range strings.SplitSeq(body, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		switch key {
		case "user-agent":
			if inRules {
				agents, inRules = nil, false
			}
			agents = append(agents, agentToken(value))
		case "allow", "disallow":
			inRules = true
			if value == "" {
				continue // "Disallow:" with nothing allows everything
			}
			r := robotsRule{allow: key == "allow", pattern: encodeNonASCII(value)}
			for _, a := range agents {
				switch {
				case a == "*":
					star = append(star, r)
				case strings.EqualFold(a, token):
					mine = append(mine, r)
				}
			}
		}
		for _, a := range agents {
			foundMine = foundMine || strings.EqualFold(a, token)
		}
	}
	if foundMine {
		return &robots{rules: mine}
	}
	return &robots{rules: star}
}

// agentToken is the product token of a user-agent line: "campaignwall/1.0"
// matches "campaignwall".
func agentToken(v string) string {
	end := 0
	for end < len(v) {
		c := v[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '*') {
			break
		}
		end++
	}
	return v[:end]
}

// allowed reports whether campaignwall may fetch u: the longest matching
// rule wins, and allow wins a tie (RFC 9309 2.2.2).
func (r *robots) allowed(u *url.URL) bool {
	if r.all {
		return false
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if path == "/robots.txt" {
		return true
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	best, allow := -1, true
	for _, rule := range r.rules {
		if !matchPattern(rule.pattern, path) {
			continue
		}
		n := len(rule.pattern)
		if n > best || (n == best && rule.allow) {
			best, allow = n, rule.allow
		}
	}
	return allow
}

// matchPattern matches a robots.txt path pattern: a prefix match, where "*"
// matches any run of characters and a final "$" anchors the end.
func matchPattern(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	rest := path[len(parts[0]):]
	if len(parts) == 1 {
		return !anchored || rest == ""
	}
	for i, part := range parts[1:] {
		last := i == len(parts)-2
		if last && anchored {
			return strings.HasSuffix(rest, part)
		}
		j := strings.Index(rest, part)
		if j < 0 {
			return false
		}
		rest = rest[j+len(part):]
	}
	return true
}

// encodeNonASCII percent-encodes the octets of a pattern that are not
// US-ASCII, as the request path is, so "/el/Ειδήσεις" matches its encoded form.
func encodeNonASCII(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
