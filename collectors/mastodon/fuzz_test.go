package mastodon

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodePage feeds arbitrary bytes through everything a timeline page
// or a streamed status goes through: whatever a server sends, no panic.
func FuzzDecodePage(f *testing.F) {
	for _, name := range []string{"statuses_eupolis.json", "statuses_regions.json", "statuses_gts.json", "error_404.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"id":1,"reblog":{"reblog":{"uri":"x","visibility":"public"}},"visibility":"public","media_attachments":[{"type":"image","meta":{"original":null}}]}]`))
	src := testSourceURL("https://eupolis.social")
	f.Fuzz(func(t *testing.T, body []byte) {
		statuses, _, err := decodePage(body)
		if err != nil {
			return
		}
		for _, st := range statuses {
			if skipReason(st) == "" {
				p := toPost(st, src, "eupolis.social", testNow)
				if p.URI == "" {
					t.Errorf("collected a post without uri from %s", body)
				}
			}
			carriesTag(st, []string{"cohesionalliance"})
		}
	})
}
