package media

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mp4Box is one ISO base media box: a 32-bit size, the type, the body.
func mp4Box(typ string, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(out, typ...)
	return append(out, body...)
}

func u32s(vs ...uint32) []byte {
	var out []byte
	for _, v := range vs {
		out = binary.BigEndian.AppendUint32(out, v)
	}
	return out
}

// handMP4 builds the smallest MP4 the probe accepts, by hand from ISO/IEC
// 14496-12: ftyp, moov (mvhd, one video trak with tkhd, mdhd, hdlr and an
// stts of n samples of delta units), mdat. mvhdDur and mdhdDur let a test
// make the headers disagree with the samples.
func handMP4(mvhdDur, mdhdDur, n, delta uint32) []byte {
	mvhd := mp4Box("mvhd", u32s(0, 0, 0, 1000, mvhdDur), make([]byte, 80))
	matrix := u32s(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
	tkhd := mp4Box("tkhd", u32s(3, 0, 0, 1, 0, mvhdDur, 0, 0, 0, 0), matrix, u32s(320<<16, 240<<16))
	mdhd := mp4Box("mdhd", u32s(0, 0, 0, 90000, mdhdDur, 0))
	hdlr := mp4Box("hdlr", u32s(0, 0), []byte("vide"), make([]byte, 13))
	stts := mp4Box("stts", u32s(0, 1, n, delta))
	trak := mp4Box("trak", tkhd, mp4Box("mdia", mdhd, hdlr, mp4Box("minf", mp4Box("stbl", stts))))
	return bytes.Join([][]byte{
		mp4Box("ftyp", []byte("isom"), u32s(0x200), []byte("isomiso2mp41")),
		mp4Box("moov", mvhd, trak),
		mp4Box("mdat", bytes.Repeat([]byte{0x42}, 64)),
	}, nil)
}

// patchFloat64 replaces the first 8-byte float after marker (an EBML ID and
// its size byte) in a copy of b.
func patchFloat64(t *testing.T, b, marker []byte, v float64) []byte {
	t.Helper()
	i := bytes.Index(b, marker)
	if i < 0 {
		t.Fatalf("marker % x not found", marker)
	}
	out := bytes.Clone(b)
	binary.BigEndian.PutUint64(out[i+len(marker):], math.Float64bits(v))
	return out
}

func zipped(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("payload.html")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("<script>alert(document.domain)</script>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProbeVideoAcceptsRealFiles(t *testing.T) {
	for _, tc := range []struct {
		file          string
		container     Container
		min, max      time.Duration
		width, height int
	}{
		// Made with ffmpeg 5.1 (testdata/README.md says how).
		// Its AAC track runs a little longer than the picture (encoder priming).
		{"short.mp4", MP4, 1900 * time.Millisecond, 2200 * time.Millisecond, 160, 90},
		{"short.webm", WebM, 1900 * time.Millisecond, 2100 * time.Millisecond, 160, 90},
		{"portrait.mp4", MP4, 1900 * time.Millisecond, 2100 * time.Millisecond, 90, 160},
		{"live.webm", WebM, 1800 * time.Millisecond, 2100 * time.Millisecond, 160, 90},
		{"long.mp4", MP4, 61 * time.Second, 62 * time.Second, 64, 36},
		{"long.webm", WebM, 61 * time.Second, 62 * time.Second, 64, 36},
		// Recorded by Chromium's MediaRecorder: unknown-size Segment and
		// Clusters, no Duration; its length comes from the blocks.
		{"chrome-recorder.webm", WebM, 1500 * time.Millisecond, 2300 * time.Millisecond, 160, 120},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := readFixture(t, tc.file)
			info, err := ProbeVideo(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("ProbeVideo: %v", err)
			}
			if info.Container != tc.container || info.Duration < tc.min || info.Duration > tc.max ||
				info.Width != tc.width || info.Height != tc.height {
				t.Errorf("got %+v; want %s of %v–%v, %d×%d", info, tc.container, tc.min, tc.max, tc.width, tc.height)
			}
		})
	}
}

func TestProbeVideoHandBuiltMP4(t *testing.T) {
	for _, tc := range []struct {
		name               string
		mvhd, mdhd, n, dlt uint32
		want               time.Duration
	}{
		{"consistent 2 s", 2000, 180000, 60, 3000, 2 * time.Second},
		// Headers say 2 s, the sample table plays 90 s: the samples count.
		{"headers understate the samples", 2000, 180000, 2700, 3000, 90 * time.Second},
		// mvhd's all-ones duration means "unknown"; the track still says.
		{"unknown movie duration", math.MaxUint32, 180000, 60, 3000, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := handMP4(tc.mvhd, tc.mdhd, tc.n, tc.dlt)
			info, err := ProbeVideo(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("ProbeVideo: %v", err)
			}
			if info.Duration != tc.want || info.Width != 320 || info.Height != 240 {
				t.Errorf("got %+v, want %v at 320×240", info, tc.want)
			}
		})
	}
}

func TestProbeVideoRefusals(t *testing.T) {
	shortMP4, shortWebM, liveWebM := readFixture(t, "short.mp4"), readFixture(t, "short.webm"), readFixture(t, "live.webm")
	longWebM := readFixture(t, "long.webm")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// A Matroska file: the same bytes as a WebM but for the document type.
	mkv := bytes.Replace(shortWebM, []byte("\x42\x82\x84webm"), []byte("\x42\x82\x84mkvX"), 1)
	// An Attachments element (a file riding inside) as the Segment's last part.
	attached := cat(liveWebM, []byte{0x19, 0x41, 0xA4, 0x69, 0x84}, []byte("evil"))
	noVideo := bytes.Replace(handMP4(2000, 180000, 60, 3000), []byte("vide"), []byte("soun"), 1)
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"pdf", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), ErrNotVideo},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ErrNotVideo},
		{"heic photo", cat(mp4Box("ftyp", []byte("heic"), u32s(0), []byte("mif1heic")), mp4Box("meta", make([]byte, 20))), ErrNotVideo},
		{"matroska, not webm", mkv, ErrNotVideo},
		{"mp4 with a zip appended", cat(shortMP4, zipped(t)), ErrPolyglot},
		{"mp4 with html appended", cat(shortMP4, []byte("<html><script>alert(1)</script></html>")), ErrPolyglot},
		{"mp4 with a zip wrapped in a free box", cat(shortMP4, mp4Box("free", zipped(t))), ErrPolyglot},
		{"webm with a script appended", cat(shortWebM, []byte("<script>alert(1)</script>")), ErrPolyglot},
		{"unknown-size webm with a zip appended", cat(liveWebM, zipped(t)), ErrPolyglot},
		{"webm with an attachment", attached, ErrPolyglot},
		{"mp4 cut off in its media data", shortMP4[:len(shortMP4)-100], ErrBadVideo},
		{"webm cut off in a block", shortWebM[:len(shortWebM)/2], ErrBadVideo},
		{"fragmented mp4 from a browser recorder", readFixture(t, "chrome-recorder.mp4"), ErrBadVideo},
		{"mp4 without a video track", noVideo, ErrBadVideo},
		{"mp4 without media data", bytes.Replace(handMP4(2000, 180000, 60, 3000), []byte("mdat"), []byte("free"), 1), ErrBadVideo},
		{"webm with a NaN duration", patchFloat64(t, longWebM, []byte{0x44, 0x89, 0x88}, math.NaN()), ErrBadVideo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ProbeVideo(bytes.NewReader(tc.b), int64(len(tc.b)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("ProbeVideo = %+v, %v; want %v", info, err, tc.want)
			}
		})
	}
}

func TestProbeVideoStatedDurationCannotUnderstate(t *testing.T) {
	// long.webm's Info says 61 s; claim 2 s instead. Its blocks still reach 61 s.
	b := patchFloat64(t, readFixture(t, "long.webm"), []byte{0x44, 0x89, 0x88}, 2000)
	info, err := ProbeVideo(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration < 60*time.Second {
		t.Errorf("duration %v; want at least 60 s from the blocks", info.Duration)
	}
}

func FuzzProbeVideo(f *testing.F) {
	for _, name := range []string{"short.mp4", "short.webm", "live.webm", "chrome-recorder.webm"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(handMP4(2000, 180000, 60, 3000))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ProbeVideo(bytes.NewReader(b), int64(len(b)))
		if err == nil && (info.Duration <= 0 || info.Container == "") {
			t.Errorf("accepted %+v", info)
		}
	})
}
