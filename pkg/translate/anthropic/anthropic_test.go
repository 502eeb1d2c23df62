package anthropic

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// fixed is the translator with a constant clock, so `created` is stable
// in golden files.
var fixed = &translator{now: func() time.Time { return time.Unix(1700000000, 0) }}

func TestRequestGolden(t *testing.T) {
	translatetest.RunRequests(t, "testdata/request", fixed, true)
}

func TestResponseGolden(t *testing.T) {
	translatetest.RunResponses(t, "testdata/response", fixed)
}

func TestStreamGolden(t *testing.T) {
	translatetest.RunStreams(t, "testdata/stream", fixed.Stream)
}

func TestRequestRejects(t *testing.T) {
	tests := []struct {
		name, body string
		code       gwerror.Code
		param, msg string
	}{
		{"n", `{"messages":[],"n":2}`, gwerror.UnsupportedParam, "n", "parameter 'n' is not supported by provider anthropic"},
		{"logprobs", `{"messages":[],"logprobs":true}`, gwerror.UnsupportedParam, "logprobs", "parameter 'logprobs' is not supported by provider anthropic"},
		{"top_logprobs", `{"messages":[],"top_logprobs":3}`, gwerror.UnsupportedParam, "top_logprobs", "parameter 'top_logprobs' is not supported by provider anthropic"},
		{"seed", `{"messages":[],"seed":42}`, gwerror.UnsupportedParam, "seed", "parameter 'seed' is not supported by provider anthropic"},
		{"presence_penalty", `{"messages":[],"presence_penalty":0.5}`, gwerror.UnsupportedParam, "presence_penalty", "parameter 'presence_penalty' is not supported by provider anthropic"},
		{"frequency_penalty", `{"messages":[],"frequency_penalty":-1}`, gwerror.UnsupportedParam, "frequency_penalty", "parameter 'frequency_penalty' is not supported by provider anthropic"},
		{"logit_bias", `{"messages":[],"logit_bias":{"1":5}}`, gwerror.UnsupportedParam, "logit_bias", "parameter 'logit_bias' is not supported by provider anthropic"},
		{"store", `{"messages":[],"store":true}`, gwerror.UnsupportedParam, "store", "parameter 'store' is not supported by provider anthropic"},
		{"reasoning_effort", `{"messages":[],"reasoning_effort":"high"}`, gwerror.UnsupportedParam, "reasoning_effort", "parameter 'reasoning_effort' is not supported by provider anthropic"},
		{"audio modality", `{"messages":[],"modalities":["text","audio"]}`, gwerror.UnsupportedParam, "modalities", "parameter 'modalities' is not supported by provider anthropic"},
		{"service_tier flex", `{"messages":[],"service_tier":"flex"}`, gwerror.UnsupportedParam, "service_tier", "parameter 'service_tier' is not supported by provider anthropic"},
		{"legacy functions", `{"messages":[],"functions":[]}`, gwerror.UnsupportedParam, "functions", "parameter 'functions' is not supported by provider anthropic"},
		{"unknown parameter", `{"messages":[],"frobnicate":1}`, gwerror.UnsupportedParam, "frobnicate", "parameter 'frobnicate' is not supported by provider anthropic"},
		{"response_format with tools", `{"messages":[],"response_format":{"type":"json_object"},"tools":[{"type":"function","function":{"name":"f"}}]}`,
			gwerror.UnsupportedParam, "response_format", "parameter 'response_format' together with 'tools' is not supported by provider anthropic"},
		{"response_format unknown", `{"messages":[],"response_format":{"type":"grammar"}}`, gwerror.UnsupportedParam, "response_format", "parameter 'response_format' is not supported by provider anthropic"},
		{"custom tool", `{"messages":[],"tools":[{"type":"custom","custom":{"name":"x"}}]}`, gwerror.UnsupportedParam, "tools[0].type", "tool type 'custom' is not supported by provider anthropic"},
		{"tool without name", `{"messages":[],"tools":[{"type":"function","function":{}}]}`, gwerror.MissingField, "tools[0].function.name", "'tools[0].function.name' is required"},
		{"tools not array", `{"messages":[],"tools":{}}`, gwerror.InvalidRequest, "tools", "'tools' must be an array"},
		{"allowed_tools choice", `{"messages":[],"tool_choice":{"type":"allowed_tools"}}`, gwerror.UnsupportedParam, "tool_choice", "parameter 'tool_choice' is not supported by provider anthropic"},
		{"bad tool_choice", `{"messages":[],"tool_choice":"sometimes"}`, gwerror.InvalidRequest, "tool_choice", "unknown tool_choice 'sometimes'"},
		{"temperature above 1", `{"messages":[],"temperature":1.5}`, gwerror.InvalidRequest, "temperature", "parameter 'temperature' must be between 0 and 1 for provider anthropic"},
		{"max_tokens zero", `{"messages":[],"max_tokens":0}`, gwerror.InvalidRequest, "max_tokens", "'max_tokens' must be a positive integer"},
		{"max_completion_tokens fraction", `{"messages":[],"max_completion_tokens":1.5}`, gwerror.InvalidRequest, "max_completion_tokens", "'max_completion_tokens' must be a positive integer"},
		{"stop number", `{"messages":[],"stop":5}`, gwerror.InvalidRequest, "stop", "'stop' must be a string or an array of strings"},
		{"no messages", `{"model":"x"}`, gwerror.MissingField, "messages", "'messages' must be an array"},
		{"invalid JSON", `{"messages":[`, gwerror.InvalidJSON, "", "request body is not valid JSON"},
		{"not an object", `[]`, gwerror.InvalidJSON, "", "request body must be a JSON object"},
		{"message not object", `{"messages":["hi"]}`, gwerror.InvalidRequest, "messages[0]", "'messages[0]' must be an object"},
		{"function role", `{"messages":[{"role":"function","name":"f","content":"x"}]}`, gwerror.UnsupportedParam, "messages[0].role", "role 'function' is not supported by provider anthropic; use tool messages"},
		{"unknown role", `{"messages":[{"role":"robot","content":"x"}]}`, gwerror.InvalidRequest, "messages[0].role", "unknown role 'robot'"},
		{"user content number", `{"messages":[{"role":"user","content":5}]}`, gwerror.InvalidRequest, "messages[0].content", "'messages[0].content' must be a string or an array"},
		{"audio part", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`,
			gwerror.UnsupportedParam, "messages[0].content[0].type", "content part type 'input_audio' is not supported by provider anthropic"},
		{"text part not string", `{"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, gwerror.InvalidRequest, "messages[0].content[0].text", "'messages[0].content[0].text' must be a string"},
		{"image ftp URL", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`,
			gwerror.InvalidRequest, "messages[0].content[0].image_url.url", "image URL must be an http(s) URL or a data URI"},
		{"image data URI not base64", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`,
			gwerror.InvalidRequest, "messages[0].content[0].image_url.url", "image data URI must be base64 encoded (data:<type>;base64,<data>)"},
		{"file id", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`,
			gwerror.UnsupportedParam, "messages[0].content[0].file", "only inline PDF files (file_data as a base64 data URI) are supported by provider anthropic"},
		{"image in system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}`,
			gwerror.InvalidRequest, "messages[0].content[0].type", "content part type 'image_url' is not allowed here"},
		{"bad tool arguments", `{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}`,
			gwerror.InvalidRequest, "messages[0].tool_calls[0].function.arguments", "'messages[0].tool_calls[0].function.arguments' must be a JSON object"},
		{"array tool arguments", `{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`,
			gwerror.InvalidRequest, "messages[0].tool_calls[0].function.arguments", "'messages[0].tool_calls[0].function.arguments' must be a JSON object"},
		{"tool without id", `{"messages":[{"role":"tool","content":"x"}]}`, gwerror.MissingField, "messages[0].tool_call_id", "'messages[0].tool_call_id' is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := translatetest.NewRequest(translate.Chat, []byte(tc.body))
			_, err := New().Request(&req, &translate.Target{Model: "claude"})
			var ge *gwerror.Error
			if !errors.As(err, &ge) {
				t.Fatalf("got %v, want a *gwerror.Error", err)
			}
			if ge.Code != tc.code || ge.Param != tc.param || ge.Message != tc.msg {
				t.Fatalf("got (%s, %q, %q)\nwant (%s, %q, %q)", ge.Code, ge.Param, ge.Message, tc.code, tc.param, tc.msg)
			}
			if ge.HTTPStatus() != 400 {
				t.Fatalf("status %d, want 400", ge.HTTPStatus())
			}
		})
	}
}

func TestRequestNilArguments(t *testing.T) {
	if _, err := New().Request(nil, &translate.Target{}); !errors.Is(err, gwerror.New(gwerror.Internal, "")) {
		t.Fatalf("nil request: %v", err)
	}
	if _, err := New().Request(&translate.Request{Op: translate.Chat}, nil); !errors.Is(err, gwerror.New(gwerror.Internal, "")) {
		t.Fatalf("nil target: %v", err)
	}
}

func TestResponseMalformed(t *testing.T) {
	for _, body := range []string{``, `{"content":`, `[]`, `null`} {
		_, err := New().Response(&translate.Request{}, []byte(body))
		var ge *gwerror.Error
		if !errors.As(err, &ge) || ge.HTTPStatus() != 502 {
			t.Errorf("body %q: got %v, want 502", body, err)
		}
	}
}

func TestError(t *testing.T) {
	err := New().Error(529, nil, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	var ge *gwerror.Error
	if !errors.As(err, &ge) || ge.HTTPStatus() != 502 || ge.Message != "Overloaded" {
		t.Fatalf("got %v", err)
	}
	if ct := New().StreamContentType(); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
}

// TestMessagePath checks the table of message paths, and the paths made
// past its end, against the format they stand for.
func TestMessagePath(t *testing.T) {
	for i := range 2 * len(messagePaths) {
		if got, want := messagePath(i), fmt.Sprintf("messages[%d]", i); got != want {
			t.Fatalf("messagePath(%d) = %q, want %q", i, got, want)
		}
	}
}
