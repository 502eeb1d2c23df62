package e2e

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// Every provider, through the SDK, non-streamed: the reply text, finish
// reason and usage come back in OpenAI's shape, and the provider received
// its own credential at its own endpoint.
func TestChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			checkChat(t, e, p)
		})
	}
}

func checkChat(t *testing.T, e *env, p provider) {
	t.Helper()
	marker := newMarker()
	resp, err := e.client.Chat.Completions.New(ctxFor(t), openai.ChatCompletionNewParams{
		Model: p.model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("Answer in one line."),
			openai.UserMessage("Say hello. " + marker),
		},
	})
	if err != nil {
		t.Fatalf("chat via %s: %v", p.backend, describe(err))
	}
	if resp.Object != "chat.completion" {
		t.Errorf("object = %q, want chat.completion", resp.Object)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("got %d choices, want 1: %s", len(resp.Choices), resp.RawJSON())
	}
	c := resp.Choices[0]
	if c.Message.Content != fp.ReplyText {
		t.Errorf("content = %q, want %q", c.Message.Content, fp.ReplyText)
	}
	if c.Message.Role != "assistant" {
		t.Errorf("role = %q, want assistant", c.Message.Role)
	}
	if c.FinishReason != "stop" {
		t.Errorf("finish_reason = %q, want stop", c.FinishReason)
	}
	checkUsage(t, p, resp.Usage)
	r := e.upstream(t, p.backend, marker)
	checkChatRoute(t, p, r, false)
	checkCredential(t, p.backend, r)
}

// checkUsage asserts the fakes' token counts, normalized to OpenAI's
// accounting: prompt tokens include cache reads and writes, completion
// tokens include reasoning.
func checkUsage(t *testing.T, p provider, u openai.CompletionUsage) {
	t.Helper()
	got := [...]int64{u.PromptTokens, u.CompletionTokens, u.TotalTokens, u.PromptTokensDetails.CachedTokens}
	want := [...]int64{fp.InputTokens, fp.OutputTokens, fp.TotalTokens, fp.CachedTokens}
	if got != want {
		t.Errorf("%s usage (prompt, completion, total, cached) = %v, want %v; usage: %s", p.backend, got, want, u.RawJSON())
	}
	if p.reasoning && u.CompletionTokensDetails.ReasoningTokens != fp.ReasoningTokens {
		t.Errorf("%s reasoning tokens = %d, want %d; usage: %s", p.backend, u.CompletionTokensDetails.ReasoningTokens, fp.ReasoningTokens, u.RawJSON())
	}
}

// weatherTool is the tool every tool test offers. The fakes call the first
// tool with fakeprovider.ToolArguments.
func weatherTool() []openai.ChatCompletionToolUnionParam {
	return []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("The forecast for a city."),
		Parameters: shared.FunctionParameters{
			"type": "object",
			"properties": map[string]any{
				"city": map[string]any{"type": "string"},
				"days": map[string]any{"type": "integer"},
			},
			"required": []string{"city", "days"},
		},
	})}
}

func TestToolCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range providers {
		t.Run(p.backend, func(t *testing.T) {
			t.Parallel()
			marker := newMarker()
			resp, err := e.client.Chat.Completions.New(ctxFor(t), openai.ChatCompletionNewParams{
				Model:    p.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Zürich? " + marker)},
				Tools:    weatherTool(),
			})
			if err != nil {
				t.Fatalf("tool call via %s: %v", p.backend, describe(err))
			}
			if len(resp.Choices) != 1 {
				t.Fatalf("got %d choices, want 1: %s", len(resp.Choices), resp.RawJSON())
			}
			c := resp.Choices[0]
			if c.FinishReason != "tool_calls" {
				t.Errorf("finish_reason = %q, want tool_calls", c.FinishReason)
			}
			if len(c.Message.ToolCalls) != 1 {
				t.Fatalf("got %d tool calls, want 1: %s", len(c.Message.ToolCalls), resp.RawJSON())
			}
			tc := c.Message.ToolCalls[0]
			if tc.Type != "function" || tc.ID == "" {
				t.Errorf("tool call type = %q, id = %q, want function with an id", tc.Type, tc.ID)
			}
			if tc.Function.Name != "get_weather" {
				t.Errorf("tool name = %q, want get_weather", tc.Function.Name)
			}
			checkArguments(t, tc.Function.Arguments)
			e.upstream(t, p.backend, marker)
		})
	}
}

// checkArguments asserts a tool call's arguments are the provider's,
// byte for byte: the fakes send fakeprovider.ToolArguments, and a client
// may hash or log them.
func checkArguments(t *testing.T, got string) {
	t.Helper()
	if got != fp.ToolArguments {
		t.Errorf("tool arguments = %q, want exactly %q", got, fp.ToolArguments)
		jsonEqual(t, "tool arguments as JSON", got, fp.ToolArguments)
	}
}

// GET /v1/models lists every public name and alias, in config order, and
// nothing else: no upstream names, no backends.
func TestModels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	page, err := e.client.Models.List(ctx)
	if err != nil {
		t.Fatalf("listing models: %v", describe(err))
	}
	var ids []string
	owner := map[string]string{}
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		owner[m.ID] = m.OwnedBy
		if m.Object != "model" {
			t.Errorf("model %s object = %q, want model", m.ID, m.Object)
		}
	}
	if want := publicModels(); !slices.Equal(ids, want) {
		t.Errorf("model ids = %q, want %q", ids, want)
	}
	for _, p := range providers {
		if owner[p.model] != p.backend {
			t.Errorf("model %s owned_by = %q, want the provider %q", p.model, owner[p.model], p.backend)
		}
	}
	m, err := e.client.Models.Get(ctx, claudeAlias)
	if err != nil {
		t.Fatalf("getting model %s: %v", claudeAlias, describe(err))
	}
	if m.ID != claudeAlias || m.OwnedBy != fp.BackendAnthropic {
		t.Errorf("GET /v1/models/%s = {id %q, owned_by %q}, want {%q, anthropic}", claudeAlias, m.ID, m.OwnedBy, claudeAlias)
	}
}

// A parameter a provider cannot honour is a 400 that names the parameter
// and the provider, before anything is sent upstream.
func TestUnsupportedParameter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker := newMarker()
	_, err := e.client.Chat.Completions.New(ctxFor(t), openai.ChatCompletionNewParams{
		Model:    "claude",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Two answers. " + marker)},
		N:        openai.Int(2),
	})
	checkParamError(t, err, "n", "anthropic")
	e.noUpstream(t, marker)
}

// checkParamError asserts err is a 400 whose param is param and whose
// message names both the parameter and the provider.
func checkParamError(t *testing.T, err error, param, provider string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want a 400 API error", err)
	}
	if apiErr.StatusCode != 400 {
		t.Errorf("status = %d, want 400: %s", apiErr.StatusCode, apiErr.RawJSON())
	}
	if !strings.HasPrefix(apiErr.Param, param) {
		t.Errorf("param = %q, want %q: %s", apiErr.Param, param, apiErr.RawJSON())
	}
	if !mentions(apiErr.Message, param) {
		t.Errorf("message %q does not name the parameter %q", apiErr.Message, param)
	}
	if !strings.Contains(strings.ToLower(apiErr.Message), provider) {
		t.Errorf("message %q does not name the provider %q", apiErr.Message, provider)
	}
}

// mentions reports whether word occurs in s as a whole word.
func mentions(s, word string) bool {
	ident := func(b byte) bool {
		return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !ident(s[start-1])) && (end == len(s) || !ident(s[end])) {
			return true
		}
		i = start + 1
	}
}

// describe adds the body of an API error, which its Error() leaves out.
func describe(err error) string {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return apiErr.Error() + ": " + apiErr.RawJSON()
	}
	return err.Error()
}
