package config

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluice-gw/sluice/pkg/translate"
)

func fakeEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestLoadFull(t *testing.T) {
	env := fakeEnv(map[string]string{
		"OPENAI_API_KEY":    "sk-openai\n",
		"ANTHROPIC_API_KEY": "sk-ant",
		"GEMINI_API_KEY":    "gm",
		"BEDROCK_KEY_ID":    "AKIA",
		"BEDROCK_SECRET":    "s3cr3t",
		"VLLM_TOKEN":        "tok",
	})
	snap, err := Load("testdata/valid/full.yaml", LoadOptions{ResolveSecrets: true, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	wantServer := Server{
		GRPCAddress:          "127.0.0.1:50052",
		AdminAddress:         "127.0.0.1:9091",
		ShutdownGrace:        90 * time.Second,
		MaxRequestBodyBytes:  1 << 20,
		MaxResponseBodyBytes: 32 << 20,
	}
	if diff := cmp.Diff(wantServer, snap.Server); diff != "" {
		t.Errorf("Server (-want +got):\n%s", diff)
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", snap.Warnings)
	}
	tests := []struct {
		model string
		want  translate.Target
	}{
		{"default", translate.Target{
			Provider: translate.OpenAI, Backend: "openai", Model: "gpt-4o-2024-08-06",
			Host: "api.openai.com", BasePath: "/v1", Credential: translate.Credential{APIKey: "sk-openai"},
		}},
		{"azure-gpt-4o", translate.Target{
			Provider: translate.AzureOpenAI, Backend: "azure-eu", Model: "gpt-4o", Deployment: "gpt4o-eu",
			Host: "contoso-eu.openai.azure.com", BasePath: "/openai", APIVersion: "2024-10-21",
			Credential: translate.Credential{APIKey: "azure-secret-value"},
		}},
		{"azure-mini", translate.Target{
			Provider: translate.AzureOpenAI, Backend: "azure-eu", Model: "gpt-4o-mini", Deployment: "gpt-4o-mini",
			Host: "contoso-eu.openai.azure.com", BasePath: "/openai", APIVersion: "2024-10-21",
			Credential: translate.Credential{APIKey: "azure-secret-value"},
		}},
		{"claude", translate.Target{
			Provider: translate.Anthropic, Backend: "anthropic", Model: "claude",
			Host: "api.anthropic.com", APIVersion: "2023-06-01", Credential: translate.Credential{APIKey: "sk-ant"},
		}},
		{"gemini-2.5-flash", translate.Target{
			Provider: translate.Gemini, Backend: "gemini", Model: "gemini-2.5-flash",
			Host: "generativelanguage.googleapis.com", Credential: translate.Credential{APIKey: "gm"},
		}},
		{"bedrock-claude-haiku", translate.Target{
			Provider: translate.Bedrock, Backend: "bedrock", Model: "anthropic.claude-3-5-haiku-20241022-v1:0",
			Host: "bedrock-runtime.eu-west-1.amazonaws.com", Region: "eu-west-1",
			Credential: translate.Credential{AccessKeyID: "AKIA", SecretAccessKey: "s3cr3t"},
		}},
		{"meta-llama/Llama-3.1-8B-Instruct", translate.Target{
			Provider: translate.OpenAICompatible, Backend: "vllm", Model: "meta-llama/Llama-3.1-8B-Instruct",
			Host: "vllm.internal:8000", Credential: translate.Credential{APIKey: "tok"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m, ok := snap.Model(tt.model)
			if !ok {
				t.Fatalf("Model(%q) not found", tt.model)
			}
			if diff := cmp.Diff(tt.want, m.Target()); diff != "" {
				t.Errorf("Target (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	snap, err := Load("testdata/valid/minimal.yaml", LoadOptions{ResolveSecrets: true, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	want := Server{
		GRPCAddress:          DefaultGRPCAddress,
		AdminAddress:         DefaultAdminAddress,
		ShutdownGrace:        DefaultShutdownGrace,
		MaxRequestBodyBytes:  DefaultMaxRequestBodyBytes,
		MaxResponseBodyBytes: DefaultMaxResponseBodyBytes,
	}
	if diff := cmp.Diff(want, snap.Server); diff != "" {
		t.Errorf("Server (-want +got):\n%s", diff)
	}
	m, ok := snap.Model("llama")
	if !ok {
		t.Fatal("model llama missing")
	}
	wantModel := &Model{Name: "llama", Backend: snap.Backends["local"], UpstreamModel: "llama", OwnedBy: "openai_compatible"}
	if diff := cmp.Diff(wantModel, m, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Model (-want +got):\n%s", diff)
	}
	if got := snap.Proto.GetLimits().GetMaxRequestBodyBytes(); got != DefaultMaxRequestBodyBytes {
		t.Errorf("Proto limits not defaulted: %d", got)
	}
}

func TestModelLookup(t *testing.T) {
	snap, err := Load("testdata/valid/full.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"gpt-4o", "gpt-4o", true},
		{"gpt4o", "gpt-4o", true},
		{"default", "gpt-4o", true},
		{"claude", "claude", true},
		{"gpt-4o-2024-08-06", "", false}, // upstream names are not public names
		{"GPT-4o", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := snap.Model(tt.name)
			if ok != tt.ok || ok && m.Name != tt.want {
				t.Errorf("Model(%q) = %v, %v; want %q, %v", tt.name, m, ok, tt.want, tt.ok)
			}
		})
	}
	var names []string
	for _, m := range snap.Models {
		names = append(names, m.Name)
	}
	want := []string{"gpt-4o", "azure-gpt-4o", "azure-mini", "claude", "gemini-2.5-flash", "bedrock-claude-haiku", "meta-llama/Llama-3.1-8B-Instruct"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Models order (-want +got):\n%s", diff)
	}
}

func TestVersion(t *testing.T) {
	a, err := Parse("a.yaml", []byte("backends: [{name: l, provider: openai_compatible}]\nmodels: [{name: m, backend: l}]\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("backends: [{name: l, provider: openai_compatible}]\nmodels: [{name: n, backend: l}]\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Version) != 12 || a.Version == b.Version {
		t.Errorf("versions %q and %q: want 12 hex digits, distinct", a.Version, b.Version)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml", LoadOptions{})
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("Load = %v, want a read error that is not ErrInvalid", err)
	}
}

func TestUnusedBackendWarning(t *testing.T) {
	src := "backends:\n  - name: a\n    provider: openai_compatible\n  - name: b\n    provider: openai_compatible\nmodels:\n  - name: m\n    backend: a\n"
	snap, err := Parse("u.yaml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`u.yaml:4: backends[1]: backend "b" is not used by any model`}
	if diff := cmp.Diff(want, snap.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"8388608", 8 << 20, true},
		{"8MiB", 8 << 20, true},
		{"8 MiB", 8 << 20, true},
		{"512KiB", 512 << 10, true},
		{"1GiB", 1 << 30, true},
		{"100B", 100, true},
		{"-1", -1, true},
		{"8MB", 0, false},
		{"1.5MiB", 0, false},
		{"MiB", 0, false},
		{"9999999999999GiB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseBytes(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseBytes(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}
