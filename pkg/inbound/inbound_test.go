package inbound_test

import (
	"context"
	"testing"

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
		reply        bool
	}{
		{"POST", "/v1/chat/completions", pipeline.APIChat, "", false},
		{"POST", "/v1/chat/completions?x=1", pipeline.APIChat, "", false},
		{"POST", "/v1/embeddings", pipeline.APIEmbeddings, "", false},
		{"POST", "/v1/messages", pipeline.APIMessages, "", false},
		{"GET", "/v1/models", pipeline.APIModels, "", true},
		{"GET", "/v1/models/m1-alias", pipeline.APIModels, "", true},
		{"GET", "/v1/models/nope", pipeline.APIModels, gwerror.ModelNotFound, false},
		{"GET", "/v1/chat/completions", pipeline.APIUnknown, gwerror.MethodNotAllowed, false},
		{"DELETE", "/v1/models/m1", pipeline.APIModels, gwerror.MethodNotAllowed, false},
		{"POST", "/v1/completions", pipeline.APIUnknown, gwerror.NotFound, false},
		{"POST", "/", pipeline.APIUnknown, gwerror.NotFound, false},
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
			if (x.Reply != nil) != tt.reply {
				t.Errorf("reply = %v, want %v", x.Reply != nil, tt.reply)
			}
		})
	}
}

func TestModelList(t *testing.T) {
	x := &pipeline.Exchange{Method: "GET", Path: "/v1/models", Config: snapshot(t)}
	if err := (inbound.Identify{}).OnRequestHeaders(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	body := x.Reply.Body
	if got := gjson.GetBytes(body, "data.#.id").Raw; got != `["m1","m1-alias","m2"]` {
		t.Errorf("ids = %s", got)
	}
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
