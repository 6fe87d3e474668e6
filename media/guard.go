package media

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/cohesionalliance/campaignwall/collectors"
)

// checkURL refuses what the dial-time guard of the shared client cannot see:
// other schemes, and hosts written as legacy numeric IPv4 forms
// ("2130706433", "0x7f.1", "0177.0.0.1"). Browsers and curl read those as
// addresses while Go's resolver does not, so they are ambiguous at best and a
// way around an address check at worst: never fetched, and reported as
// ErrPrivateAddress when the address they spell is not public.
// Canonical IP literals and names are left to the client, which checks the
// address it actually dials, after DNS and on every redirect.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrBadURL, raw, err)
	}
	if err := checkParsedURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func checkParsedURL(u *url.URL) error {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrBadURL, u.Redacted())
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if addr, ok := legacyIPv4(host); ok {
		if !collectors.IsPublicAddr(addr) {
			return fmt.Errorf("%w: %s (%s)", collectors.ErrPrivateAddress, host, addr)
		}
		return fmt.Errorf("%w: numeric host %s is ambiguous (%s)", ErrBadURL, host, addr)
	}
	return nil
}

// legacyIPv4 parses the inet_aton forms of an IPv4 address: one to four
// parts, each decimal, octal (leading 0) or hex (0x), the last part filling
// the remaining bytes.
func legacyIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, 0, 32) // base 0: 0x hex, 0 octal, else decimal
		if err != nil || strings.Contains(p, "_") {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// guardRedirects returns a copy of client that applies checkURL to every
// redirect target too, keeping the client's own redirect policy.
func guardRedirects(client *http.Client) *http.Client {
	c := *client
	next := client.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkParsedURL(req.URL); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}
