package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
)

// ErrHEIC: a HEIC/HEIF photo (an iPhone's default), which no pure-Go
// decoder reads. Browsers convert HEIC to JPEG when a form asks for JPEG.
var ErrHEIC = fmt.Errorf("%w: HEIC/HEIF photo", ErrUnsupportedType)

// uploadFormats are the photo formats a supporter may send. GIF is left out:
// its animation would be lost, and it is the classic polyglot carrier.
var uploadFormats = map[string]string{
	"image/jpeg": "jpeg",
	"image/png":  "png",
	"image/webp": "webp",
}

// markup is what has no business in a photo's metadata: the makings of a
// page or a script that some viewer might run if it took the file for HTML.
var markup = [][]byte{
	[]byte("<script"), []byte("<html"), []byte("<body"), []byte("<iframe"), []byte("<svg"),
	[]byte("<!doctype"), []byte("<?php"), []byte("javascript:"), []byte("onerror="), []byte("onload="),
}

// checkUploadImage checks a photo sent by a supporter more strictly than a
// photo fetched from a network: only JPEG, PNG and WebP, nothing after the
// image's end, and no markup in its metadata. The cache re-encodes photos, so
// no byte of such a payload would be served; refusing the file says plainly
// that it is not just a photo.
func checkUploadImage(data []byte) error {
	if isHEIF(data) {
		return ErrHEIC
	}
	ctype := http.DetectContentType(data)
	switch uploadFormats[ctype] {
	case "jpeg":
		return checkJPEG(data)
	case "png":
		return checkPNG(data)
	case "webp":
		return checkWebP(data)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedType, ctype)
}

func hasMarkup(b []byte) error {
	lower := bytes.ToLower(b)
	for _, m := range markup {
		if bytes.Contains(lower, m) {
			return fmt.Errorf("%w: %q in the photo's metadata", ErrPolyglot, m)
		}
	}
	return nil
}

var errCut = errors.New("cut off")

// checkJPEG walks a JPEG's segments to its end-of-image marker (through
// every scan of a progressive JPEG), checking metadata segments for markup
// and what follows the end.
func checkJPEG(b []byte) error {
	i := 2 // after SOI
	for {
		if i+2 > len(b) || b[i] != 0xFF {
			return fmt.Errorf("%w: JPEG segment at %d: %w", ErrBadImage, i, errCut)
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD9: // end of image
			return checkJPEGTrailer(b[i+2:])
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			i += 2
			continue
		}
		if i+4 > len(b) {
			return fmt.Errorf("%w: JPEG segment at %d: %w", ErrBadImage, i, errCut)
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return fmt.Errorf("%w: JPEG segment %#x at %d: %w", ErrBadImage, m, i, errCut)
		}
		if m == 0xFE || (m >= 0xE0 && m <= 0xEF) { // comment, APPn (EXIF, XMP, ICC)
			if err := hasMarkup(b[i+4 : i+2+n]); err != nil {
				return err
			}
		}
		i += 2 + n
		if m != 0xDA {
			continue
		}
		// Entropy-coded data runs to the next marker that is neither a
		// stuffed 0xFF00 nor a restart marker.
		for i+1 < len(b) && (b[i] != 0xFF || b[i+1] == 0x00 || (b[i+1] >= 0xD0 && b[i+1] <= 0xD7) || b[i+1] == 0xFF) {
			i++
		}
		if i+1 >= len(b) {
			return fmt.Errorf("%w: JPEG without an end: %w", ErrBadImage, errCut)
		}
	}
}

// checkJPEGTrailer allows after a JPEG's end only what cameras put there:
// padding, a motion photo's video (Google: an MP4 right after the image),
// or a Samsung trailer (ending "SEFT"). The cache keeps only the picture.
func checkJPEGTrailer(t []byte) error {
	if len(bytes.Trim(t, "\x00\xff")) == 0 {
		return nil
	}
	if len(t) >= 12 && string(t[4:8]) == "ftyp" {
		return nil
	}
	if bytes.HasSuffix(t, []byte("SEFT")) {
		return nil
	}
	return fmt.Errorf("%w: %d bytes after the end of the JPEG", ErrPolyglot, len(t))
}

// checkPNG walks a PNG's chunks: the file must end with IEND, and text
// chunks must hold no markup.
func checkPNG(b []byte) error {
	i := 8 // after the signature
	for i+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || n > len(b)-i-12 {
			return fmt.Errorf("%w: PNG chunk %q: %w", ErrBadImage, printable(typ), errCut)
		}
		data := b[i+8 : i+8+n]
		switch typ {
		case "tEXt", "iTXt", "zTXt":
			if err := hasMarkup(data); err != nil {
				return err
			}
		case "IEND":
			if rest := len(b) - (i + 12 + n); rest > 0 {
				return fmt.Errorf("%w: %d bytes after the end of the PNG", ErrPolyglot, rest)
			}
			return nil
		}
		i += 12 + n
	}
	return fmt.Errorf("%w: PNG without IEND: %w", ErrBadImage, errCut)
}

// checkWebP checks a WebP's RIFF container: its stated size must be the
// file's, and metadata chunks must hold no markup.
func checkWebP(b []byte) error {
	if len(b) < 12 {
		return fmt.Errorf("%w: WebP: %w", ErrBadImage, errCut)
	}
	size := int64(binary.LittleEndian.Uint32(b[4:])) + 8
	switch {
	case size > int64(len(b)):
		return fmt.Errorf("%w: WebP: %w", ErrBadImage, errCut)
	case size < int64(len(b)):
		return fmt.Errorf("%w: %d bytes after the end of the WebP", ErrPolyglot, int64(len(b))-size)
	}
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return fmt.Errorf("%w: WebP chunk at %d: %w", ErrBadImage, i, errCut)
		}
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return fmt.Errorf("%w: WebP chunk %q: %w", ErrBadImage, printable(string(b[i:i+4])), errCut)
		}
		switch string(b[i : i+4]) {
		case "EXIF", "XMP ":
			if err := hasMarkup(b[i+8 : i+8+n]); err != nil {
				return err
			}
		}
		i += 8 + n + n&1 // chunks are padded to an even size
	}
	return nil
}
