// Package media owns the local media cache: it fetches every photo a post
// carries (and the preview image of videos and sounds) once, through the
// guarded HTTP client, checks it, re-encodes it into screen sizes, keeps the
// files on disk content-addressed, and serves them (GET /media/{key}/{size}).
// Screens never load media from other servers, so a wall keeps its photos when
// the venue network or an instance goes down, and small instances are not
// hammered by every screen.
//
// A file is checked before it is decoded: the type is sniffed from the bytes
// (JPEG, PNG, GIF or WebP; the Content-Type header and the file name are not
// trusted), the size is capped while downloading, and the pixel count is read
// from the header so a decompression bomb is refused before any pixel is
// allocated. Every size is a fresh JPEG encoded from decoded pixels, so no
// metadata of the original (EXIF, GPS position, camera serial) survives; the
// EXIF orientation is applied first so phone photos stand upright.
//
// Files people upload (direct submissions, upload.go) are checked more
// strictly: photos must be JPEG, PNG or WebP with nothing after the image and
// no markup in their metadata (imagecheck.go); videos must be MP4 or WebM
// whose container parses completely, with nothing after it, no longer than
// the caller allows (video.go, mp4.go, webm.go). Videos are stored as sent
// (re-encoding needs ffmpeg) and served from /media/video/{key}.mp4|webm with
// a fixed type, no sniffing and range requests; a generated poster in every
// size sits under the same key, so screens show the poster like a photo.
//
// Layout on disk: dir/<key[:2]>/<key>/<width>.jpg (and video.mp4 or
// video.webm for a video), where key is the hex SHA-256 of the original bytes. The store keeps the key on the media row
// (store.SetMediaCacheKey) and each file's size (store.SaveMediaFile), which
// bounds disk use: when DiskBudget is exceeded, files no pending or approved
// post uses are evicted, oldest first (files of rejected or removed posts).
// Photos a screen may show are never evicted; a fetch that does not fit is
// refused with ErrDiskBudget and retried later.
//
// Suggested config keys ([media] table) and the Options they fill:
//
//	dir          = "media"     # the dir argument of New (next to the database)
//	max_bytes    = "20MiB"     # MaxBytes
//	max_pixels   = 40000000    # MaxPixels
//	sizes        = [480, 1280] # Sizes
//	disk_budget  = "2GiB"      # DiskBudget
//	max_attempts = 8           # MaxAttempts
//	backoff      = "1m"        # Backoff
//
// The *http.Client passed to New should come from collectors.NewClient with
// MaxBodyBytes of at least MaxBytes, and without AllowPrivateNetwork.
package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cohesionalliance/campaignwall/collectors"
	"github.com/cohesionalliance/campaignwall/model"
	"github.com/cohesionalliance/campaignwall/store"
)

var (
	// ErrTooLarge: the original file is larger than Options.MaxBytes.
	ErrTooLarge = errors.New("media file too large")
	// ErrUnsupportedType: the bytes are not a JPEG, PNG, GIF or WebP image.
	ErrUnsupportedType = errors.New("unsupported media type")
	// ErrBadImage: the bytes claim to be an image but do not decode as one.
	ErrBadImage = errors.New("broken image")
	// ErrTooManyPixels: the image's header declares more than Options.MaxPixels.
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrDiskBudget: the cache is full of photos screens may still show.
	ErrDiskBudget = errors.New("media cache disk budget exhausted")
	// ErrNothingToFetch: the media row has no image URL to fetch.
	ErrNothingToFetch = errors.New("media has no image to fetch")
	// ErrBadURL: the media URL is not a usable http(s) URL.
	ErrBadURL = errors.New("unusable media URL")
)

// Options tunes a Cache. The zero value gives the defaults noted.
type Options struct {
	MaxBytes    int64         // per original file; default 20 MiB
	MaxPixels   int64         // width × height of the original; default 40 megapixels
	Sizes       []int         // widths served; default 480 and 1280
	DiskBudget  int64         // bytes for all cached files; default 2 GiB
	Quality     int           // JPEG quality; default 82
	BatchSize   int           // media rows FetchPending handles per run; default 50
	MaxAttempts int           // fetches of one media row before giving up; default 8
	Backoff     time.Duration // wait after the first failure, doubling each time; default 1 minute
	MaxBackoff  time.Duration // default 6 hours
	Timeout     time.Duration // per download; default 60 seconds
	Now         func() time.Time
	Logger      *slog.Logger

	// Local resolves URLs that are paths on this server (the demo's embedded
	// photos) to their bytes; nil means only remote URLs are fetched.
	Local func(path string) ([]byte, error)
	// OnCached is called after FetchPending cached a post's media, so the
	// wall can show the post again with its photo.
	OnCached func(ctx context.Context, postID int64)
}

// Cache is the media cache. It is safe for concurrent use.
type Cache struct {
	st     *store.Store
	client *http.Client
	dir    string
	opts   Options
	log    *slog.Logger

	// mu serializes decoding (one image's pixels in memory at a time, so a
	// few large photos cannot exhaust a small server) and the write, record
	// and evict steps (so eviction never deletes a file being handed out).
	mu sync.Mutex
	// held counts uploads per key not yet recorded on a media row (upload.go).
	held map[string]int
}

// New returns a cache keeping its files under dir and fetching with client,
// a client from collectors.NewClient; its MaxBodyBytes should be at least
// opts.MaxBytes.
func New(st *store.Store, client *http.Client, dir string, opts Options) *Cache {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 20 << 20
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = 40_000_000
	}
	if len(opts.Sizes) == 0 {
		opts.Sizes = []int{480, 1280}
	}
	opts.Sizes = slices.Clone(opts.Sizes)
	slices.Sort(opts.Sizes)
	opts.Sizes = slices.Compact(opts.Sizes)
	if opts.DiskBudget <= 0 {
		opts.DiskBudget = 2 << 30
	}
	if opts.Quality <= 0 || opts.Quality > 100 {
		opts.Quality = 82
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 50
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Minute
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 6 * time.Hour
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{st: st, client: guardRedirects(client), dir: dir, opts: opts, log: log}
}

// Sizes returns the widths the cache serves, smallest first.
func (c *Cache) Sizes() []int { return slices.Clone(c.opts.Sizes) }

// Path returns where the handler serves a cached image: /media/{key}/{width}.
func Path(key string, width int) string {
	return "/media/" + key + "/" + strconv.Itoa(width)
}

// Fetch downloads the image of m (a photo's URL, or the preview image of a
// video or sound), checks and caches it, records the cache key on the media
// row when m.ID is set, and returns the key.
func (c *Cache) Fetch(ctx context.Context, m model.Media) (string, error) {
	src := m.URL
	if m.Kind != model.MediaImage || src == "" {
		src = m.PreviewURL
	}
	if src == "" {
		return "", ErrNothingToFetch
	}
	var data []byte
	var err error
	if c.opts.Local != nil && strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "//") {
		data, err = c.opts.Local(src)
	} else {
		data, err = c.download(ctx, src)
	}
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key, err := c.ingest(ctx, data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", src, err)
	}
	if m.ID != 0 {
		if err := c.st.SetMediaCacheKey(ctx, m.ID, key); err != nil {
			return "", err
		}
	}
	return key, nil
}

// Ingest checks and caches an image given as bytes (an upload) and returns
// its cache key. The caller records the key where it belongs.
func (c *Cache) Ingest(ctx context.Context, data []byte) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ingest(ctx, data)
}

func (c *Cache) download(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := collectors.WithDeadline(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadURL, rawURL, err)
	}
	req.Header.Set("Accept", "image/jpeg, image/png, image/webp, image/gif;q=0.8")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &collectors.HTTPError{URL: rawURL, StatusCode: resp.StatusCode,
			RetryAfter: collectors.RetryAfter(resp.Header, c.opts.Now())}
	}
	if resp.ContentLength > c.opts.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w (%d bytes, limit %d)", rawURL, ErrTooLarge, resp.ContentLength, c.opts.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if errors.Is(err, collectors.ErrResponseTooLarge) {
		return nil, fmt.Errorf("fetch %s: %w (the client's size cap)", rawURL, errors.Join(ErrTooLarge, err))
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	if int64(len(data)) > c.opts.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w (more than %d bytes)", rawURL, ErrTooLarge, c.opts.MaxBytes)
	}
	return data, nil
}

// sniffed maps the types http.DetectContentType names to image.Decode's
// format names; anything else is refused.
var sniffed = map[string]string{
	"image/jpeg": "jpeg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// ingest does Ingest's work; c.mu is held.
func (c *Cache) ingest(ctx context.Context, data []byte) (string, error) {
	if int64(len(data)) > c.opts.MaxBytes {
		return "", fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, len(data), c.opts.MaxBytes)
	}
	ctype := http.DetectContentType(data)
	wantFormat, ok := sniffed[ctype]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnsupportedType, ctype)
	}
	// The header alone: a PNG of 50000×50000 is a few hundred bytes on the
	// wire and 10 GB once decoded.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: %s header: %w", ErrBadImage, ctype, err)
	}
	if format != wantFormat {
		return "", fmt.Errorf("%w: bytes sniffed as %s decode as %s", ErrBadImage, ctype, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", fmt.Errorf("%w: %d×%d pixels", ErrBadImage, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > c.opts.MaxPixels {
		return "", fmt.Errorf("%w: %d×%d, limit %d pixels", ErrTooManyPixels, cfg.Width, cfg.Height, c.opts.MaxPixels)
	}

	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:])
	final := c.keyDir(key)
	if _, err := os.Stat(filepath.Join(final, strconv.Itoa(c.opts.Sizes[len(c.opts.Sizes)-1])+".jpg")); err == nil {
		size, err := dirSize(final)
		if err != nil {
			return "", err
		}
		return key, c.st.SaveMediaFile(ctx, store.MediaFile{Key: key, Bytes: size, CreatedAt: c.opts.Now()})
	}

	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrBadImage, ctype, err)
	}
	orientation := 1
	if format == "jpeg" {
		orientation = exifOrientation(data)
	}
	variants, err := c.variants(img, orientation)
	if err != nil {
		return "", err
	}
	var total int64
	for _, v := range variants {
		total += int64(len(v.jpeg))
	}
	if err := c.makeRoom(ctx, total); err != nil {
		return "", err
	}
	if err := c.write(final, variants); err != nil {
		return "", err
	}
	if err := c.st.SaveMediaFile(ctx, store.MediaFile{Key: key, Bytes: total, CreatedAt: c.opts.Now()}); err != nil {
		// A file the store does not know of would never be evicted.
		os.RemoveAll(final)
		return "", err
	}
	return key, nil
}

func (c *Cache) keyDir(key string) string {
	return filepath.Join(c.dir, key[:2], key)
}

// write puts every size of one image in place at once: all files are written
// to a fresh directory that is then renamed to the key's directory, so the
// handler never sees half an entry.
func (c *Cache) write(final string, variants []variant) error {
	tmpRoot := filepath.Join(c.dir, ".tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return fmt.Errorf("media cache: %w", err)
	}
	tmp, err := os.MkdirTemp(tmpRoot, "entry-")
	if err != nil {
		return fmt.Errorf("media cache: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for _, v := range variants {
		if err := os.WriteFile(filepath.Join(tmp, strconv.Itoa(v.width)+".jpg"), v.jpeg, 0o644); err != nil {
			return fmt.Errorf("media cache: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("media cache: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return nil // written meanwhile by another process sharing dir
		}
		return fmt.Errorf("media cache: %w", err)
	}
	return nil
}

func dirSize(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("media cache: %w", err)
	}
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n, nil
}

// makeRoom evicts until need more bytes fit in the budget; c.mu is held.
func (c *Cache) makeRoom(ctx context.Context, need int64) error {
	used, err := c.st.MediaDiskUsage(ctx)
	if err != nil {
		return err
	}
	if used+need <= c.opts.DiskBudget {
		return nil
	}
	freed, err := c.evict(ctx, used+need-c.opts.DiskBudget)
	if err != nil {
		return err
	}
	if used-freed+need > c.opts.DiskBudget {
		return fmt.Errorf("%w: %d of %d bytes used by photos screens may show, %d more needed",
			ErrDiskBudget, used-freed, c.opts.DiskBudget, need)
	}
	return nil
}

// Evict frees disk space down to the budget, removing files no pending or
// approved post uses, oldest first. It returns the bytes freed.
func (c *Cache) Evict(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	used, err := c.st.MediaDiskUsage(ctx)
	if err != nil || used <= c.opts.DiskBudget {
		return 0, err
	}
	return c.evict(ctx, used-c.opts.DiskBudget)
}

// evictGrace keeps a file just written for an upload from being evicted
// before its caller has recorded the key on a media row.
const evictGrace = time.Hour

func (c *Cache) evict(ctx context.Context, want int64) (int64, error) {
	var freed int64
	for freed < want {
		files, err := c.st.EvictableMediaFiles(ctx, c.opts.Now().Add(-evictGrace), 100)
		if err != nil {
			return freed, err
		}
		if len(files) == 0 {
			break
		}
		for _, f := range files {
			removed, err := c.st.RemoveMediaFile(ctx, f.Key)
			if err != nil {
				return freed, err
			}
			if !removed {
				continue
			}
			if err := os.RemoveAll(c.keyDir(f.Key)); err != nil {
				c.log.Error("media cache: deleting evicted file", slog.String("key", f.Key), slog.String("error", err.Error()))
			}
			freed += f.Bytes
			c.log.Info("media cache: evicted", slog.String("key", f.Key), slog.Int64("bytes", f.Bytes))
			if freed >= want {
				break
			}
		}
	}
	return freed, nil
}

// FetchPending is the scheduler's media job: it fetches the media rows that
// are due (store.MediaToFetch), records failures with a growing wait before
// the next try, gives up on permanent failures (wrong type, too large, a
// private address, 404) and after MaxAttempts, then evicts down to the
// budget. It returns how many files it cached; single failures are recorded
// on their rows, not returned.
func (c *Cache) FetchPending(ctx context.Context) (int, error) {
	due, err := c.st.MediaToFetch(ctx, c.opts.Now(), c.opts.BatchSize)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		_, err := c.Fetch(ctx, m.Media)
		if err == nil {
			n++
			if c.opts.OnCached != nil {
				c.opts.OnCached(ctx, m.PostID)
			}
			continue
		}
		if ctx.Err() != nil {
			return n, ctx.Err() // shutting down is not the file's fault
		}
		retryAt := c.retryAt(m.Attempts+1, err)
		c.log.Warn("media fetch failed", slog.Int64("media_id", m.ID), slog.Int64("post_id", m.PostID),
			slog.Int("attempt", m.Attempts+1), slog.Bool("giving_up", retryAt.IsZero()), slog.String("error", err.Error()))
		if err := c.st.RecordMediaFailure(ctx, m.ID, err.Error(), retryAt); err != nil {
			return n, err
		}
	}
	if _, err := c.Evict(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// retryAt says when to try a failed fetch again; zero means never.
func (c *Cache) retryAt(attempts int, err error) time.Time {
	if permanent(err) || attempts >= c.opts.MaxAttempts {
		return time.Time{}
	}
	wait := c.opts.Backoff
	for i := 1; i < attempts && wait < c.opts.MaxBackoff; i++ {
		wait *= 2
	}
	var he *collectors.HTTPError
	if errors.As(err, &he) && he.RetryAfter > wait {
		wait = he.RetryAfter
	}
	return c.opts.Now().Add(min(wait, c.opts.MaxBackoff))
}

// permanent reports failures trying again cannot fix.
func permanent(err error) bool {
	for _, e := range []error{ErrTooLarge, ErrUnsupportedType, ErrBadImage, ErrTooManyPixels,
		ErrNothingToFetch, ErrBadURL, collectors.ErrPrivateAddress, collectors.ErrResponseTooLarge} {
		if errors.Is(err, e) {
			return true
		}
	}
	var he *collectors.HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
			return false
		}
		return he.StatusCode >= 400 && he.StatusCode < 500
	}
	return false
}
