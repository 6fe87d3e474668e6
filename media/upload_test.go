package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image/jpeg"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
)

// cacheFiles lists the files under dir outside the temporary area: what an
// upload left behind.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".tmp" {
			entries, _ := os.ReadDir(p)
			for _, e := range entries {
				out = append(out, ".tmp/"+e.Name())
			}
			return fs.SkipDir
		}
		if !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	return out
}

func TestAddPhotoStripsEXIFAndHolds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := New(st, loopbackClient(), t.TempDir(), Options{})
	orig := jpegWithGPS(t, halves(40, 20, red, blue), 6)
	up, err := c.AddPhoto(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	if up.Kind != model.MediaImage || up.Width != 20 || up.Height != 40 {
		t.Errorf("upload %+v; want an image of 20×40 (turned upright)", up)
	}
	m := up.Media("a bridge")
	if m.CacheKey != up.Key || m.URL != "" || m.AltText != "a bridge" {
		t.Errorf("media %+v", m)
	}
	for _, w := range c.Sizes() {
		rec := serve(t, c, "GET", Path(up.Key, w), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET size %d: %d", w, rec.Code)
		}
		if b := rec.Body.Bytes(); bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("GPS 50.8467N")) {
			t.Errorf("size %d still carries EXIF/GPS", w)
		}
	}
	up.Keep()
	up.Keep() // twice is harmless
	if n := len(c.held); n != 0 {
		t.Errorf("%d uploads still held after Keep", n)
	}
}

func TestAddPhotoRefusals(t *testing.T) {
	good := encodeJPEG(t, halves(16, 16, red, blue))
	png := encodePNG(t, halves(16, 16, red, blue))
	webp := readFixture(t, "blue-purple-pink.lossy.webp")
	withComment := func(jpg []byte, comment string) []byte {
		seg := []byte{0xFF, 0xFE, byte((len(comment) + 2) >> 8), byte(len(comment) + 2)}
		return bytes.Join([][]byte{jpg[:2], seg, []byte(comment), jpg[2:]}, nil)
	}
	pngText := func(text string) []byte {
		// A tEXt chunk before IEND (the last 12 bytes), with a valid CRC.
		var b bytes.Buffer
		b.Write(png[:len(png)-12])
		writePNGChunk(&b, "tEXt", []byte("Comment\x00"+text))
		b.Write(png[len(png)-12:])
		return b.Bytes()
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"pdf named photo.jpg", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), ErrUnsupportedType},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrUnsupportedType},
		{"heic", append(mp4Box("ftyp", []byte("heic"), u32s(0), []byte("mif1heic")), mp4Box("meta", make([]byte, 16))...), ErrHEIC},
		{"jpeg with a zip appended", append(bytes.Clone(good), zipped(t)...), ErrPolyglot},
		{"jpeg with html appended", append(bytes.Clone(good), "<html><script>alert(1)</script>"...), ErrPolyglot},
		{"jpeg with a script in a comment", withComment(good, "<script>alert(document.cookie)</script>"), ErrPolyglot},
		{"png with html after IEND", append(bytes.Clone(png), "<!doctype html><script>alert(1)</script>"...), ErrPolyglot},
		{"png with a script in a text chunk", pngText("<svg onload=alert(1)>"), ErrPolyglot},
		{"webp with data after its RIFF", append(bytes.Clone(webp), zipped(t)...), ErrPolyglot},
		{"jpeg cut off", good[:len(good)/2], ErrBadImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			dir := t.TempDir()
			c := New(st, loopbackClient(), dir, Options{})
			up, err := c.AddPhoto(ctx, tc.b)
			if !errors.Is(err, tc.want) {
				t.Fatalf("AddPhoto = %+v, %v; want %v", up, err, tc.want)
			}
			if files := cacheFiles(t, dir); len(files) != 0 {
				t.Errorf("files left: %v", files)
			}
			if used, _ := st.MediaDiskUsage(ctx); used != 0 {
				t.Errorf("disk usage %d recorded, want 0", used)
			}
		})
	}
	t.Run("camera trailers are not payloads", func(t *testing.T) {
		c := New(openStore(t), loopbackClient(), t.TempDir(), Options{})
		for name, b := range map[string][]byte{
			"padding":       append(bytes.Clone(good), 0, 0, 0xFF, 0),
			"motion photo":  append(bytes.Clone(good), readFixture(t, "short.mp4")...),
			"samsung":       append(bytes.Clone(good), "\x00\x00MotionPhoto_Data....SEFHxxxxSEFT"...),
			"plain png":     png,
			"lossy webp":    webp,
			"xmp in a jpeg": withComment(good, `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>`),
		} {
			if _, err := c.AddPhoto(context.Background(), b); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestAddVideoStoresAndServes(t *testing.T) {
	for _, tc := range []struct {
		file   string
		ctype  string
		w, h   int
		poster [2]int
	}{
		{"short.mp4", "video/mp4", 160, 90, [2]int{1280, 720}},
		{"short.webm", "video/webm", 160, 90, [2]int{1280, 720}},
		{"portrait.mp4", "video/mp4", 90, 160, [2]int{1280, 2276}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			dir := t.TempDir()
			c := New(st, loopbackClient(), dir, Options{})
			data := readFixture(t, tc.file)
			up, err := c.AddVideo(ctx, bytes.NewReader(data), 1<<20, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if up.Key != keyOf(data) || up.Kind != model.MediaVideo || up.Video.Width != tc.w || up.Video.Height != tc.h ||
				up.Width != tc.poster[0] || up.Height != tc.poster[1] {
				t.Errorf("upload %+v", up)
			}
			m := up.Media("")
			if m.URL != VideoPath(up.Key, up.Video.Container) || m.CacheKey != up.Key || m.Kind != model.MediaVideo {
				t.Errorf("media %+v", m)
			}
			rec := serve(t, c, "GET", m.URL, nil)
			if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), data) {
				t.Fatalf("GET %s: %d, %d bytes; want the %d bytes sent", m.URL, rec.Code, rec.Body.Len(), len(data))
			}
			if got := rec.Header().Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			rec = serve(t, c, "GET", m.URL, http.Header{"Range": {"bytes=0-99"}})
			if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[:100]) {
				t.Errorf("range request: %d, %d bytes; want 206 with the first 100", rec.Code, rec.Body.Len())
			}
			// The poster, at every size, where the wall looks for photos.
			for _, w := range c.Sizes() {
				rec := serve(t, c, "GET", Path(up.Key, w), nil)
				img, err := jpeg.Decode(rec.Body)
				if rec.Code != http.StatusOK || err != nil {
					t.Fatalf("poster %d: %d, %v", w, rec.Code, err)
				}
				if got := img.Bounds().Dx(); got != w {
					t.Errorf("poster %d is %d wide", w, got)
				}
			}
			used, _ := st.MediaDiskUsage(ctx)
			if used <= int64(len(data)) {
				t.Errorf("disk usage %d; want the video (%d) and its poster", used, len(data))
			}
			// The other container's name, or a broken one, is not found.
			other := strings.TrimSuffix(m.URL, "."+string(up.Video.Container)) + ".mkv"
			if rec := serve(t, c, "GET", other, nil); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", other, rec.Code)
			}
		})
	}
}

func TestAddVideoRefusalsLeaveNothing(t *testing.T) {
	short, long := readFixture(t, "short.mp4"), readFixture(t, "long.webm")
	for _, tc := range []struct {
		name string
		b    []byte
		max  int64
		want error
	}{
		{"over 60 seconds", long, 1 << 20, ErrVideoTooLong},
		{"over the size limit", short, int64(len(short)) - 1, ErrTooLarge},
		{"zip appended", append(bytes.Clone(short), zipped(t)...), 1 << 20, ErrPolyglot},
		{"a photo", encodeJPEG(t, halves(8, 8, red, blue)), 1 << 20, ErrNotVideo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			dir := t.TempDir()
			c := New(st, loopbackClient(), dir, Options{})
			up, err := c.AddVideo(ctx, bytes.NewReader(tc.b), tc.max, time.Minute)
			if !errors.Is(err, tc.want) {
				t.Fatalf("AddVideo = %+v, %v; want %v", up, err, tc.want)
			}
			if files := cacheFiles(t, dir); len(files) != 0 {
				t.Errorf("files left: %v", files)
			}
			if used, _ := st.MediaDiskUsage(ctx); used != 0 {
				t.Errorf("disk usage %d recorded, want 0", used)
			}
		})
	}
}

func TestDropRemovesOnlyWhatNobodyUses(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	c := New(st, loopbackClient(), dir, Options{})
	photo := encodeJPEG(t, halves(16, 16, red, blue))

	// Two uploads of the same photo at once: dropping one keeps the other's.
	a, err := c.AddPhoto(ctx, photo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.AddPhoto(ctx, photo)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if rec := serve(t, c, "GET", Path(b.Key, 480), nil); rec.Code != http.StatusOK {
		t.Fatalf("the other upload's photo is gone: %d", rec.Code)
	}
	if err := b.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if files := cacheFiles(t, dir); len(files) != 0 {
		t.Errorf("files left after both dropped: %v", files)
	}

	// A photo some post already uses stays when an upload of it is dropped.
	v, err := c.AddVideo(ctx, bytes.NewReader(readFixture(t, "short.webm")), 1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveSubmission(ctx, model.Post{Network: model.NetworkSubmission, URI: "urn:x:1", Author: model.Author{Handle: "x1"},
		Media: []model.Media{v.Media("")}}, model.Submission{ConsentText: "ok"}); err != nil {
		t.Fatal(err)
	}
	v.Keep()
	again, err := c.AddVideo(ctx, bytes.NewReader(readFixture(t, "short.webm")), 1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if rec := serve(t, c, "GET", v.Media("").URL, nil); rec.Code != http.StatusOK {
		t.Errorf("a stored post's video was deleted by a dropped upload: %d", rec.Code)
	}
	if used, _ := st.MediaDiskUsage(ctx); used == 0 {
		t.Error("the stored video's file record is gone")
	}
}

func TestAddVideoRespectsDiskBudget(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	c := New(st, loopbackClient(), dir, Options{DiskBudget: 4096})
	_, err := c.AddVideo(ctx, bytes.NewReader(readFixture(t, "short.mp4")), 1<<20, time.Minute)
	if !errors.Is(err, ErrDiskBudget) {
		t.Fatalf("AddVideo over budget: %v, want ErrDiskBudget", err)
	}
	if files := cacheFiles(t, dir); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
}

func writePNGChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}
