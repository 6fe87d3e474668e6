package config

import "testing"

func TestIndexLines(t *testing.T) {
	text := `# a comment with [brackets] and key = value
title = "x" # trailing [comment]

[campaign]
name = "Cohesion # Alliance"
hashtags = [
  "CohesionAlliance", # a comment
  ["not", "a", "table"],
]

[[sources]]
name = "a"
"quoted key" = 1
notes = """
[[sources]]
fake = 1
"""

[[sources]]
name = 'b'
site.css = "main"

[sources.extra]
depth = 2

[ "server" ]
addr = ":8080"
inline = { a = 1, b = [
  2 ] }
after = true
`
	idx := indexLines(text)
	tests := []struct {
		path string
		want int
	}{
		{"title", 2},
		{"campaign", 4},
		{"campaign.name", 5},
		{"campaign.hashtags", 6},
		{"campaign.hashtags[1]", 6},
		{"sources", 11},
		{"sources[0]", 11},
		{"sources[0].name", 12},
		{"sources[0].quoted key", 13},
		{"sources[0].notes", 14},
		{"sources[0].fake", 11}, // inside a string: not a key, so its table
		{"sources[1]", 19},
		{"sources[1].name", 20},
		{"sources[1].site", 21},
		{"sources[1].site.css", 21},
		{"sources[1].extra", 23},
		{"sources[1].extra.depth", 24},
		{"sources[2]", 11}, // no such element: the array's first line
		{"server", 26},
		{"server.addr", 27},
		{"server.inline.b", 28},
		{"server.after", 30},
		{"missing", 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := idx.find(tt.path); got != tt.want {
				t.Errorf("find(%q) = %d, want %d", tt.path, got, tt.want)
			}
		})
	}
}
