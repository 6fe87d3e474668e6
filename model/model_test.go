package model

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSourceNeverPrintsToken(t *testing.T) {
	src := Source{Name: "mastodon.social", Kind: "mastodon", Token: "s3cr3t-token"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("collect", slog.Any("source", src))
	for _, out := range []string{buf.String(), fmt.Sprint(src), fmt.Sprintf("%v %+v %s", src, src, src)} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("token printed: %s", out)
		}
	}
	if !strings.Contains(buf.String(), `"token_set":true`) {
		t.Errorf("log does not say a token is set: %s", buf.String())
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"pending": StatusPending, " Approved ": StatusApproved, "removed": StatusRemoved} {
		if got, ok := ParseStatus(in); !ok || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := ParseStatus("deleted"); ok {
		t.Error("ParseStatus accepted an unknown status")
	}
}
