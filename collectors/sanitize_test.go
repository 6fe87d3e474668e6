package collectors

import (
	"strings"
	"testing"
)

func TestSanitizeHTML(t *testing.T) {
	for _, tc := range []struct {
		name     string
		raw      string
		wantHTML []string
		notHTML  []string
		wantText string
	}{
		{
			name:     "mastodon invisible url parts",
			raw:      `<p>Read <a href="https://cor.europa.eu/en/our-work/Pages/CohesionAlliance.aspx" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">cor.europa.eu/en/our-work/Pag</span><span class="invisible">es/CohesionAlliance.aspx</span></a></p>`,
			wantHTML: []string{`href="https://cor.europa.eu/en/our-work/Pages/CohesionAlliance.aspx"`, "cor.europa.eu/en/our-work/Pag…"},
			notHTML:  []string{"es/CohesionAlliance.aspx</span>", ">https://"},
			wantText: "Read cor.europa.eu/en/our-work/Pag…",
		},
		{
			name:     "script and handlers dropped",
			raw:      `<p>Hi<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a></p>`,
			notHTML:  []string{"<script", "onerror", "javascript:", "<img"},
			wantText: "Hix",
		},
		{
			name:     "paragraphs become lines",
			raw:      `<p>Ζήτω η συνοχή!</p><p>Línea dos<br>tres &amp; más</p>`,
			wantText: "Ζήτω η συνοχή!\nLínea dos\ntres & más",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html, text := SanitizeHTML(tc.raw)
			for _, w := range tc.wantHTML {
				if !strings.Contains(html, w) {
					t.Errorf("html %q lacks %q", html, w)
				}
			}
			for _, n := range tc.notHTML {
				if strings.Contains(html, n) {
					t.Errorf("html %q contains %q", html, n)
				}
			}
			if text != tc.wantText {
				t.Errorf("text = %q, want %q", text, tc.wantText)
			}
		})
	}
}

func TestTextToHTML(t *testing.T) {
	got := TextToHTML("Sign <now>: https://example.eu/sign. #CohesionAlliance\nbye")
	want := `Sign &lt;now&gt;: <a href="https://example.eu/sign" rel="nofollow noreferrer noopener" target="_blank">https://example.eu/sign</a>. <span class="hashtag">#CohesionAlliance</span><br>bye`
	if got != want {
		t.Errorf("TextToHTML =\n%s\nwant\n%s", got, want)
	}
}
