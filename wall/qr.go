package wall

import (
	"fmt"
	"strconv"
	"strings"

	"rsc.io/qr"
)

// qrQuietZone is the white margin around a QR code, in modules: the
// standard asks for four, and phones read a code on a busy screen much
// better with it.
const qrQuietZone = 4

// qrSVG encodes text as a QR code drawn in SVG: one path of unit squares on
// a white square, scaled by CSS. Inline SVG needs no image service, no
// request and no data: URL, and stays sharp at any size on any screen.
// Medium error correction survives a screen's glare and a little dirt.
func qrSVG(text string) (string, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	size := code.Size + 2*qrQuietZone
	var b strings.Builder
	b.Grow(code.Size * code.Size * 4)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	b.WriteString(strconv.Itoa(size))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(size))
	b.WriteString(`" shape-rendering="crispEdges" aria-hidden="true" focusable="false">`)
	b.WriteString(`<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="`)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			// A run of dark modules in a row is one rectangle.
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
