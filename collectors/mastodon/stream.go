package mastodon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
)

// ErrStreamUnsupported means the server offers no usable stream for the
// source (no streaming endpoint, a stream that accepts but never sends, or
// one that needs a token the source lacks): rely on polling alone.
var ErrStreamUnsupported = errors.New("streaming unavailable on this server: polling only")

var (
	errSilent     = errors.New("the stream accepted the connection but sent nothing")
	errNoEndpoint = errors.New("no streaming endpoint")
	errIdle       = errors.New("the stream went quiet (no heartbeat)")
)

// maxEventBytes bounds one line of the stream (a status is a few KiB).
const maxEventBytes = 1 << 20

// StreamHandlers receive what a stream delivers. Stream calls them one at a
// time, never concurrently, so they may share state without locking. Any
// may be nil.
type StreamHandlers struct {
	// CatchUp runs after every (re)connection, once the stream has proved
	// alive: the caller polls from its stored cursor (Collect) and saves,
	// so whatever was posted while the stream was down is fetched. Events
	// arriving meanwhile wait. Polling stays the source of truth: streamed
	// posts should be saved without moving the cursor.
	CatchUp func(ctx context.Context) error
	// Posts receives new public posts carrying one of the source's
	// hashtags, as Collect would map them (reblogs unwrapped, replies and
	// non-public posts skipped).
	Posts func(posts []model.Post)
	// Delete receives the ID, on this source's server, of a deleted status
	// (the streaming API sends only the ID): match it against the
	// RemoteID of posts collected by this source. On the public-stream
	// fallback it receives every deletion the server sees, most of them of
	// posts the caller never stored. Deletions of posts first collected
	// through another server are caught by the periodic Exists re-check.
	Delete func(remoteID string)
	// Update receives an edited post.
	Update func(post model.Post)
}

// Stream follows src's hashtags live until ctx ends, through the server's
// server-sent events API (https://docs.joinmastodon.org/methods/streaming/):
// one GET /api/v1/streaming/hashtag?tag=… connection per hashtag.
//
// A dropped connection is retried after an exponential backoff with jitter
// (at least as long as a 429's Retry-After), reset once a connection has
// delivered an event or stayed up for StableAfter; every connection that
// proves alive triggers handlers.CatchUp. A connection that sends nothing,
// not even the greeting or a heartbeat, within FirstEventTimeout proves the
// hashtag stream unusable: some Mastodon-API servers accept it and never
// send. Stream then listens on the public stream instead, keeping the posts
// that carry the hashtags, and if that fails too returns an error wrapping
// ErrStreamUnsupported.
//
// Stream returns nil when ctx ends, and otherwise only errors that
// retrying cannot fix (ErrStreamUnsupported, possibly with ErrNeedsToken or
// ErrBadToken): the caller then keeps polling and needs no stream.
func (c *Collector) Stream(ctx context.Context, src model.Source, handlers StreamHandlers) error {
	base, err := apiBase(src.URL)
	if err != nil {
		return fmt.Errorf("mastodon source %q: %w", src.Name, err)
	}
	tags := normalizeTags(src.Hashtags)
	if len(tags) == 0 {
		return fmt.Errorf("mastodon source %q: %w", src.Name, ErrNoHashtags)
	}
	s := &streamer{
		c:      c,
		src:    src,
		host:   base.Hostname(),
		client: collectors.StreamingClient(c.client),
		h:      handlers,
	}

	err = s.hashtagStreams(ctx, base, tags)
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, errSilent) || errors.Is(err, errNoEndpoint) {
		c.log.Info("mastodon: hashtag stream unusable; listening on the public stream filtered by hashtag",
			slog.String("source", src.Name), slog.String("reason", err.Error()))
		err = s.run(ctx, endpoint(base, "api/v1/streaming/public", nil), tags)
		if ctx.Err() != nil {
			return nil
		}
	}
	return fmt.Errorf("mastodon source %q: %w: %w", src.Name, ErrStreamUnsupported, err)
}

type streamer struct {
	c      *Collector
	src    model.Source
	host   string
	client *http.Client

	mu sync.Mutex // serializes calls to h
	h  StreamHandlers
}

// hashtagStreams runs one stream per hashtag until ctx ends or one of them
// fails for good, which stops the others.
func (s *streamer) hashtagStreams(ctx context.Context, base *url.URL, tags []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(tags))
	for _, tag := range tags {
		u := endpoint(base, "api/v1/streaming/hashtag", url.Values{"tag": {tag}})
		go func() { errs <- s.run(ctx, u, nil) }()
	}
	var first error
	for range tags {
		if err := <-errs; first == nil && ctx.Err() == nil {
			first = err
			cancel()
		}
	}
	return first
}

// run keeps one stream connected, reconnecting with backoff, until ctx ends
// or the stream fails in a way retrying cannot fix. filterTags, when set,
// keeps only statuses carrying one of them (the public stream).
func (s *streamer) run(ctx context.Context, u string, filterTags []string) error {
	o := s.c.opts
	bo := collectors.Backoff{Min: o.BackoffMin, Max: o.BackoffMax, Jitter: o.Jitter}
	everAlive := false
	for {
		start := o.Now()
		alive, gotEvent, err := s.connect(ctx, u, filterTags)
		everAlive = everAlive || alive
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, errSilent) && everAlive:
			// It worked before: this is a bad connection, not a server
			// that never streams.
		case errors.Is(err, errSilent), errors.Is(err, errNoEndpoint),
			errors.Is(err, ErrNeedsToken), errors.Is(err, ErrBadToken):
			return err
		}
		if gotEvent || o.Now().Sub(start) >= o.StableAfter {
			bo.Reset()
		}
		wait := bo.Next()
		var he *collectors.HTTPError
		if errors.As(err, &he) && he.RetryAfter > wait {
			wait = he.RetryAfter
		}
		s.c.log.Warn("mastodon: stream interrupted; reconnecting",
			slog.String("source", s.src.Name), slog.String("url", u),
			slog.Duration("wait", wait), slog.String("error", err.Error()))
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (s *streamer) sleep(ctx context.Context, d time.Duration) error {
	if s.c.opts.Sleep != nil {
		if err := s.c.opts.Sleep(ctx, d); err != nil {
			return err
		}
		return ctx.Err()
	}
	return collectors.Sleep(ctx, d)
}

// connect reads one connection until it ends. alive reports whether it sent
// anything at all, gotEvent whether it delivered an event.
func (s *streamer) connect(ctx context.Context, u string, filterTags []string) (alive, gotEvent bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := s.c.do(ctx, s.src, u, "text/event-stream", s.client)
	if err != nil {
		var he *collectors.HTTPError
		if errors.As(err, &he) {
			switch he.StatusCode {
			case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusBadRequest:
				return false, false, fmt.Errorf("%w: %w", errNoEndpoint, err)
			}
		}
		return false, false, err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		// A 200 in JSON or HTML: a route that exists but does not stream.
		return false, false, fmt.Errorf("%w: %s answered %q, not an event stream", errNoEndpoint, u, mt)
	}

	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), maxEventBytes)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = errors.New("the server closed the stream")
		}
		readErr <- err
	}()

	timer := time.NewTimer(s.c.opts.FirstEventTimeout)
	defer timer.Stop()
	var event string
	var data []string
	for {
		select {
		case <-ctx.Done():
			return alive, gotEvent, ctx.Err()
		case <-timer.C:
			if !alive {
				return false, false, errSilent
			}
			return alive, gotEvent, errIdle
		case err := <-readErr:
			return alive, gotEvent, err
		case line := <-lines:
			if !alive {
				alive = true
				s.catchUp(ctx)
			}
			switch {
			case line == "": // end of an event
				if len(data) > 0 {
					gotEvent = true
					s.dispatch(event, strings.Join(data, "\n"), filterTags)
				}
				event, data = "", nil
			case strings.HasPrefix(line, ":"): // greeting or heartbeat
			default:
				field, value, _ := strings.Cut(line, ":")
				value = strings.TrimPrefix(value, " ")
				switch field {
				case "event":
					event = value
				case "data":
					data = append(data, value)
				}
			}
			timer.Reset(s.c.opts.IdleTimeout)
		}
	}
}

func (s *streamer) catchUp(ctx context.Context) {
	if s.h.CatchUp == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.h.CatchUp(ctx); err != nil && ctx.Err() == nil {
		// The scheduled poll will try again; the stream itself is fine.
		s.c.log.Warn("mastodon: catch-up after connecting failed",
			slog.String("source", s.src.Name), slog.String("error", err.Error()))
	}
}

// dispatch hands one event to the handlers.
func (s *streamer) dispatch(event, data string, filterTags []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch event {
	case "update", "status.update":
		var st status
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			s.c.log.Warn("mastodon: ignoring an unreadable streamed status",
				slog.String("source", s.src.Name), slog.String("event", event), slog.String("error", err.Error()))
			return
		}
		if skipReason(st) != "" || (filterTags != nil && !carriesTag(st, filterTags)) {
			return
		}
		p := toPost(st, s.src, s.host, s.c.opts.Now())
		if event == "update" && s.h.Posts != nil {
			s.h.Posts([]model.Post{p})
		} else if event == "status.update" && s.h.Update != nil {
			s.h.Update(p)
		}
	case "delete":
		id := strings.Trim(strings.TrimSpace(data), `"`)
		if id != "" && s.h.Delete != nil {
			s.h.Delete(id)
		}
	}
}

func carriesTag(st status, tags []string) bool {
	if st.Reblog != nil {
		st = *st.Reblog
	}
	for _, t := range st.Tags {
		if slices.Contains(tags, strings.ToLower(t.Name)) {
			return true
		}
	}
	return false
}
