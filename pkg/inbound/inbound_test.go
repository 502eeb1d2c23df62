package inbound_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

func snapshot(t testing.TB) *config.Snapshot {
	t.Helper()
	s, err := config.Parse("t.yaml", []byte(`
backends: [{name: local, provider: openai_compatible}]
models: [{name: m1, aliases: [m1-alias], backend: local}, {name: m2, backend: local, owned_by: acme}]
`), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func codeOf(err error) gwerror.Code {
	if err == nil {
		return ""
	}
	return gwerror.From(err).Code
}

func TestIdentify(t *testing.T) {
	tests := []struct {
		method, path string
		api          pipeline.API
		code         gwerror.Code
	}{
		{"POST", "/v1/chat/completions", pipeline.APIChat, ""},
		{"POST", "/v1/chat/completions?x=1", pipeline.APIChat, ""},
		{"POST", "/v1/embeddings", pipeline.APIEmbeddings, ""},
		{"POST", "/v1/messages", pipeline.APIMessages, ""},
		{"GET", "/v1/models", pipeline.APIModels, ""},
		{"GET", "/v1/models/m1-alias", pipeline.APIModels, ""},
		{"GET", "/v1/chat/completions", pipeline.APIUnknown, gwerror.MethodNotAllowed},
		{"DELETE", "/v1/models/m1", pipeline.APIModels, gwerror.MethodNotAllowed},
		{"POST", "/v1/completions", pipeline.APIUnknown, gwerror.NotFound},
		{"POST", "/", pipeline.APIUnknown, gwerror.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			x := &pipeline.Exchange{Method: tt.method, Path: tt.path, Config: snapshot(t)}
			err := inbound.Identify{}.OnRequestHeaders(context.Background(), x)
			if codeOf(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if x.API != tt.api {
				t.Errorf("api = %v, want %v", x.API, tt.api)
			}
		})
	}
}

func models(t *testing.T, path string, allow []string) (*pipeline.Exchange, error) {
	t.Helper()
	x := &pipeline.Exchange{Method: "GET", Path: path, Config: snapshot(t), ModelAllowlist: allow}
	if err := (inbound.Identify{}).OnRequestHeaders(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	return x, inbound.Models{}.OnRequest(context.Background(), x)
}

func TestModelList(t *testing.T) {
	tests := []struct {
		name, path string
		allow      []string
		want       string
		code       gwerror.Code
	}{
		{"all without policy", "/v1/models", nil, `["m1","m1-alias","m2"]`, ""},
		{"only what policy allows", "/v1/models", []string{"m2"}, `["m2"]`, ""},
		{"nothing allowed", "/v1/models", []string{}, `[]`, ""},
		{"one by alias", "/v1/models/m1-alias", nil, "", ""},
		{"hidden model is not found", "/v1/models/m1", []string{"m2"}, "", gwerror.ModelNotFound},
		{"unknown model", "/v1/models/nope", nil, "", gwerror.ModelNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := models(t, tt.path, tt.allow)
			if codeOf(err) != tt.code {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if err != nil || tt.want == "" {
				return
			}
			if got := gjson.GetBytes(x.Reply.Body, "data.#.id").Raw; got != tt.want {
				t.Errorf("ids = %s, want %s", got, tt.want)
			}
		})
	}
	x, _ := models(t, "/v1/models", nil)
	body := x.Reply.Body
	if got := gjson.GetBytes(body, "data.2.owned_by").String(); got != "acme" {
		t.Errorf("owned_by = %q", got)
	}
	if gjson.GetBytes(body, "object").String() != "list" {
		t.Errorf("not a list: %s", body)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		api    pipeline.API
		body   string
		code   gwerror.Code
		stream bool
		usage  bool
	}{
		{"chat", pipeline.APIChat, `{"model":"m1","messages":[{"role":"user","content":"hi"}]}`, "", false, false},
		{"stream with usage", pipeline.APIChat, `{"model":"m1","stream":true,"stream_options":{"include_usage":true},"messages":[{}]}`, "", true, true},
		{"stream null", pipeline.APIChat, `{"model":"m1","stream":null,"messages":[{}]}`, "", false, false},
		{"empty body", pipeline.APIChat, ``, gwerror.InvalidJSON, false, false},
		{"malformed", pipeline.APIChat, `{"model":`, gwerror.InvalidJSON, false, false},
		{"array body", pipeline.APIChat, `[1]`, gwerror.InvalidJSON, false, false},
		{"no model", pipeline.APIChat, `{"messages":[{}]}`, gwerror.MissingField, false, false},
		{"model not a string", pipeline.APIChat, `{"model":7,"messages":[{}]}`, gwerror.MissingField, false, false},
		{"no messages", pipeline.APIChat, `{"model":"m1"}`, gwerror.MissingField, false, false},
		{"empty messages", pipeline.APIChat, `{"model":"m1","messages":[]}`, gwerror.MissingField, false, false},
		{"stream not bool", pipeline.APIChat, `{"model":"m1","stream":"yes","messages":[{}]}`, gwerror.InvalidRequest, false, false},
		{"embeddings", pipeline.APIEmbeddings, `{"model":"m1","input":"x"}`, "", false, false},
		{"embeddings no input", pipeline.APIEmbeddings, `{"model":"m1"}`, gwerror.MissingField, false, false},
		{"messages api", pipeline.APIMessages, `{"model":"m1","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &pipeline.Exchange{API: tt.api}
			x.Request.Body = []byte(tt.body)
			err := inbound.Parse{}.OnRequest(context.Background(), x)
			if codeOf(err) != tt.code {
				t.Fatalf("err = %v, want code %q", err, tt.code)
			}
			if err != nil {
				if s := gwerror.From(err).HTTPStatus(); s != 400 {
					t.Errorf("bad input must be a 400, got %d", s)
				}
				return
			}
			if x.Model != "m1" || x.Request.Stream != tt.stream || x.Request.IncludeUsage != tt.usage {
				t.Errorf("summary = model %q stream %v usage %v", x.Model, x.Request.Stream, x.Request.IncludeUsage)
			}
		})
	}
}

// FuzzParse: no request body may panic the parser or produce anything but a
// 4xx client error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"model":"m1","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m1","stream":true,"stream_options":{"include_usage":true},"messages":[{}]}`,
		`{"model":"m1","input":["a","b"]}`, `{"model":`, `[]`, `null`, "\xff\xfe", `{"model":"\u0000"}`,
	} {
		f.Add(s, uint8(pipeline.APIChat))
	}
	f.Fuzz(func(t *testing.T, body string, api uint8) {
		x := &pipeline.Exchange{API: pipeline.API(api % 5)}
		x.Request.Body = []byte(body)
		if err := (inbound.Parse{}).OnRequest(context.Background(), x); err != nil {
			if s := gwerror.From(err).HTTPStatus(); s != 400 {
				t.Fatalf("status %d for %q", s, body)
			}
		}
	})
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name, api, body string
		check           func(t *testing.T, s pipeline.Summary)
	}{
		{"openai chat", "chat", `{"model":"m1","max_tokens":50,"temperature":0.2,"response_format":{"type":"json_object"},
			"tools":[{"type":"function","function":{"name":"search"}}],
			"messages":[{"role":"system","content":"sys"},{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:x"}}]},{"role":"assistant","content":"ok"},{"role":"user","content":"last one"}]}`,
			func(t *testing.T, s pipeline.Summary) {
				if s.MaxTokens != 50 || s.MessageCount != 4 || s.Images != 1 || s.LastUserMessage != "last one" {
					t.Errorf("summary %+v", s)
				}
				if len(s.ToolNames) != 1 || s.ToolNames[0] != "search" {
					t.Errorf("tools %v", s.ToolNames)
				}
				if s.Parameters["temperature"] != 0.2 || s.Parameters["response_format"] != "json_object" {
					t.Errorf("parameters %v", s.Parameters)
				}
			}},
		{"anthropic messages", "messages", `{"model":"m1","max_tokens":9,"tools":[{"name":"calc","input_schema":{}}],
			"messages":[{"role":"user","content":[{"type":"image","source":{}},{"type":"text","text":"what is this"}]}]}`,
			func(t *testing.T, s pipeline.Summary) {
				if s.MaxTokens != 9 || s.Images != 1 || s.LastUserMessage != "what is this" || s.ToolNames[0] != "calc" {
					t.Errorf("summary %+v", s)
				}
			}},
		{"excerpt is bounded on a rune boundary", "chat", `{"model":"m1","messages":[{"role":"user","content":"` + strings.Repeat("é", 600) + `"}]}`,
			func(t *testing.T, s pipeline.Summary) {
				if len(s.LastUserMessage) > pipeline.LastUserMessageMax || !utf8.ValidString(s.LastUserMessage) {
					t.Errorf("excerpt of %d bytes, valid=%v", len(s.LastUserMessage), utf8.ValidString(s.LastUserMessage))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &pipeline.Exchange{API: pipeline.APIChat}
			if tt.api == "messages" {
				x.API = pipeline.APIMessages
			}
			x.Request.Body = []byte(tt.body)
			if err := (inbound.Parse{}).OnRequest(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			tt.check(t, x.Summary)
		})
	}
}
