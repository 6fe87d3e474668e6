package wall

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// HubOptions tune the hub. The zero value gives sensible defaults.
type HubOptions struct {
	// HeartbeatEvery is how often every stream gets a ping, so proxies keep idle
	// connections open and screens notice a dead one. Default 15s.
	HeartbeatEvery time.Duration
	// Replay is how many recent events are kept for clients that reconnect with
	// Last-Event-ID. A client that missed more gets a reload event. Default 512.
	Replay int
	// ClientBuffer is how many events may wait for one slow client before it is
	// dropped (it reconnects and replays). Default 64.
	ClientBuffer int
	// WriteTimeout bounds writes to one client (each gets at least half of
	// it), so a stalled connection cannot hold its handler forever. It also
	// replaces the server's WriteTimeout for the stream, which would
	// otherwise cut every stream. Default 10s.
	WriteTimeout time.Duration
}

// event is one frame as it goes on the wire. It is encoded once and shared by
// every client, so fan-out costs a pointer per client, not a render.
type event struct {
	id    uint64 // 0 for frames that are not replayed (heartbeats)
	frame []byte
	scope eventScope
	// other is what a screen whose wall does not show the post gets instead
	// of frame: the post's removal, in case it showed it before.
	other []byte
}

// eventScope says which screens an event is for. The zero value: all.
type eventScope struct {
	post *model.Post // a post event: the post, for walls' filters
	wall string      // only the screens of this wall
}

// client is one connected screen. Only the hub sends on ch and only the hub
// closes it, under h.mu, when the client is dropped or the hub closes.
type client struct {
	ch     chan *event
	wall   string            // the wall it shows; "" for /wall/events
	filter *model.WallFilter // nil: every post
}

// frame is what c is sent of ev, nil for nothing. Filtering at send time
// keeps one log and one ring for every wall: a wall's screens never receive
// another wall's posts, live or replayed, and a filter an admin changes
// applies from the reload that follows.
func (c *client) frame(ev *event) []byte {
	if ev.scope.wall != "" && ev.scope.wall != c.wall {
		return nil
	}
	if ev.scope.post != nil && c.filter != nil && !c.filter.Matches(*ev.scope.post) {
		return ev.other
	}
	return ev.frame
}

// storeTimeout bounds the hub's reads and writes of the store for one event.
const storeTimeout = 10 * time.Second

// Hub fans wall events out to every connected screen over Server-Sent Events.
//
// Each event is rendered and encoded once (PostChanged), kept in a ring for
// replay and handed to each client's buffered channel without blocking: a
// client that cannot keep up is dropped rather than slowing the others, and
// its browser reconnects with Last-Event-ID and replays what it missed. One
// shared ticker drives all heartbeats; a client costs its handler goroutine, a
// small channel and the connection's buffers, no timer of its own.
//
// A hub from OpenHub writes every event to the store's wall-event log before
// sending it and takes its IDs from there: they go on counting across
// restarts, and a new process starts with the newest logged events in its
// ring, so a screen that reconnects after a restart gets exactly what it
// missed. Post events carry the post as the store has it when they are sent
// (after a restart: as it is then), never a stale copy, so a post approved
// and then retracted while a screen was away ends up removed there.
//
// A hub from NewHub keeps events in memory only. Its IDs start at its start
// time in microseconds, so an ID from before a restart is always older than
// anything it kept, and the screen is told to reload.
//
// Either way a screen that missed more than the ring holds is told to reload.
// Hub implements moderation.Notifier. Call Close on shutdown.
type Hub struct {
	log  *slog.Logger
	opts HubOptions
	st   *store.Store // nil: events in memory only

	heartbeat *event

	pubMu sync.Mutex // serializes PostChanged, so each event carries the post's state as of its ID
	logMu sync.Mutex // serializes logging and sending, so events go out in ID order

	mu      sync.Mutex
	closed  bool
	clients map[*client]struct{}
	lastID  uint64   // ID of the newest event; every later one is greater
	floor   uint64   // a screen resuming from an ID below this may have missed events no longer kept
	ring    []*event // the newest events in ID order, at most opts.Replay
	ringPos int      // where the next event goes once the ring is full

	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// NewHub starts a hub that keeps its events in memory only. Close stops it.
// The daemon uses OpenHub, so that screens resume across restarts.
func NewHub(log *slog.Logger, opts HubOptions) *Hub {
	h := newHub(log, opts)
	h.lastID = uint64(time.Now().UnixMicro())
	h.floor = h.lastID
	h.start()
	return h
}

// OpenHub starts a hub that logs every event in st before sending it and
// continues the event sequence st holds, with the newest logged events ready
// for replay. Close stops it; st must stay open until then.
func OpenHub(ctx context.Context, st *store.Store, log *slog.Logger, opts HubOptions) (*Hub, error) {
	h := newHub(log, opts)
	h.st = st
	if err := h.load(ctx); err != nil {
		return nil, err
	}
	h.start()
	return h, nil
}

func newHub(log *slog.Logger, opts HubOptions) *Hub {
	if opts.HeartbeatEvery <= 0 {
		opts.HeartbeatEvery = 15 * time.Second
	}
	if opts.Replay <= 0 {
		opts.Replay = 512
	}
	if opts.ClientBuffer <= 0 {
		opts.ClientBuffer = 64
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	return &Hub{
		log:  log,
		opts: opts,
		// The comment line is the classic SSE keep-alive for proxies; the ping
		// event is there because EventSource hides comments from scripts, and
		// the page needs to see the stream is alive to detect a dead one.
		heartbeat: &event{frame: []byte(": ping\nevent: ping\ndata: {}\n\n")},
		clients:   make(map[*client]struct{}),
		ring:      make([]*event, 0, opts.Replay),
		done:      make(chan struct{}),
	}
}

func (h *Hub) start() {
	h.wg.Add(1)
	go h.beat()
}

// load fills the ring with the newest logged events, post events rendered
// from the posts as they are now.
func (h *Hub) load(ctx context.Context) error {
	evs, err := h.st.WallEvents(ctx, h.opts.Replay)
	if err != nil {
		return fmt.Errorf("wall: load events: %w", err)
	}
	if len(evs) == 0 {
		return nil // a new log: IDs start at 1, pages at 0
	}
	var ids []int64
	for _, e := range evs {
		if e.PostID != 0 {
			ids = append(ids, e.PostID)
		}
	}
	posts, err := h.st.PostsByID(ctx, ids)
	if err != nil {
		return fmt.Errorf("wall: load events: %w", err)
	}
	for _, e := range evs {
		name, payload := e.Kind, e.Data
		var scope eventScope
		if e.PostID == 0 {
			scope.wall = wallOf(e.Data)
		} else {
			p, found := posts[e.PostID]
			if !found {
				p = model.Post{ID: e.PostID, Status: model.StatusRemoved} // deleted since
			}
			var ok bool
			if name, payload, ok = h.postEvent(p); !ok {
				name, payload = "remove", fmt.Appendf(nil, `{"id":%d}`, e.PostID)
			}
			if name == "post" {
				scope.post = &p
			}
		}
		id := uint64(e.ID)
		h.ring = append(h.ring, newEvent(id, name, payload, scope))
	}
	h.floor = uint64(evs[0].ID) - 1
	h.lastID = uint64(evs[len(evs)-1].ID)
	return nil
}

// beat sends the shared heartbeat to every client until Close.
func (h *Hub) beat() {
	defer h.wg.Done()
	t := time.NewTicker(h.opts.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
			h.mu.Lock()
			for c := range h.clients {
				// A client with events waiting does not need a ping, and
				// must not be dropped for missing one.
				select {
				case c.ch <- h.heartbeat:
				default:
				}
			}
			h.mu.Unlock()
		}
	}
}

// Close ends every stream and stops the heartbeat. Handlers return as soon as
// their current write ends; new requests get 503. Close is safe to call twice.
func (h *Hub) Close() {
	h.once.Do(func() {
		h.mu.Lock()
		h.closed = true
		for c := range h.clients {
			close(c.ch)
		}
		clear(h.clients)
		h.mu.Unlock()
		close(h.done)
		h.wg.Wait()
	})
}

// LastEventID is the ID of the newest event. A page rendered from the store
// after reading it can start its stream there and miss nothing: any change
// the render did not see has a higher ID and is replayed.
func (h *Hub) LastEventID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastID
}

// HeartbeatEvery is how often streams get a ping.
func (h *Hub) HeartbeatEvery() time.Duration { return h.opts.HeartbeatEvery }

// Clients reports how many screens are connected.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// postData is the JSON a post event carries.
type postData struct {
	ID   int64  `json:"id"`
	HTML string `json:"html"`
}

// removeData is the JSON a remove event carries.
type removeData struct {
	ID int64 `json:"id"`
}

// PostChanged tells every screen about a post's new state: an approved post is
// added or replaced, any other status removes it. It implements
// moderation.Notifier and never blocks on a slow screen.
//
// A hub with a store sends the post as the store has it now rather than p:
// two decisions on one post announced in the opposite order (two moderators
// at once) still leave screens with the post's final state.
func (h *Hub) PostChanged(p model.Post) {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if h.st != nil {
		cur, err := h.st.PostByID(ctx, p.ID)
		switch {
		case err == nil:
			p = cur
		case errors.Is(err, store.ErrNotFound):
			p.Status = model.StatusRemoved
		default:
			h.log.Warn("wall: read post for screens; sending it as announced", slog.Int64("post_id", p.ID), slog.Any("error", err))
		}
	}
	name, payload, ok := h.postEvent(p)
	if !ok {
		return
	}
	var scope eventScope
	if name == "post" {
		scope.post = &p
	}
	h.send(ctx, store.WallEvent{PostID: p.ID, Kind: name}, payload, scope)
}

// postEvent is the event that shows p on screens as it is: its card if it is
// approved, its removal otherwise.
func (h *Hub) postEvent(p model.Post) (name string, payload []byte, ok bool) {
	name, data := "remove", any(removeData{ID: p.ID})
	if p.Status == model.StatusApproved {
		var buf bytes.Buffer
		// PostChanged has no request: the card depends only on the post.
		if err := Card(p).Render(context.Background(), &buf); err != nil {
			// A card that cannot be rendered must not stay on screens in an
			// older state either, so it is removed everywhere.
			h.log.Error("wall: render card for screens", slog.Int64("post_id", p.ID), slog.Any("error", err))
		} else {
			name, data = "post", postData{ID: p.ID, HTML: buf.String()}
		}
	}
	// encoding/json always escapes newlines and U+2028/9, so data fits on one
	// line. HTML escaping (\u003c for <) is left out: the stream is no HTML
	// context, and it made card events a third bigger for every screen.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		h.log.Error("wall: encode event", slog.Int64("post_id", p.ID), slog.Any("error", err))
		return "", nil, false
	}
	return name, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

// publish sends an event that is not about one post to every screen; payload
// is its data, JSON on one line. It is logged like post events and replayed
// as it was sent.
func (h *Hub) publish(name string, payload []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	h.send(ctx, store.WallEvent{Kind: name, Data: payload}, payload, eventScope{wall: wallOf(payload)})
}

// wallScoped is the data of an event for one wall's screens only.
type wallScoped struct {
	Wall string `json:"wall"`
}

// wallOf is the wall an event's data names, "" for every wall.
func wallOf(payload []byte) string {
	var w wallScoped
	if !bytes.Contains(payload, []byte(`"wall"`)) || json.Unmarshal(payload, &w) != nil {
		return ""
	}
	return w.Wall
}

// ReloadWall tells the screens of one wall to reload, after an admin changed
// its mode or filters. Screens of other walls hear nothing.
func (h *Hub) ReloadWall(slug string) {
	b, _ := json.Marshal(wallScoped{Wall: slug})
	h.publish("reload", b)
}

// newEvent encodes an event; a post event also gets the removal that
// screens of walls not showing the post receive instead.
func newEvent(id uint64, name string, payload []byte, scope eventScope) *event {
	ev := &event{id: id, frame: encodeFrame(id, name, payload), scope: scope}
	if scope.post != nil {
		ev.other = encodeFrame(id, "remove", fmt.Appendf(nil, `{"id":%d}`, scope.post.ID))
	}
	return ev
}

// send logs the event (with a store), gives it its ID, keeps it for replay
// and offers it to every client, dropping those whose buffer is full.
//
// The event is logged before any screen sees it, so every ID a screen holds
// is one a later process knows. If logging fails, the event still goes to
// the screens connected now (a retraction must reach them) but without an
// ID, and it is not replayed: a screen away at that very moment keeps the
// post's old state until its next reload. That needs the database to refuse
// a write moments after it took the decision itself; the error is logged.
func (h *Hub) send(ctx context.Context, rec store.WallEvent, payload []byte, scope eventScope) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	logged := true
	if h.st != nil {
		// Logged even after Close: a decision made while the server shuts
		// down must still reach screens once it is back.
		e, err := h.st.AppendWallEvent(ctx, rec)
		if err != nil {
			h.log.Error("wall: log event; sending it without replay", slog.Int64("post_id", rec.PostID),
				slog.String("event", rec.Kind), slog.Any("error", err))
			logged = false
		}
		rec.ID = e.ID
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	var ev *event
	if !logged {
		ev = newEvent(0, rec.Kind, payload, scope)
	} else {
		if h.st != nil {
			h.lastID = uint64(rec.ID)
		} else {
			h.lastID++
		}
		ev = newEvent(h.lastID, rec.Kind, payload, scope)
		if len(h.ring) < cap(h.ring) {
			h.ring = append(h.ring, ev)
		} else {
			h.floor = max(h.floor, h.ring[h.ringPos].id)
			h.ring[h.ringPos] = ev
			h.ringPos = (h.ringPos + 1) % len(h.ring)
		}
	}
	dropped := 0
	for c := range h.clients {
		if ev.scope.wall != "" && ev.scope.wall != c.wall {
			continue // another wall's event: not even a slot in the buffer
		}
		select {
		case c.ch <- ev:
		default:
			delete(h.clients, c)
			close(c.ch)
			dropped++
		}
	}
	if dropped > 0 {
		h.log.Warn("wall: dropped slow screens", slog.Int("dropped", dropped), slog.Uint64("event_id", ev.id))
	}
}

// encodeFrame encodes one SSE frame; id 0 leaves the id line out.
func encodeFrame(id uint64, name string, payload []byte) []byte {
	b := make([]byte, 0, len(payload)+len(name)+40)
	if id != 0 {
		b = append(b, "id: "...)
		b = strconv.AppendUint(b, id, 10)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, payload...)
	return append(b, "\n\n"...)
}

// subscribe registers a client and returns what it must be sent first. With
// resume false the client starts at the current event. Otherwise it gets the
// events after lastID, or reload when they are not all in the ring any more
// (or lastID is not one this hub or its log gave out). The snapshot and the
// registration happen under one lock, so nothing is missed or sent twice
// between them. at is the newest event ID at that moment; ok is false when
// the hub is closed.
func (h *Hub) subscribe(lastID uint64, resume bool, wall string, filter *model.WallFilter) (c *client, replay []*event, reload bool, at uint64, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false, 0, false
	}
	switch {
	case !resume:
	case lastID > h.lastID || lastID < h.floor:
		reload = true
	default:
		n := len(h.ring)
		first := n // the oldest-first position of the first event after lastID
		for first > 0 && h.ring[(h.ringPos+first-1)%n].id > lastID {
			first--
		}
		if first < n {
			replay = make([]*event, 0, n-first)
			for i := first; i < n; i++ {
				replay = append(replay, h.ring[(h.ringPos+i)%n])
			}
		}
	}
	c = &client{ch: make(chan *event, h.opts.ClientBuffer), wall: wall, filter: filter}
	h.clients[c] = struct{}{}
	return c, replay, reload, h.lastID, true
}

// unsubscribe removes a client that went away by itself.
func (h *Hub) unsubscribe(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.ch)
	}
}

// errBadLastEventID is returned for a resume point that is not an event ID.
var errBadLastEventID = errors.New("last event id is not a whole number")

// lastEventID reads where the client wants to resume: the Last-Event-ID header
// a browser sends when it reconnects by itself, else the lastEventId query
// parameter the page uses for its first and its manual reconnects.
func lastEventID(r *http.Request) (id uint64, resume bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("lastEventId")
	}
	if v == "" {
		return 0, false, nil
	}
	id, err = strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%w: %q", errBadLastEventID, v)
	}
	return id, true, nil
}

// ServeHTTP streams wall events (GET /wall/events) until the client goes away
// or the hub closes.
//
// Frames, each ended by a blank line:
//
//	id: N / event: post   / data: {"id":12,"html":"<article …>…</article>"}
//	id: N / event: remove / data: {"id":12}
//	id: N / event: reload / data: {}   (resume impossible: reload the page)
//	: ping / event: ping  / data: {}   (heartbeat, no id)
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, "", nil)
}

// Stream returns the event stream of one wall's screens: events of posts
// filter does not select reach them as removals, and events for other walls
// not at all. filter nil selects every post.
func (h *Hub) Stream(wall string, filter *model.WallFilter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, wall, filter) })
}

func (h *Hub) serve(w http.ResponseWriter, r *http.Request, wall string, filter *model.WallFilter) {
	if r.Method == http.MethodHead {
		// GET patterns also match HEAD, which has no body to stream.
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		return
	}
	lastID, resume, err := lastEventID(r)
	if err != nil {
		// Treated like an ID from another hub: the page reloads and starts over.
		h.log.Debug("wall: bad last event id", slog.Any("error", err))
	}
	c, replay, reload, at, ok := h.subscribe(lastID, resume, wall, filter)
	if !ok {
		http.Error(w, "the wall is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.unsubscribe(c)

	out := &stream{rc: http.NewResponseController(w), w: w, timeout: h.opts.WriteTimeout}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache, no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx would otherwise buffer the stream
	w.WriteHeader(http.StatusOK)

	// A random retry spreads the reconnects of thousands of screens after a
	// restart.
	head := make([]byte, 0, 64)
	head = append(head, "retry: "...)
	head = strconv.AppendInt(head, 2000+rand.Int64N(3000), 10)
	head = append(head, "\n\n"...)
	if reload {
		head = append(head, "id: "...)
		head = strconv.AppendUint(head, at, 10)
		head = append(head, "\nevent: reload\ndata: {}\n\n"...)
	}
	frames := make([][]byte, 0, 1+len(replay))
	frames = append(frames, head)
	for _, ev := range replay {
		if f := c.frame(ev); f != nil {
			frames = append(frames, f)
		}
	}
	if err := out.write(frames...); err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			h.log.Error("wall: event stream cannot be flushed through this server's middleware", slog.Any("error", err))
		}
		return
	}

	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-c.ch:
			if !ok {
				return // dropped as too slow, or the hub closed
			}
			frames = append(frames[:0], c.frame(ev))
			// Send whatever else is already waiting with one flush.
			for more := len(c.ch); more > 0; more-- {
				ev, ok := <-c.ch
				if !ok {
					break
				}
				frames = append(frames, c.frame(ev))
			}
			if err := out.write(frames...); err != nil {
				h.log.Debug("wall: stream ended", slog.Any("error", err))
				return
			}
		}
	}
}

// stream writes one client's frames, each within the hub's write timeout.
// The deadline is moved only once half of it has passed: setting it costs as
// much as a tenth of a small write, and with ten thousand screens each event
// would pay that ten thousand times. Every write still gets at least half
// the timeout.
type stream struct {
	rc       *http.ResponseController
	w        http.ResponseWriter
	timeout  time.Duration
	deadline time.Time
}

// write sends frames and flushes them once.
func (s *stream) write(frames ...[]byte) error {
	if now := time.Now(); s.deadline.Sub(now) < s.timeout/2 {
		// Not every ResponseWriter can set deadlines (some middleware); the
		// stream still works there, only without the stall guard.
		if err := s.rc.SetWriteDeadline(now.Add(s.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		s.deadline = now.Add(s.timeout)
	}
	for _, f := range frames {
		if _, err := s.w.Write(f); err != nil {
			return err
		}
	}
	return s.rc.Flush()
}
