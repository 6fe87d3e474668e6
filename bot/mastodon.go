package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/cohesionalliance/campaignwall/model"
)

// Mastodon publishes through the campaign's Mastodon account with
// github.com/mattn/go-mastodon. That client has no timeout of its own and
// retries 429s for up to an hour; the transport installed here turns a 429
// into an error at once, so the outbox owns retries and their timing, and
// every call runs under the Service's deadline.
type Mastodon struct {
	c          *gomastodon.Client
	visibility string

	mu        sync.Mutex
	accountID gomastodon.ID // the bot's own account, for Lookup
}

// NewMastodon returns the Mastodon publisher for cfg, using hc's transport.
func NewMastodon(cfg MastodonConfig, hc *http.Client) (*Mastodon, error) {
	u, err := url.Parse(cfg.ServerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("bot: mastodon server %q: want an http(s) URL", cfg.ServerURL)
	}
	if cfg.AccessToken == "" {
		return nil, errors.New("bot: mastodon: empty access token")
	}
	c := gomastodon.NewClient(&gomastodon.Config{Server: strings.TrimRight(cfg.ServerURL, "/"), AccessToken: cfg.AccessToken})
	c.Client = *hc
	c.Client.Transport = &mastodonTransport{base: hc.Transport}
	c.UserAgent = userAgent
	vis := cfg.Visibility
	if vis == "" {
		vis = gomastodon.VisibilityPublic
	}
	return &Mastodon{c: c, visibility: vis}, nil
}

const userAgent = "campaignwall-bot (+https://github.com/cohesionalliance/campaignwall)"

// Network reports model.NetworkMastodon.
func (m *Mastodon) Network() model.Network { return model.NetworkMastodon }

type idempotencyKeyCtx struct{}

// mastodonTransport adds the Idempotency-Key header to the status POST that
// carries one in its context, and reports 429s as errors at once.
type mastodonTransport struct{ base http.RoundTripper }

func (t *mastodonTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	if k, ok := req.Context().Value(idempotencyKeyCtx{}).(string); ok && req.Method == http.MethodPost {
		req = req.Clone(req.Context())
		req.Header.Set("Idempotency-Key", k)
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	after, at := rateLimitHeaders(resp.Header)
	return nil, &SendError{Network: model.NetworkMastodon, Op: "request", StatusCode: resp.StatusCode,
		Detail: body.Error, RetryAfter: after, RetryAt: at, Kind: ErrRateLimited}
}

// idempotencyHeader turns an outbox key into a header value: any key, even
// one with non-ASCII URIs in it, maps to the same short token every time.
func idempotencyHeader(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "campaignwall-" + hex.EncodeToString(sum[:16])
}

func (m *Mastodon) fail(op string, err error) error {
	var se *SendError
	if errors.As(err, &se) {
		cp := *se
		cp.Op = op
		return &cp
	}
	var api *gomastodon.APIError
	if errors.As(err, &api) {
		kind := kindForStatus(api.StatusCode)
		if api.StatusCode == http.StatusUnprocessableEntity && strings.Contains(api.Message, "processing") {
			kind = ErrTemporary // media not processed yet: the status was not created
		}
		return &SendError{Network: model.NetworkMastodon, Op: op, StatusCode: api.StatusCode, Detail: api.Message, Kind: kind}
	}
	return transportError(model.NetworkMastodon, op, err)
}

// Send boosts, posts, replies or sends a direct message.
func (m *Mastodon) Send(ctx context.Context, it model.OutboxItem) (string, error) {
	switch it.Kind {
	case model.OutboxRepost:
		st, err := m.resolve(ctx, it.Target)
		if err != nil {
			return "", err
		}
		if err := boostable(st); err != nil {
			return "", err
		}
		if b, _ := st.Reblogged.(bool); b {
			return string(st.ID), nil // boosting is idempotent on Mastodon too
		}
		if _, err := m.c.Reblog(ctx, st.ID); err != nil {
			return "", m.fail("repost", err)
		}
		return string(st.ID), nil
	case model.OutboxPost, model.OutboxReply, model.OutboxDM:
		toot, err := m.toot(ctx, it)
		if err != nil {
			return "", err
		}
		for _, md := range it.Payload.Media {
			id, err := m.upload(ctx, md)
			if err != nil {
				return "", err
			}
			toot.MediaIDs = append(toot.MediaIDs, id)
		}
		st, err := m.c.PostStatus(context.WithValue(ctx, idempotencyKeyCtx{}, idempotencyHeader(it.IdempotencyKey)), toot)
		if err != nil {
			return "", m.fail(string(it.Kind), err)
		}
		return string(st.ID), nil
	}
	return "", &SendError{Network: model.NetworkMastodon, Op: string(it.Kind), Kind: ErrBadAction, Detail: "unknown kind"}
}

// boostable refuses what the bot must never boost, checked on the status as
// the bot's instance sees it (the collected post may not say).
func boostable(st *gomastodon.Status) error {
	var why string
	switch {
	case st.Visibility != gomastodon.VisibilityPublic && st.Visibility != gomastodon.VisibilityUnlisted:
		why = "the status is not public (" + st.Visibility + ")"
	case st.InReplyToID != nil:
		why = "the status is a reply"
	case st.SpoilerText != "":
		why = "the status has a content warning"
	}
	if why == "" {
		return nil
	}
	return &SendError{Network: model.NetworkMastodon, Op: "repost", Kind: ErrIneligible, Detail: why}
}

// toot builds the status for a post, reply or DM: always with an explicit
// visibility, because some servers default new accounts to unlisted.
func (m *Mastodon) toot(ctx context.Context, it model.OutboxItem) (*gomastodon.Toot, error) {
	t := &gomastodon.Toot{Status: it.Text, Visibility: m.visibility, Language: it.Payload.Language}
	if it.Payload.Visibility != "" {
		t.Visibility = it.Payload.Visibility
	}
	switch it.Kind {
	case model.OutboxReply:
		if it.Payload.LocalID != "" && it.Author != "" {
			// A status mentioning the bot may be one search cannot find (a
			// direct message), but its notification gave its local ID.
			t.InReplyToID = gomastodon.ID(it.Payload.LocalID)
			t.Status = withMention(it.Author, it.Text)
			break
		}
		parent, err := m.resolve(ctx, it.Target)
		if err != nil {
			return nil, err
		}
		t.InReplyToID = parent.ID
		t.Status = withMention(parent.Account.Acct, it.Text)
	case model.OutboxDM:
		if it.Target == "" {
			return nil, &SendError{Network: model.NetworkMastodon, Op: "dm", Kind: ErrBadAction, Detail: "no recipient"}
		}
		t.Visibility = gomastodon.VisibilityDirectMessage
		t.Status = withMention(it.Target, it.Text)
	}
	return t, nil
}

// withMention starts text with @acct unless it already mentions them: a
// direct message reaches only the accounts it mentions.
func withMention(acct, text string) string {
	mention := "@" + strings.TrimPrefix(acct, "@")
	if strings.Contains(strings.ToLower(text), strings.ToLower(mention)) {
		return text
	}
	return mention + " " + text
}

func (m *Mastodon) upload(ctx context.Context, md model.OutboxMedia) (gomastodon.ID, error) {
	f, err := os.Open(md.Path)
	if err != nil {
		return "", &SendError{Network: model.NetworkMastodon, Op: "upload", Kind: ErrBadAction, Err: err}
	}
	defer f.Close()
	a, err := m.c.UploadMediaFromMedia(ctx, &gomastodon.Media{File: f, Description: md.AltText})
	if err != nil {
		return "", m.fail("upload", err)
	}
	return a.ID, nil
}

// resolve finds a status, known by its URI, on the bot's instance: boosting
// and replying need the instance's own ID for it.
func (m *Mastodon) resolve(ctx context.Context, uri string) (*gomastodon.Status, error) {
	if uri == "" {
		return nil, &SendError{Network: model.NetworkMastodon, Op: "resolve", Kind: ErrBadAction, Detail: "no target"}
	}
	res, err := m.c.Search(ctx, uri, true)
	if err != nil {
		return nil, m.fail("resolve", err)
	}
	for _, st := range res.Statuses {
		if st.URI == uri || st.URL == uri {
			return st, nil
		}
	}
	// Unknown yet: its server may be down, or federation slow. Nothing was done.
	return nil, &SendError{Network: model.NetworkMastodon, Op: "resolve", Kind: ErrTemporary,
		Detail: "status not found from the bot's instance: " + uri}
}

// lookupPages bounds how far back Lookup reads the bot's own statuses.
const lookupPages = 5

// Lookup reports whether an earlier attempt boosted, posted, replied or sent
// the DM: a boost shows as "reblogged" on the status; a status is one of the
// bot's own since the first attempt whose source text is the planned text.
func (m *Mastodon) Lookup(ctx context.Context, it model.OutboxItem) (string, bool, error) {
	if it.Kind == model.OutboxRepost {
		st, err := m.resolve(ctx, it.Target)
		if err != nil {
			return "", false, err
		}
		b, _ := st.Reblogged.(bool)
		return string(st.ID), b, nil
	}
	toot, err := m.toot(ctx, it)
	if err != nil {
		return "", false, err
	}
	acct, err := m.account(ctx)
	if err != nil {
		return "", false, err
	}
	since := it.FirstAttemptAt.Add(-2 * time.Minute)
	pg := &gomastodon.Pagination{Limit: 40}
	for range lookupPages {
		// go-mastodon overwrites pg with the next page's position.
		statuses, err := m.c.GetAccountStatuses(ctx, acct, pg)
		if err != nil {
			return "", false, m.fail("lookup", err)
		}
		for _, st := range statuses {
			if st.CreatedAt.Before(since) {
				return "", false, nil
			}
			if st.Reblog != nil || st.Visibility != toot.Visibility {
				continue
			}
			if toot.InReplyToID != "" && fmt.Sprint(st.InReplyToID) != string(toot.InReplyToID) {
				continue
			}
			src, err := m.c.GetStatusSource(ctx, st.ID)
			if err != nil {
				return "", false, m.fail("lookup", err)
			}
			if strings.TrimSpace(src.Text) == strings.TrimSpace(toot.Status) {
				return string(st.ID), true, nil
			}
		}
		if len(statuses) == 0 || pg.MaxID == "" {
			return "", false, nil
		}
	}
	return "", false, nil
}

func (m *Mastodon) account(ctx context.Context) (gomastodon.ID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.accountID != "" {
		return m.accountID, nil
	}
	a, err := m.c.GetAccountCurrentUser(ctx)
	if err != nil {
		return "", m.fail("lookup", err)
	}
	m.accountID = a.ID
	return a.ID, nil
}
