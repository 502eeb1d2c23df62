package fakeprovider

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

var backends = []string{BackendOpenAI, BackendAzure, BackendAnthropic, BackendGemini, BackendBedrock}

// models are realistic upstream model names; Bedrock's has the colon that
// SigV4 path encoding trips over.
var models = map[string]string{
	BackendOpenAI:    "gpt-4o-mini",
	BackendAzure:     "my-gpt4o-deployment",
	BackendAnthropic: "claude-sonnet-4-5",
	BackendGemini:    "gemini-2.5-flash",
	BackendBedrock:   "anthropic.claude-3-haiku-20240307-v1:0",
}

// nativeText is where each provider's non-streamed reply carries text.
var nativeText = map[string]string{
	BackendOpenAI:    "choices.0.message.content",
	BackendAzure:     "choices.0.message.content",
	BackendAnthropic: "content.0.text",
	BackendGemini:    "candidates.0.content.parts.0.text",
	BackendBedrock:   "output.message.content.0.text",
}

// nativeUsage is each provider's own usage accounting of the same numbers.
var nativeUsage = map[string]map[string]int64{
	BackendOpenAI: {"usage.prompt_tokens": 12, "usage.prompt_tokens_details.cached_tokens": 4,
		"usage.completion_tokens": 9, "usage.completion_tokens_details.reasoning_tokens": 3, "usage.total_tokens": 21},
	BackendAnthropic: {"usage.input_tokens": 6, "usage.cache_read_input_tokens": 4,
		"usage.cache_creation_input_tokens": 2, "usage.output_tokens": 9},
	BackendGemini: {"usageMetadata.promptTokenCount": 12, "usageMetadata.cachedContentTokenCount": 4,
		"usageMetadata.candidatesTokenCount": 6, "usageMetadata.thoughtsTokenCount": 3, "usageMetadata.totalTokenCount": 21},
	BackendBedrock: {"usage.inputTokens": 6, "usage.cacheReadInputTokens": 4, "usage.cacheWriteInputTokens": 2,
		"usage.outputTokens": 9, "usage.totalTokens": 21},
}

func init() { nativeUsage[BackendAzure] = nativeUsage[BackendOpenAI] }

func usageOf(body string, want map[string]int64) map[string]int64 {
	got := map[string]int64{}
	for path := range want {
		got[path] = gjson.Get(body, path).Int()
	}
	return got
}

func TestChat(t *testing.T) {
	set := StartAll(t)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			res := mustSend(t, chatRequest(t, backend, set.URL(backend), models[backend], false))
			if res.status != http.StatusOK || res.readErr != nil {
				t.Fatalf("status %d, read error %v: %s", res.status, res.readErr, res.body)
			}
			body := string(res.body)
			if got := gjson.Get(body, nativeText[backend]).String(); got != ReplyText {
				t.Errorf("text = %q, want %q", got, ReplyText)
			}
			if diff := cmp.Diff(nativeUsage[backend], usageOf(body, nativeUsage[backend])); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
			if n := len(set.Fake(backend).Requests()); n != 1 {
				t.Errorf("recorded %d requests, want 1", n)
			}
		})
	}
}

func TestChatStream(t *testing.T) {
	set := StartAll(t)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			res := mustSend(t, chatRequest(t, backend, set.URL(backend), models[backend], true))
			if res.status != http.StatusOK || res.readErr != nil {
				t.Fatalf("status %d, read error %v: %s", res.status, res.readErr, res.body)
			}
			frames, partial := decodeStream(t, backend, res.body)
			if partial {
				t.Fatal("stream ends partway through an event")
			}
			if got := streamText(backend, frames); got != ReplyText {
				t.Errorf("streamed text = %q, want %q", got, ReplyText)
			}
			if len(frames) < 4 {
				t.Errorf("only %d events", len(frames))
			}
			checkStreamEnd(t, backend, frames)
		})
	}
}

// checkStreamEnd checks the provider-specific end of a stream: where usage
// arrives and how the stream says it is done.
func checkStreamEnd(t *testing.T, backend string, frames []frame) {
	t.Helper()
	last := frames[len(frames)-1]
	switch backend {
	case BackendOpenAI, BackendAzure:
		if last.data != "[DONE]" {
			t.Errorf("last event %q, want [DONE]", last.data)
		}
		if backend == BackendAzure && gjson.Get(frames[0].data, "choices.#").Int() != 0 {
			t.Errorf("Azure's first chunk should carry only prompt filter results: %s", frames[0].data)
		}
	case BackendAnthropic:
		if last.name != "message_stop" || gjson.Get(frames[len(frames)-2].data, "usage.output_tokens").Int() != OutputTokens {
			t.Errorf("stream should end message_delta(usage), message_stop; ends %q", last.name)
		}
	case BackendGemini:
		want := nativeUsage[BackendGemini]
		if diff := cmp.Diff(want, usageOf(last.data, want)); diff != "" || gjson.Get(last.data, "candidates.0.finishReason").String() != "STOP" {
			t.Errorf("last chunk should finish with full usage (-want +got):\n%s", diff)
		}
	case BackendBedrock:
		want := nativeUsage[BackendBedrock]
		if diff := cmp.Diff(want, usageOf(last.data, want)); diff != "" || last.name != "metadata" {
			t.Errorf("stream should end with metadata usage (-want +got):\n%s", diff)
		}
	}
}

func TestOpenAIStreamUsageOnRequest(t *testing.T) {
	set := StartAll(t)
	for _, include := range []bool{false, true} {
		body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":` + strconv.FormatBool(include) + `}}`
		req := newRequest(t, BackendOpenAI, set.URL(BackendOpenAI)+"/v1/chat/completions", body,
			http.Header{"Authorization": {"Bearer " + OpenAIKey}})
		frames, _ := decodeStream(t, BackendOpenAI, mustSend(t, req).body)
		usage := frames[len(frames)-2].data
		if got := gjson.Get(usage, "usage.prompt_tokens").Exists(); got != include {
			t.Errorf("include_usage=%v: usage chunk present = %v: %s", include, got, usage)
		}
	}
}

// toolBodies declare one tool, get_weather, in each provider's dialect.
var toolBodies = map[string]string{
	BackendOpenAI:    `{"model":"gpt-4o","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]%s}`,
	BackendAzure:     `{"messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]%s}`,
	BackendAnthropic: `{"model":"claude","max_tokens":64,"messages":[{"role":"user","content":"weather?"}],"tools":[{"name":"get_weather","input_schema":{"type":"object"}}]%s}`,
	BackendGemini:    `{"contents":[{"role":"user","parts":[{"text":"weather?"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT"}}]}]}`,
	BackendBedrock:   `{"messages":[{"role":"user","content":[{"text":"weather?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}}`,
}

func toolRequest(t *testing.T, set *Set, backend string, stream bool) *http.Request {
	t.Helper()
	req := chatRequest(t, backend, set.URL(backend), models[backend], stream)
	body := strings.Replace(toolBodies[backend], "%s", `,"stream":`+strconv.FormatBool(stream), 1)
	return newRequest(t, backend, req.URL.String(), body, stripAuth(req.Header, backend))
}

// stripAuth drops a SigV4 signature so newRequest signs the new body.
func stripAuth(h http.Header, backend string) http.Header {
	h = h.Clone()
	if backend == BackendBedrock {
		h.Del("Authorization")
		h.Del("X-Amz-Date")
	}
	return h
}

func TestToolCalls(t *testing.T) {
	set := StartAll(t)
	nativeCall := map[string][2]string{ // name path, arguments path
		BackendOpenAI:    {"choices.0.message.tool_calls.0.function.name", "choices.0.message.tool_calls.0.function.arguments"},
		BackendAzure:     {"choices.0.message.tool_calls.0.function.name", "choices.0.message.tool_calls.0.function.arguments"},
		BackendAnthropic: {"content.1.name", "content.1.input"},
		BackendGemini:    {"candidates.0.content.parts.0.functionCall.name", "candidates.0.content.parts.0.functionCall.args"},
		BackendBedrock:   {"output.message.content.1.toolUse.name", "output.message.content.1.toolUse.input"},
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			res := mustSend(t, toolRequest(t, set, backend, false))
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			body := string(res.body)
			paths := nativeCall[backend]
			args := gjson.Get(body, paths[1])
			if args.Type == gjson.String {
				args = gjson.Parse(args.Str)
			}
			if name := gjson.Get(body, paths[0]).String(); name != "get_weather" || args.Raw != ToolArguments {
				t.Errorf("tool call %q(%s), want get_weather(%s): %s", name, args.Raw, ToolArguments, body)
			}

			frames, partial := decodeStream(t, backend, mustSend(t, toolRequest(t, set, backend, true)).body)
			if got := streamArgs(backend, frames); partial || got != ToolArguments {
				t.Errorf("streamed arguments %q (partial %v), want %q", got, partial, ToolArguments)
			}
		})
	}
}

func TestEmbeddings(t *testing.T) {
	set := StartAll(t)
	inputs := []string{"héllo", "wörld 🌊"}
	tests := []struct {
		backend, path, body, vectors string
		auth                         http.Header
	}{
		{BackendOpenAI, "/v1/embeddings", `{"model":"text-embedding-3-small","input":["héllo","wörld 🌊"],"dimensions":4}`,
			"data.#.embedding", http.Header{"Authorization": {"Bearer " + OpenAIKey}}},
		{BackendAzure, "/openai/deployments/emb/embeddings?api-version=2024-10-21", `{"input":["héllo","wörld 🌊"],"dimensions":4}`,
			"data.#.embedding", http.Header{"Api-Key": {AzureKey}}},
		{BackendGemini, "/v1beta/models/text-embedding-004:batchEmbedContents",
			`{"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"héllo"}]},"outputDimensionality":4},{"model":"models/text-embedding-004","content":{"parts":[{"text":"wörld 🌊"}]},"outputDimensionality":4}]}`,
			"embeddings.#.values", http.Header{"X-Goog-Api-Key": {GeminiKey}}},
	}
	for _, tt := range tests {
		t.Run(tt.backend, func(t *testing.T) {
			res := mustSend(t, newRequest(t, tt.backend, set.URL(tt.backend)+tt.path, tt.body, tt.auth))
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			var got [][]float32
			for _, v := range gjson.GetBytes(res.body, tt.vectors).Array() {
				var vec []float32
				for _, x := range v.Array() {
					vec = append(vec, float32(x.Float()))
				}
				got = append(got, vec)
			}
			want := [][]float32{Vector(inputs[0], 4), Vector(inputs[1], 4)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("vectors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenAIEmbeddingsBase64(t *testing.T) {
	set := StartAll(t)
	req := newRequest(t, BackendOpenAI, set.URL(BackendOpenAI)+"/v1/embeddings",
		`{"model":"e","input":"x","encoding_format":"base64"}`, http.Header{"Authorization": {"Bearer " + OpenAIKey}})
	got := gjson.GetBytes(mustSend(t, req).body, "data.0.embedding").String()
	if want := vectorBase64(Vector("x", DefaultDimensions)); got != want {
		t.Errorf("embedding = %q, want %q", got, want)
	}
}
