package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registers GIF for image.Decode
	"image/jpeg"
	_ "image/png" // registers PNG for image.Decode

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP for image.Decode
)

type variant struct {
	width int
	jpeg  []byte
}

// variants encodes img, turned upright by its EXIF orientation, at every
// configured width (never upscaled), as JPEG over a white background.
func (c *Cache) variants(img image.Image, orientation int) ([]variant, error) {
	b := img.Bounds()
	swap := orientation >= 5 && orientation <= 8
	uprightW, uprightH := b.Dx(), b.Dy()
	if swap {
		uprightW, uprightH = uprightH, uprightW
	}
	out := make([]variant, 0, len(c.opts.Sizes))
	src := img
	// Largest first, each smaller size scaled from the one before: cheaper
	// than scaling a 40-megapixel original again for every size.
	for i := len(c.opts.Sizes) - 1; i >= 0; i-- {
		width := c.opts.Sizes[i]
		w, h := uprightW, uprightH
		if w > width {
			h = max(1, int(int64(h)*int64(width)/int64(w)))
			w = width
		}
		if swap {
			w, h = h, w // scaled in the original's orientation, turned after
		}
		scaled := scale(src, w, h)
		src = scaled
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, orient(scaled, orientation), &jpeg.Options{Quality: c.opts.Quality}); err != nil {
			return nil, fmt.Errorf("media cache: encode %d px: %w", width, err)
		}
		out = append(out, variant{width: width, jpeg: buf.Bytes()})
	}
	return out, nil
}

// scale draws src into a w×h RGBA image over white: JPEG has no
// transparency, and black behind a transparent logo looks broken.
func scale(src image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	sb := src.Bounds()
	if sb.Dx() == w && sb.Dy() == h {
		draw.Draw(dst, dst.Bounds(), src, sb.Min, draw.Over)
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, draw.Over, nil)
	return dst
}

// orient turns an image as its EXIF orientation (1–8) says the camera
// meant it to be seen.
func orient(src *image.RGBA, orientation int) *image.RGBA {
	if orientation < 2 || orientation > 8 {
		return src
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if orientation >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch orientation {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored upside down
				dx, dy = x, h-1-y
			case 5: // mirrored, turned 90° counter-clockwise
				dx, dy = y, x
			case 6: // needs 90° clockwise
				dx, dy = h-1-y, x
			case 7: // mirrored, turned 90° clockwise
				dx, dy = h-1-y, w-1-x
			case 8: // needs 90° counter-clockwise
				dx, dy = y, w-1-x
			}
			si := src.PixOffset(b.Min.X+x, b.Min.Y+y)
			di := dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// exifOrientation reads the Orientation tag (0x0112) of a JPEG's EXIF
// segment; 1 (upright) when there is none or it cannot be read.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // image data or end: no EXIF before it
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for e := range count {
		p := off + 2 + 12*e
		if p+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[p:]) == 0x0112 && bo.Uint16(t[p+2:]) == 3 { // Orientation, SHORT
			if v := int(bo.Uint16(t[p+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}
