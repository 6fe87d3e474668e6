package moderation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
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
// Events are not kept for replay: a queue that lost its stream for a while
// misses what happened meanwhile, which its next load shows anyway.

// eventsHeartbeat keeps idle streams open through proxies.
const eventsHeartbeat = 15 * time.Second

// eventsBuffer is how many events may wait for one queue before it is
// dropped (its browser reconnects).
const eventsBuffer = 64

// queueEvents fans moderator events out to open queue pages.
type queueEvents struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	closed  bool
}

func newQueueEvents() *queueEvents {
	return &queueEvents{clients: map[chan []byte]struct{}{}}
}

// publish sends one event to every open queue without waiting for any.
func (e *queueEvents) publish(name string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	frame := make([]byte, 0, len(b)+len(name)+16)
	frame = append(frame, "event: "...)
	frame = append(frame, name...)
	frame = append(frame, "\ndata: "...)
	frame = append(frame, b...) // JSON escapes newlines: one line
	frame = append(frame, "\n\n"...)
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.clients {
		select {
		case ch <- frame:
		default:
			delete(e.clients, ch) // too slow: dropped, its browser reconnects
			close(ch)
		}
	}
}

func (e *queueEvents) subscribe() (chan []byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, false
	}
	ch := make(chan []byte, eventsBuffer)
	e.clients[ch] = struct{}{}
	return ch, true
}

func (e *queueEvents) unsubscribe(ch chan []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.clients[ch]; ok {
		delete(e.clients, ch)
		close(ch)
	}
}

// listening reports whether any queue is open, so changes nobody would
// see (rules deciding a whole backlog at night) cost no renders.
func (e *queueEvents) listening() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.clients) > 0
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
// does not wait for them. main calls it with the wall hub's Close.
func (h *Handler) Close() { h.events.close() }

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
}

// leaseEventData says a moderator took the lease on a pending post: the
// other queues drop its card.
type leaseEventData struct {
	ID int64  `json:"id"`
	By string `json:"by"`
}

// announce tells every open queue about a post as the store has it now.
func (h *Handler) announce(id int64) {
	if !h.events.listening() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
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
	h.events.publish("post", postEventData{ID: p.ID, Status: p.Status, Published: p.PublishedAt.UnixMilli(),
		DecidedBy: p.DecidedBy, Message: decidedText(p, h.opts.Location), HTML: html,
		Network: string(p.Network), Source: p.SourceName, Category: p.Category, Language: p.Language, Photo: len(images(p)) > 0})
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

// queueStream serves /moderate/events.
func (h *Handler) queueStream(w http.ResponseWriter, r *http.Request) {
	ch, ok := h.events.subscribe()
	if !ok {
		http.Error(w, "Shutting down.", http.StatusServiceUnavailable)
		return
	}
	defer h.events.unsubscribe(ch)
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
	h.log.DebugContext(r.Context(), "queue stream opened", slog.String("moderator", m.Name))
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
