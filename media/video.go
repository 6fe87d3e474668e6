package media

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Videos are never decoded here (no pure-Go H.264 or VP9 decoder exists, and
// campaignwall needs no ffmpeg): their container is parsed completely
// instead. That is enough to know from the bytes alone that a file is an MP4
// or WebM video, how long it plays and how large its picture is, and that
// nothing rides along after its last box or element (a zip, a script, a
// second file: the polyglot tricks that make one file two things).

var (
	// ErrNotVideo: the bytes are neither an MP4 (ISO base media) nor a WebM file.
	ErrNotVideo = errors.New("not an MP4 or WebM video")
	// ErrBadVideo: the container claims to be MP4 or WebM but does not parse
	// completely, has no video track, or uses a form this cache does not take.
	ErrBadVideo = errors.New("broken or unsupported video file")
	// ErrVideoTooLong: the video plays longer than allowed.
	ErrVideoTooLong = errors.New("video too long")
	// ErrPolyglot: the file carries bytes its format does not account for
	// (data after the end of an image or video, markup in its metadata),
	// the shape of a file made to be two things at once.
	ErrPolyglot = errors.New("file carries data besides its media")
)

// Container names a video container campaignwall stores and serves.
type Container string

const (
	MP4  Container = "mp4"
	WebM Container = "webm"
)

// ContentType is the type the cache serves a container's files with.
func (c Container) ContentType() string {
	if c == WebM {
		return "video/webm"
	}
	return "video/mp4"
}

// VideoInfo is what parsing a video's container found.
type VideoInfo struct {
	Container Container
	// Duration is the longest of every duration the file states or its
	// sample timings add up to, so a header cannot understate the length.
	Duration time.Duration
	// Width and Height are the first video track's display size, turned as
	// the file says it should be shown; 0 when the file does not say.
	Width, Height int
}

// ProbeVideo parses the whole container of the size bytes in r and returns
// what it found. It reads headers and skips media data, so a large file costs
// little memory.
func ProbeVideo(r io.ReaderAt, size int64) (VideoInfo, error) {
	head := make([]byte, 12)
	n, err := r.ReadAt(head, 0)
	if n < len(head) {
		if err == nil || err == io.EOF {
			return VideoInfo{}, fmt.Errorf("%w: %d bytes", ErrNotVideo, n)
		}
		return VideoInfo{}, fmt.Errorf("read video: %w", err)
	}
	var info VideoInfo
	switch videoContainer(head) {
	case MP4:
		info, err = probeMP4(r, size)
	case WebM:
		info, err = probeWebM(r, size)
	default:
		if isHEIF(head) {
			return VideoInfo{}, fmt.Errorf("%w: a HEIF/HEIC image", ErrNotVideo)
		}
		return VideoInfo{}, ErrNotVideo
	}
	if err != nil {
		return VideoInfo{}, err
	}
	if err := zipAtEnd(r, size); err != nil {
		return VideoInfo{}, err
	}
	return info, nil
}

// IsVideo reports whether the first bytes of a file (at least 12) look like
// an MP4 or WebM video rather than an image. It only sniffs; ProbeVideo checks.
func IsVideo(head []byte) bool { return videoContainer(head) != "" }

func videoContainer(head []byte) Container {
	if len(head) >= 4 && string(head[:4]) == "\x1a\x45\xdf\xa3" {
		return WebM
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" && !isHEIF(head) {
		return MP4
	}
	return ""
}

// heifBrands are ftyp major brands of still images in the ISO base media
// format (HEIC photos from phones, AVIF), which share MP4's first box.
var heifBrands = map[string]bool{
	"heic": true, "heix": true, "heim": true, "heis": true, "hevc": true, "hevx": true,
	"mif1": true, "msf1": true, "avif": true, "avis": true,
}

func isHEIF(head []byte) bool {
	return len(head) >= 12 && string(head[4:8]) == "ftyp" && heifBrands[string(head[8:12])]
}

// seconds turns units of a time scale into a Duration, saturating instead of
// overflowing: a file may state any number.
func seconds(units float64, perSecond float64) time.Duration {
	if perSecond <= 0 || units <= 0 || math.IsNaN(units) {
		return 0
	}
	s := units / perSecond
	if s >= float64(math.MaxInt64)/float64(time.Second) || math.IsInf(s, 1) {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}
