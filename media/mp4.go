package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// maxMoov bounds the movie box read into memory. A minute of phone video has
// a moov of a few hundred kilobytes (its sample tables); 32 MiB is generous.
const maxMoov = 32 << 20

// probeMP4 walks an ISO base media file (ISO/IEC 14496-12: MP4, and the
// QuickTime files phones write): top-level boxes must tile the file exactly,
// the first is ftyp, one moov describes the movie and mdat holds its data.
// The moov is read whole and walked; media data is skipped, never read.
// Fragmented files (moof boxes, from live recorders) are refused: their
// length is spread over every fragment.
func probeMP4(r io.ReaderAt, size int64) (VideoInfo, error) {
	var (
		off                       int64
		sawFtyp, sawMoov, sawMdat bool
		info                      VideoInfo
	)
	// Bytes that do not form a box after a complete movie are something
	// appended to a video; before that, the file is just broken.
	bad := func(format string, args ...any) error {
		if sawFtyp && sawMoov && sawMdat {
			return fmt.Errorf("%w: %d bytes after the end of the video (%s)", ErrPolyglot, size-off, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%w: %s", ErrBadVideo, fmt.Sprintf(format, args...))
	}
	for off < size {
		var hdr [16]byte
		n, err := r.ReadAt(hdr[:], off)
		if err != nil && err != io.EOF {
			return VideoInfo{}, fmt.Errorf("read video: %w", err)
		}
		if n < 8 {
			return VideoInfo{}, bad("%d stray bytes at offset %d", size-off, off)
		}
		boxSize, typ, hl := int64(binary.BigEndian.Uint32(hdr[:])), string(hdr[4:8]), int64(8)
		switch boxSize {
		case 1: // a 64-bit size follows the type
			if n < 16 {
				return VideoInfo{}, bad("box %q at offset %d cut off", printable(typ), off)
			}
			large := binary.BigEndian.Uint64(hdr[8:])
			if large > math.MaxInt64 {
				return VideoInfo{}, bad("box %q at offset %d claims %d bytes", printable(typ), off, large)
			}
			boxSize, hl = int64(large), 16
		case 0: // the last box, running to the end of the file
			boxSize = size - off
		}
		if !boxType(typ) || boxSize < hl || boxSize > size-off {
			return VideoInfo{}, bad("box %q at offset %d claims %d bytes, %d left", printable(typ), off, boxSize, size-off)
		}
		if off == 0 && typ != "ftyp" {
			return VideoInfo{}, ErrNotVideo
		}
		switch typ {
		case "ftyp":
			if sawFtyp {
				return VideoInfo{}, bad("a second ftyp box at offset %d", off)
			}
			sawFtyp = true
		case "moov":
			if sawMoov {
				return VideoInfo{}, bad("a second moov box at offset %d", off)
			}
			if boxSize-hl > maxMoov {
				return VideoInfo{}, fmt.Errorf("%w: movie header of %d bytes", ErrBadVideo, boxSize-hl)
			}
			body := make([]byte, boxSize-hl)
			if _, err := r.ReadAt(body, off+hl); err != nil {
				return VideoInfo{}, fmt.Errorf("read video: %w", err)
			}
			if info, err = parseMoov(body); err != nil {
				return VideoInfo{}, err
			}
			sawMoov = true
		case "mdat":
			sawMdat = true
		case "moof", "mfra", "styp", "sidx", "ssix":
			return VideoInfo{}, fmt.Errorf("%w: a fragmented MP4 (a live recording); save or export it as a regular video", ErrBadVideo)
		}
		// free, skip, wide, uuid, udta, meta and the rest: boxes that tile
		// are taken as they are; what they hold is never served as anything
		// but this video.
		off += boxSize
	}
	switch {
	case !sawMoov:
		return VideoInfo{}, fmt.Errorf("%w: no movie box (moov)", ErrBadVideo)
	case !sawMdat:
		return VideoInfo{}, fmt.Errorf("%w: no media data (mdat)", ErrBadVideo)
	}
	info.Container = MP4
	return info, nil
}

// boxType reports whether t is a plausible box type: four printable ASCII
// characters (QuickTime's © types included). Appended archives and markup do
// not start like a box.
func boxType(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; (c < 0x20 || c > 0x7e) && c != 0xa9 {
			return false
		}
	}
	return len(t) == 4
}

// printable quotes a box type for an error without control bytes.
func printable(t string) string {
	b := []byte(t)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// eachBox calls fn for every box in b, which they must fill exactly.
func eachBox(b []byte, fn func(typ string, body []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: %d stray bytes inside a box", ErrBadVideo, len(b))
		}
		size, typ, hl := uint64(binary.BigEndian.Uint32(b)), string(b[4:8]), uint64(8)
		if size == 1 {
			if len(b) < 16 {
				return fmt.Errorf("%w: box %q cut off", ErrBadVideo, printable(typ))
			}
			size, hl = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hl || size > uint64(len(b)) {
			return fmt.Errorf("%w: box %q claims %d bytes, %d left in its parent", ErrBadVideo, printable(typ), size, len(b))
		}
		if err := fn(typ, b[hl:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// track is what one trak box says.
type track struct {
	video          bool
	movieUnits     []uint64 // tkhd duration, edit list length: in the movie's time scale
	mediaScale     uint64
	mediaUnits     []uint64 // mdhd duration, sum of sample durations: in the track's time scale
	width, height  int
	rotatedQuarter bool
}

func parseMoov(b []byte) (VideoInfo, error) {
	var (
		movieScale uint64
		movieUnits []uint64
		tracks     []track
		sawMvhd    bool
	)
	err := eachBox(b, func(typ string, body []byte) error {
		switch typ {
		case "mvhd":
			sawMvhd = true
			scale, dur, err := fullBoxTimes(body, "mvhd")
			if err != nil {
				return err
			}
			movieScale = scale
			movieUnits = append(movieUnits, dur)
		case "trak":
			t, err := parseTrak(body)
			if err != nil {
				return err
			}
			tracks = append(tracks, t)
		case "mvex":
			return fmt.Errorf("%w: a fragmented MP4 (a live recording); save or export it as a regular video", ErrBadVideo)
		}
		return nil
	})
	if err != nil {
		return VideoInfo{}, err
	}
	if !sawMvhd || movieScale == 0 {
		return VideoInfo{}, fmt.Errorf("%w: no movie header with a time scale (mvhd)", ErrBadVideo)
	}
	var info VideoInfo
	longest := func(units []uint64, scale uint64) {
		for _, u := range units {
			if u == math.MaxUint32 || u == math.MaxUint64 {
				continue // "unknown", as the format spells it
			}
			info.Duration = max(info.Duration, seconds(float64(u), float64(scale)))
		}
	}
	longest(movieUnits, movieScale)
	sawVideo := false
	for _, t := range tracks {
		longest(t.movieUnits, movieScale)
		if t.mediaScale == 0 {
			return VideoInfo{}, fmt.Errorf("%w: a track without a time scale (mdhd)", ErrBadVideo)
		}
		longest(t.mediaUnits, t.mediaScale)
		if t.video && !sawVideo {
			sawVideo = true
			info.Width, info.Height = t.width, t.height
			if t.rotatedQuarter {
				info.Width, info.Height = t.height, t.width
			}
		}
	}
	if !sawVideo {
		return VideoInfo{}, fmt.Errorf("%w: no video track", ErrBadVideo)
	}
	if info.Duration <= 0 {
		return VideoInfo{}, fmt.Errorf("%w: no duration", ErrBadVideo)
	}
	return info, nil
}

// fullBoxTimes reads the time scale and duration of an mvhd or mdhd box,
// versions 0 (32-bit times) and 1 (64-bit).
func fullBoxTimes(b []byte, name string) (scale, dur uint64, err error) {
	if len(b) >= 1 && b[0] == 1 && len(b) >= 32 {
		return uint64(binary.BigEndian.Uint32(b[20:])), binary.BigEndian.Uint64(b[24:]), nil
	}
	if len(b) >= 1 && b[0] == 0 && len(b) >= 20 {
		return uint64(binary.BigEndian.Uint32(b[12:])), uint64(binary.BigEndian.Uint32(b[16:])), nil
	}
	return 0, 0, fmt.Errorf("%w: %s box of %d bytes", ErrBadVideo, name, len(b))
}

func parseTrak(b []byte) (track, error) {
	var t track
	err := eachBox(b, func(typ string, body []byte) error {
		switch typ {
		case "tkhd":
			return t.tkhd(body)
		case "edts":
			return eachBox(body, func(typ string, body []byte) error {
				if typ == "elst" {
					return t.elst(body)
				}
				return nil
			})
		case "mdia":
			return eachBox(body, func(typ string, body []byte) error {
				switch typ {
				case "mdhd":
					scale, dur, err := fullBoxTimes(body, "mdhd")
					t.mediaScale = scale
					t.mediaUnits = append(t.mediaUnits, dur)
					return err
				case "hdlr":
					if len(body) < 12 {
						return fmt.Errorf("%w: hdlr box of %d bytes", ErrBadVideo, len(body))
					}
					t.video = string(body[8:12]) == "vide"
				case "minf":
					return eachBox(body, func(typ string, body []byte) error {
						if typ == "stbl" {
							return eachBox(body, func(typ string, body []byte) error {
								if typ == "stts" {
									return t.stts(body)
								}
								return nil
							})
						}
						return nil
					})
				}
				return nil
			})
		}
		return nil
	})
	return t, err
}

// tkhd reads a track header: its duration, picture size and whether its
// matrix turns the picture a quarter (portrait phone video stored landscape).
func (t *track) tkhd(b []byte) error {
	var matrixAt int
	switch {
	case len(b) >= 84 && b[0] == 0:
		t.movieUnits = append(t.movieUnits, uint64(binary.BigEndian.Uint32(b[20:])))
		matrixAt = 40
	case len(b) >= 96 && b[0] == 1:
		t.movieUnits = append(t.movieUnits, binary.BigEndian.Uint64(b[28:]))
		matrixAt = 52
	default:
		return fmt.Errorf("%w: tkhd box of %d bytes", ErrBadVideo, len(b))
	}
	a := int32(binary.BigEndian.Uint32(b[matrixAt:]))
	d := int32(binary.BigEndian.Uint32(b[matrixAt+16:]))
	t.rotatedQuarter = a == 0 && d == 0
	t.width = int(binary.BigEndian.Uint32(b[matrixAt+36:]) >> 16)
	t.height = int(binary.BigEndian.Uint32(b[matrixAt+40:]) >> 16)
	return nil
}

// elst adds up an edit list: how long the track plays, in movie units.
func (t *track) elst(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("%w: elst box of %d bytes", ErrBadVideo, len(b))
	}
	n, entry := uint64(binary.BigEndian.Uint32(b[4:])), uint64(12)
	if b[0] == 1 {
		entry = 20
	}
	if n > uint64(len(b)-8)/entry {
		return fmt.Errorf("%w: elst lists %d edits in %d bytes", ErrBadVideo, n, len(b))
	}
	var sum uint64
	for i := range n {
		e := b[8+i*entry:]
		var seg uint64
		if entry == 20 {
			seg = binary.BigEndian.Uint64(e)
		} else {
			seg = uint64(binary.BigEndian.Uint32(e))
		}
		sum = satAdd(sum, seg)
	}
	t.movieUnits = append(t.movieUnits, sum)
	return nil
}

// stts adds up the track's sample durations: how long its samples play,
// whatever the headers say.
func (t *track) stts(b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("%w: stts box of %d bytes", ErrBadVideo, len(b))
	}
	n := uint64(binary.BigEndian.Uint32(b[4:]))
	if n > uint64(len(b)-8)/8 {
		return fmt.Errorf("%w: stts lists %d entries in %d bytes", ErrBadVideo, n, len(b))
	}
	var sum uint64
	for i := range n {
		e := b[8+i*8:]
		count, delta := uint64(binary.BigEndian.Uint32(e)), uint64(binary.BigEndian.Uint32(e[4:]))
		sum = satAdd(sum, count*delta) // both < 2^32: the product fits
	}
	t.mediaUnits = append(t.mediaUnits, sum)
	return nil
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64 - 1 // not MaxUint64: that spells "unknown"
	}
	return a + b
}

// zipAtEnd refuses a file whose last bytes hold a ZIP end-of-central-directory
// record: an archive wrapped in a box that tiles (or in trailing data) would
// otherwise open as a ZIP. The record sits 22 bytes from the end plus a
// comment of up to 65535 bytes.
func zipAtEnd(r io.ReaderAt, size int64) error {
	n := min(size, 22+65535)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return fmt.Errorf("read video: %w", err)
	}
	for i := len(tail) - 22; i >= 0; i-- {
		if tail[i] == 'P' && tail[i+1] == 'K' && tail[i+2] == 5 && tail[i+3] == 6 {
			// The record's comment length must reach exactly to the end,
			// which random media data almost never does.
			if int(binary.LittleEndian.Uint16(tail[i+20:]))+22 == len(tail)-i {
				return fmt.Errorf("%w: a ZIP archive at the end of the file", ErrPolyglot)
			}
		}
	}
	return nil
}
