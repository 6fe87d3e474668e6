package config

import (
	"maps"
	"strings"
	"testing"
)

func TestCTAAndLanguage(t *testing.T) {
	const url = "https://cor.europa.eu/en/engage/Pages/cohesion-alliance.aspx"
	tests := []struct {
		name     string
		toml     string
		wantErr  []string // each must appear in the error; none means valid
		wantCTA  CTA
		wantLang string
	}{
		{name: "neither", toml: campaign, wantLang: "en"},
		{name: "campaign language", toml: "[campaign]\nhashtags = [\"CohesionAlliance\"]\nlanguage = \"pl\"\n", wantLang: "pl"},
		{
			name:    "unknown language",
			toml:    "[campaign]\nhashtags = [\"CohesionAlliance\"]\nlanguage = \"english\"\n",
			wantErr: []string{`campaignwall.toml:3: campaign.language: "english" is not one of the EU's languages`},
		},
		{
			name:     "cta with messages",
			toml:     campaign + "[cta]\nsigning_url = \"" + url + "\"\nmessage = \"Sign now\"\n[cta.messages]\nde = \"Jetzt unterzeichnen\"\nga = \"Sínigh anois\"\n",
			wantCTA:  CTA{Enabled: true, SigningURL: url, Message: "Sign now", Messages: map[string]string{"de": "Jetzt unterzeichnen", "ga": "Sínigh anois"}},
			wantLang: "en",
		},
		{
			name:     "cta disabled",
			toml:     campaign + "[cta]\nenabled = false\n",
			wantLang: "en",
		},
		{
			name:    "cta without url",
			toml:    campaign + "[cta]\nmessage = \"Sign\"\n",
			wantErr: []string{"campaignwall.toml:3: cta.signing_url: is required"},
		},
		{
			name:    "cta with a bad url",
			toml:    campaign + "[cta]\nsigning_url = \"javascript:alert(1)\"\n",
			wantErr: []string{"campaignwall.toml:4: cta.signing_url: want an http or https URL"},
		},
		{
			name:    "cta url too long for a QR code",
			toml:    campaign + "[cta]\nsigning_url = \"https://example.org/" + strings.Repeat("a", 300) + "\"\n",
			wantErr: []string{"campaignwall.toml:4: cta.signing_url: is 320 characters long"},
		},
		{
			name:    "cta message in an unknown language",
			toml:    campaign + "[cta]\nsigning_url = \"" + url + "\"\n[cta.messages]\nxx = \"hi\"\n",
			wantErr: []string{`campaignwall.toml:6: cta.messages.xx: "xx" is not one of the EU's languages`},
		},
		{
			name:    "cta unknown key",
			toml:    campaign + "[cta]\nsigning_url = \"" + url + "\"\nqr = true\n",
			wantErr: []string{"campaignwall.toml:5: cta.qr: unknown key (known keys here: enabled, message, messages, signing_url)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("campaignwall.toml", []byte(tt.toml), nil)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.CTA
			if got.Enabled != tt.wantCTA.Enabled || got.SigningURL != tt.wantCTA.SigningURL || got.Message != tt.wantCTA.Message || !maps.Equal(got.Messages, tt.wantCTA.Messages) {
				t.Errorf("CTA = %+v, want %+v", got, tt.wantCTA)
			}
			if cfg.Campaign.Language != tt.wantLang {
				t.Errorf("Campaign.Language = %q, want %q", cfg.Campaign.Language, tt.wantLang)
			}
		})
	}
}
