package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/tokens"
)

// A policy that reads input.request.input_tokens_estimate sees the prompt
// counted as admission counts it, for the model asked for, and can refuse
// a prompt by its size before any provider sees it. The example policy
// policies/examples/prompt-size caps tenant e2e at 200 tokens and tells
// the client its estimate in x-policy-prompt-tokens.
func TestPolicySeesTheTokenEstimate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(configOptions{
		policy: policyAt(filepath.Join(repoRoot, "policies", "examples", "prompt-size"), nil),
	}), withPlainSluice())
	long := strings.Repeat("Summarise the quarterly figures for the board. ", 40) // about 360 tokens
	for _, p := range providers {
		t.Run(p.model, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			body := chatBody(t, p.model, marker, false)
			r := e.do(t, "POST", "/v1/chat/completions", body)
			if r.status != 200 {
				t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
			}
			est, err := (&tokens.Estimator{}).EstimateChat([]byte(body), tokens.ForModel(p.upstream))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := r.header.Get("X-Policy-Prompt-Tokens"), strconv.Itoa(est.Tokens); got != want {
				t.Errorf("the policy saw %s tokens, want %s (pkg/tokens for %s)", got, want, p.upstream)
			}

			marker = newMarker()
			r = e.do(t, "POST", "/v1/chat/completions", chatBody(t, p.model, long+marker, false))
			checkOpenAIError(t, r, 403)
			if reasons := r.header.Get(decisionHeader); reasons == "" {
				t.Errorf("a deny without %s", decisionHeader)
			}
			if !strings.Contains(string(r.body), "tenant e2e may send at most 200") {
				t.Errorf("body = %s, want the policy's reason", r.body)
			}
			e.noUpstream(t, marker)
		})
	}
	t.Run("embeddings", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		body := mustJSON(t, map[string]any{"model": "text-embedding-3-small", "input": []string{long, marker}})
		r := e.do(t, "POST", "/v1/embeddings", body)
		checkOpenAIError(t, r, 403)
		e.noUpstream(t, marker)
	})
	t.Run("anthropic messages", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		body := mustJSON(t, map[string]any{"model": "claude", "max_tokens": 64,
			"messages": []any{map[string]any{"role": "user", "content": long + marker}}})
		r := e.do(t, "POST", "/v1/messages", body)
		if r.status != 403 || !strings.Contains(string(r.body), "may send at most 200") {
			t.Errorf("status %d, body %s; want 403 with the policy's reason", r.status, r.body)
		}
		e.noUpstream(t, marker)
	})
}
