package mockmodel

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// do sends one request to a fresh handler and returns status and body.
func do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	New().ServeHTTP(rec, req)
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

const weatherTool = `{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1},"unit":{"enum":["c","f"]}},"required":["city"]}}}`

func TestChat(t *testing.T) {
	long := strings.Repeat("ü", 70)
	tests := []struct {
		name string
		body string
		want map[string]string // gjson path → expected value
	}{
		{
			name: "echoes the last user message",
			body: `{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"héllo\n  wörld"}]}`,
			want: map[string]string{
				"object":                    "chat.completion",
				"model":                     "m",
				"choices.0.message.role":    "assistant",
				"choices.0.message.content": "Mock reply to: héllo wörld",
				"choices.0.finish_reason":   "stop",
				"usage.prompt_tokens_details.cached_tokens": "0",
			},
		},
		{
			name: "reads text parts and quotes at most 60 runes",
			body: `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"` + long + `"},{"type":"image_url","image_url":{"url":"x"}}]}]}`,
			want: map[string]string{"choices.0.message.content": "Mock reply to: " + strings.Repeat("ü", 60)},
		},
		{
			name: "calls the first tool with schema-shaped arguments",
			body: `{"model":"m","messages":[{"role":"user","content":"weather?"}],"tools":[` + weatherTool + `]}`,
			want: map[string]string{
				"choices.0.message.content":                         "",
				"choices.0.message.tool_calls.0.type":               "function",
				"choices.0.message.tool_calls.0.function.name":      "get_weather",
				"choices.0.message.tool_calls.0.function.arguments": `{"city":"mock","days":1,"unit":"c"}`,
				"choices.0.finish_reason":                           "tool_calls",
			},
		},
		{
			name: "tool_choice none answers in text",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[` + weatherTool + `],"tool_choice":"none"}`,
			want: map[string]string{"choices.0.message.content": "Mock reply to: hi", "choices.0.finish_reason": "stop"},
		},
		{
			name: "answers a tool result in text",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"sunny"}],"tools":[` + weatherTool + `]}`,
			want: map[string]string{"choices.0.message.content": "Mock reply to tool result: sunny"},
		},
		{
			name: "json_object returns a JSON object",
			body: `{"model":"m","messages":[{"role":"user","content":"say \"hi\""}],"response_format":{"type":"json_object"}}`,
			want: map[string]string{"choices.0.message.content": `{"reply":"Mock reply to: say \"hi\""}`},
		},
		{
			name: "json_schema returns a conforming object",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","strict":true,"schema":{"type":"object","properties":{"ok":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}}}}}}}`,
			want: map[string]string{"choices.0.message.content": `{"ok":true,"tags":["mock"]}`},
		},
		{
			name: "max_tokens cuts the reply",
			body: `{"model":"m","messages":[{"role":"user","content":"one two three four five six seven"}],"max_tokens":3}`,
			want: map[string]string{"choices.0.message.content": "Mock reply", "choices.0.finish_reason": "length", "usage.completion_tokens": "3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, http.MethodPost, "/v1/chat/completions", tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			got := map[string]string{}
			for path := range tt.want {
				got[path] = gjson.Get(body, path).String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s\nbody: %s", diff, body)
			}
			u := gjson.Get(body, "usage")
			if u.Get("prompt_tokens").Int() < 1 || u.Get("total_tokens").Int() != u.Get("prompt_tokens").Int()+u.Get("completion_tokens").Int() {
				t.Errorf("implausible usage %s", u.Raw)
			}
		})
	}
}

func TestChatIsDeterministic(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"same"}],"tools":[` + weatherTool + `]}`
	_, a := do(t, http.MethodPost, "/v1/chat/completions", body)
	_, b := do(t, http.MethodPost, "/chat/completions", body)
	for _, path := range []string{"id", "choices.0.message.tool_calls.0.id", "choices.0.message.tool_calls.0.function.arguments", "usage"} {
		if x, y := gjson.Get(a, path).Raw, gjson.Get(b, path).Raw; x != y {
			t.Errorf("%s differs: %s vs %s", path, x, y)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		code, param              string
	}{
		{"invalid JSON", "POST", "/v1/chat/completions", `{"model":`, 400, "invalid_json", ""},
		{"missing model", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 400, "missing_required_field", "model"},
		{"empty messages", "POST", "/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "missing_required_field", "messages"},
		{"bad role", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"robot","content":"x"}]}`, 400, "invalid_request_error", "messages[1].role"},
		{"stream not bool", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, 400, "invalid_request_error", "stream"},
		{"unknown tool_choice", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[` + weatherTool + `],"tool_choice":{"type":"function","function":{"name":"nope"}}}`, 400, "invalid_request_error", "tool_choice"},
		{"bad tool", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`, 400, "invalid_request_error", "tools[0]"},
		{"n above one", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}`, 400, "unsupported_parameter", "n"},
		{"bad max_tokens", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, 400, "invalid_request_error", "max_tokens"},
		{"bad response_format", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}`, 400, "invalid_request_error", "response_format.type"},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405, "method_not_allowed", ""},
		{"unknown path", "POST", "/v1/completions", `{}`, 404, "not_found", ""},
		{"models by POST", "POST", "/v1/models", `{}`, 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d, want %d: %s", status, tt.status, body)
			}
			e := gjson.Get(body, "error")
			if got := e.Get("code").String(); got != tt.code {
				t.Errorf("code = %q, want %q", got, tt.code)
			}
			if got := e.Get("param").String(); got != tt.param {
				t.Errorf("param = %q, want %q", got, tt.param)
			}
			if e.Get("message").String() == "" || e.Get("type").String() == "" {
				t.Errorf("error body lacks message or type: %s", body)
			}
		})
	}
}

func TestContentTypeIsChecked(t *testing.T) {
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	New().ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
}

func TestModels(t *testing.T) {
	status, body := do(t, http.MethodGet, "/v1/models", "")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var ids []string
	for _, m := range gjson.Get(body, "data").Array() {
		ids = append(ids, m.Get("id").String())
	}
	if diff := cmp.Diff(modelIDs, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	_, one := do(t, http.MethodGet, "/v1/models/anything", "")
	if gjson.Get(one, "id").String() != "anything" || gjson.Get(one, "object").String() != "model" {
		t.Errorf("single model: %s", one)
	}
}
