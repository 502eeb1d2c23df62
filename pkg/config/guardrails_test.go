package config

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestGuardrailsDefaults(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want *Guardrails
	}{
		{"absent", "", nil},
		{"empty section", "guardrails: {}\n", &Guardrails{CanaryAction: "block"}},
		{"actions default", "guardrails:\n  banned: [{name: w, phrases: [x]}]\n  pii: {}\n  json_schema: {}\n  moderation: {endpoint: 'http://m:8000/v1'}\n",
			&Guardrails{
				CanaryAction: "block", JSONSchemaAction: "block",
				Banned:     []GuardrailBanned{{Name: "w", Phrases: []string{"x"}, Action: "block"}},
				PII:        &GuardrailPII{Action: "mask"},
				Moderation: &GuardrailModeration{Kind: ModerationOpenAI, Endpoint: "http://m:8000/v1"},
			}},
	}
	base, err := os.ReadFile("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := Parse("test.yaml", append(append([]byte(nil), base...), tt.yaml...), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, snap.Guardrails, cmpopts.IgnoreUnexported(GuardrailModeration{})); diff != "" {
				t.Errorf("guardrails (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGuardrailsModerationKey(t *testing.T) {
	src := []byte("backends: [{name: local, provider: openai_compatible}]\nmodels: [{name: llama, backend: local}]\n" +
		"guardrails:\n  moderation: {endpoint: 'http://m:8000/v1', api_key: {env: MOD_KEY}, timeout: 2s}\n")
	env := func(k string) (string, bool) { return map[string]string{"MOD_KEY": "k-123"}[k], k == "MOD_KEY" }
	snap, err := Parse("test.yaml", src, LoadOptions{ResolveSecrets: true, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if m := snap.Guardrails.Moderation; m.APIKey != "k-123" || m.Timeout != 2*time.Second {
		t.Errorf("moderation = %+v", m)
	}
}
