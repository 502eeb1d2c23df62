package bedrock

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

func target(model string) *translate.Target {
	return &translate.Target{
		Provider: translate.Bedrock,
		Backend:  "bedrock-main",
		Model:    model,
		Region:   "us-east-1",
		Credential: translate.Credential{
			AccessKeyID:     "AKIDEXAMPLE",
			SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		},
	}
}

func TestRequestGolden(t *testing.T) {
	for _, name := range translatetest.Glob(t, "testdata/request/*.json") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			body := translatetest.ReadFile(t, name)
			tg := target(gjson.GetBytes(body, "model").Str)
			if strings.Contains(name, "arn") {
				tg.Credential.SessionToken = "session-token-example"
				tg.Region = "us-west-2"
			}
			req := translatetest.NewRequest(translate.Chat, body)
			up, err := fixedTranslator().Request(&req, tg)
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			var got strings.Builder
			fmt.Fprintf(&got, "%s %s\nhost: %s\n", up.Method, up.Path, Host(tg))
			for _, h := range up.Headers {
				fmt.Fprintf(&got, "%s: %s\n", h.Key, h.Value)
			}
			got.WriteString("\n")
			got.Write(translatetest.Indent(t, up.Body))
			got.WriteString("\n")
			translatetest.Golden(t, translatetest.GoldenPath(name), []byte(got.String()))
		})
	}
}

func TestRequestRefused(t *testing.T) {
	const user = `"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		name, body string
		code       gwerror.Code
		param      string
	}{
		{"invalid json", `{"messages":`, gwerror.InvalidJSON, ""},
		{"not an object", `"x"`, gwerror.InvalidJSON, ""},
		{"no messages", `{}`, gwerror.MissingField, "messages"},
		{"only system", `{"messages":[{"role":"system","content":"x"}]}`, gwerror.MissingField, "messages"},
		{"n", `{` + user + `,"n":2}`, gwerror.UnsupportedParam, "n"},
		{"seed", `{` + user + `,"seed":1}`, gwerror.UnsupportedParam, "seed"},
		{"presence_penalty", `{` + user + `,"presence_penalty":0.1}`, gwerror.UnsupportedParam, "presence_penalty"},
		{"frequency_penalty", `{` + user + `,"frequency_penalty":0.1}`, gwerror.UnsupportedParam, "frequency_penalty"},
		{"logit_bias", `{` + user + `,"logit_bias":{"1":2}}`, gwerror.UnsupportedParam, "logit_bias"},
		{"logprobs", `{` + user + `,"logprobs":true}`, gwerror.UnsupportedParam, "logprobs"},
		{"reasoning_effort", `{` + user + `,"reasoning_effort":"low"}`, gwerror.UnsupportedParam, "reasoning_effort"},
		{"parallel_tool_calls", `{` + user + `,"parallel_tool_calls":false}`, gwerror.UnsupportedParam, "parallel_tool_calls"},
		{"unknown", `{` + user + `,"prediction":{"type":"content"}}`, gwerror.UnsupportedParam, "prediction"},
		{"json_object", `{` + user + `,"response_format":{"type":"json_object"}}`, gwerror.UnsupportedParam, "response_format.type"},
		{"json_schema missing", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{}}}`, gwerror.MissingField, "response_format.json_schema.schema"},
		{"temperature type", `{` + user + `,"temperature":true}`, gwerror.InvalidRequest, "temperature"},
		{"max_tokens type", `{` + user + `,"max_completion_tokens":"9"}`, gwerror.InvalidRequest, "max_completion_tokens"},
		{"stop type", `{` + user + `,"stop":{"a":1}}`, gwerror.InvalidRequest, "stop"},
		{"http image", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].image_url.url"},
		{"svg image", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml;base64,PHN2Zz4="}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].image_url.url"},
		{"s3 no ext", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"s3://b/k"}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].image_url.url"},
		{"audio", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].type"},
		{"file id", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"f"}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].file.file_id"},
		{"zip file", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_data":"data:application/zip;base64,UEs="}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].file.file_data"},
		{"file not data uri", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_data":"JVBERi0="}}]}]}`, gwerror.InvalidRequest, "messages[0].content[0].file.file_data"},
		{"legacy function_call", `{"messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]}`, gwerror.UnsupportedParam, "messages[0].function_call"},
		{"assistant audio", `{"messages":[{"role":"assistant","audio":{"id":"a"}}]}`, gwerror.UnsupportedParam, "messages[0].audio"},
		{"bad role", `{"messages":[{"role":"bot","content":"x"}]}`, gwerror.InvalidRequest, "messages[0].role"},
		{"function role", `{"messages":[{"role":"function","content":"x"}]}`, gwerror.UnsupportedParam, "messages[0].role"},
		{"unknown tool id", `{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"z","content":"r"}]}`, gwerror.InvalidRequest, "messages[1].tool_call_id"},
		{"bad arguments", `{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"nope"}}]}]}`, gwerror.InvalidRequest, "messages[0].tool_calls[0].function.arguments"},
		{"call without id", `{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f"}}]}]}`, gwerror.InvalidRequest, "messages[0].tool_calls[0]"},
		{"tool type", `{` + user + `,"tools":[{"type":"code_interpreter"}]}`, gwerror.UnsupportedParam, "tools[0].type"},
		{"tool name", `{` + user + `,"tools":[{"type":"function","function":{"description":"d"}}]}`, gwerror.InvalidRequest, "tools[0].function.name"},
		{"tools not array", `{` + user + `,"tools":{}}`, gwerror.InvalidRequest, "tools"},
		{"choice without tools", `{` + user + `,"tool_choice":"required"}`, gwerror.InvalidRequest, "tool_choice"},
		{"choice bogus", `{` + user + `,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"maybe"}`, gwerror.UnsupportedParam, "tool_choice"},
		{"choice none with history", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"r"}],"tool_choice":"none"}`, gwerror.UnsupportedParam, "tool_choice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New().Request(&translate.Request{Op: translate.Chat, Body: []byte(tc.body)}, target("m"))
			var ge *gwerror.Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *gwerror.Error", err)
			}
			if ge.Code != tc.code || ge.Param != tc.param {
				t.Errorf("got code %s param %q (%s), want code %s param %q", ge.Code, ge.Param, ge.Message, tc.code, tc.param)
			}
			if ge.Code == gwerror.UnsupportedParam && !strings.Contains(ge.Message, "bedrock") {
				t.Errorf("message %q does not name the provider", ge.Message)
			}
		})
	}
}

func TestRequestEmbeddingsRefused(t *testing.T) {
	_, err := New().Request(&translate.Request{Op: translate.Embeddings, Body: []byte(`{"input":"x"}`)}, target("amazon.titan-embed-text-v2:0"))
	if !errors.Is(err, gwerror.New(gwerror.UnsupportedParam, "")) {
		t.Errorf("err = %v, want unsupported_parameter", err)
	}
}

func TestRequestNeedsRegionAndCredentials(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":"x"}]}`)
	for name, mutate := range map[string]func(*translate.Target){
		"region": func(tg *translate.Target) { tg.Region = "" },
		"key":    func(tg *translate.Target) { tg.Credential.AccessKeyID = "" },
		"secret": func(tg *translate.Target) { tg.Credential.SecretAccessKey = "" },
	} {
		tg := target("m")
		mutate(tg)
		_, err := New().Request(&translate.Request{Op: translate.Chat, Body: body}, tg)
		if !errors.Is(err, gwerror.New(gwerror.Internal, "")) {
			t.Errorf("missing %s: err = %v, want internal_error", name, err)
		}
	}
}
