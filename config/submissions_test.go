package config

import (
	"strings"
	"testing"
	"time"
)

func TestMediaAndSubmissionsDefaults(t *testing.T) {
	cfg, err := Parse("campaignwall.toml", []byte(campaign), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Media != DefaultMedia() {
		t.Errorf("media = %+v, want %+v", cfg.Media, DefaultMedia())
	}
	if cfg.Submissions != DefaultSubmissions() || cfg.Submissions.Enabled {
		t.Errorf("submissions = %+v, want %+v (disabled)", cfg.Submissions, DefaultSubmissions())
	}
}

func TestMediaAndSubmissions(t *testing.T) {
	cfg, err := Parse("campaignwall.toml", []byte(campaign+`
[media]
disk_budget = "5GiB"
max_bytes = "25 MB"

[submissions]
enabled = true
max_photo_bytes = 8388608
max_video_bytes = "40MiB"
max_video_seconds = 30
max_statement_chars = 280
rate_limit = 5
rate_window = "1h"
email_retention = "30d"
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Media{DiskBudget: 5 << 30, MaxBytes: 25_000_000}); cfg.Media != want {
		t.Errorf("media = %+v, want %+v", cfg.Media, want)
	}
	want := Submissions{Enabled: true, MaxPhotoBytes: 8 << 20, MaxVideoBytes: 40 << 20, MaxVideoSeconds: 30,
		MaxStatementChars: 280, RateLimit: 5, RateWindow: time.Hour, EmailRetention: 30 * 24 * time.Hour}
	if cfg.Submissions != want {
		t.Errorf("submissions = %+v, want %+v", cfg.Submissions, want)
	}
}

func TestMediaAndSubmissionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml, want string
	}{
		{"size without a unit it knows", "[media]\ndisk_budget = \"2 terabytes\"\n",
			`campaignwall.toml:5: media.disk_budget: "2 terabytes" is not a size`},
		{"size of the wrong type", "[media]\nmax_bytes = 1.5\n",
			`campaignwall.toml:5: media.max_bytes: want a size such as "20MiB", got a number with a fraction`},
		{"photo larger than the cache takes", "[media]\nmax_bytes = \"5MiB\"\n[submissions]\nmax_photo_bytes = \"10MiB\"\n",
			"campaignwall.toml:7: submissions.max_photo_bytes: 10MiB is out of range (want 64KiB to 5MiB)"},
		{"video longer than a minute", "[submissions]\nmax_video_seconds = 90\n",
			"campaignwall.toml:5: submissions.max_video_seconds: 90 is out of range (want 1 to 60)"},
		{"window that is not a duration", "[submissions]\nrate_window = \"ten minutes\"\n",
			`campaignwall.toml:5: submissions.rate_window: "ten minutes" is not a duration`},
		{"retention in days out of range", "[submissions]\nemail_retention = \"9999d\"\n",
			"campaignwall.toml:5: submissions.email_retention: 9999d is out of range (want 1d to 1825d)"},
		{"unknown key", "[submissions]\nenable = true\n",
			"campaignwall.toml:5: submissions.enable: unknown key (known keys here: email_retention, enabled, max_photo_bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("campaignwall.toml", []byte(campaign+"\n"+tc.toml), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}
