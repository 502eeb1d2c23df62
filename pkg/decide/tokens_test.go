package decide

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// TestTokensCountedForAPolicyThatReadsThem: the stage counts a request's
// tokens for the policy when, and only when, the policy in use can read
// input.request.input_tokens_estimate, and the policy decides on them.
func TestTokensCountedForAPolicyThatReadsThem(t *testing.T) {
	for _, c := range []struct {
		name, rego string
		counts     bool
	}{
		{"reads the estimate", `decision := {"allow": input.request.input_tokens_estimate <= 100}`, true},
		{"reads it through object.get", `decision := {"allow": object.get(input, ["request", "input_tokens_estimate"], 0) <= 100}`, true},
		{"reads other members", `decision := {"allow": object.get(input, ["request", "model"], "") == "gpt-4o"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "policy.rego"), []byte("package sluice\n\n"+c.rego+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			snap, err := config.Parse("test.yaml", []byte(`
backends: [{name: openai, provider: openai, credential: {env: K}}]
models: [{name: gpt-4o, backend: openai}]
policy: {dir: `+dir+`}
`), config.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := New(slog.New(slog.DiscardHandler))
			t.Cleanup(func() { _ = s.Close() })
			if err := s.Reload(context.Background(), snap); err != nil {
				t.Fatal(err)
			}
			counted := 0
			var tokens int64
			s.CountTokensWith(func(*pipeline.Exchange) int64 { counted++; return tokens })
			for _, tokens = range []int64{100, 101} {
				x := &pipeline.Exchange{Config: snap, API: pipeline.APIChat, Model: "gpt-4o", RequestID: "r",
					Identity: &identity.Identity{Authenticated: true}}
				err := s.OnRequest(context.Background(), x)
				if allowed := err == nil; c.counts && allowed != (tokens <= 100) {
					t.Errorf("%d tokens: allowed = %v (%v)", tokens, allowed, err)
				}
			}
			if want := map[bool]int{true: 2, false: 0}[c.counts]; counted != want {
				t.Errorf("counted %d times, want %d", counted, want)
			}
		})
	}
}
