package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

// Uploads (direct submissions) arrive as bytes rather than URLs, and must
// leave nothing behind when they are refused or their post cannot be saved:
//
//	up, err := cache.AddPhoto(ctx, data)   // or AddVideo
//	... save the post with up.Media() in one transaction ...
//	if err != nil { up.Drop(ctx) } else { up.Keep() }
//
// Between Add and Keep or Drop the entry is held: dropping another upload of
// the same bytes does not delete it. Eviction leaves new entries alone for an
// hour anyway (evictGrace).

// Upload is a checked file in the cache whose key is not yet recorded on a
// media row.
type Upload struct {
	Key    string
	Kind   model.MediaKind // MediaImage or MediaVideo
	Video  VideoInfo       // for videos
	Width  int             // the picture as shown: a photo turned upright, a video's poster
	Height int

	c    *Cache
	done bool
}

// Media is the media row to store for the upload: a photo is its cached
// copies; a video is its file (URL) with a poster under the same key, which
// is what screens show, since they play no video.
func (u *Upload) Media(alt string) model.Media {
	m := model.Media{Kind: u.Kind, CacheKey: u.Key, AltText: alt, Width: u.Width, Height: u.Height}
	if u.Kind == model.MediaVideo {
		m.URL = VideoPath(u.Key, u.Video.Container)
	}
	return m
}

// Keep releases the hold once the key is recorded on a committed media row.
func (u *Upload) Keep() {
	u.c.mu.Lock()
	defer u.c.mu.Unlock()
	u.release()
}

// Drop releases the hold and deletes the entry unless a media row or
// another held upload uses it: the post it was for was not saved.
func (u *Upload) Drop(ctx context.Context) error {
	u.c.mu.Lock()
	defer u.c.mu.Unlock()
	if !u.release() || u.c.held[u.Key] > 0 {
		return nil
	}
	removed, err := u.c.st.DiscardMediaFile(ctx, u.Key)
	if err != nil || !removed {
		return err
	}
	if err := os.RemoveAll(u.c.keyDir(u.Key)); err != nil {
		return fmt.Errorf("media cache: drop %s: %w", u.Key, err)
	}
	u.c.log.Info("media cache: dropped unsaved upload", slog.String("key", u.Key))
	return nil
}

// release ends the hold once; c.mu is held.
func (u *Upload) release() bool {
	if u.done {
		return false
	}
	u.done = true
	if u.c.held[u.Key]--; u.c.held[u.Key] <= 0 {
		delete(u.c.held, u.Key)
	}
	return true
}

// hold marks key as an upload not recorded yet; c.mu is held.
func (c *Cache) hold(u *Upload) *Upload {
	if c.held == nil {
		c.held = map[string]int{}
	}
	c.held[u.Key]++
	u.c = c
	return u
}

// AddPhoto checks a photo a supporter sent (JPEG, PNG or WebP; nothing
// riding along, see checkUploadImage) and caches it like a fetched one: every
// size a fresh JPEG, no EXIF, no GPS position.
func (c *Cache) AddPhoto(ctx context.Context, data []byte) (*Upload, error) {
	if int64(len(data)) > c.opts.MaxBytes {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, len(data), c.opts.MaxBytes)
	}
	if err := checkUploadImage(data); err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadImage, err)
	}
	w, h := cfg.Width, cfg.Height
	if o := exifOrientation(data); o >= 5 && o <= 8 {
		w, h = h, w
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key, err := c.ingest(ctx, data)
	if err != nil {
		return nil, err
	}
	return c.hold(&Upload{Key: key, Kind: model.MediaImage, Width: w, Height: h}), nil
}

// VideoPath is where the handler serves a cached video:
// /media/video/{key}.mp4 or .webm. Its poster is at Path(key, width).
func VideoPath(key string, c Container) string {
	return "/media/video/" + key + "." + string(c)
}

// AddVideo stores a video a supporter sent, read from r: at most maxBytes,
// an MP4 or WebM whose container parses completely with nothing after it
// (ProbeVideo), playing at most maxDuration. The file is stored as it came
// (videos are not re-encoded: that needs ffmpeg), next to a generated poster
// in every size, which is what screens and the queue show before it plays.
// The file is written to a temporary directory and renamed into place with
// its poster, so a refused or failed upload leaves nothing.
func (c *Cache) AddVideo(ctx context.Context, r io.Reader, maxBytes int64, maxDuration time.Duration) (*Upload, error) {
	tmpRoot := filepath.Join(c.dir, ".tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	tmp, err := os.MkdirTemp(tmpRoot, "video-")
	if err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed

	f, err := os.Create(filepath.Join(tmp, "upload"))
	if err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	defer f.Close()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("media cache: receive video: %w", err)
	}
	if n > maxBytes {
		return nil, fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, maxBytes)
	}
	info, err := ProbeVideo(f, n)
	if err != nil {
		return nil, err
	}
	// Audio tracks run a little past the picture (encoder priming), so a
	// phone's full minute measures a few hundredths over.
	if info.Duration > maxDuration+500*time.Millisecond {
		return nil, fmt.Errorf("%w: %s, limit %s", ErrVideoTooLong, info.Duration.Round(100*time.Millisecond), maxDuration)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	key := hex.EncodeToString(sum.Sum(nil))
	name := "video." + string(info.Container)
	if err := os.Rename(filepath.Join(tmp, "upload"), filepath.Join(tmp, name)); err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}

	pw, ph := posterSize(info, c.opts.Sizes[len(c.opts.Sizes)-1])
	c.mu.Lock()
	defer c.mu.Unlock()
	up := &Upload{Key: key, Kind: model.MediaVideo, Video: info, Width: pw, Height: ph}
	final := c.keyDir(key)
	if _, err := os.Stat(filepath.Join(final, name)); err == nil {
		size, err := dirSize(final)
		if err != nil {
			return nil, err
		}
		if err := c.st.SaveMediaFile(ctx, store.MediaFile{Key: key, Bytes: size, CreatedAt: c.opts.Now()}); err != nil {
			return nil, err
		}
		return c.hold(up), nil
	}
	variants, err := c.variants(poster(pw, ph, key), 1)
	if err != nil {
		return nil, err
	}
	total := n
	for _, v := range variants {
		if err := os.WriteFile(filepath.Join(tmp, strconv.Itoa(v.width)+".jpg"), v.jpeg, 0o644); err != nil {
			return nil, fmt.Errorf("media cache: %w", err)
		}
		total += int64(len(v.jpeg))
	}
	if err := c.makeRoom(ctx, total); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("media cache: %w", err)
	}
	if err := c.st.SaveMediaFile(ctx, store.MediaFile{Key: key, Bytes: total, CreatedAt: c.opts.Now()}); err != nil {
		// A file the store does not know of would never be evicted.
		os.RemoveAll(final)
		return nil, err
	}
	return c.hold(up), nil
}

// videoFile finds the stored file of a video key, and its container.
func (c *Cache) videoFile(key string, want Container) (string, error) {
	p := filepath.Join(c.keyDir(key), "video."+string(want))
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("media cache: %w", err)
	}
	return p, nil
}

// posterSize is the poster's size at the cache's largest width: the video's
// shape when it says and is not absurd, else 16:9.
func posterSize(info VideoInfo, width int) (int, int) {
	h := width * 9 / 16
	if info.Width > 0 && info.Height > 0 {
		ratio := float64(info.Height) / float64(info.Width)
		if ratio >= 0.3 && ratio <= 3 {
			h = int(math.Round(float64(width) * ratio))
		}
	}
	return width, h
}

// poster draws the still a video is shown with until it plays: campaignwall
// cannot take a frame from the video without a decoder (ffmpeg), so it is a
// calm gradient, tinted by the file's key so videos side by side differ, with
// a play symbol in the middle. The card's text says what the video is about.
func poster(w, h int, key string) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	hue := 0.0
	if k, err := hex.DecodeString(key[:4]); err == nil {
		hue = float64(int(k[0])<<8|int(k[1])) / 65536 * 360
	}
	top, bottom := hsl(hue, 0.45, 0.32), hsl(math.Mod(hue+40, 360), 0.5, 0.16)
	for y := range h {
		t := float64(y) / float64(max(1, h-1))
		c := color.RGBA{lerp(top.R, bottom.R, t), lerp(top.G, bottom.G, t), lerp(top.B, bottom.B, t), 255}
		for x := range w {
			img.SetRGBA(x, y, c)
		}
	}
	// A translucent disc with a white triangle pointing right.
	cx, cy := float64(w)/2, float64(h)/2
	r := float64(min(w, h)) / 7
	for y := int(cy - r); y <= int(cy+r); y++ {
		for x := int(cx - r); x <= int(cx+r); x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			if dx*dx+dy*dy > r*r || !image.Pt(x, y).In(img.Rect) {
				continue
			}
			o := img.RGBAAt(x, y)
			// Triangle with its left side at -0.35r and its tip at +0.5r.
			inTri := dx >= -0.35*r && dx <= 0.5*r && math.Abs(dy) <= (0.5*r-dx)*0.6
			if inTri {
				img.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
			} else {
				img.SetRGBA(x, y, color.RGBA{lerp(o.R, 255, 0.25), lerp(o.G, 255, 0.25), lerp(o.B, 255, 0.25), 255})
			}
		}
	}
	return img
}

func lerp(a, b uint8, t float64) uint8 {
	return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t))
}

func hsl(h, s, l float64) color.RGBA {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	to := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return color.RGBA{to(r), to(g), to(b), 255}
}
