package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const protectYAML = `
backends:
  - name: openai
    provider: openai
    credential: {env: OPENAI_API_KEY}
models:
  - name: gpt-4o
    backend: openai
data_protection:
  actions:
    EMAIL_ADDRESS: pseudonymize
    US_SSN: hash
  hash_key: {env: SLUICE_HASH_KEY}
  strip_invisible: true
  custom:
    - type: PROJECT
      phrases: [falcon]
  canary: {enabled: true}
  presidio: {url: "http://presidio:3000", failure_mode: open}
`

func TestDataProtection(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "SLUICE_HASH_KEY" {
			return " k3y \n", true
		}
		return "x", true
	}
	snap, err := Parse("sluice.yaml", []byte(protectYAML), LoadOptions{ResolveSecrets: true, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	d := snap.DataProtection
	if d == nil {
		t.Fatal("DataProtection is nil")
	}
	if string(d.HashKey) != "k3y" || !d.HashKeyConfigured {
		t.Errorf("hash key %q configured=%v", d.HashKey, d.HashKeyConfigured)
	}
	got := map[string]string{
		"EMAIL_ADDRESS":  d.Action("EMAIL_ADDRESS", false),
		"US_SSN":         d.Action("US_SSN", false),
		"PHONE_NUMBER":   d.Action("PHONE_NUMBER", false),
		"AWS_ACCESS_KEY": d.Action("AWS_ACCESS_KEY", true),
	}
	want := map[string]string{"EMAIL_ADDRESS": "pseudonymize", "US_SSN": "hash", "PHONE_NUMBER": "log", "AWS_ACCESS_KEY": "mask"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if d.Injection == nil || d.Injection.Threshold != 0 {
		t.Errorf("injection = %+v, want on with the detector's threshold", d.Injection)
	}
	if !d.Canary || !d.StripInvisible || len(d.Custom) != 1 {
		t.Errorf("canary %v strip %v custom %d", d.Canary, d.StripInvisible, len(d.Custom))
	}
	if p := d.Presidio; p == nil || !p.FailOpen || p.Timeout != DefaultPresidioTimeout || p.Language != "en" {
		t.Errorf("presidio = %+v", p)
	}
}

func TestDataProtectionAbsent(t *testing.T) {
	src := protectYAML[:strings.Index(protectYAML, "data_protection:")]
	snap, err := Parse("sluice.yaml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.DataProtection != nil {
		t.Error("data protection is on without a data_protection section")
	}
}

func TestHashKeyUnreadable(t *testing.T) {
	_, err := Parse("sluice.yaml", []byte(protectYAML), LoadOptions{RequireSecrets: true, LookupEnv: func(k string) (string, bool) {
		return "x", k != "SLUICE_HASH_KEY"
	}})
	if !errors.Is(err, ErrCredential) {
		t.Fatalf("err = %v, want ErrCredential", err)
	}
	want := "sluice.yaml:13: data_protection.hash_key.env: environment variable SLUICE_HASH_KEY is not set"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}
