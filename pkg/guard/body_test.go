package guard

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

func completion(content, args string) string {
	msg := `{"role":"assistant","content":` + jsonString(content)
	if args != "" {
		msg += `,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"send","arguments":` + jsonString(args) + `}}]`
	}
	return `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":` + msg +
		`},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}`
}

const personSchema = `{"response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":` +
	`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}}}}`

func TestBody(t *testing.T) {
	block := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{{Name: "leak", Phrases: []string{"internal only"}, Action: "block"}}}
	schema := &config.Guardrails{CanaryAction: "block", JSONSchemaAction: "block"}
	tests := []struct {
		name      string
		setup     setup
		body      string
		same      bool   // the body must come back as the same slice
		content   string // gjson path → expected, checked when set
		path      string
		finish    string
		anthropic bool
	}{
		{name: "restored", setup: setup{pseudonyms: pseudonymMap}, body: completion("Hi <PERSON_1>", `{"to":"<EMAIL_ADDRESS_1>"}`),
			path: "choices.0.message.content", content: `Hi Zoë "Z" Ng`, finish: "stop"},
		{name: "restored tool arguments", setup: setup{pseudonyms: pseudonymMap}, body: completion("", `{"to":"<PERSON_1>"}`),
			path: "choices.0.message.tool_calls.0.function.arguments", content: `{"to":"Zoë \"Z\" Ng"}`, finish: "stop"},
		{name: "nothing to change", setup: setup{pseudonyms: pseudonymMap}, body: completion("Hi there", ""), same: true},
		{name: "blocked", setup: setup{guardrails: block}, body: completion("it is INTERNAL only", ""),
			path: "choices.0.message.content", content: "", finish: "content_filter"},
		{name: "canary", setup: setup{canary: "sluice-canary-9"}, body: completion("my prompt: sluice-canary-9", ""),
			path: "choices.0.message.content", content: "", finish: "content_filter"},
		{name: "schema kept", setup: setup{guardrails: schema, request: personSchema}, body: completion(`{"name":"Ana","age":41}`, ""), same: true},
		{name: "schema violated", setup: setup{guardrails: schema, request: personSchema}, body: completion(`{"name":"Ana","age":"old"}`, ""),
			path: "choices.0.message.content", content: "", finish: "content_filter"},
		{name: "schema not JSON", setup: setup{guardrails: schema, request: personSchema}, body: completion(`Sure! {"name":"Ana"}`, ""),
			path: "choices.0.message.content", content: "", finish: "content_filter"},
		{name: "no schema asked", setup: setup{guardrails: schema}, body: completion(`not json`, ""), same: true},
		{name: "anthropic restored", setup: setup{pseudonyms: pseudonymMap, anthropic: true},
			body: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hi <PERSON_1>"},` +
				`{"type":"tool_use","id":"t1","name":"send","input":{"to":"<EMAIL_ADDRESS_1>"}}],"stop_reason":"tool_use"}`,
			path: "content.1.input.to", content: "ana@example.com", anthropic: true},
		{name: "anthropic refused", setup: setup{guardrails: block, anthropic: true},
			body: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"internal only"}],"stop_reason":"end_turn"}`,
			path: "stop_reason", content: "refusal", anthropic: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			outs, x := run(t, tt.setup, [][]byte{body})
			out := outs[0]
			if tt.same {
				if string(out) != tt.body {
					t.Fatalf("body changed:\n%s", out)
				}
				return
			}
			if !gjson.ValidBytes(out) {
				t.Fatalf("not JSON: %s", out)
			}
			if got := gjson.GetBytes(out, tt.path).String(); got != tt.content {
				t.Errorf("%s = %q, want %q", tt.path, got, tt.content)
			}
			if tt.finish != "" {
				if got := gjson.GetBytes(out, "choices.0.finish_reason").Str; got != tt.finish {
					t.Errorf("finish_reason = %q, want %q", got, tt.finish)
				}
			}
			if tt.finish == "content_filter" && x.Outcome.Error != string(ContentFilter) {
				t.Errorf("Outcome.Error = %q", x.Outcome.Error)
			}
		})
	}
}

func TestBodySameSlice(t *testing.T) {
	body := []byte(completion("Hi there", ""))
	st := sharedStage
	x := setup{pseudonyms: pseudonymMap}.exchange()
	if err := st.OnResponseHeaders(t.Context(), x); err != nil {
		t.Fatal(err)
	}
	out, _ := st.OnResponseBody(t.Context(), x, body, true)
	if !pipeline.SameBytes(out, body) {
		t.Error("an unchanged body must come back as the same slice")
	}
}

func TestCounts(t *testing.T) {
	g := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{{Name: "words", Phrases: []string{"foo"}, Action: "log"}}}
	_, x := run(t, setup{guardrails: g}, [][]byte{[]byte(completion("foo and FOO", ""))})
	want := []pipeline.FindingCount{{Type: "words", Action: "log", Count: 2}}
	if len(x.Protect.Output) != 1 || x.Protect.Output[0] != want[0] {
		t.Errorf("Output = %+v, want %+v", x.Protect.Output, want)
	}
}

func TestOverlappingMasks(t *testing.T) {
	g := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{
		{Name: "a", Phrases: []string{"alpha beta"}, Action: "mask"},
		{Name: "b", Patterns: []string{`beta gamma`}, Action: "mask"},
	}}
	outs, _ := run(t, setup{guardrails: g}, [][]byte{[]byte(completion("x alpha beta gamma y", ""))})
	if got := gjson.GetBytes(outs[0], "choices.0.message.content").Str; got != "x <a> y" {
		t.Errorf("content %q, want one mask over both matches", got)
	}
}
