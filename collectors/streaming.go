package collectors

import "net/http"

// StreamingClient returns a copy of a client made by NewClient for
// long-lived responses such as server-sent event streams: no overall request
// timeout and no cap on the total body size, both of which would cut a
// healthy stream after a while. The address guard, User-Agent and dial and
// header timeouts stay, and so does the per-host spacing of connection
// attempts, but a stream holds no in-flight slot of its host (it stays open
// for hours, and polling the same host must go on). The caller must bound
// each read itself (an idle timeout) and cancel the request's context to stop.
func StreamingClient(c *http.Client) *http.Client {
	sc := *c
	sc.Timeout = 0
	if gt, ok := c.Transport.(*guardedTransport); ok {
		g := *gt
		g.maxBody = 0
		if lt, ok := g.next.(*limitedTransport); ok {
			l := *lt
			l.holdSlot = false
			g.next = &l
		}
		sc.Transport = &g
	}
	return &sc
}
