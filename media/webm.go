package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// EBML and Matroska element IDs (RFC 8794, RFC 9559) the WebM probe reads.
const (
	idEBML        = 0x1A45DFA3
	idDocType     = 0x4282
	idSegment     = 0x18538067
	idSeekHead    = 0x114D9B74
	idInfo        = 0x1549A966
	idTracks      = 0x1654AE6B
	idCluster     = 0x1F43B675
	idCues        = 0x1C53BB6B
	idChapters    = 0x1043A770
	idTags        = 0x1254C367
	idAttachments = 0x1941A469
	idVoid        = 0xEC
	idCRC32       = 0xBF

	idTimestampScale = 0x2AD7B1
	idDuration       = 0x4489

	idTrackEntry    = 0xAE
	idTrackType     = 0x83
	idVideo         = 0xE0
	idPixelWidth    = 0xB0
	idPixelHeight   = 0xBA
	idDisplayWidth  = 0x54B0
	idDisplayHeight = 0x54BA

	idTimestamp      = 0xE7
	idSimpleBlock    = 0xA3
	idBlockGroup     = 0xA0
	idBlock          = 0xA1
	idBlockDuration  = 0x9B
	idPosition       = 0xA7
	idPrevSize       = 0xAB
	idSilentTracks   = 0x5854
	idEncryptedBlock = 0xAF
)

// segmentChild reports whether id may appear directly in a Segment. An
// unknown-size Cluster ends where one of these begins.
func segmentChild(id uint32) bool {
	switch id {
	case idSeekHead, idInfo, idTracks, idCluster, idCues, idChapters, idTags, idAttachments, idVoid, idCRC32:
		return true
	}
	return false
}

func clusterChild(id uint32) bool {
	switch id {
	case idTimestamp, idSimpleBlock, idBlockGroup, idPosition, idPrevSize, idSilentTracks, idEncryptedBlock, idVoid, idCRC32:
		return true
	}
	return false
}

// maxElements bounds the elements one file may have, so a file of millions
// of two-byte elements cannot keep a request busy.
const maxElements = 2_000_000

// webm reads a WebM file front to back, keeping count of where it is.
type webm struct {
	r        *bufio.Reader
	pos      int64
	size     int64
	elements int

	scale     uint64  // nanoseconds per tick; TimestampScale, default 1 000 000
	stated    float64 // Info's Duration, in ticks
	lastTick  float64 // the latest block end seen, in ticks
	blocks    int
	sawTracks bool
	sawVideo  bool
	sawInfo   bool
	width     int
	height    int
	clusterAt uint64
}

// probeWebM parses a WebM file (RFC 9559 Matroska with DocType "webm"): an
// EBML header, then one Segment reaching to the end of the file. Every
// element of the Segment and of its Clusters is walked, including the
// unknown-size Segments and Clusters browsers record; blocks are skipped
// after their timestamp. The length is the longer of what Info states and
// where the last block ends.
func probeWebM(r io.ReaderAt, size int64) (VideoInfo, error) {
	w := &webm{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10), size: size, scale: 1_000_000}
	if err := w.parse(); err != nil {
		var ioErr ioError
		if errors.As(err, &ioErr) {
			return VideoInfo{}, ioErr.err
		}
		return VideoInfo{}, err
	}
	d := seconds(max(w.stated, w.lastTick)*float64(w.scale), 1e9)
	if d <= 0 {
		return VideoInfo{}, fmt.Errorf("%w: no duration and no timed blocks", ErrBadVideo)
	}
	return VideoInfo{Container: WebM, Duration: d, Width: w.width, Height: w.height}, nil
}

// ioError carries a read failure that is not the file's fault.
type ioError struct{ err error }

func (e ioError) Error() string { return e.err.Error() }

func (w *webm) complete() bool { return w.sawTracks && w.blocks > 0 }

// bad reports a problem at the current position: bytes that do not parse
// after a complete video are something appended to it.
func (w *webm) bad(format string, args ...any) error {
	if w.complete() {
		return fmt.Errorf("%w: %d bytes after the end of the video (%s)", ErrPolyglot, w.size-w.pos, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%w: %s at offset %d", ErrBadVideo, fmt.Sprintf(format, args...), w.pos)
}

// cut reports a known element that does not fit: the file is cut off or
// its sizes are wrong, whatever came before.
func (w *webm) cut(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", ErrBadVideo, fmt.Sprintf(format, args...), w.pos)
}

func (w *webm) parse() error {
	id, size, unknown, err := w.header()
	if err != nil || id != idEBML || unknown || size > 4096 {
		return ErrNotVideo
	}
	body, err := w.body(size)
	if err != nil {
		return err
	}
	docType := ""
	if err := eachElement(body, func(id uint32, b []byte) error {
		if id == idDocType {
			docType = string(trimNUL(b))
		}
		return nil
	}); err != nil {
		return err
	}
	if docType != "webm" {
		return fmt.Errorf("%w: EBML document type %q, not webm", ErrNotVideo, printable(docType))
	}

	id, size, unknown, err = w.header()
	if err != nil {
		return err
	}
	if id != idSegment {
		return fmt.Errorf("%w: no Segment after the EBML header", ErrBadVideo)
	}
	end := w.size
	if !unknown {
		if size > uint64(w.size-w.pos) {
			return fmt.Errorf("%w: Segment claims %d bytes, %d left (the file is cut off)", ErrBadVideo, size, w.size-w.pos)
		}
		end = w.pos + int64(size)
	}
	if err := w.segment(end); err != nil {
		return err
	}
	if !w.sawInfo || !w.sawTracks {
		return fmt.Errorf("%w: no Info or Tracks", ErrBadVideo)
	}
	if !w.sawVideo {
		return fmt.Errorf("%w: no video track", ErrBadVideo)
	}
	if w.blocks == 0 {
		return fmt.Errorf("%w: no frames", ErrBadVideo)
	}
	if w.pos < w.size {
		return fmt.Errorf("%w: %d bytes after the end of the video", ErrPolyglot, w.size-w.pos)
	}
	return nil
}

func (w *webm) segment(end int64) error {
	for w.pos < end {
		id, size, unknown, err := w.header()
		if err != nil {
			return err
		}
		if unknown && id != idCluster {
			return w.bad("element %#x of unknown size", id)
		}
		if !segmentChild(id) {
			return w.bad("element %#x where a Segment part belongs", id)
		}
		if !unknown && size > uint64(end-w.pos) {
			return w.cut("element %#x claims %d bytes, %d left", id, size, end-w.pos)
		}
		switch id {
		case idInfo:
			err = w.info(size)
		case idTracks:
			err = w.tracks(size)
		case idCluster:
			clusterEnd := end
			if !unknown {
				clusterEnd = w.pos + int64(size)
			}
			err = w.cluster(clusterEnd, unknown)
		case idAttachments:
			return fmt.Errorf("%w: the video carries attached files", ErrPolyglot)
		default: // SeekHead, Cues, Chapters, Tags, Void, CRC-32
			err = w.skip(size)
		}
		if err != nil {
			return err
		}
	}
	if w.pos != end {
		return w.bad("Segment parts overrun its end")
	}
	return nil
}

func (w *webm) info(size uint64) error {
	body, err := w.body(size)
	if err != nil {
		return err
	}
	w.sawInfo = true
	return eachElement(body, func(id uint32, b []byte) error {
		switch id {
		case idTimestampScale:
			v, ok := uintValue(b)
			if !ok || v == 0 {
				return fmt.Errorf("%w: TimestampScale %v", ErrBadVideo, b)
			}
			w.scale = v
		case idDuration:
			f, ok := floatValue(b)
			if !ok || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("%w: Duration of %d bytes is not a length", ErrBadVideo, len(b))
			}
			w.stated = f
		}
		return nil
	})
}

func (w *webm) tracks(size uint64) error {
	body, err := w.body(size)
	if err != nil {
		return err
	}
	w.sawTracks = true
	return eachElement(body, func(id uint32, entry []byte) error {
		if id != idTrackEntry {
			return nil
		}
		var video bool
		var pw, ph, dw, dh uint64
		err := eachElement(entry, func(id uint32, b []byte) error {
			switch id {
			case idTrackType:
				v, _ := uintValue(b)
				video = v == 1
			case idVideo:
				return eachElement(b, func(id uint32, b []byte) error {
					v, _ := uintValue(b)
					switch id {
					case idPixelWidth:
						pw = v
					case idPixelHeight:
						ph = v
					case idDisplayWidth:
						dw = v
					case idDisplayHeight:
						dh = v
					}
					return nil
				})
			}
			return nil
		})
		if err != nil || !video || w.sawVideo {
			return err
		}
		w.sawVideo = true
		if dw == 0 || dh == 0 {
			dw, dh = pw, ph
		}
		if dw <= 1<<16 && dh <= 1<<16 {
			w.width, w.height = int(dw), int(dh)
		}
		return nil
	})
}

// cluster walks one Cluster. An unknown-size Cluster ends where an element
// that belongs to the Segment begins, or at end.
func (w *webm) cluster(end int64, unknown bool) error {
	w.clusterAt = 0
	for w.pos < end {
		if unknown {
			id, err := w.peekID()
			if err != nil {
				return err
			}
			if segmentChild(id) && id != idVoid && id != idCRC32 {
				return nil
			}
		}
		id, size, unk, err := w.header()
		if err != nil {
			return err
		}
		if unk || !clusterChild(id) {
			return w.bad("element %#x where a Cluster part belongs", id)
		}
		if size > uint64(end-w.pos) {
			return w.cut("element %#x claims %d bytes, %d left", id, size, end-w.pos)
		}
		switch id {
		case idTimestamp:
			b, err := w.body(size)
			if err != nil {
				return err
			}
			v, ok := uintValue(b)
			if !ok {
				return w.bad("Cluster Timestamp of %d bytes", len(b))
			}
			w.clusterAt = v
		case idSimpleBlock:
			if err := w.simpleBlock(size); err != nil {
				return err
			}
		case idBlockGroup:
			b, err := w.body(size)
			if err != nil {
				return err
			}
			var rel int16
			var dur uint64
			sawBlock := false
			err = eachElement(b, func(id uint32, b []byte) error {
				switch id {
				case idBlock:
					r, err := blockTime(b)
					rel, sawBlock = r, true
					return err
				case idBlockDuration:
					dur, _ = uintValue(b)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if sawBlock {
				w.sawBlock(rel, dur)
			}
		default:
			if err := w.skip(size); err != nil {
				return err
			}
		}
	}
	if w.pos != end && !unknown {
		return w.bad("Cluster parts overrun its end")
	}
	return nil
}

// simpleBlock reads a SimpleBlock's header (track number, relative
// timestamp) and skips its frame data.
func (w *webm) simpleBlock(size uint64) error {
	n := min(size, 12)
	head, err := w.body(n)
	if err != nil {
		return err
	}
	rel, err := blockTime(head)
	if err != nil {
		return err
	}
	w.sawBlock(rel, 0)
	return w.skip(size - n)
}

func (w *webm) sawBlock(rel int16, dur uint64) {
	w.blocks++
	end := float64(w.clusterAt) + float64(rel) + float64(dur)
	w.lastTick = max(w.lastTick, end)
}

// blockTime reads the relative timestamp of a Block or SimpleBlock: after
// the track number (a variable-size integer), a signed 16-bit count of ticks.
func blockTime(b []byte) (int16, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty block", ErrBadVideo)
	}
	n := vintLength(b[0])
	if n == 0 || n > 8 || len(b) < n+3 {
		return 0, fmt.Errorf("%w: block of %d bytes", ErrBadVideo, len(b))
	}
	return int16(binary.BigEndian.Uint16(b[n:])), nil
}

// header reads an element's ID and size. unknown is set for the all-ones
// size that means "until the parent ends".
func (w *webm) header() (id uint32, size uint64, unknown bool, err error) {
	w.elements++
	if w.elements > maxElements {
		return 0, 0, false, fmt.Errorf("%w: more than %d elements", ErrBadVideo, maxElements)
	}
	first, err := w.r.ReadByte()
	if err != nil {
		return 0, 0, false, w.readErr(err)
	}
	n := vintLength(first)
	if n == 0 || n > 4 {
		w.pos++
		return 0, 0, false, w.bad("byte %#x cannot start an element", first)
	}
	id = uint32(first)
	for range n - 1 {
		c, err := w.r.ReadByte()
		if err != nil {
			return 0, 0, false, w.readErr(err)
		}
		id = id<<8 | uint32(c)
	}
	w.pos += int64(n)
	first, err = w.r.ReadByte()
	if err != nil {
		return 0, 0, false, w.readErr(err)
	}
	n = vintLength(first)
	if n == 0 {
		w.pos++
		return 0, 0, false, w.bad("element %#x has no valid size", id)
	}
	size = uint64(first) & (0xFF >> n)
	allOnes := size == 0xFF>>n
	for range n - 1 {
		c, err := w.r.ReadByte()
		if err != nil {
			return 0, 0, false, w.readErr(err)
		}
		size = size<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	w.pos += int64(n)
	return id, size, allOnes, nil
}

func (w *webm) peekID() (uint32, error) {
	b, err := w.r.Peek(1)
	if err != nil {
		return 0, w.readErr(err)
	}
	n := vintLength(b[0])
	if n == 0 || n > 4 {
		return 0, w.bad("byte %#x cannot start an element", b[0])
	}
	b, err = w.r.Peek(n)
	if err != nil {
		return 0, w.readErr(err)
	}
	var id uint32
	for _, c := range b {
		id = id<<8 | uint32(c)
	}
	return id, nil
}

// body reads an element's content, for the small elements whose values
// matter (headers, Info, Tracks, block groups).
func (w *webm) body(size uint64) ([]byte, error) {
	if size > 16<<20 || int64(size) > w.size-w.pos {
		return nil, w.cut("element of %d bytes, %d left", size, w.size-w.pos)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(w.r, b); err != nil {
		return nil, w.readErr(err)
	}
	w.pos += int64(size)
	return b, nil
}

func (w *webm) skip(size uint64) error {
	if int64(size) < 0 || int64(size) > w.size-w.pos {
		return w.cut("element of %d bytes, %d left", size, w.size-w.pos)
	}
	if _, err := w.r.Discard(int(size)); err != nil {
		return w.readErr(err)
	}
	w.pos += int64(size)
	return nil
}

func (w *webm) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return w.bad("the file is cut off")
	}
	return ioError{fmt.Errorf("read video: %w", err)}
}

// vintLength is the length of a variable-size integer from its first byte:
// one more than its leading zero bits; 0 for the invalid 0x00.
func vintLength(b byte) int {
	for n := 1; n <= 8; n++ {
		if b&(0x80>>(n-1)) != 0 {
			return n
		}
	}
	return 0
}

// eachElement calls fn for every element in b, which they must fill exactly.
// Elements inside b must have known sizes.
func eachElement(b []byte, fn func(id uint32, body []byte) error) error {
	for len(b) > 0 {
		n := vintLength(b[0])
		if n == 0 || n > 4 || len(b) < n+1 {
			return fmt.Errorf("%w: bad element ID", ErrBadVideo)
		}
		var id uint32
		for _, c := range b[:n] {
			id = id<<8 | uint32(c)
		}
		b = b[n:]
		m := vintLength(b[0])
		if m == 0 || len(b) < m {
			return fmt.Errorf("%w: bad size of element %#x", ErrBadVideo, id)
		}
		size := uint64(b[0]) & (0xFF >> m)
		for _, c := range b[1:m] {
			size = size<<8 | uint64(c)
		}
		b = b[m:]
		if size > uint64(len(b)) {
			return fmt.Errorf("%w: element %#x claims %d bytes, %d left", ErrBadVideo, id, size, len(b))
		}
		if err := fn(id, b[:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

func uintValue(b []byte) (uint64, bool) {
	if len(b) > 8 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, true
}

func floatValue(b []byte) (float64, bool) {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), true
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), true
	case 0:
		return 0, true
	}
	return 0, false
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
