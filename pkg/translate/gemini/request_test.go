package gemini

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
		Provider:   translate.Gemini,
		Backend:    "gemini-main",
		Model:      model,
		Credential: translate.Credential{APIKey: "test-key"},
	}
}

// requestFor builds the translate.Request the parse stage would: the
// operation from the fixture name, stream flags from the body.
func requestFor(name string, body []byte) *translate.Request {
	op := translate.Chat
	if strings.HasPrefix(filepath.Base(name), "embed") {
		op = translate.Embeddings
	}
	req := translatetest.NewRequest(op, body)
	return &req
}

func TestRequestGolden(t *testing.T) {
	for _, name := range translatetest.Glob(t, "testdata/request/*.json") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			body := translatetest.ReadFile(t, name)
			req := requestFor(name, body)
			up, err := fixedTranslator().Request(req, target(gjson.GetBytes(body, "model").Str))
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			var got strings.Builder
			fmt.Fprintf(&got, "%s %s\n", up.Method, up.Path)
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

func TestRequestBasePath(t *testing.T) {
	tg := target("models/gemini 2.5")
	tg.BasePath = "/v1/"
	up, err := New().Request(&translate.Request{Op: translate.Chat, Body: []byte(`{"messages":[{"role":"user","content":"x"}]}`)}, tg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/v1/models/gemini%202.5:generateContent"; up.Path != want {
		t.Errorf("path = %q, want %q", up.Path, want)
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
		{"not an object", `[1]`, gwerror.InvalidJSON, ""},
		{"no messages", `{"model":"m"}`, gwerror.MissingField, "messages"},
		{"only system", `{"messages":[{"role":"system","content":"x"}]}`, gwerror.MissingField, "messages"},
		{"logit_bias", `{` + user + `,"logit_bias":{"50256":-100}}`, gwerror.UnsupportedParam, "logit_bias"},
		{"logprobs", `{` + user + `,"logprobs":true}`, gwerror.UnsupportedParam, "logprobs"},
		{"top_logprobs", `{` + user + `,"top_logprobs":3}`, gwerror.UnsupportedParam, "top_logprobs"},
		{"parallel_tool_calls false", `{` + user + `,"parallel_tool_calls":false}`, gwerror.UnsupportedParam, "parallel_tool_calls"},
		{"functions", `{` + user + `,"functions":[{"name":"f"}]}`, gwerror.UnsupportedParam, "functions"},
		{"audio", `{` + user + `,"audio":{"voice":"alloy"}}`, gwerror.UnsupportedParam, "audio"},
		{"unknown", `{` + user + `,"frobnicate":1}`, gwerror.UnsupportedParam, "frobnicate"},
		{"store true", `{` + user + `,"store":true}`, gwerror.UnsupportedParam, "store"},
		{"service tier", `{` + user + `,"service_tier":"flex"}`, gwerror.UnsupportedParam, "service_tier"},
		{"audio modality", `{` + user + `,"modalities":["text","audio"]}`, gwerror.UnsupportedParam, "modalities"},
		{"temperature type", `{` + user + `,"temperature":"hot"}`, gwerror.InvalidRequest, "temperature"},
		{"max_tokens fraction", `{` + user + `,"max_tokens":1.5}`, gwerror.InvalidRequest, "max_tokens"},
		{"stop number", `{` + user + `,"stop":7}`, gwerror.InvalidRequest, "stop"},
		{"stop mixed", `{` + user + `,"stop":["a",1]}`, gwerror.InvalidRequest, "stop"},
		{"reasoning bogus", `{` + user + `,"reasoning_effort":"extreme"}`, gwerror.UnsupportedParam, "reasoning_effort"},
		{"reasoning none on 3", `{` + user + `,"model":"gemini-3-pro","reasoning_effort":"none"}`, gwerror.UnsupportedParam, "reasoning_effort"},
		{"response_format grammar", `{` + user + `,"response_format":{"type":"grammar"}}`, gwerror.UnsupportedParam, "response_format.type"},
		{"json_schema no schema", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, gwerror.MissingField, "response_format.json_schema.schema"},
		{"recursive schema", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{"$ref":"#/$defs/N","$defs":{"N":{"type":"object","properties":{"next":{"$ref":"#/$defs/N"}}}}}}}}`, gwerror.UnsupportedParam, "response_format.json_schema.schema"},
		{"remote ref", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{"$ref":"https://x/s.json"}}}}`, gwerror.UnsupportedParam, "response_format.json_schema.schema"},
		{"tuple items", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"array","items":[{"type":"string"}]}}}}`, gwerror.UnsupportedParam, "response_format.json_schema.schema"},
		{"multi type", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{"type":["string","integer"]}}}}`, gwerror.UnsupportedParam, "response_format.json_schema.schema"},
		{"allOf two", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{"allOf":[{},{}]}}}}`, gwerror.UnsupportedParam, "response_format.json_schema.schema"},
		{"unknown type", `{` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"decimal"}}}}`, gwerror.InvalidRequest, "response_format.json_schema.schema"},
		{"web search tool", `{` + user + `,"tools":[{"type":"web_search"}]}`, gwerror.UnsupportedParam, "tools[0].type"},
		{"tool without name", `{` + user + `,"tools":[{"type":"function","function":{}}]}`, gwerror.InvalidRequest, "tools[0].function.name"},
		{"tool_choice allowed_tools", `{` + user + `,"tool_choice":{"type":"allowed_tools"}}`, gwerror.UnsupportedParam, "tool_choice.type"},
		{"tool_choice bogus", `{` + user + `,"tool_choice":"sometimes"}`, gwerror.UnsupportedParam, "tool_choice"},
		{"legacy function_call", `{"messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]}`, gwerror.UnsupportedParam, "messages[0].function_call"},
		{"assistant audio", `{"messages":[{"role":"assistant","audio":{"id":"a"}}]}`, gwerror.UnsupportedParam, "messages[0].audio"},
		{"bad role", `{"messages":[{"role":"robot","content":"x"}]}`, gwerror.InvalidRequest, "messages[0].role"},
		{"function role", `{"messages":[{"role":"function","name":"f","content":"x"}]}`, gwerror.UnsupportedParam, "messages[0].role"},
		{"message not object", `{"messages":["hi"]}`, gwerror.InvalidRequest, "messages[0]"},
		{"ftp image", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, gwerror.InvalidRequest, "messages[0].content[0].image_url.url"},
		{"non-base64 data uri", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, gwerror.InvalidRequest, "messages[0].content[0].image_url.url"},
		{"file id", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].file.file_id"},
		{"audio format", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"flac"}}]}]}`, gwerror.UnsupportedParam, "messages[0].content[0].input_audio.format"},
		{"image in system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]},{"role":"user","content":"x"}]}`, gwerror.UnsupportedParam, "messages[0].content[0].type"},
		{"unknown tool id", `{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}]}`, gwerror.InvalidRequest, "messages[1].tool_call_id"},
		{"bad arguments", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, gwerror.InvalidRequest, "messages[1].tool_calls[0].function.arguments"},
		{"call without name", `{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"arguments":"{}"}}]}]}`, gwerror.InvalidRequest, "messages[0].tool_calls[0].function.name"},
		{"content number", `{"messages":[{"role":"user","content":5}]}`, gwerror.InvalidRequest, "messages[0].content"},
		{"embed tokens", `{"input":[[1,2,3]]}`, gwerror.UnsupportedParam, "input"},
		{"embed empty", `{"input":[]}`, gwerror.MissingField, "input"},
		{"embed missing", `{"model":"m"}`, gwerror.MissingField, "input"},
		{"embed format", `{"input":"x","encoding_format":"int8"}`, gwerror.UnsupportedParam, "encoding_format"},
		{"embed unknown", `{"input":"x","truncate":"END"}`, gwerror.UnsupportedParam, "truncate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &translate.Request{Op: translate.Chat, Body: []byte(tc.body)}
			if strings.HasPrefix(tc.name, "embed") {
				req.Op = translate.Embeddings
			}
			model := gjson.Get(tc.body, "model").Str
			if model == "" {
				model = "gemini-2.5-flash"
			}
			_, err := New().Request(req, target(model))
			var ge *gwerror.Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *gwerror.Error", err)
			}
			if ge.Code != tc.code || ge.Param != tc.param {
				t.Errorf("got code %s param %q (%s), want code %s param %q", ge.Code, ge.Param, ge.Message, tc.code, tc.param)
			}
			if ge.Code == gwerror.UnsupportedParam && !strings.Contains(ge.Message, "gemini") {
				t.Errorf("message %q does not name the provider", ge.Message)
			}
		})
	}
}

func TestRequestNeedsKey(t *testing.T) {
	tg := target("m")
	tg.Credential.APIKey = ""
	_, err := New().Request(&translate.Request{Op: translate.Chat, Body: []byte(`{}`)}, tg)
	if !errors.Is(err, gwerror.New(gwerror.Internal, "")) {
		t.Errorf("err = %v, want internal_error", err)
	}
}
