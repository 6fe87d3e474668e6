package wall

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

// assets serves the embedded files and names them with a content hash, so a
// screen that runs for days still picks up new CSS and JS after a deploy (the
// reload that follows a restart fetches new URLs) while caching them for good.
type assets struct {
	fsys    fs.FS
	version map[string]string // file name → short content hash
}

func loadAssets() *assets {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	a := &assets{fsys: sub, version: map[string]string{}}
	entries, _ := fs.ReadDir(sub, ".")
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		a.version[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return a
}

// url is the versioned address of an embedded file.
func (a *assets) url(name string) string {
	u := "/static/wall/" + name
	if v, ok := a.version[name]; ok {
		u += "?v=" + v
	}
	return u
}

func (a *assets) handler(prefix string) http.Handler {
	files := http.StripPrefix(prefix, http.FileServerFS(a.fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[len(prefix):]
		if name == "" || name[len(name)-1] == '/' {
			http.NotFound(w, r) // no directory listings
			return
		}
		if v := r.URL.Query().Get("v"); v != "" && v == a.version[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
