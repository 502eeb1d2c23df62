package e2e

import (
	"fmt"
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
			if got, want := r.header.Get("X-Policy-Prompt-Tokens"), strconv.Itoa(chatTokens(t, body, p.upstream)); got != want {
				t.Errorf("the policy saw %s tokens, want %s (pkg/tokens for %s)", got, want, p.upstream)
			}

			marker = newMarker()
			body = chatBody(t, p.model, long+marker, false)
			r = e.do(t, "POST", "/v1/chat/completions", body)
			checkDenial(t, r, 403, tooLarge(chatTokens(t, body, p.upstream)))
			e.noUpstream(t, marker)
		})
	}
	t.Run("embeddings", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		body := mustJSON(t, map[string]any{"model": "text-embedding-3-small", "input": []string{long, marker}})
		r := e.do(t, "POST", "/v1/embeddings", body)
		est, err := (&tokens.Estimator{}).EstimateEmbeddings([]byte(body), tokens.ForModel("text-embedding-3-small"))
		if err != nil {
			t.Fatal(err)
		}
		checkDenial(t, r, 403, tooLarge(est.Tokens))
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

// chatTokens is pkg/tokens' estimate of a chat body for upstream.
func chatTokens(t *testing.T, body, upstream string) int {
	t.Helper()
	est, err := (&tokens.Estimator{}).EstimateChat([]byte(body), tokens.ForModel(upstream))
	if err != nil {
		t.Fatal(err)
	}
	return est.Tokens
}

// tooLarge is the example policy's reason for tenant e2e.
func tooLarge(tokens int) string {
	return fmt.Sprintf("the prompt is about %d tokens; tenant e2e may send at most 200", tokens)
}
