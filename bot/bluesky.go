package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// Bluesky publishes through the campaign's Bluesky account: a small XRPC
// client (createSession, createRecord, getRecord, uploadBlob, resolveHandle,
// and chat.bsky.convo for direct messages) rather than the indigo SDK, for a
// handful of calls.
//
// Every record is created under a record key derived from its outbox row (see
// recordKey), so an attempt whose outcome is unknown is checked with one
// getRecord, and cannot be created twice.
type Bluesky struct {
	hc       *http.Client
	pds      string
	handle   string
	password string

	mu   sync.Mutex
	sess *blueskySession
}

type blueskySession struct {
	AccessJwt string `json:"accessJwt"`
	DID       string `json:"did"`
	Handle    string `json:"handle"`
}

// NewBluesky returns the Bluesky publisher for cfg (handle and app password).
func NewBluesky(cfg BlueskyConfig, hc *http.Client) (*Bluesky, error) {
	u, err := url.Parse(cfg.PDSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("bot: bluesky pds %q: want an http(s) URL", cfg.PDSURL)
	}
	if cfg.Handle == "" || cfg.AppPassword == "" {
		return nil, errors.New("bot: bluesky: handle and app password are required")
	}
	return &Bluesky{hc: hc, pds: strings.TrimRight(cfg.PDSURL, "/"), handle: strings.TrimPrefix(cfg.Handle, "@"),
		password: cfg.AppPassword}, nil
}

// Network reports model.NetworkBluesky.
func (b *Bluesky) Network() model.Network { return model.NetworkBluesky }

const (
	collRepost = "app.bsky.feed.repost"
	collPost   = "app.bsky.feed.post"
)

type strongRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// Send reposts, posts, replies or sends a direct message (through the chat
// service, which needs an app password allowed to access direct messages).
func (b *Bluesky) Send(ctx context.Context, it model.OutboxItem) (string, error) {
	if it.Kind == model.OutboxDM {
		return b.sendDM(ctx, it)
	}
	coll, rec, err := b.record(ctx, it)
	if err != nil {
		return "", err
	}
	sess, err := b.session(ctx)
	if err != nil {
		return "", err
	}
	var out strongRef
	in := map[string]any{"repo": sess.DID, "collection": coll, "rkey": recordKey(it), "record": rec}
	if err := b.call(ctx, xrpcReq{op: string(it.Kind), method: http.MethodPost, nsid: "com.atproto.repo.createRecord", in: in}, &out); err != nil {
		return "", err
	}
	return out.URI, nil
}

// Lookup reads the record under the row's record key.
func (b *Bluesky) Lookup(ctx context.Context, it model.OutboxItem) (string, bool, error) {
	coll := collPost
	switch it.Kind {
	case model.OutboxRepost:
		coll = collRepost
	case model.OutboxDM:
		return b.lookupDM(ctx, it)
	}
	sess, err := b.session(ctx)
	if err != nil {
		return "", false, err
	}
	var out struct {
		URI   string `json:"uri"`
		Value struct {
			Text    string    `json:"text"`
			Subject strongRef `json:"subject"`
		} `json:"value"`
	}
	q := url.Values{"repo": {sess.DID}, "collection": {coll}, "rkey": {recordKey(it)}}
	err = b.call(ctx, xrpcReq{op: "lookup", method: http.MethodGet, nsid: "com.atproto.repo.getRecord", q: q}, &out)
	var se *SendError
	if errors.As(err, &se) && se.Code == "RecordNotFound" {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	ours := out.Value.Subject.URI == it.Target
	if coll == collPost {
		ours = out.Value.Text == it.Text
	}
	if !ours {
		return "", false, &SendError{Network: model.NetworkBluesky, Op: "lookup", Kind: ErrBadAction,
			Detail: "another record holds this action's record key " + recordKey(it)}
	}
	return out.URI, true, nil
}

// record builds the collection and record for an outbox row.
func (b *Bluesky) record(ctx context.Context, it model.OutboxItem) (string, map[string]any, error) {
	createdAt := it.LastAttemptAt
	if createdAt.IsZero() {
		createdAt = it.CreatedAt
	}
	stamp := createdAt.UTC().Format("2006-01-02T15:04:05.000Z")
	switch it.Kind {
	case model.OutboxRepost:
		subject, value, err := b.subject(ctx, it.Target, it.Payload.CID)
		if err != nil {
			return "", nil, err
		}
		if why := notRepostable(value); why != "" {
			return "", nil, &SendError{Network: model.NetworkBluesky, Op: "repost", Kind: ErrIneligible, Detail: why}
		}
		return collRepost, map[string]any{"$type": collRepost, "subject": subject, "createdAt": stamp}, nil
	case model.OutboxPost, model.OutboxReply:
		rec := map[string]any{"$type": collPost, "text": it.Text, "createdAt": stamp}
		if it.Payload.Language != "" {
			rec["langs"] = []string{it.Payload.Language}
		}
		if facets := b.facets(ctx, it.Text); len(facets) > 0 {
			rec["facets"] = facets
		}
		if it.Kind == model.OutboxReply {
			parent, value, err := b.subject(ctx, it.Target, it.Payload.CID)
			if err != nil {
				return "", nil, err
			}
			root := parent
			switch {
			case it.Payload.RootURI != "" && it.Payload.RootCID != "":
				root = strongRef{it.Payload.RootURI, it.Payload.RootCID}
			case value.Reply != nil && value.Reply.Root.URI != "":
				root = value.Reply.Root
			}
			rec["reply"] = map[string]any{"root": root, "parent": parent}
		}
		if len(it.Payload.Media) > 0 {
			embed, err := b.images(ctx, it.Payload.Media)
			if err != nil {
				return "", nil, err
			}
			rec["embed"] = embed
		}
		return collPost, rec, nil
	}
	return "", nil, &SendError{Network: model.NetworkBluesky, Op: string(it.Kind), Kind: ErrBadAction, Detail: "unknown kind"}
}

// postValue is what the bot reads of a post record.
type postValue struct {
	Reply *struct {
		Root   strongRef `json:"root"`
		Parent strongRef `json:"parent"`
	} `json:"reply"`
	Labels *struct {
		Values []struct {
			Val string `json:"val"`
		} `json:"values"`
	} `json:"labels"`
}

func notRepostable(v postValue) string {
	switch {
	case v.Reply != nil:
		return "the post is a reply"
	case v.Labels != nil && len(v.Labels.Values) > 0:
		return "the post carries a content warning (self-label " + v.Labels.Values[0].Val + ")"
	}
	return ""
}

// subject fetches the post at uri (through the bot's PDS) for its CID and to
// check what it is; a known cid is checked against the current record.
func (b *Bluesky) subject(ctx context.Context, uri, cid string) (strongRef, postValue, error) {
	did, coll, rkey, ok := parseATURI(uri)
	if !ok || coll != collPost {
		return strongRef{}, postValue{}, &SendError{Network: model.NetworkBluesky, Op: "resolve", Kind: ErrBadAction,
			Detail: "not a post URI: " + uri}
	}
	var out struct {
		URI   string    `json:"uri"`
		CID   string    `json:"cid"`
		Value postValue `json:"value"`
	}
	q := url.Values{"repo": {did}, "collection": {coll}, "rkey": {rkey}}
	if err := b.call(ctx, xrpcReq{op: "resolve", method: http.MethodGet, nsid: "com.atproto.repo.getRecord", q: q}, &out); err != nil {
		var se *SendError
		if errors.As(err, &se) && se.Code == "RecordNotFound" {
			se.Kind = ErrNotFound
		}
		return strongRef{}, postValue{}, err
	}
	if cid == "" {
		cid = out.CID
	}
	return strongRef{URI: uri, CID: cid}, out.Value, nil
}

// parseATURI splits at://did/collection/rkey.
func parseATURI(uri string) (did, coll, rkey string, ok bool) {
	rest, found := strings.CutPrefix(uri, "at://")
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// maxBlobBytes is the Bluesky PDS's limit for an image blob.
const maxBlobBytes = 1_000_000

func (b *Bluesky) images(ctx context.Context, media []model.OutboxMedia) (map[string]any, error) {
	if len(media) > 4 {
		media = media[:4] // a post holds at most four images
	}
	var images []map[string]any
	for _, md := range media {
		data, err := os.ReadFile(md.Path)
		if err != nil {
			return nil, &SendError{Network: model.NetworkBluesky, Op: "upload", Kind: ErrBadAction, Err: err}
		}
		if len(data) > maxBlobBytes {
			return nil, &SendError{Network: model.NetworkBluesky, Op: "upload", Kind: ErrBadAction,
				Detail: fmt.Sprintf("%s is %d bytes, over Bluesky's %d", filepath.Base(md.Path), len(data), maxBlobBytes)}
		}
		ctype := mime.TypeByExtension(filepath.Ext(md.Path))
		if ctype == "" {
			ctype = http.DetectContentType(data)
		}
		var out struct {
			Blob json.RawMessage `json:"blob"`
		}
		if err := b.call(ctx, xrpcReq{op: "upload", method: http.MethodPost, nsid: "com.atproto.repo.uploadBlob", in: data, ctype: ctype}, &out); err != nil {
			return nil, err
		}
		images = append(images, map[string]any{"alt": md.AltText, "image": out.Blob})
	}
	return map[string]any{"$type": "app.bsky.embed.images", "images": images}, nil
}

// session signs in once with the app password and keeps the session: the
// createSession rate limit is tight.
func (b *Bluesky) session(ctx context.Context) (*blueskySession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sess != nil {
		return b.sess, nil
	}
	var s blueskySession
	in := map[string]string{"identifier": b.handle, "password": b.password}
	if err := b.do(ctx, xrpcReq{op: "session", method: http.MethodPost, nsid: "com.atproto.server.createSession", in: in}, "", &s); err != nil {
		return nil, err
	}
	if s.AccessJwt == "" || s.DID == "" {
		return nil, &SendError{Network: model.NetworkBluesky, Op: "session", Kind: ErrUnavailable, Detail: "session without token or DID"}
	}
	b.sess = &s
	return &s, nil
}

func (b *Bluesky) dropSession() {
	b.mu.Lock()
	b.sess = nil
	b.mu.Unlock()
}

// xrpcReq is one XRPC request. In is JSON-encoded unless it is raw bytes
// (a blob) of content type CType. Proxy names the service the PDS forwards
// the call to (the chat service for direct messages).
type xrpcReq struct {
	op, method, nsid string
	q                url.Values
	in               any
	ctype            string
	proxy            string
}

// call makes an authenticated XRPC call, signing in again once if the access
// token expired.
func (b *Bluesky) call(ctx context.Context, r xrpcReq, out any) error {
	for try := 0; ; try++ {
		sess, err := b.session(ctx)
		if err != nil {
			return err
		}
		err = b.do(ctx, r, sess.AccessJwt, out)
		var se *SendError
		if try == 0 && errors.As(err, &se) && se.Code == "ExpiredToken" {
			b.dropSession()
			continue
		}
		return err
	}
}

// do makes one XRPC request.
func (b *Bluesky) do(ctx context.Context, r xrpcReq, token string, out any) error {
	op := r.op
	u := b.pds + "/xrpc/" + r.nsid
	if len(r.q) > 0 {
		u += "?" + r.q.Encode()
	}
	var body io.Reader
	ctype := r.ctype
	if raw, ok := r.in.([]byte); ok {
		body = bytes.NewReader(raw)
	} else if r.in != nil {
		data, err := json.Marshal(r.in)
		if err != nil {
			return &SendError{Network: model.NetworkBluesky, Op: op, Kind: ErrBadAction, Err: err}
		}
		body, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return &SendError{Network: model.NetworkBluesky, Op: op, Kind: ErrBadAction, Err: err}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.proxy != "" {
		req.Header.Set("Atproto-Proxy", r.proxy)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return transportError(model.NetworkBluesky, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return transportError(model.NetworkBluesky, op, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		se := &SendError{Network: model.NetworkBluesky, Op: op, StatusCode: resp.StatusCode, Code: e.Error,
			Detail: strings.TrimSpace(e.Error + ": " + e.Message), Kind: kindForStatus(resp.StatusCode)}
		switch e.Error {
		case "ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown":
			se.Kind = ErrRevokedToken
		case "RateLimitExceeded":
			se.Kind = ErrRateLimited
		}
		if se.Kind == ErrRateLimited {
			se.RetryAfter, se.RetryAt = rateLimitHeaders(resp.Header)
		}
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		// A 2xx we cannot read: the action may have happened.
		return &SendError{Network: model.NetworkBluesky, Op: op, StatusCode: resp.StatusCode, Kind: ErrUnavailable, Err: err}
	}
	return nil
}

// resolveHandle returns the DID of a handle, or "" if it cannot be resolved.
func (b *Bluesky) resolveHandle(ctx context.Context, handle string) string {
	did, _ := b.did(ctx, "resolve", handle)
	return did
}

// did resolves a handle (a DID is returned as it is).
func (b *Bluesky) did(ctx context.Context, op, handle string) (string, error) {
	handle = strings.TrimPrefix(handle, "@")
	if strings.HasPrefix(handle, "did:") {
		return handle, nil
	}
	var out struct {
		DID string `json:"did"`
	}
	err := b.call(ctx, xrpcReq{op: op, method: http.MethodGet, nsid: "com.atproto.identity.resolveHandle",
		q: url.Values{"handle": {handle}}}, &out)
	var se *SendError
	if errors.As(err, &se) && se.StatusCode == http.StatusBadRequest {
		se.Kind = ErrNotFound // "Unable to resolve handle"
	}
	if err != nil {
		return "", err
	}
	return out.DID, nil
}

// chatProxy is the service the PDS forwards chat.bsky.* calls to.
const chatProxy = "did:web:api.bsky.chat#bsky_chat"

// convo returns the ID of the bot's one-to-one conversation with handle
// (getConvoForMembers gets or creates it).
func (b *Bluesky) convo(ctx context.Context, op, handle string) (string, error) {
	did, err := b.did(ctx, op, handle)
	if err != nil {
		return "", err
	}
	var out struct {
		Convo struct {
			ID string `json:"id"`
		} `json:"convo"`
	}
	if err := b.chat(ctx, xrpcReq{op: op, method: http.MethodGet, nsid: "chat.bsky.convo.getConvoForMembers",
		q: url.Values{"members": {did}}}, &out); err != nil {
		return "", err
	}
	return out.Convo.ID, nil
}

// chat makes a call to the chat service through the PDS. An auth error there
// most likely means the app password may not access direct messages: that
// fails the message, but must not halt reposts and posts.
func (b *Bluesky) chat(ctx context.Context, r xrpcReq, out any) error {
	r.proxy = chatProxy
	err := b.call(ctx, r, out)
	var se *SendError
	if errors.As(err, &se) && halting(se) {
		se.Kind = ErrRefused
		se.Detail = "chat service refused the bot (does its app password allow direct messages?): " + se.Detail
	}
	return err
}

// chatMessage is chat.bsky.convo.defs#messageView.
type chatMessage struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Sender struct {
		DID string `json:"did"`
	} `json:"sender"`
	SentAt time.Time `json:"sentAt"`
}

func (b *Bluesky) sendDM(ctx context.Context, it model.OutboxItem) (string, error) {
	convo, err := b.convo(ctx, "dm", it.Target)
	if err != nil {
		return "", err
	}
	msg := map[string]any{"text": it.Text}
	if facets := b.facets(ctx, it.Text); len(facets) > 0 {
		msg["facets"] = facets
	}
	var out chatMessage
	if err := b.chat(ctx, xrpcReq{op: "dm", method: http.MethodPost, nsid: "chat.bsky.convo.sendMessage",
		in: map[string]any{"convoId": convo, "message": msg}}, &out); err != nil {
		return "", err
	}
	return convo + "/" + out.ID, nil
}

// lookupDM reads the conversation for a message from the bot with the
// planned text, sent since the first attempt.
func (b *Bluesky) lookupDM(ctx context.Context, it model.OutboxItem) (string, bool, error) {
	convo, err := b.convo(ctx, "lookup", it.Target)
	if err != nil {
		return "", false, err
	}
	sess, err := b.session(ctx)
	if err != nil {
		return "", false, err
	}
	var out struct {
		Messages []chatMessage `json:"messages"`
	}
	if err := b.chat(ctx, xrpcReq{op: "lookup", method: http.MethodGet, nsid: "chat.bsky.convo.getMessages",
		q: url.Values{"convoId": {convo}, "limit": {"100"}}}, &out); err != nil {
		return "", false, err
	}
	since := it.FirstAttemptAt.Add(-2 * time.Minute)
	for _, m := range out.Messages {
		if m.Sender.DID == sess.DID && m.Text == it.Text && !m.SentAt.Before(since) {
			return convo + "/" + m.ID, true, nil
		}
	}
	return "", false, nil
}

// recordKey is the record key of an outbox row's record: a TID
// (https://atproto.com/specs/tid) whose timestamp is the row's creation time,
// with sub-millisecond digits and the 10-bit clock identifier taken from a
// hash of the idempotency key. The same row always gets the same key, and two
// rows get the same key only if created in the same millisecond with
// colliding 20-bit hashes; Lookup checks the record's content anyway.
func recordKey(it model.OutboxItem) string {
	h := fnv.New64a()
	h.Write([]byte(it.IdempotencyKey))
	sum := h.Sum64()
	micros := uint64(it.CreatedAt.UnixMilli())*1000 + (sum>>10)%1000
	return encodeTID(micros, uint16(sum&0x3ff))
}

const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// encodeTID encodes a TID: top bit 0, 53 bits of microseconds, 10 bits of
// clock identifier, as 13 base32-sortable characters.
func encodeTID(micros uint64, clock uint16) string {
	v := (micros&(1<<53-1))<<10 | uint64(clock&0x3ff)
	var buf [13]byte
	for i := 12; i >= 0; i-- {
		buf[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(buf[:])
}

// tidTime returns the timestamp a TID encodes (for tests and admins).
func tidTime(tid string) (time.Time, bool) {
	if len(tid) != 13 {
		return time.Time{}, false
	}
	var v uint64
	for i := 0; i < len(tid); i++ {
		d := strings.IndexByte(tidAlphabet, tid[i])
		if d < 0 {
			return time.Time{}, false
		}
		v = v<<5 | uint64(d)
	}
	return time.UnixMicro(int64(v >> 10)), true
}
