package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// --- fixtures --------------------------------------------------------------

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time           { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration)      { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock                    { return &clock{t: time.Date(2026, 10, 13, 9, 0, 0, 0, time.UTC)} }
func openStore(t *testing.T) *store.Store { return openStoreAt(t, filepath.Join(t.TempDir(), "x.db")) }

func openStoreAt(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func loopbackClient() *http.Client {
	return collectors.NewClient(collectors.ClientOptions{AllowPrivateNetwork: true, Timeout: 10 * time.Second})
}

// file is one response of the image server.
type file struct {
	body    []byte
	ctype   string
	status  int
	chunked bool // no Content-Length: the size cap must hold while reading
}

type imageServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]file
	hits  map[string]int
}

func newImageServer(t *testing.T) *imageServer {
	s := &imageServer{files: map[string]file{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		f, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if f.ctype != "" {
			w.Header().Set("Content-Type", f.ctype)
		}
		if f.status != 0 {
			w.WriteHeader(f.status)
		}
		if f.chunked && len(f.body) > 1 {
			w.Write(f.body[:1])
			w.(http.Flusher).Flush()
			w.Write(f.body[1:])
			return
		}
		w.Write(f.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *imageServer) set(path string, f file) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = f
	return s.URL + path
}

func (s *imageServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *imageServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.hits {
		n += v
	}
	return n
}

// halves is a w×h image, its left half c1 and its right half c2.
func halves(w, h int, c1, c2 color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if x < w/2 {
				img.Set(x, y, c1)
			} else {
				img.Set(x, y, c2)
			}
		}
	}
	return img
}

var (
	red  = color.NRGBA{255, 0, 0, 255}
	blue = color.NRGBA{0, 0, 255, 255}
)

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jpegWithGPS inserts an APP1 Exif segment after SOI, as a phone camera
// writes it: IFD0 with Orientation and a GPSInfo pointer, a GPS IFD with a
// latitude reference, and a readable "GPS 50.8467N 4.3525E" note.
func jpegWithGPS(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	raw := encodeJPEG(t, img)
	le := binary.LittleEndian
	var tiff bytes.Buffer
	tiff.WriteString("II")
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8)) // IFD0 at 8
	binary.Write(&tiff, le, uint16(2)) // 2 entries
	// Orientation, SHORT, count 1, value
	binary.Write(&tiff, le, []uint16{0x0112, 3})
	binary.Write(&tiff, le, uint32(1))
	binary.Write(&tiff, le, []uint16{orientation, 0})
	// GPSInfo IFD pointer, LONG, count 1, offset 38
	binary.Write(&tiff, le, []uint16{0x8825, 4})
	binary.Write(&tiff, le, uint32(1))
	binary.Write(&tiff, le, uint32(38))
	binary.Write(&tiff, le, uint32(0)) // no next IFD
	// GPS IFD at 38: GPSLatitudeRef "N"
	binary.Write(&tiff, le, uint16(1))
	binary.Write(&tiff, le, []uint16{0x0001, 2})
	binary.Write(&tiff, le, uint32(2))
	tiff.Write([]byte{'N', 0, 0, 0})
	binary.Write(&tiff, le, uint32(0))
	tiff.WriteString("GPS 50.8467N 4.3525E")
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, raw[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, raw[2:]...)
}

// bombPNG is a valid PNG header declaring w×h pixels, with one tiny IDAT:
// a few dozen bytes that would need gigabytes to decode.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegMarkers lists the segment markers of a JPEG up to the image data.
func jpegMarkers(t *testing.T, data []byte) []byte {
	t.Helper()
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", data[:min(len(data), 4)])
	}
	var markers []byte
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			t.Fatalf("bad JPEG segment at %d", i)
		}
		m := data[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	return markers
}

func keyOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// savePost stores a post with the given media and puts it in status.
func savePost(t *testing.T, st *store.Store, n int, status model.Status, media ...model.Media) model.Post {
	t.Helper()
	ctx := context.Background()
	res, err := st.SavePosts(ctx, "test", []model.Post{{
		Network: model.NetworkFeed, URI: fmt.Sprintf("https://example.org/post/%d", n),
		Author: model.Author{Handle: "anna"}, Text: "post", Media: media,
	}}, "")
	if err != nil || len(res.New) != 1 {
		t.Fatalf("SavePosts: %v (%d new)", err, len(res.New))
	}
	p := res.New[0]
	switch status {
	case model.StatusApproved:
		_, err = st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionApprove, Actor: "mod"})
	case model.StatusRejected:
		_, err = st.Decide(ctx, model.Decision{PostID: p.ID, Action: model.ActionReject, Actor: "mod"})
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func serve(t *testing.T, c *Cache, method, path string, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	c.Handler().Routes(mux)
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// --- tests -----------------------------------------------------------------

func TestFetchStoresResizedJPEGs(t *testing.T) {
	webp, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, halves(300, 100, red, blue), nil); err != nil {
		t.Fatal(err)
	}
	transparent := image.NewNRGBA(image.Rect(0, 0, 2000, 1000)) // all transparent
	for _, tc := range []struct {
		name  string
		body  []byte
		ctype string // what the server claims; never trusted
		w, h  int
		white bool // transparent pixels come out white
	}{
		{"png with transparency", encodePNG(t, transparent), "image/png", 2000, 1000, true},
		{"jpeg", encodeJPEG(t, halves(1600, 900, red, blue)), "image/jpeg", 1600, 900, false},
		{"gif", gifBuf.Bytes(), "image/gif", 300, 100, false},
		{"webp", webp, "application/octet-stream", 150, 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			srv := newImageServer(t)
			u := srv.set("/img", file{body: tc.body, ctype: tc.ctype})
			p := savePost(t, st, 1, model.StatusPending, model.Media{Kind: model.MediaImage, URL: u})
			c := New(st, loopbackClient(), t.TempDir(), Options{})

			key, err := c.Fetch(ctx, p.Media[0])
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if want := keyOf(tc.body); key != want {
				t.Errorf("key = %s, want the SHA-256 of the original %s", key, want)
			}
			state, err := st.MediaFetchState(ctx, p.Media[0].ID)
			if err != nil || state.CacheKey != key {
				t.Errorf("media row cache key = %q (%v), want %q", state.CacheKey, err, key)
			}
			for _, width := range []int{480, 1280} {
				rec := serve(t, c, "GET", Path(key, width), nil)
				if rec.Code != 200 {
					t.Fatalf("GET %s: %d", Path(key, width), rec.Code)
				}
				for h, want := range map[string]string{
					"Content-Type":           "image/jpeg",
					"X-Content-Type-Options": "nosniff",
					"Cache-Control":          "public, max-age=31536000, immutable",
				} {
					if got := rec.Header().Get(h); got != want {
						t.Errorf("%s = %q, want %q", h, got, want)
					}
				}
				img, format, err := image.Decode(bytes.NewReader(rec.Body.Bytes()))
				if err != nil || format != "jpeg" {
					t.Fatalf("served %d px: format %q, %v; want a JPEG", width, format, err)
				}
				wantW := min(width, tc.w)
				wantH := tc.h * wantW / tc.w
				if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
					t.Errorf("size %d: %dx%d, want %dx%d (never upscaled)", width, b.Dx(), b.Dy(), wantW, wantH)
				}
				if tc.white {
					if r, g, b, _ := img.At(10, 10).RGBA(); r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
						t.Errorf("transparent pixel became (%d,%d,%d), want white", r>>8, g>>8, b>>8)
					}
				}
			}
			// Fetching the same photo again (another post) reuses the entry.
			again, err := c.Fetch(ctx, model.Media{Kind: model.MediaImage, URL: u})
			if err != nil || again != key {
				t.Errorf("second fetch: %q, %v; want %q", again, err, key)
			}
		})
	}
}

func TestServedFilesHaveNoEXIFAndStandUpright(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newImageServer(t)
	// 40×20, left red, right blue, taken with the phone turned: orientation 6
	// says "turn 90° clockwise to view", so the viewer sees red on top.
	orig := jpegWithGPS(t, halves(40, 20, red, blue), 6)
	if !bytes.Contains(orig, []byte("Exif\x00\x00")) || !bytes.Contains(orig, []byte("GPS 50.8467N")) {
		t.Fatal("fixture lacks its EXIF GPS segment")
	}
	if got := exifOrientation(orig); got != 6 {
		t.Fatalf("fixture orientation read as %d, want 6", got)
	}
	u := srv.set("/phone.jpg", file{body: orig, ctype: "image/jpeg"})
	c := New(st, loopbackClient(), t.TempDir(), Options{})
	key, err := c.Fetch(ctx, model.Media{Kind: model.MediaImage, URL: u})
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range c.Sizes() {
		body := serve(t, c, "GET", Path(key, width), nil).Body.Bytes()
		for _, m := range jpegMarkers(t, body) {
			if m == 0xE1 {
				t.Errorf("size %d: served JPEG has an APP1 (Exif) segment", width)
			}
		}
		for _, s := range []string{"Exif", "GPS 50.8467N"} {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("size %d: served bytes contain %q", width, s)
			}
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
			t.Fatalf("size %d: %dx%d, want 20x40 (turned upright)", width, b.Dx(), b.Dy())
		}
		top, bottom := img.At(10, 5), img.At(10, 35)
		if r, _, b, _ := top.RGBA(); r>>8 < 200 || b>>8 > 80 {
			t.Errorf("top is %v, want red", top)
		}
		if r, _, b, _ := bottom.RGBA(); b>>8 < 200 || r>>8 > 80 {
			t.Errorf("bottom is %v, want blue", bottom)
		}
	}
}

func TestRefusals(t *testing.T) {
	big := encodePNG(t, halves(64, 64, red, blue))
	for _, tc := range []struct {
		name string
		f    file
		want error
	}{
		{"oversize with content-length", file{body: bytes.Repeat([]byte{0xFF}, 5000), ctype: "image/jpeg"}, ErrTooLarge},
		{"oversize without content-length", file{body: append(big, bytes.Repeat([]byte{0}, 5000)...), ctype: "image/png", chunked: true}, ErrTooLarge},
		{"svg labelled as jpeg", file{body: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ctype: "image/jpeg"}, ErrUnsupportedType},
		{"html page", file{body: []byte("<!doctype html><title>Not found</title>"), ctype: "image/png"}, ErrUnsupportedType},
		{"pdf", file{body: []byte("%PDF-1.7\n1 0 obj"), ctype: "image/png"}, ErrUnsupportedType},
		{"gif header over a script (polyglot)", file{body: []byte("GIF89a/*\x00\x00*/=1;alert(document.domain)//"), ctype: "image/gif"}, ErrBadImage},
		{"decompression bomb: 50000x50000 png", file{body: bombPNG(50000, 50000), ctype: "image/png"}, ErrTooManyPixels},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			srv := newImageServer(t)
			dir := t.TempDir()
			u := srv.set("/x", tc.f)
			c := New(st, loopbackClient(), dir, Options{MaxBytes: 4096})
			key, err := c.Fetch(ctx, model.Media{Kind: model.MediaImage, URL: u})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Fetch = %q, %v; want %v", key, err, tc.want)
			}
			if !permanent(err) {
				t.Errorf("%v is retried; want it given up at once", err)
			}
			used, err := st.MediaDiskUsage(ctx)
			if err != nil || used != 0 {
				t.Errorf("disk usage %d (%v), want nothing recorded", used, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != ".tmp" {
					t.Errorf("cache dir has %s, want nothing stored", e.Name())
				}
			}
		})
	}
}

func TestPrivateAddressesNeverFetched(t *testing.T) {
	srv := newImageServer(t)
	srv.set("/secret.jpg", file{body: encodeJPEG(t, halves(8, 8, red, blue)), ctype: "image/jpeg"})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	guarded := collectors.NewClient(collectors.ClientOptions{Timeout: 5 * time.Second})
	c := New(openStore(t), guarded, t.TempDir(), Options{})
	for _, u := range []string{
		"http://127.0.0.1:" + port + "/secret.jpg",
		"http://localhost:" + port + "/secret.jpg", // a name that resolves to loopback
		"http://10.0.0.1/photo.jpg",
		"http://169.254.169.254/latest/meta-data/iam/",
		"http://[::1]:" + port + "/secret.jpg",
		"http://[::ffff:127.0.0.1]:" + port + "/secret.jpg",
		"http://2130706433:" + port + "/secret.jpg", // 127.0.0.1 as one decimal number
		"http://0x7f000001:" + port + "/secret.jpg", // … as hex
		"http://0177.0.0.1:" + port + "/secret.jpg", // … with an octal part
		"http://169.254.43518:" + port + "/",        // 169.254.169.254, short form
	} {
		t.Run(u, func(t *testing.T) {
			_, err := c.Fetch(context.Background(), model.Media{Kind: model.MediaImage, URL: u})
			if !errors.Is(err, collectors.ErrPrivateAddress) {
				t.Errorf("Fetch(%s) = %v, want ErrPrivateAddress", u, err)
			}
		})
	}
	if n := srv.total(); n != 0 {
		t.Errorf("the server was reached %d times, want never", n)
	}
}

// routeTransport lets a test reach an httptest server as "photos.example" (a
// public name) while every other request goes through the guarded
// transport, which refuses private addresses as it would in production.
type routeTransport struct {
	host    string
	backend http.RoundTripper
	guarded http.RoundTripper
}

func (rt routeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == rt.host {
		return rt.backend.RoundTrip(r)
	}
	return rt.guarded.RoundTrip(r)
}

func TestRedirectToPrivateAddressRefused(t *testing.T) {
	inner := newImageServer(t)
	inner.set("/secret.jpg", file{body: encodeJPEG(t, halves(8, 8, red, blue)), ctype: "image/jpeg"})
	_, port, _ := net.SplitHostPort(inner.Listener.Addr().String())
	targets := map[string]string{
		"/to-loopback":  "http://127.0.0.1:" + port + "/secret.jpg",
		"/to-metadata":  "http://169.254.169.254/latest/meta-data/",
		"/to-private":   "http://10.0.0.1/photo.jpg",
		"/to-ipv6":      "http://[::1]:" + port + "/secret.jpg",
		"/to-mapped":    "http://[::ffff:127.0.0.1]:" + port + "/secret.jpg",
		"/to-decimal":   "http://2130706433:" + port + "/secret.jpg",
		"/to-localhost": "http://localhost:" + port + "/secret.jpg",
	}
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, targets[r.URL.Path], http.StatusFound)
	}))
	defer allowed.Close()
	guarded := collectors.NewClient(collectors.ClientOptions{Timeout: 5 * time.Second})
	backend := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, allowed.Listener.Addr().String())
	}}
	defer backend.CloseIdleConnections()
	client := &http.Client{
		Timeout:       5 * time.Second,
		Transport:     routeTransport{host: "photos.example", backend: backend, guarded: guarded.Transport},
		CheckRedirect: guarded.CheckRedirect,
	}
	c := New(openStore(t), client, t.TempDir(), Options{})
	for path := range targets {
		t.Run(path, func(t *testing.T) {
			_, err := c.Fetch(context.Background(), model.Media{Kind: model.MediaImage, URL: "http://photos.example" + path})
			if !errors.Is(err, collectors.ErrPrivateAddress) {
				t.Errorf("redirect %s → %s: %v, want ErrPrivateAddress", path, targets[path], err)
			}
		})
	}
	if n := inner.total(); n != 0 {
		t.Errorf("the private server was reached %d times, want never", n)
	}
}

func TestFetchPendingRetriesWithBackoff(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newImageServer(t)
	clk := newClock()
	photo := encodeJPEG(t, halves(64, 32, red, blue))
	poster := encodePNG(t, halves(32, 32, blue, red))
	good := srv.set("/good.jpg", file{body: photo, ctype: "image/jpeg"})
	flaky := srv.set("/flaky.jpg", file{status: http.StatusServiceUnavailable})
	gone := srv.set("/gone.jpg", file{status: http.StatusNotFound})
	rejected := srv.set("/rejected.jpg", file{body: photo})
	posterURL := srv.set("/poster.png", file{body: poster})

	approvedPost := savePost(t, st, 1, model.StatusApproved, model.Media{Kind: model.MediaImage, URL: good})
	flakyPost := savePost(t, st, 2, model.StatusPending, model.Media{Kind: model.MediaImage, URL: flaky})
	gonePost := savePost(t, st, 3, model.StatusPending, model.Media{Kind: model.MediaImage, URL: gone})
	privatePost := savePost(t, st, 4, model.StatusPending, model.Media{Kind: model.MediaImage, URL: "http://2130706433/x.jpg"})
	savePost(t, st, 5, model.StatusRejected, model.Media{Kind: model.MediaImage, URL: rejected})
	videoPost := savePost(t, st, 6, model.StatusPending, model.Media{Kind: model.MediaVideo, URL: "https://www.youtube.com/watch?v=x", PreviewURL: posterURL})
	savePost(t, st, 7, model.StatusPending, model.Media{Kind: model.MediaAudio, URL: "https://podcast.example/ep.mp3"}) // nothing to fetch

	c := New(st, loopbackClient(), t.TempDir(), Options{Now: clk.Now, Backoff: time.Minute, MaxAttempts: 3})
	state := func(p model.Post) store.MediaFetch {
		t.Helper()
		s, err := st.MediaFetchState(ctx, p.Media[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	n, err := c.FetchPending(ctx)
	if err != nil || n != 2 {
		t.Fatalf("first run: %d fetched, %v; want 2 (the approved photo and the video's poster)", n, err)
	}
	if state(approvedPost).CacheKey != keyOf(photo) || state(videoPost).CacheKey != keyOf(poster) {
		t.Errorf("cache keys not recorded: %+v %+v", state(approvedPost), state(videoPost))
	}
	if s := state(flakyPost); s.Attempts != 1 || s.Failed || !s.RetryAt.Equal(clk.Now().Add(time.Minute)) || !strings.Contains(s.LastError, "503") {
		t.Errorf("after a 503: %+v, want 1 attempt, retry in 1m, error recorded", s)
	}
	for name, p := range map[string]model.Post{"404": gonePost, "private address": privatePost} {
		if s := state(p); !s.Failed || s.Attempts != 1 {
			t.Errorf("%s: %+v, want given up after one attempt", name, s)
		}
	}
	if srv.count("/rejected.jpg") != 0 {
		t.Errorf("a rejected post's photo was fetched")
	}

	// Not due yet: nothing is tried.
	if n, err := c.FetchPending(ctx); n != 0 || err != nil || srv.count("/flaky.jpg") != 1 {
		t.Errorf("before the backoff ends: %d fetched, %v, flaky tried %d times; want no new try", n, err, srv.count("/flaky.jpg"))
	}
	clk.Add(time.Minute)
	if _, err := c.FetchPending(ctx); err != nil {
		t.Fatal(err)
	}
	if s := state(flakyPost); s.Attempts != 2 || !s.RetryAt.Equal(clk.Now().Add(2*time.Minute)) {
		t.Errorf("second failure: %+v, want 2 attempts and the wait doubled to 2m", s)
	}
	srv.set("/flaky.jpg", file{body: photo})
	clk.Add(2 * time.Minute)
	if n, err := c.FetchPending(ctx); n != 1 || err != nil {
		t.Fatalf("after recovery: %d fetched, %v; want 1", n, err)
	}
	if s := state(flakyPost); s.CacheKey != keyOf(photo) || s.LastError != "" {
		t.Errorf("recovered: %+v, want the key and no error", s)
	}
}

func TestFetchPendingGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newImageServer(t)
	clk := newClock()
	u := srv.set("/down.jpg", file{status: http.StatusBadGateway})
	p := savePost(t, st, 1, model.StatusApproved, model.Media{Kind: model.MediaImage, URL: u})
	c := New(st, loopbackClient(), t.TempDir(), Options{Now: clk.Now, MaxAttempts: 2})
	for range 4 {
		if _, err := c.FetchPending(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Add(24 * time.Hour)
	}
	s, err := st.MediaFetchState(ctx, p.Media[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Failed || s.Attempts != 2 || srv.count("/down.jpg") != 2 {
		t.Errorf("state %+v after %d requests; want given up after exactly 2", s, srv.count("/down.jpg"))
	}
}

func TestDiskBudgetEvictsRejectedFirst(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv := newImageServer(t)
	clk := newClock()
	dir := t.TempDir()
	imgs := map[string][]byte{}
	for i, name := range []string{"old-rejected", "approved", "new", "one-too-many"} {
		imgs[name] = encodePNG(t, halves(200+i, 100, color.NRGBA{uint8(40 * i), 90, 200, 255}, red))
		srv.set("/"+name, file{body: imgs[name]})
	}
	media := func(name string) model.Media { return model.Media{Kind: model.MediaImage, URL: srv.URL + "/" + name} }
	rejectedPost := savePost(t, st, 1, model.StatusPending, media("old-rejected"))
	approvedPost := savePost(t, st, 2, model.StatusApproved, media("approved"))
	newPost := savePost(t, st, 3, model.StatusPending, media("new"))

	roomy := New(st, loopbackClient(), dir, Options{Now: clk.Now})
	for _, p := range []model.Post{rejectedPost, approvedPost} {
		if _, err := roomy.Fetch(ctx, p.Media[0]); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
	}
	if _, err := st.Decide(ctx, model.Decision{PostID: rejectedPost.ID, Action: model.ActionReject, Actor: "mod"}); err != nil {
		t.Fatal(err)
	}
	used, err := st.MediaDiskUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour) // past the grace period for fresh files

	// Room for two entries, not three: the rejected post's photo must go.
	tight := New(st, loopbackClient(), dir, Options{Now: clk.Now, DiskBudget: used + used/4})
	if _, err := tight.Fetch(ctx, newPost.Media[0]); err != nil {
		t.Fatalf("fetch into a full cache: %v", err)
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, keyOf(imgs[name])[:2], keyOf(imgs[name])))
		return err == nil
	}
	for name, want := range map[string]bool{"old-rejected": false, "approved": true, "new": true} {
		if got := exists(name); got != want {
			t.Errorf("%s on disk = %v, want %v", name, got, want)
		}
	}
	if s, _ := st.MediaFetchState(ctx, rejectedPost.Media[0].ID); s.CacheKey != "" {
		t.Errorf("evicted media row keeps cache key %q", s.CacheKey)
	}
	if got := serve(t, tight, "GET", Path(keyOf(imgs["approved"]), 480), nil).Code; got != 200 {
		t.Errorf("approved photo served with %d after eviction, want 200", got)
	}

	// Only photos screens may show are left: a new one is refused, not squeezed in.
	clk.Add(2 * time.Hour)
	_, err = tight.Fetch(ctx, media("one-too-many"))
	if !errors.Is(err, ErrDiskBudget) {
		t.Errorf("fetch beyond the budget = %v, want ErrDiskBudget", err)
	}
	if permanent(err) {
		t.Errorf("ErrDiskBudget is given up at once; want it retried once room is made")
	}
	for _, name := range []string{"approved", "new"} {
		if !exists(name) {
			t.Errorf("%s was evicted to make room; photos of pending or approved posts must stay", name)
		}
	}
}

func TestHandlerRefusesWhatItDoesNotHave(t *testing.T) {
	st := openStore(t)
	srv := newImageServer(t)
	body := encodeJPEG(t, halves(600, 300, red, blue))
	c := New(st, loopbackClient(), t.TempDir(), Options{})
	key, err := c.Fetch(context.Background(), model.Media{Kind: model.MediaImage, URL: srv.set("/a.jpg", file{body: body})})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path string
		hdr                http.Header
		want               int
	}{
		{"served", "GET", Path(key, 480), nil, 200},
		{"head", "HEAD", Path(key, 1280), nil, 200},
		{"unknown key", "GET", Path(strings.Repeat("ab", 32), 480), nil, 404},
		{"key not hex", "GET", "/media/" + strings.Repeat("zz", 32) + "/480", nil, 404},
		{"path traversal", "GET", "/media/..%2F..%2Fetc/480", nil, 404},
		{"size not offered", "GET", "/media/" + key + "/800", nil, 404},
		{"size spelled oddly", "GET", "/media/" + key + "/0480", nil, 404},
		{"revalidation", "GET", Path(key, 480), http.Header{"If-None-Match": {`"` + key[:32] + `-480"`}}, 304},
		{"not a GET", "POST", Path(key, 480), nil, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, c, tc.method, tc.path, tc.hdr)
			if rec.Code != tc.want {
				t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.want)
			}
			if tc.want == 404 && rec.Header().Get("Cache-Control") != "" {
				t.Errorf("a 404 is cached: %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestLegacyIPv4(t *testing.T) {
	for _, tc := range []struct {
		host string
		want string // "" when not a numeric form
	}{
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"10.1", "10.0.0.1"},
		{"169.254.43518", "169.254.169.254"},
		{"3232235777", "192.168.1.1"},
		{"1.2.3.4.5", ""},
		{"example.org", ""},
		{"4294967296", ""}, // 2^32
		{"256.1.1.1", ""},
		{"1_000", ""},
	} {
		t.Run(tc.host, func(t *testing.T) {
			addr, ok := legacyIPv4(tc.host)
			got := ""
			if ok {
				got = addr.String()
			}
			if got != tc.want {
				t.Errorf("legacyIPv4(%q) = %q, want %q", tc.host, got, tc.want)
			}
		})
	}
}

func TestNothingToFetch(t *testing.T) {
	c := New(openStore(t), loopbackClient(), t.TempDir(), Options{})
	for _, m := range []model.Media{
		{Kind: model.MediaAudio, URL: "https://podcast.example/ep.mp3"},
		{Kind: model.MediaVideo, URL: "https://video.example/v.mp4"},
		{Kind: model.MediaImage},
	} {
		if _, err := c.Fetch(context.Background(), m); !errors.Is(err, ErrNothingToFetch) {
			t.Errorf("Fetch(%+v) = %v, want ErrNothingToFetch", m, err)
		}
	}
	for _, u := range []string{"ftp://example.org/a.jpg", "javascript:alert(1)", "//example.org/a.jpg"} {
		if _, err := c.Fetch(context.Background(), model.Media{Kind: model.MediaImage, URL: u}); !errors.Is(err, ErrBadURL) {
			t.Errorf("Fetch(%s) = %v, want ErrBadURL", u, err)
		}
	}
}

func TestFetchPendingLocalPathsAndOnCached(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	photo := encodeJPEG(t, halves(64, 32, red, blue))
	post := savePost(t, st, 1, model.StatusApproved, model.Media{Kind: model.MediaImage, URL: "/demo/photos/bridge.jpg"})
	var asked []string
	var cached []int64
	c := New(st, loopbackClient(), t.TempDir(), Options{
		Local: func(path string) ([]byte, error) {
			asked = append(asked, path)
			return photo, nil
		},
		OnCached: func(_ context.Context, postID int64) { cached = append(cached, postID) },
	})
	n, err := c.FetchPending(ctx)
	if err != nil || n != 1 {
		t.Fatalf("FetchPending: %d, %v; want 1 cached", n, err)
	}
	if len(asked) != 1 || asked[0] != "/demo/photos/bridge.jpg" {
		t.Errorf("Local asked for %q, want the post's path", asked)
	}
	if len(cached) != 1 || cached[0] != post.ID {
		t.Errorf("OnCached called with %v, want [%d]", cached, post.ID)
	}
	s, err := st.MediaFetchState(ctx, post.Media[0].ID)
	if err != nil || s.CacheKey != keyOf(photo) {
		t.Errorf("cache key %q (%v), want %q", s.CacheKey, err, keyOf(photo))
	}
}
