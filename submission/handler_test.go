package submission

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/cohesionalliance/campaignwall/auth"
	"github.com/cohesionalliance/campaignwall/media"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/moderation"
	"github.com/cohesionalliance/campaignwall/store"
)

// --- fixtures --------------------------------------------------------------

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// env is the whole path a submission takes: a real HTTP server with the
// submission form, the media cache's files and the moderation pages, over a
// real SQLite store and a real media directory.
type env struct {
	st       *store.Store
	srv      *httptest.Server
	mediaDir string
	spoolDir string
	clock    *clock
	h        *Handler
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, mediaDir: t.TempDir(), spoolDir: t.TempDir(), clock: &clock{t: time.Date(2026, 10, 13, 9, 0, 0, 0, time.UTC)}}
	cache := media.New(st, &http.Client{}, e.mediaDir, media.Options{Now: e.clock.Now})
	opts.Enabled = true
	opts.Now = e.clock.Now
	opts.TempDir = e.spoolDir
	opts.CampaignName = "Cohesion Alliance"
	// As behind a reverse proxy: the test says which client it is.
	opts.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Forwarded-For") }
	e.h = NewHandler(st, cache, nil, opts)
	mux := http.NewServeMux()
	e.h.Routes(mux)
	cache.Handler().Routes(mux)
	a := auth.New(st, auth.Options{})
	moderation.NewHandler(st, a, nil, nil, moderation.Options{}).Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateModerator(ctx, model.Moderator{Name: "anna", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	return e
}

// form is what a browser sends: text fields and at most one file.
type form struct {
	fields   map[string]string
	file     []byte
	fileName string
	fileType string // the Content-Type the client claims; never trusted
	client   string // the client's address
	origin   string // "" for same-origin
}

func goodFields() map[string]string {
	return map[string]string{
		"name":         "Maria Rossi",
		"organisation": "Comune di Bari",
		"email":        "maria@example.org",
		"statement":    "The tram line to the hospital was built with cohesion funds.\r\n\r\nThank you, EU!",
		"alt":          "A tram at a new stop",
		"consent":      "yes",
	}
}

func (e *env) post(t *testing.T, f form) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, k := range []string{"name", "organisation", "email", "statement", "alt", "consent"} {
		if v, ok := f.fields[k]; ok {
			mw.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename=%q`, f.fileName))
	h.Set("Content-Type", f.fileType)
	if f.fileType == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(f.file)
	mw.Close()
	req, err := http.NewRequest("POST", e.srv.URL+"/submit", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := f.client
	if client == "" {
		client = "198.51.100.7"
	}
	req.Header.Set("X-Forwarded-For", client)
	if f.origin != "" {
		req.Header.Set("Origin", f.origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	} else {
		req.Header.Set("Origin", e.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func doc(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stored lists what the submission left: posts, media records and files in
// the media and spool directories.
func (e *env) stored(t *testing.T) (posts int, files []string) {
	t.Helper()
	ps, err := e.st.Posts(context.Background(), store.PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{e.mediaDir, e.spoolDir} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
	}
	if used, _ := e.st.MediaDiskUsage(context.Background()); used != 0 {
		files = append(files, fmt.Sprintf("(%d bytes recorded in media_files)", used))
	}
	return len(ps), files
}

func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), 80, uint8(y * 5), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	// An APP1 Exif segment as a phone writes it: IFD0 with a GPSInfo
	// pointer, a GPS IFD with a latitude reference, and a readable note.
	le := binary.LittleEndian
	var tiff bytes.Buffer
	tiff.WriteString("II")
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8))
	binary.Write(&tiff, le, uint16(1))
	binary.Write(&tiff, le, []uint16{0x8825, 4})
	binary.Write(&tiff, le, uint32(1))
	binary.Write(&tiff, le, uint32(26))
	binary.Write(&tiff, le, uint32(0))
	binary.Write(&tiff, le, uint16(1))
	binary.Write(&tiff, le, []uint16{0x0001, 2})
	binary.Write(&tiff, le, uint32(2))
	tiff.Write([]byte{'N', 0, 0, 0})
	binary.Write(&tiff, le, uint32(0))
	tiff.WriteString("GPS 41.1171N 16.8719E")
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return bytes.Join([][]byte{raw[:2], seg, payload, raw[2:]}, nil)
}

// noisyJPEG is a photo that compresses badly: a large file of few pixels.
func noisyJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(2463534242)
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func videoFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "media", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zipped(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.html")
	w.Write([]byte("<script>alert(document.domain)</script>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// --- tests -----------------------------------------------------------------

func TestFormPage(t *testing.T) {
	e := newEnv(t, Options{MaxPhotoBytes: 8 << 20, MaxVideoBytes: 40 << 20, MaxVideo: 45 * time.Second})
	resp, err := http.Get(e.srv.URL + "/submit")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /submit: %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	d := doc(t, resp)
	f := d.Find(`form[data-testid="submit-form"]`)
	for _, c := range []struct{ what, got, want string }{
		{"method", f.AttrOr("method", ""), "post"},
		{"enctype", f.AttrOr("enctype", ""), "multipart/form-data"},
		{"file types", f.Find(`input[type=file]`).AttrOr("accept", ""), "image/jpeg,image/png,image/webp,video/mp4,video/webm"},
		{"consent required", f.Find(`input[name=consent]`).AttrOr("required", "no"), ""},
		{"limits", f.Find(`#f-media-hint`).Text(), "A JPEG, PNG or WebP photo up to 8\u00a0MB, or an MP4 or WebM video up to 40\u00a0MB and 45 seconds long."},
		{"statement limit", f.Find(`textarea[name=statement]`).AttrOr("maxlength", ""), "500"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	// Strict CSP: scripts only as files from this site, no inline code.
	d.Find("script").Each(func(_ int, sc *goquery.Selection) {
		if src := sc.AttrOr("src", ""); !strings.HasPrefix(src, "/static/submission/") || strings.TrimSpace(sc.Text()) != "" {
			t.Errorf("script %q with inline code %q", src, sc.Text())
		}
	})
	d.Find("*").Each(func(_ int, el *goquery.Selection) {
		for _, a := range el.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("inline event handler %s on <%s>", a.Key, el.Nodes[0].Data)
			}
		}
	})
	js := f.Find(`input[type=file]`)
	if js.AttrOr("data-max-photo", "") != "8388608" || js.AttrOr("data-max-video", "") != "41943040" {
		t.Errorf("file input limits for the script: %q, %q", js.AttrOr("data-max-photo", ""), js.AttrOr("data-max-video", ""))
	}
	if !strings.Contains(d.Find(`[data-testid="retention"]`).Text(), "90 days") {
		t.Errorf("retention note %q does not say how long the email is kept", d.Find(`[data-testid="retention"]`).Text())
	}
}

func TestGoodPhotoReachesTheQueueWithoutGPS(t *testing.T) {
	e := newEnv(t, Options{})
	photo := jpegWithGPS(t)
	if !bytes.Contains(photo, []byte("GPS 41.1171N")) {
		t.Fatal("fixture has no GPS note")
	}
	resp := e.post(t, form{fields: goodFields(), file: photo, fileName: "IMG_0042.JPG", fileType: "image/jpeg"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/submit/thanks" {
		t.Fatalf("POST: %d to %q, want 303 to /submit/thanks", resp.StatusCode, resp.Header.Get("Location"))
	}
	posts, err := e.st.Posts(context.Background(), store.PostFilter{Status: model.StatusPending})
	if err != nil || len(posts) != 1 {
		t.Fatalf("pending posts: %d, %v; want 1", len(posts), err)
	}
	p := posts[0]
	for _, c := range []struct{ what, got, want string }{
		{"network", string(p.Network), "submission"},
		{"category", p.Category, "submission"},
		{"name", p.Author.DisplayName, "Maria Rossi"},
		{"organisation", p.Author.Bio, "Comune di Bari"},
		{"statement", p.Text, "The tram line to the hospital was built with cohesion funds.\n\nThank you, EU!"},
		{"html (none: text is escaped when shown)", p.HTML, ""},
		{"media kind", string(p.Media[0].Kind), "image"},
		{"alt", p.Media[0].AltText, "A tram at a new stop"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !strings.HasPrefix(p.URI, URIPrefix) || len(p.URI) != len(URIPrefix)+36 {
		t.Errorf("URI %q, want %s<uuid>", p.URI, URIPrefix)
	}
	sub, err := e.st.SubmissionByPostID(context.Background(), p.ID)
	if err != nil || sub.Email != "maria@example.org" || sub.ConsentText != English.Consent || !sub.ConsentAt.Equal(e.clock.Now()) {
		t.Errorf("submission %+v, %v", sub, err)
	}

	// The queue, as a moderator sees it: the post, its photo from the cache.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	lr, err := c.PostForm(e.srv.URL+"/login", url.Values{"name": {"anna"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	qr, err := c.Get(e.srv.URL + "/moderate")
	if err != nil {
		t.Fatal(err)
	}
	defer qr.Body.Close()
	q := doc(t, qr)
	card := q.Find(fmt.Sprintf(`[data-testid="queue-post"][data-post-id="%d"]`, p.ID))
	if card.Length() != 1 || card.AttrOr("data-status", "") != "pending" {
		t.Fatalf("queue has no pending card for post %d", p.ID)
	}
	if got := card.Find(`[data-testid="post-author"]`).Text(); got != "Maria Rossi" {
		t.Errorf("queue author %q", got)
	}
	if strings.Contains(q.Text(), "maria@example.org") {
		t.Error("the queue shows the email")
	}
	src := card.Find(`[data-testid="post-photo"]`).AttrOr("src", "")
	if src != media.Path(p.Media[0].CacheKey, 480) {
		t.Fatalf("queue photo %q", src)
	}
	for _, u := range []string{src, media.Path(p.Media[0].CacheKey, 1280)} {
		pr, err := c.Get(e.srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(pr.Body)
		pr.Body.Close()
		if pr.StatusCode != http.StatusOK || pr.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("GET %s: %d %s", u, pr.StatusCode, pr.Header.Get("Content-Type"))
		}
		for _, s := range []string{"Exif", "GPS 41.1171N"} {
			if bytes.Contains(served, []byte(s)) {
				t.Errorf("%s still contains %q", u, s)
			}
		}
		if _, err := jpeg.Decode(bytes.NewReader(served)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, files := e.stored(t); len(files) == 0 {
		t.Error("no files in the media directory")
	}
	entries, _ := os.ReadDir(e.spoolDir)
	if len(entries) != 0 {
		t.Errorf("spooled upload left behind: %v", entries)
	}
}

func TestGoodVideosAccepted(t *testing.T) {
	for _, tc := range []struct{ file, ctype string }{{"short.mp4", "video/mp4"}, {"short.webm", "video/webm"}, {"chrome-recorder.webm", "video/webm"}} {
		t.Run(tc.file, func(t *testing.T) {
			e := newEnv(t, Options{})
			data := videoFixture(t, tc.file)
			fields := goodFields()
			delete(fields, "email")
			resp := e.post(t, form{fields: fields, file: data, fileName: "clip", fileType: "application/octet-stream"})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST: %d, want 303", resp.StatusCode)
			}
			posts, _ := e.st.Posts(context.Background(), store.PostFilter{})
			if len(posts) != 1 || len(posts[0].Media) != 1 {
				t.Fatalf("posts %+v", posts)
			}
			m := posts[0].Media[0]
			if m.Kind != model.MediaVideo || !strings.HasPrefix(m.URL, "/media/video/") || m.CacheKey == "" {
				t.Fatalf("media %+v", m)
			}
			vr, err := http.Get(e.srv.URL + m.URL)
			if err != nil {
				t.Fatal(err)
			}
			served, _ := io.ReadAll(vr.Body)
			vr.Body.Close()
			if vr.StatusCode != http.StatusOK || vr.Header.Get("Content-Type") != tc.ctype || !bytes.Equal(served, data) {
				t.Errorf("GET %s: %d %s, %d bytes; want %s with the file sent", m.URL, vr.StatusCode, vr.Header.Get("Content-Type"), len(served), tc.ctype)
			}
			if sub, _ := e.st.SubmissionByPostID(context.Background(), posts[0].ID); sub.Email != "" {
				t.Errorf("email %q stored though none was given", sub.Email)
			}
		})
	}
}

func TestStatementOnlyIsAccepted(t *testing.T) {
	e := newEnv(t, Options{})
	resp := e.post(t, form{fields: goodFields()})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST without a file: %d, want 303", resp.StatusCode)
	}
	posts, files := e.stored(t)
	if posts != 1 || len(files) != 0 {
		t.Errorf("%d posts, files %v; want 1 post and no files", posts, files)
	}
}

func TestRefusals(t *testing.T) {
	photo := jpegWithGPS(t)
	bigPhoto := noisyJPEG(t, 400, 300)
	if len(bigPhoto) <= 64<<10 {
		t.Fatalf("big photo fixture is only %d bytes", len(bigPhoto))
	}
	pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	heic := append(binary.BigEndian.AppendUint32(nil, 24), []byte("ftypheic\x00\x00\x00\x00mif1heic")...)
	with := func(k, v string) map[string]string {
		f := goodFields()
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	for _, tc := range []struct {
		name     string
		opts     Options
		f        form
		status   int
		field    string
		msg      string
		keepName bool // the typed name comes back
	}{
		{"photo over the photo limit", Options{MaxPhotoBytes: 64 << 10, MaxVideoBytes: 1 << 20},
			form{fields: goodFields(), file: bigPhoto, fileType: "image/jpeg"}, 413, "media",
			"This file is too large. Photos may be up to 64\u00a0KB and videos up to 1\u00a0MB.", true},
		{"file over every limit", Options{MaxPhotoBytes: 64 << 10, MaxVideoBytes: 64 << 10},
			form{fields: goodFields(), file: bytes.Repeat(photo, 1000), fileType: "image/jpeg"}, 413, "media",
			"This file is too large. Photos may be up to 64\u00a0KB and videos up to 64\u00a0KB.", true},
		{"pdf named photo.jpg", Options{}, form{fields: goodFields(), file: pdf, fileName: "photo.jpg", fileType: "image/jpeg"}, 415, "media", English.WrongType, true},
		{"heic photo", Options{}, form{fields: goodFields(), file: heic, fileName: "IMG.HEIC", fileType: "image/heic"}, 415, "media", English.HEIC, true},
		{"polyglot: jpeg with a zip appended", Options{}, form{fields: goodFields(), file: append(bytes.Clone(photo), zipped(t)...), fileName: "a.jpg", fileType: "image/jpeg"}, 422, "media", English.Polyglot, true},
		{"polyglot: mp4 with html appended", Options{}, form{fields: goodFields(), file: append(videoFixture(t, "short.mp4"), "<html><script>alert(1)</script>"...), fileType: "video/mp4"}, 422, "media", English.Polyglot, true},
		{"mp4 longer than 60 seconds", Options{}, form{fields: goodFields(), file: videoFixture(t, "long.mp4"), fileType: "video/mp4"}, 422, "media", "This video is longer than 60 seconds. Please trim it and send it again.", true},
		{"webm longer than the configured 30 seconds", Options{MaxVideo: 30 * time.Second}, form{fields: goodFields(), file: videoFixture(t, "long.webm"), fileType: "video/webm"}, 422, "media", "This video is longer than 30 seconds. Please trim it and send it again.", true},
		{"fragmented mp4", Options{}, form{fields: goodFields(), file: videoFixture(t, "chrome-recorder.mp4"), fileType: "video/mp4"}, 422, "media", English.BrokenVideo, true},
		{"missing consent", Options{}, form{fields: with("consent", ""), file: photo, fileType: "image/jpeg"}, 422, "consent", English.ConsentMissing, true},
		{"missing name", Options{}, form{fields: with("name", "   "), file: photo}, 422, "name", English.NameMissing, false},
		{"missing statement", Options{}, form{fields: with("statement", "\r\n  \r\n")}, 422, "statement", English.StatementMissing, true},
		{"statement too long", Options{MaxStatementChars: 50}, form{fields: with("statement", strings.Repeat("é", 51))}, 422, "statement", "Please shorten this to at most 50 characters.", true},
		{"not an email", Options{}, form{fields: with("email", "maria at example")}, 422, "email", English.EmailInvalid, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			resp := e.post(t, tc.f)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			d := doc(t, resp)
			if got := d.Find(`[data-testid="error-` + tc.field + `"]`).Text(); got != tc.msg {
				t.Errorf("message at %s: %q, want %q", tc.field, got, tc.msg)
			}
			if got := d.Find(`[data-testid="problem"][data-field="` + tc.field + `"]`).Text(); !strings.Contains(got, tc.msg) {
				t.Errorf("summary %q lacks the message", got)
			}
			if tc.keepName {
				if got := d.Find(`input[name=name]`).AttrOr("value", ""); got != "Maria Rossi" {
					t.Errorf("name not kept: %q", got)
				}
			}
			posts, files := e.stored(t)
			if posts != 0 || len(files) != 0 {
				t.Errorf("refused submission left %d posts and files %v", posts, files)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, Options{RateLimit: 3, RateWindow: 10 * time.Minute})
	photo := jpegWithGPS(t)
	good := form{fields: goodFields(), file: photo, fileType: "image/jpeg", client: "203.0.113.5"}
	// A refused form does not count against the limit.
	noConsent := good
	noConsent.fields = goodFields()
	delete(noConsent.fields, "consent")
	if resp := e.post(t, noConsent); resp.StatusCode != 422 {
		t.Fatalf("form without consent: %d", resp.StatusCode)
	}
	for i := range 3 {
		if resp := e.post(t, good); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submission %d: %d, want 303", i+1, resp.StatusCode)
		}
		e.clock.Add(time.Minute)
	}
	resp := e.post(t, good)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th submission: %d, want 429", resp.StatusCode)
	}
	if got := resp.Header.Get("Retry-After"); got != "420" {
		t.Errorf("Retry-After %q, want 420 (7 minutes until the first leaves the window)", got)
	}
	d := doc(t, resp)
	want := "You have sent 3 submissions in 10 minutes. Please wait 7 minutes before sending another."
	if got := d.Find(`[data-testid="problem"][data-field="form"]`).Text(); !strings.Contains(got, want) {
		t.Errorf("message %q, want %q", got, want)
	}
	if got := d.Find(`textarea[name=statement]`).Text(); !strings.Contains(got, "tram line") {
		t.Errorf("statement not kept: %q", got)
	}
	if posts, _ := e.stored(t); posts != 3 {
		t.Errorf("%d posts stored, want 3", posts)
	}
	// Another client is not affected…
	other := good
	other.client = "2001:db8:1:2::1"
	if resp := e.post(t, other); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another client: %d, want 303", resp.StatusCode)
	}
	// …but the rest of an IPv6 /64 is the same client.
	for i := range 2 {
		other.client = fmt.Sprintf("2001:db8:1:2::%d", i+2)
		e.post(t, other)
	}
	other.client = "2001:db8:1:2:ffff::9"
	if resp := e.post(t, other); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("4th from one /64: %d, want 429", resp.StatusCode)
	}
	// Once the first submission leaves the window, one more is allowed.
	e.clock.Add(7 * time.Minute)
	if resp := e.post(t, good); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the window: %d, want 303", resp.StatusCode)
	}
}

func TestFailedSaveLeavesNothing(t *testing.T) {
	// Every submission gets the same ID, so the second one's insert fails
	// in the database after its file was stored.
	e := newEnv(t, Options{NewID: func() string { return "00000000-0000-4000-8000-000000000000" }})
	if resp := e.post(t, form{fields: goodFields(), file: jpegWithGPS(t), fileType: "image/jpeg"}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	_, before := e.stored(t)
	resp := e.post(t, form{fields: goodFields(), file: videoFixture(t, "short.webm"), fileType: "video/webm", client: "192.0.2.99"})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("second: %d, want 500", resp.StatusCode)
	}
	d := doc(t, resp)
	if got := d.Find(`[data-testid="problem"][data-field="form"]`).Text(); !strings.Contains(got, English.Failed) {
		t.Errorf("message %q", got)
	}
	if strings.Contains(d.Text(), "UNIQUE") || strings.Contains(d.Text(), "constraint") {
		t.Error("the page shows the database error")
	}
	posts, after := e.stored(t)
	if posts != 1 || strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("after a failed save: %d posts, files\n%s\nwant 1 post and only the first's files\n%s",
			posts, strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t, Options{})
	resp := e.post(t, form{fields: goodFields(), file: jpegWithGPS(t), origin: "https://evil.example"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d, want 403", resp.StatusCode)
	}
	if posts, files := e.stored(t); posts != 0 || len(files) != 0 {
		t.Errorf("left %d posts, files %v", posts, files)
	}
}

func TestClosed(t *testing.T) {
	e := newEnv(t, Options{})
	e.h.opts.Enabled = false
	resp, err := http.Get(e.srv.URL + "/submit")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || doc(t, resp).Find(`[data-testid="closed"]`).Length() != 1 {
		t.Errorf("GET closed form: %d", resp.StatusCode)
	}
	if resp := e.post(t, form{fields: goodFields()}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST closed form: %d, want 404", resp.StatusCode)
	}
	if posts, _ := e.stored(t); posts != 0 {
		t.Errorf("%d posts stored while closed", posts)
	}
}

func TestNotAMultipartForm(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("POST", e.srv.URL+"/submit", strings.NewReader("name=x&statement=y&consent=yes"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

func TestClearExpiredEmails(t *testing.T) {
	e := newEnv(t, Options{EmailRetention: 30 * 24 * time.Hour})
	if resp := e.post(t, form{fields: goodFields()}); resp.StatusCode != http.StatusSeeOther {
		t.Fatal(resp.StatusCode)
	}
	posts, _ := e.st.Posts(context.Background(), store.PostFilter{})
	for _, step := range []struct {
		advance time.Duration
		cleared int
		email   string
	}{{29 * 24 * time.Hour, 0, "maria@example.org"}, {2 * 24 * time.Hour, 1, ""}} {
		e.clock.Add(step.advance)
		n, err := e.h.ClearExpiredEmails(context.Background())
		sub, _ := e.st.SubmissionByPostID(context.Background(), posts[0].ID)
		if err != nil || n != step.cleared || sub.Email != step.email {
			t.Errorf("after %v more: cleared %d (%v), email %q; want %d, %q", step.advance, n, err, sub.Email, step.cleared, step.email)
		}
	}
}

func TestTidyText(t *testing.T) {
	for _, tc := range []struct{ in, one, multi string }{
		{"  Maria\tRossi ", "Maria Rossi", "Maria Rossi"},
		{"Cafe\u0301", "Café", "Café"}, // NFC
		{"evil\u202Egnp.exe", "evilgnp.exe", "evilgnp.exe"},
		{"a\r\n\r\n\r\n\r\nb  \n", "a b", "a\n\nb"},
		{"x\x00y\x1b[31m", "xy[31m", "xy[31m"},
		{"👩\u200d🔬", "👩\u200d🔬", "👩\u200d🔬"},
	} {
		if got := oneLine(tc.in); got != tc.one {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.one)
		}
		if got := multiLine(tc.in); got != tc.multi {
			t.Errorf("multiLine(%q) = %q, want %q", tc.in, got, tc.multi)
		}
	}
}

func TestRepeatedRefusalsAreLimitedToo(t *testing.T) {
	e := newEnv(t, Options{RateLimit: 2, RateWindow: 10 * time.Minute})
	bad := form{fields: goodFields(), file: []byte("%PDF-1.7 not a photo"), client: "203.0.113.9"}
	// Four times the limit, at least ten: refused files do not use up the
	// submissions, but a client sending them on and on is stopped.
	for i := range 10 {
		if resp := e.post(t, bad); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("attempt %d: %d, want 415", i+1, resp.StatusCode)
		}
	}
	resp := e.post(t, bad)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("11th attempt: %d, want 429", resp.StatusCode)
	}
	want := "Too many attempts from your connection. Please wait 10 minutes and try again."
	if got := doc(t, resp).Find(`[data-testid="problem"][data-field="form"]`).Text(); !strings.Contains(got, want) {
		t.Errorf("message %q, want %q", got, want)
	}
	if posts, files := e.stored(t); posts != 0 || len(files) != 0 {
		t.Errorf("left %d posts, files %v", posts, files)
	}
}
