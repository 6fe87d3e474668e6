package moderation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// The moderators' own event stream, /moderate/events: new pending posts,
// decisions and leases reach every open queue while it is open. It is a
// separate stream from the wall's, behind a login, because it carries
// posts nobody approved: those must never reach a screen.
//
// Every event has an ID, and the last eventsReplay events are kept in
// memory: a queue whose connection dropped for a while gets what it missed
// when it comes back (Last-Event-ID, or ?since= with the ID its page was
// rendered at). One that missed more, or comes from before a restart, is
// told to reload.

// eventsHeartbeat keeps idle streams open through proxies.
const eventsHeartbeat = 15 * time.Second

// eventsBuffer is how many events may wait for one queue before it is
// dropped (its browser reconnects, and is replayed what it missed).
const eventsBuffer = 64

// eventsReplay is how many past events the stream keeps for queues that
// reconnect: a few minutes of a busy event, an hour of a quiet one.
const eventsReplay = 1000

// queueEvents fans moderator events out to open queue pages.
type queueEvents struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	closed  bool
	// epoch tells this process's event IDs from a previous one's, whose
	// events are gone: IDs are epoch-seq.
	epoch string
	seq   uint64
	ring  [][]byte  // the last eventsReplay frames, ring[(n-1)%len] holding event n
	left  time.Time // when the last stream closed (by the handler's clock)
}

func newQueueEvents() *queueEvents {
	return &queueEvents{
		clients: map[chan []byte]struct{}{},
		epoch:   strconv.FormatInt(time.Now().UnixNano(), 36),
		ring:    make([][]byte, eventsReplay),
	}
}

// publish sends one event to every open queue without waiting for any.
func (e *queueEvents) publish(name string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	frame := make([]byte, 0, len(b)+len(name)+len(e.epoch)+48)
	frame = append(frame, "id: "...)
	frame = append(frame, e.epoch...)
	frame = append(frame, '-')
	frame = strconv.AppendUint(frame, e.seq, 10)
	frame = append(frame, "\nevent: "...)
	frame = append(frame, name...)
	frame = append(frame, "\ndata: "...)
	frame = append(frame, b...) // JSON escapes newlines: one line
	frame = append(frame, "\n\n"...)
	e.ring[(e.seq-1)%uint64(len(e.ring))] = frame
	for ch := range e.clients {
		select {
		case ch <- frame:
		default:
			delete(e.clients, ch) // too slow: dropped, its browser reconnects
			close(ch)
		}
	}
}

// lastID is the ID of the latest event: a page rendered now asks for what
// follows it when it opens its stream.
func (e *queueEvents) lastID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.epoch + "-" + strconv.FormatUint(e.seq, 10)
}

// subscribe opens a stream for a queue that last saw event since ("" for
// none: only what follows). It returns the events since then to send first,
// or reload true when they are no longer all kept. Both are taken under
// one lock, so nothing falls between the replay and the live events.
func (e *queueEvents) subscribe(since string) (ch chan []byte, replay [][]byte, reload, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, nil, false, false
	}
	if since != "" {
		replay, reload = e.since(since)
	}
	ch = make(chan []byte, eventsBuffer)
	e.clients[ch] = struct{}{}
	return ch, replay, reload, true
}

// since returns the kept events after the one with ID id, or reload true
// when some of them are gone (or id is another process's).
func (e *queueEvents) since(id string) (frames [][]byte, reload bool) {
	epoch, seqText, found := strings.Cut(id, "-")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !found || err != nil || epoch != e.epoch || seq > e.seq {
		return nil, true
	}
	if e.seq-seq > uint64(len(e.ring)) {
		return nil, true
	}
	for n := seq + 1; n <= e.seq; n++ {
		f := e.ring[(n-1)%uint64(len(e.ring))]
		if f == nil {
			return nil, true // skipped while nobody listened
		}
		frames = append(frames, f)
	}
	return frames, false
}

func (e *queueEvents) unsubscribe(ch chan []byte, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.clients[ch]; ok {
		delete(e.clients, ch)
		close(ch)
	}
	e.left = now
}

// eventsIdle is how long after the last queue closed its stream events are
// still rendered and kept: a queue on venue Wi-Fi that drops for a while is
// replayed what it missed, not reloaded.
const eventsIdle = 5 * time.Minute

// skipIdle records an event nobody is listening for, nor has been since
// eventsIdle before now, without rendering it, so changes nobody would see
// (rules deciding a whole backlog at night) cost no renders; it reports
// whether it did. The gap it leaves makes a queue that comes back from
// before it reload instead of replaying.
func (e *queueEvents) skipIdle(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.clients) > 0 || now.Sub(e.left) < eventsIdle {
		return false
	}
	e.seq++
	e.ring[(e.seq-1)%uint64(len(e.ring))] = nil
	return true
}

// close ends every stream; later subscribers are refused.
func (e *queueEvents) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	for ch := range e.clients {
		delete(e.clients, ch)
		close(ch)
	}
}

// Close ends the moderators' event streams, so the HTTP server's shutdown
// does not wait for them, and stops the lease sweep. main calls it with
// the wall hub's Close.
func (h *Handler) Close() {
	h.events.close()
	h.sweep.close()
}

// postEventData is a post event: the post's state and its queue card as
// the queue page renders it for that status. The filter values let a
// filtered queue tell whether a new post belongs on it (queue.js); a
// text search it cannot tell, so a searching queue says "refresh" instead.
type postEventData struct {
	ID        int64        `json:"id"`
	Status    model.Status `json:"status"`
	Published int64        `json:"published"` // Unix ms: where the card goes in the queue
	DecidedBy string       `json:"decided_by,omitempty"`
	Message   string       `json:"message,omitempty"` // e.g. "Approved by anna at 14:02 UTC"
	HTML      string       `json:"html"`
	Network   string       `json:"network"`
	Source    string       `json:"source"`
	Category  string       `json:"category"`
	Language  string       `json:"language"`
	Photo     bool         `json:"photo"` // as store's has_photo: an image among its media
	// Counts are the posts per status after this change, unfiltered, for
	// the tabs of an unfiltered queue (a filtered one refreshes its own).
	Counts map[string]int `json:"counts,omitempty"`
}

// leaseEventData says a moderator took the lease on a pending post: the
// other queues drop its card.
type leaseEventData struct {
	ID int64  `json:"id"`
	By string `json:"by"`
}

// announce tells every open queue about a post as the store has it now,
// with the tabs' counts.
func (h *Handler) announce(id int64) {
	if h.events.skipIdle(h.clock()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The post and the counts are read and published under one lock, so
	// events leave in the order they were read: the latest event a queue
	// has carries the post's latest card and the latest counts, whatever
	// order concurrent changes announce in.
	h.announceMu.Lock()
	defer h.announceMu.Unlock()
	p, err := h.st.PostByID(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.Warn("moderation: read post for the queues", slog.Int64("post_id", id), slog.Any("error", err))
		}
		return
	}
	html, err := h.cardHTML(ctx, p, viewFor(queueQuery{Status: p.Status}))
	if err != nil {
		h.log.Error("moderation: render card for the queues", slog.Int64("post_id", id), slog.Any("error", err))
		return
	}
	d := postEventData{ID: p.ID, Status: p.Status, Published: p.PublishedAt.UnixMilli(),
		DecidedBy: p.DecidedBy, Message: decidedText(p, h.opts.Location), HTML: html,
		Network: string(p.Network), Source: p.SourceName, Category: p.Category, Language: p.Language, Photo: len(images(p)) > 0}
	// Counting reads post_facets, a few hundred rows.
	if c, err := h.st.QueueCounts(ctx, store.QueueFilter{}); err != nil {
		h.log.Warn("moderation: count posts for the queues", slog.Any("error", err))
	} else {
		d.Counts = make(map[string]int, len(tabStatuses))
		for _, st := range tabStatuses {
			d.Counts[string(st)] = c.Status[string(st)] // a tab whose last post went says 0
		}
	}
	h.events.publish("post", d)
}

// leaseSweep brings posts back to open queues when the lease that hid them
// simply runs out (its moderator closed the laptop): a released lease
// announces its post at once, an expired one nothing would. It runs while
// any queue stream is open, started by the first and stopped by the last,
// or by Handler.Close, which waits for it.
type leaseSweep struct {
	mu      sync.Mutex
	streams int
	closed  bool
	stop    chan struct{} // closes to stop the running sweep
	done    chan struct{} // closed when it stopped
}

// opened counts a queue stream in, starting the sweep for the first.
func (s *leaseSweep) opened(run func(stop <-chan struct{})) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams++
	if s.stop != nil || s.closed {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	s.stop, s.done = stop, done
	go func() {
		defer close(done)
		run(stop)
	}()
}

// closedStream counts a queue stream out, stopping the sweep after the last.
func (s *leaseSweep) closedStream() {
	s.mu.Lock()
	s.streams--
	if s.streams > 0 || s.stop == nil {
		s.mu.Unlock()
		return
	}
	close(s.stop)
	done := s.done
	s.stop, s.done = nil, nil
	s.mu.Unlock()
	<-done
}

// close stops the sweep for good and waits for it.
func (s *leaseSweep) close() {
	s.mu.Lock()
	s.closed = true
	stop, done := s.stop, s.done
	s.stop, s.done = nil, nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// sweepLeases ends expired leases every LeaseSweep until stop closes.
func (h *Handler) sweepLeases(stop <-chan struct{}) {
	tick := time.NewTicker(h.opts.LeaseSweep)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			h.expireLeases()
		}
	}
}

// expireLeases ends the leases that ran out by now and shows their posts
// in every open queue again, as releasing them does.
func (h *Handler) expireLeases() {
	if h.swept != nil {
		defer h.swept()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids, err := h.st.ExpireLeases(ctx, h.clock())
	if err != nil {
		h.log.Warn("moderation: expire leases", slog.Any("error", err))
		return
	}
	for _, id := range ids {
		h.log.Debug("lease expired", slog.Int64("post_id", id))
		h.announce(id)
	}
}

// queueNotifier hands every change the handler announces to the open
// queues as well as to the wall.
type queueNotifier struct {
	wall Notifier
	h    *Handler
}

func (n queueNotifier) PostChanged(p model.Post) {
	n.wall.PostChanged(p)
	n.h.announce(p.ID)
}

// cardHTML renders a post's queue card for v's status and page.
func (h *Handler) cardHTML(ctx context.Context, p model.Post, v QueueView) (string, error) {
	v.CampaignName = h.opts.CampaignName
	v.Location = h.opts.Location
	v.MediaStates = h.mediaStates(ctx, []model.Post{p})
	var buf bytes.Buffer
	if err := postCard(p, v).Render(ctx, &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// queueStream serves /moderate/events. A queue that reconnects says
// which event it saw last (Last-Event-ID, sent by EventSource itself), or
// on its first connection which event its page was rendered at (?since=).
func (h *Handler) queueStream(w http.ResponseWriter, r *http.Request) {
	since := r.Header.Get("Last-Event-ID")
	if since == "" {
		since = r.URL.Query().Get("since")
	}
	ch, replay, reload, ok := h.events.subscribe(since)
	if !ok {
		http.Error(w, "Shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer func() { h.events.unsubscribe(ch, h.clock()) }()
	h.sweep.opened(h.sweepLeases)
	defer h.sweep.closedStream()
	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache, no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write([]byte("retry: 2000\n\nevent: hello\ndata: {}\n\n")); err != nil {
		return
	}
	m, _ := auth.ModeratorFromContext(r.Context())
	h.log.DebugContext(r.Context(), "queue stream opened", slog.String("moderator", m.Name),
		slog.Int("replayed", len(replay)), slog.Bool("reload", reload))
	if reload {
		// What it missed is gone: its page loads again, from its URL
		// (status, filters, page), which the stream cannot replay.
		_ = write([]byte("event: reload\ndata: {}\n\n"))
		return
	}
	if len(replay) > 0 {
		if err := write(bytes.Join(replay, nil)); err != nil {
			return
		}
	}
	tick := time.NewTicker(eventsHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if err := write([]byte(": ping\n\n")); err != nil {
				return
			}
		case frame, ok := <-ch:
			if !ok {
				return
			}
			if err := write(frame); err != nil {
				return
			}
		}
	}
}
