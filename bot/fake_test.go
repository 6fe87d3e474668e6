package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake networks below speak the documented wire formats (testdata/README.md
// names the pages), keep just enough state to answer lookups, and count the
// requests that change something upstream.

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func loadJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeFailure is an error a fake answers a write with. With effect set, the
// fake does the action first (a 502 after the post was created).
type fakeFailure struct {
	status int
	file   string
	header map[string]string
	effect bool
}

func (f fakeFailure) write(t testing.TB, w http.ResponseWriter) {
	for k, v := range f.header {
		w.Header().Set(k, v)
	}
	if f.file == "" {
		w.WriteHeader(f.status)
		return
	}
	writeJSON(w, f.status, loadJSON(t, f.file))
}

// common is what every fake shares: request counts, injected failures and
// the hook that simulates a crash right after the network did something.
type common struct {
	t         testing.TB
	srv       *httptest.Server
	now       func() time.Time
	mu        sync.Mutex
	requests  int
	fails     []fakeFailure
	afterSend func() // called after a send took effect, before the answer
}

func (c *common) URL() string { return c.srv.URL }

func (c *common) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

// Fail queues failures for the next writes.
func (c *common) Fail(f ...fakeFailure) {
	c.mu.Lock()
	c.fails = append(c.fails, f...)
	c.mu.Unlock()
}

func (c *common) SetAfterSend(f func()) {
	c.mu.Lock()
	c.afterSend = f
	c.mu.Unlock()
}

// nextFailure pops the next queued failure; the caller holds c.mu.
func (c *common) nextFailure() (fakeFailure, bool) {
	if len(c.fails) == 0 {
		return fakeFailure{}, false
	}
	f := c.fails[0]
	c.fails = c.fails[1:]
	return f, true
}

// sent runs the crash hook outside the lock.
func (c *common) sent() {
	c.mu.Lock()
	hook := c.afterSend
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
}

func (c *common) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.requests++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// ---- Mastodon ----

type mStatus struct {
	ID, URI, URL, Acct, Visibility, Text, InReplyTo, Spoiler, Language string
	Reblogged                                                          bool
	CreatedAt                                                          time.Time
	Media                                                              []string
}

type fakeMastodon struct {
	common
	remote      map[string]*mStatus // by URI
	byID        map[string]*mStatus
	own         []*mStatus // the bot's statuses, oldest first
	idem        map[string]string
	reblogPOSTs int
	statusPOSTs int
	forms       []map[string][]string
	uploads     []string          // descriptions
	mediaDesc   map[string]string // media id → description
	nextID      int
	notifs      []map[string]any // mention notifications, oldest first
}

const mastodonToken = "masto-token"

func newFakeMastodon(t testing.TB, now func() time.Time) *fakeMastodon {
	f := &fakeMastodon{common: common{t: t, now: now}, remote: map[string]*mStatus{}, byID: map[string]*mStatus{},
		idem: map[string]string{}, mediaDesc: map[string]string{}, nextID: 200}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/search", f.search)
	mux.HandleFunc("POST /api/v1/statuses/{id}/reblog", f.reblog)
	mux.HandleFunc("POST /api/v1/statuses", f.postStatus)
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, loadJSON(t, "mastodon/account.json"))
	})
	mux.HandleFunc("GET /api/v1/accounts/{id}/statuses", f.accountStatuses)
	mux.HandleFunc("GET /api/v1/statuses/{id}/source", f.source)
	mux.HandleFunc("POST /api/v2/media", f.media)
	mux.HandleFunc("GET /api/v1/notifications", f.notifications)
	f.srv = httptest.NewServer(f.count(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+mastodonToken {
			writeJSON(w, 401, loadJSON(t, "mastodon/error_401.json"))
			return
		}
		mux.ServeHTTP(w, r)
	})))
	t.Cleanup(f.srv.Close)
	return f
}

// AddRemote makes a status by someone else known to the bot's instance.
func (f *fakeMastodon) AddRemote(st mStatus) *mStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	st.ID = fmt.Sprint(f.nextID)
	if st.Visibility == "" {
		st.Visibility = "public"
	}
	if st.Acct == "" {
		st.Acct = "anna@regions.example"
	}
	f.remote[st.URI] = &st
	f.byID[st.ID] = &st
	return &st
}

func (f *fakeMastodon) render(st *mStatus) map[string]any {
	m := loadJSON(f.t, "mastodon/status.json")
	m["id"], m["uri"], m["url"], m["visibility"], m["reblogged"] = st.ID, st.URI, st.URL, st.Visibility, st.Reblogged
	m["content"], m["spoiler_text"], m["language"] = "<p>"+st.Text+"</p>", st.Spoiler, st.Language
	m["created_at"] = st.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	if st.InReplyTo != "" {
		m["in_reply_to_id"] = st.InReplyTo
	}
	acct := m["account"].(map[string]any)
	acct["acct"] = st.Acct
	var media []any
	for _, d := range st.Media {
		a := loadJSON(f.t, "mastodon/media.json")
		a["description"] = d
		media = append(media, a)
	}
	m["media_attachments"] = media
	return m
}

func (f *fakeMastodon) search(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	statuses := []any{}
	if r.URL.Query().Get("resolve") == "true" {
		if st, ok := f.remote[r.URL.Query().Get("q")]; ok {
			statuses = append(statuses, f.render(st))
		}
	}
	writeJSON(w, 200, map[string]any{"accounts": []any{}, "statuses": statuses, "hashtags": []any{}})
}

func (f *fakeMastodon) reblog(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reblogPOSTs++
	st, ok := f.byID[r.PathValue("id")]
	if !ok {
		f.mu.Unlock()
		writeJSON(w, 404, map[string]string{"error": "Record not found"})
		return
	}
	fail, failing := f.nextFailure()
	if failing && !fail.effect {
		f.mu.Unlock()
		fail.write(f.t, w)
		return
	}
	st.Reblogged = true
	f.nextID++
	wrapper := &mStatus{ID: fmt.Sprint(f.nextID), URI: "https://bots.example/users/cohesionbot/statuses/" + fmt.Sprint(f.nextID) + "/activity",
		Visibility: "public", Acct: "cohesionbot", CreatedAt: f.now()}
	body := f.render(wrapper)
	body["reblog"] = f.render(st)
	f.mu.Unlock()
	f.sent()
	if failing {
		fail.write(f.t, w)
		return
	}
	writeJSON(w, 200, body)
}

func (f *fakeMastodon) postStatus(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 422, map[string]string{"error": err.Error()})
		return
	}
	f.mu.Lock()
	f.statusPOSTs++
	f.forms = append(f.forms, maps.Clone(r.PostForm))
	key := r.Header.Get("Idempotency-Key")
	if id, ok := f.idem[key]; ok && key != "" {
		body := f.render(f.byID[id])
		f.mu.Unlock()
		writeJSON(w, 200, body)
		return
	}
	fail, failing := f.nextFailure()
	if failing && !fail.effect {
		f.mu.Unlock()
		fail.write(f.t, w)
		return
	}
	f.nextID++
	st := &mStatus{ID: fmt.Sprint(f.nextID), Text: r.PostForm.Get("status"), Visibility: r.PostForm.Get("visibility"),
		InReplyTo: r.PostForm.Get("in_reply_to_id"), Language: r.PostForm.Get("language"), Acct: "cohesionbot",
		CreatedAt: f.now()}
	st.URI = "https://bots.example/users/cohesionbot/statuses/" + st.ID
	if st.Visibility == "" {
		st.Visibility = "unlisted" // what a server defaulting new accounts to unlisted does
	}
	for _, id := range r.PostForm["media_ids[]"] {
		st.Media = append(st.Media, f.mediaDesc[id])
	}
	f.byID[st.ID] = st
	f.own = append(f.own, st)
	if key != "" {
		f.idem[key] = st.ID
	}
	body := f.render(st)
	f.mu.Unlock()
	f.sent()
	if failing {
		fail.write(f.t, w)
		return
	}
	writeJSON(w, 200, body)
}

func (f *fakeMastodon) accountStatuses(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	for _, st := range slices.Backward(f.own) {
		out = append(out, f.render(st))
	}
	writeJSON(w, 200, out)
}

func (f *fakeMastodon) source(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.byID[r.PathValue("id")]
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "Record not found"})
		return
	}
	m := loadJSON(f.t, "mastodon/status_source.json")
	m["id"], m["text"], m["spoiler_text"] = st.ID, st.Text, st.Spoiler
	writeJSON(w, 200, m)
}

func (f *fakeMastodon) media(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		writeJSON(w, 422, map[string]string{"error": "Validation failed: File can't be blank"})
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		writeJSON(w, 422, map[string]string{"error": "Validation failed: File can't be blank"})
		return
	}
	file.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	desc := r.FormValue("description")
	f.uploads = append(f.uploads, desc)
	m := loadJSON(f.t, "mastodon/media.json")
	m["id"], m["description"] = fmt.Sprint(f.nextID), desc
	f.mediaDesc[fmt.Sprint(f.nextID)] = desc
	writeJSON(w, 200, m)
}

// AddMention makes a status mentioning the bot, and its notification.
func (f *fakeMastodon) AddMention(acct, text string) *mStatus {
	st := f.AddRemote(mStatus{URI: "https://cities.example/users/x/statuses/" + fmt.Sprint(len(f.notifs)+1), Text: text, Acct: acct})
	f.mu.Lock()
	defer f.mu.Unlock()
	n := loadJSON(f.t, "mastodon/notification.json")
	n["id"] = fmt.Sprint(34975861 + len(f.notifs))
	n["account"].(map[string]any)["acct"] = acct
	n["status"] = f.render(st)
	f.notifs = append(f.notifs, n)
	return st
}

// notifications pages like Mastodon: newest first; min_id gives the page
// just after it, max_id the page before it; Link names both neighbours.
func (f *fakeMastodon) notifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("types[]") != "mention" {
		writeJSON(w, 422, map[string]string{"error": "the bot asks for mentions only"})
		return
	}
	limit := 40
	fmt.Sscan(q.Get("limit"), &limit)
	f.mu.Lock()
	defer f.mu.Unlock()
	var page []map[string]any
	switch {
	case q.Get("min_id") != "":
		for _, n := range f.notifs {
			if idAfter(n["id"].(string), q.Get("min_id")) && len(page) < limit {
				page = append(page, n)
			}
		}
		slices.Reverse(page)
	default:
		for _, n := range slices.Backward(f.notifs) {
			if (q.Get("max_id") == "" || idAfter(q.Get("max_id"), n["id"].(string))) && len(page) < limit {
				page = append(page, n)
			}
		}
	}
	if len(page) > 0 {
		base := f.srv.URL + "/api/v1/notifications?types%5B%5D=mention"
		w.Header().Set("Link", fmt.Sprintf(`<%s&max_id=%s>; rel="next", <%s&min_id=%s>; rel="prev"`,
			base, page[len(page)-1]["id"], base, page[0]["id"]))
	}
	writeJSON(w, 200, append([]map[string]any{}, page...))
}

// Sends counts the requests that changed something (boosts and statuses).
func (f *fakeMastodon) Sends() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.own)
	for _, st := range f.remote {
		if st.Reblogged {
			n++
		}
	}
	return n
}

// ---- Bluesky ----

type bRecord struct {
	URI, CID string
	Value    map[string]any
}

type fakeBluesky struct {
	common
	records     map[string]*bRecord // repo/collection/rkey
	handles     map[string]string
	tokens      map[string]bool
	sessions    int
	createCalls int
	blobs       int
	convos      map[string]string           // member DID → convo ID
	messages    map[string][]map[string]any // convo ID → messages, oldest first
	dmCalls     int
	notifs      []map[string]any // oldest first
}

const (
	bskyBotDID   = "did:plc:botcampaign0000000000000"
	bskyAnnaDID  = "did:plc:anna00000000000000000000"
	bskyPassword = "app-pass-word-1234"
)

var tidPattern = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

func newFakeBluesky(t testing.TB, now func() time.Time) *fakeBluesky {
	f := &fakeBluesky{common: common{t: t, now: now}, records: map[string]*bRecord{},
		handles: map[string]string{"anna.bsky.social": bskyAnnaDID, "dora.bsky.social": "did:plc:dora00000000000000000000"},
		tokens:  map[string]bool{}, convos: map[string]string{}, messages: map[string][]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /xrpc/com.atproto.server.createSession", f.createSession)
	mux.HandleFunc("POST /xrpc/com.atproto.repo.createRecord", f.auth(f.createRecord))
	mux.HandleFunc("GET /xrpc/com.atproto.repo.getRecord", f.auth(f.getRecord))
	mux.HandleFunc("GET /xrpc/com.atproto.identity.resolveHandle", f.auth(f.resolveHandle))
	mux.HandleFunc("POST /xrpc/com.atproto.repo.uploadBlob", f.auth(f.uploadBlob))
	mux.HandleFunc("GET /xrpc/app.bsky.notification.listNotifications", f.auth(f.listNotifications))
	mux.HandleFunc("GET /xrpc/chat.bsky.convo.getConvoForMembers", f.auth(f.chat(f.getConvo)))
	mux.HandleFunc("POST /xrpc/chat.bsky.convo.sendMessage", f.auth(f.chat(f.sendMessage)))
	mux.HandleFunc("GET /xrpc/chat.bsky.convo.getMessages", f.auth(f.chat(f.getMessages)))
	f.srv = httptest.NewServer(f.count(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBluesky) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok := f.tokens[tok]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 400, loadJSON(f.t, "bluesky/error_expired_token.json"))
			return
		}
		h(w, r)
	}
}

// ExpireTokens makes every access token issued so far expire.
func (f *fakeBluesky) ExpireTokens() {
	f.mu.Lock()
	clear(f.tokens)
	f.mu.Unlock()
}

func (f *fakeBluesky) createSession(w http.ResponseWriter, r *http.Request) {
	var in struct{ Identifier, Password string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.Identifier != "cohesionbot.bsky.social" || in.Password != bskyPassword {
		writeJSON(w, 401, loadJSON(f.t, "bluesky/error_auth.json"))
		return
	}
	f.mu.Lock()
	f.sessions++
	m := loadJSON(f.t, "bluesky/create_session.json")
	tok := fmt.Sprintf("%s-%d", m["accessJwt"], f.sessions)
	m["accessJwt"] = tok
	f.tokens[tok] = true
	f.mu.Unlock()
	writeJSON(w, 200, m)
}

// AddPost stores a post record by someone else and returns its URI and CID.
func (f *fakeBluesky) AddPost(rkey string, value map[string]any) (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := loadJSON(f.t, "bluesky/get_record_post.json")
	v := m["value"].(map[string]any)
	maps.Copy(v, value)
	uri := "at://" + bskyAnnaDID + "/app.bsky.feed.post/" + rkey
	cid := "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3es" + rkey[:6]
	f.records[bskyAnnaDID+"/app.bsky.feed.post/"+rkey] = &bRecord{URI: uri, CID: cid, Value: v}
	return uri, cid
}

func (f *fakeBluesky) createRecord(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Repo, Collection, Rkey string
		Record                 map[string]any
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": err.Error()})
		return
	}
	f.mu.Lock()
	f.createCalls++
	if in.Repo != bskyBotDID {
		f.mu.Unlock()
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": "Invalid repo"})
		return
	}
	if !tidPattern.MatchString(in.Rkey) || in.Record["$type"] != in.Collection {
		f.mu.Unlock()
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": "Invalid record key or $type"})
		return
	}
	key := in.Repo + "/" + in.Collection + "/" + in.Rkey
	if _, exists := f.records[key]; exists {
		f.mu.Unlock()
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": "Record already exists"})
		return
	}
	fail, failing := f.nextFailure()
	if failing && !fail.effect {
		f.mu.Unlock()
		fail.write(f.t, w)
		return
	}
	rec := &bRecord{URI: "at://" + key, CID: fmt.Sprintf("bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu%06d", len(f.records)), Value: in.Record}
	f.records[key] = rec
	m := loadJSON(f.t, "bluesky/create_record.json")
	m["uri"], m["cid"] = rec.URI, rec.CID
	f.mu.Unlock()
	f.sent()
	if failing {
		fail.write(f.t, w)
		return
	}
	writeJSON(w, 200, m)
}

func (f *fakeBluesky) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := q.Get("repo") + "/" + q.Get("collection") + "/" + q.Get("rkey")
	f.mu.Lock()
	rec, ok := f.records[key]
	f.mu.Unlock()
	if !ok {
		m := loadJSON(f.t, "bluesky/error_record_not_found.json")
		m["message"] = "Could not locate record: at://" + key
		writeJSON(w, 400, m)
		return
	}
	writeJSON(w, 200, map[string]any{"uri": rec.URI, "cid": rec.CID, "value": rec.Value})
}

func (f *fakeBluesky) resolveHandle(w http.ResponseWriter, r *http.Request) {
	did, ok := f.handles[r.URL.Query().Get("handle")]
	if !ok {
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": "Unable to resolve handle"})
		return
	}
	writeJSON(w, 200, map[string]string{"did": did})
}

func (f *fakeBluesky) uploadBlob(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.blobs++
	f.mu.Unlock()
	m := loadJSON(f.t, "bluesky/upload_blob.json")
	blob := m["blob"].(map[string]any)
	blob["mimeType"], blob["size"] = r.Header.Get("Content-Type"), len(data)
	writeJSON(w, 200, m)
}

// AddMention stores a post by handle mentioning the bot, indexed at the
// fake clock's time, and its notification.
func (f *fakeBluesky) AddMention(handle, text string) (uri, cid string) {
	rkey := encodeTID(uint64(f.now().UnixMicro())+uint64(len(f.notifs)), 9)
	uri, cid = f.AddPost(rkey, map[string]any{"text": text})
	f.mu.Lock()
	defer f.mu.Unlock()
	n := loadJSON(f.t, "bluesky/list_notifications.json")["notifications"].([]any)[0].(map[string]any)
	n["uri"], n["cid"] = uri, cid
	n["author"].(map[string]any)["handle"] = handle
	n["record"].(map[string]any)["text"] = text
	n["indexedAt"] = f.now().UTC().Format("2006-01-02T15:04:05.000Z")
	f.notifs = append(f.notifs, n)
	return uri, cid
}

// listNotifications pages newest first; its cursor is the indexedAt of the
// last notification of the page.
func (f *fakeBluesky) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !slices.Contains(q["reasons"], "mention") {
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": "the bot asks for mentions"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var page []any
	cursor := ""
	for _, n := range slices.Backward(f.notifs) {
		if c := q.Get("cursor"); c != "" && n["indexedAt"].(string) >= c {
			continue
		}
		if len(page) == 50 {
			break
		}
		page = append(page, n)
		cursor = n["indexedAt"].(string)
	}
	m := loadJSON(f.t, "bluesky/list_notifications.json")
	m["notifications"], m["cursor"] = append([]any{}, page...), cursor
	writeJSON(w, 200, m)
}

// chat refuses chat calls the PDS would not proxy to the chat service.
func (f *fakeBluesky) chat(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Atproto-Proxy") != chatProxy {
			writeJSON(w, 501, map[string]string{"error": "MethodNotImplemented", "message": "Method Not Implemented"})
			return
		}
		h(w, r)
	}
}

func (f *fakeBluesky) getConvo(w http.ResponseWriter, r *http.Request) {
	did := r.URL.Query().Get("members")
	f.mu.Lock()
	id, ok := f.convos[did]
	if !ok {
		id = encodeTID(uint64(len(f.convos)+1)<<20, 1)
		f.convos[did] = id
	}
	f.mu.Unlock()
	m := loadJSON(f.t, "bluesky/get_convo_for_members.json")
	convo := m["convo"].(map[string]any)
	convo["id"] = id
	convo["members"].([]any)[1].(map[string]any)["did"] = did
	writeJSON(w, 200, m)
}

func (f *fakeBluesky) sendMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ConvoID string `json:"convoId"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Message.Text == "" {
		writeJSON(w, 400, map[string]string{"error": "InvalidRequest", "message": "Input/message/text must be a string"})
		return
	}
	f.mu.Lock()
	f.dmCalls++
	fail, failing := f.nextFailure()
	if failing && !fail.effect {
		f.mu.Unlock()
		fail.write(f.t, w)
		return
	}
	m := loadJSON(f.t, "bluesky/message_view.json")
	m["id"] = encodeTID(uint64(f.dmCalls)<<20, 2)
	m["text"], m["sentAt"] = in.Message.Text, f.now().UTC().Format("2006-01-02T15:04:05.000Z")
	f.messages[in.ConvoID] = append(f.messages[in.ConvoID], m)
	f.mu.Unlock()
	f.sent()
	if failing {
		fail.write(f.t, w)
		return
	}
	writeJSON(w, 200, m)
}

func (f *fakeBluesky) getMessages(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	msgs := []any{}
	for _, m := range slices.Backward(f.messages[r.URL.Query().Get("convoId")]) {
		msgs = append(msgs, m)
	}
	writeJSON(w, 200, map[string]any{"messages": msgs})
}

// DMs returns the texts of the direct messages the bot sent, to anyone.
func (f *fakeBluesky) DMs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, msgs := range f.messages {
		for _, m := range msgs {
			out = append(out, m["text"].(string))
		}
	}
	return out
}

// Created returns the records the bot created, by collection.
func (f *fakeBluesky) Created(collection string) []*bRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*bRecord
	for k, rec := range f.records {
		if strings.HasPrefix(k, bskyBotDID+"/"+collection+"/") {
			out = append(out, rec)
		}
	}
	return out
}

// ---- X ----

type xPost struct {
	ID, Text, RetweetOf, ReplyTo string
	URLs                         map[string]string // t.co → expanded
	CreatedAt                    time.Time
}

type fakeX struct {
	common
	posts        []*xPost
	retweetPOSTs int
	tweetPOSTs   int
	nextID       int
	mentions     []map[string]any // oldest first
}

const (
	xUserID   = "1580000000000000000"
	xConsumer = "ck-campaign"
	xToken    = "at-campaign"
)

var xURL = regexp.MustCompile(`https?://\S+`)

func newFakeX(t testing.TB, now func() time.Time) *fakeX {
	f := &fakeX{common: common{t: t, now: now}, nextID: 1445880548472328192}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2/users/{id}/retweets", f.retweet)
	mux.HandleFunc("POST /2/tweets", f.tweet)
	mux.HandleFunc("GET /2/users/{id}/tweets", f.timeline)
	mux.HandleFunc("GET /2/users/{id}/mentions", f.listMentions)
	f.srv = httptest.NewServer(f.count(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		if !strings.HasPrefix(a, "OAuth ") || !strings.Contains(a, `oauth_consumer_key="`+xConsumer+`"`) ||
			!strings.Contains(a, `oauth_token="`+xToken+`"`) || !strings.Contains(a, "oauth_signature=") {
			writeJSON(w, 401, loadJSON(t, "x/error_401.json"))
			return
		}
		mux.ServeHTTP(w, r)
	})))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeX) retweet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TweetID string `json:"tweet_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.TweetID == "" || r.PathValue("id") != xUserID {
		writeJSON(w, 400, map[string]any{"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request", "status": 400})
		return
	}
	f.mu.Lock()
	f.retweetPOSTs++
	fail, failing := f.nextFailure()
	if failing && !fail.effect {
		f.mu.Unlock()
		fail.write(f.t, w)
		return
	}
	f.nextID++
	f.posts = append(f.posts, &xPost{ID: fmt.Sprint(f.nextID), Text: "RT @someone: …", RetweetOf: in.TweetID, CreatedAt: f.now()})
	f.mu.Unlock()
	f.sent()
	if failing {
		fail.write(f.t, w)
		return
	}
	writeJSON(w, 200, loadJSON(f.t, "x/retweet.json"))
}

func (f *fakeX) tweet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text  string `json:"text"`
		Reply *struct {
			InReplyToTweetID string `json:"in_reply_to_tweet_id"`
		} `json:"reply"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Text == "" {
		writeJSON(w, 400, map[string]any{"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request", "status": 400})
		return
	}
	f.mu.Lock()
	f.tweetPOSTs++
	fail, failing := f.nextFailure()
	if failing && !fail.effect {
		f.mu.Unlock()
		fail.write(f.t, w)
		return
	}
	f.nextID++
	p := &xPost{ID: fmt.Sprint(f.nextID), URLs: map[string]string{}, CreatedAt: f.now()}
	// X shortens links to t.co and escapes &, < and >.
	p.Text = xURL.ReplaceAllStringFunc(in.Text, func(u string) string {
		short := fmt.Sprintf("https://t.co/%08d", len(p.URLs))
		p.URLs[short] = u
		return short
	})
	p.Text = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(p.Text)
	if in.Reply != nil {
		p.ReplyTo = in.Reply.InReplyToTweetID
	}
	f.posts = append(f.posts, p)
	m := loadJSON(f.t, "x/tweet_create.json")
	data := m["data"].(map[string]any)
	data["id"], data["text"], data["edit_history_tweet_ids"] = p.ID, p.Text, []string{p.ID}
	f.mu.Unlock()
	f.sent()
	if failing {
		fail.write(f.t, w)
		return
	}
	writeJSON(w, 201, m)
}

func (f *fakeX) timeline(w http.ResponseWriter, r *http.Request) {
	start, err := time.Parse(time.RFC3339, r.URL.Query().Get("start_time"))
	if err != nil {
		writeJSON(w, 400, map[string]any{"title": "Invalid Request", "detail": "start_time", "type": "https://api.twitter.com/2/problems/invalid-request", "status": 400})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var data []any
	for _, p := range slices.Backward(f.posts) {
		if p.CreatedAt.Before(start) {
			continue
		}
		t := map[string]any{"id": p.ID, "text": p.Text, "created_at": p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
			"edit_history_tweet_ids": []string{p.ID}}
		switch {
		case p.RetweetOf != "":
			t["referenced_tweets"] = []map[string]string{{"type": "retweeted", "id": p.RetweetOf}}
		case p.ReplyTo != "":
			t["referenced_tweets"] = []map[string]string{{"type": "replied_to", "id": p.ReplyTo}}
		}
		var urls []map[string]any
		for short, long := range p.URLs {
			i := strings.Index(p.Text, short)
			urls = append(urls, map[string]any{"start": i, "end": i + len(short), "url": short, "expanded_url": long})
		}
		if len(urls) > 0 {
			t["entities"] = map[string]any{"urls": urls}
		}
		data = append(data, t)
	}
	m := loadJSON(f.t, "x/user_tweets.json")
	m["data"] = data
	m["meta"] = map[string]any{"result_count": len(data)}
	if len(data) == 0 {
		delete(m, "data")
	}
	writeJSON(w, 200, m)
}

// AddMention stores a post by username mentioning the bot; returns its ID.
func (f *fakeX) AddMention(username, text string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprint(1375152449594257408 + len(f.mentions))
	f.mentions = append(f.mentions, map[string]any{"id": id, "text": text, "lang": "en",
		"author_id": fmt.Sprint(2244994945 + len(f.mentions)), "username": username})
	return id
}

func (f *fakeX) listMentions(w http.ResponseWriter, r *http.Request) {
	since := r.URL.Query().Get("since_id")
	f.mu.Lock()
	defer f.mu.Unlock()
	m := loadJSON(f.t, "x/mentions.json")
	var data, users []any
	for _, t := range slices.Backward(f.mentions) {
		if since != "" && !idAfter(t["id"].(string), since) {
			continue
		}
		data = append(data, map[string]any{"id": t["id"], "text": t["text"], "lang": t["lang"], "author_id": t["author_id"],
			"edit_history_tweet_ids": []any{t["id"]}})
		users = append(users, map[string]any{"id": t["author_id"], "name": t["username"], "username": t["username"]})
	}
	if len(data) == 0 {
		writeJSON(w, 200, map[string]any{"meta": map[string]any{"result_count": 0}})
		return
	}
	m["data"], m["includes"] = data, map[string]any{"users": users}
	m["meta"] = map[string]any{"newest_id": data[0].(map[string]any)["id"], "result_count": len(data)}
	writeJSON(w, 200, m)
}

// Sends counts retweets and posts the fake holds.
func (f *fakeX) Sends() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}
