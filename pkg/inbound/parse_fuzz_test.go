package inbound

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// FuzzParseAgainstGjson checks Parse against gjsonParse, the same stage written with
// gjson's validator and ForEach walks: the same verdict, and the same
// request and summary from every body.
func FuzzParseAgainstGjson(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":5,"max_completion_tokens":7,` +
			`"temperature":0.5,"n":-0,"tool_choice":"auto","response_format":{"type":"json_object"},` +
			`"tools":[{"function":{"name":"f"}},{"name":"g"},1],"messages":[{"role":"system","content":"s"},{},` +
			`"x",{"role":"user","content":[{"type":"image_url"},{"type":"text","text":"t"},{"type":"text","text":"u"}]},` +
			`{"content":"late","role":"user","role":"assistant"}]}`,
		`{"model":"m","input":null}`, `{"model":"m","input":["a"]}`, `{"prompt":"p","model":1}`,
		`{"model":"","messages":[]}`, `{"model":"m","messages":{}}`, `{"model":"m","stream":"yes","messages":[1]}`,
		`[]`, `{"model":"m"`, ``, `{"model":"m","messages":[{"role":"user","content":"\u00e9\"x"}],"m\u006fdel":"n"}`,
	} {
		for api := range 4 {
			f.Add(s, uint8(api))
		}
	}
	apis := []pipeline.API{pipeline.APIChat, pipeline.APIMessages, pipeline.APIEmbeddings, pipeline.APIPrompt}
	f.Fuzz(func(t *testing.T, body string, api uint8) {
		got := &pipeline.Exchange{API: apis[int(api)%len(apis)]}
		got.Request.Body = []byte(body)
		want := &pipeline.Exchange{API: got.API}
		want.Request.Body = []byte(body)
		gotErr := Parse{}.OnRequest(context.Background(), got)
		wantErr := gjsonParse(want)
		if codeOf(gotErr) != codeOf(wantErr) {
			t.Fatalf("Parse(%q) = %v, want %v", body, gotErr, wantErr)
		}
		if wantErr != nil {
			return
		}
		if got.Model != want.Model || got.Request.Op != want.Request.Op || got.Request.Stream != want.Request.Stream ||
			got.Request.IncludeUsage != want.Request.IncludeUsage {
			t.Fatalf("Parse(%q): model %q op %v stream %v usage %v; want %q %v %v %v", body, got.Model, got.Request.Op,
				got.Request.Stream, got.Request.IncludeUsage, want.Model, want.Request.Op, want.Request.Stream, want.Request.IncludeUsage)
		}
		if d := cmp.Diff(want.Summary, got.Summary); d != "" {
			t.Fatalf("Parse(%q) summary (-gjson +Parse):\n%s", body, d)
		}
	})
}

func codeOf(err error) gwerror.Code {
	if err == nil {
		return ""
	}
	return gwerror.From(err).Code
}

type gjsonFields struct{ model, stream, messages, input, tools, prompt gjson.Result }

func gjsonParse(x *pipeline.Exchange) error {
	body := x.Request.Body
	if len(body) == 0 {
		return gwerror.New(gwerror.InvalidJSON, "empty")
	}
	if !gjson.ValidBytes(body) {
		return gwerror.New(gwerror.InvalidJSON, "invalid")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return gwerror.New(gwerror.InvalidJSON, "not an object")
	}
	f := gjsonWalk(x, root)
	if x.API == pipeline.APIPrompt || (x.API == pipeline.APIChat && f.prompt.Exists()) {
		return nil
	}
	if f.model.Type != gjson.String || f.model.Str == "" {
		return gwerror.Param(gwerror.MissingField, "model", "model")
	}
	x.Model = f.model.Str
	switch x.API {
	case pipeline.APIChat, pipeline.APIMessages:
		x.Request.Op = translate.Chat
		if !f.messages.IsArray() || !gjsonMessages(&x.Summary, f.messages) {
			return gwerror.Param(gwerror.MissingField, "messages", "messages")
		}
	case pipeline.APIEmbeddings:
		x.Request.Op = translate.Embeddings
		if !f.input.Exists() || f.input.Type == gjson.Null {
			return gwerror.Param(gwerror.MissingField, "input", "input")
		}
	}
	if s := f.stream; s.Exists() && s.Type != gjson.True && s.Type != gjson.False && s.Type != gjson.Null {
		return gwerror.Param(gwerror.InvalidRequest, "stream", "stream")
	}
	x.Request.Stream = f.stream.Type == gjson.True
	summarizeTools(&x.Summary, f.tools)
	return nil
}

func gjsonWalk(x *pipeline.Exchange, root gjson.Result) gjsonFields {
	var f gjsonFields
	s := &x.Summary
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "stream":
			f.stream = v
		case "stream_options":
			x.Request.IncludeUsage = v.Get("include_usage").Type == gjson.True
		case "messages":
			f.messages = v
		case "input":
			f.input = v
		case "tools":
			f.tools = v
		case "prompt":
			f.prompt = v
		case "max_completion_tokens":
			s.MaxTokens = int(v.Int())
		case "max_tokens":
			if s.MaxTokens == 0 {
				s.MaxTokens = int(v.Int())
			}
		case "response_format":
			if t := v.Get("type"); t.Type == gjson.String {
				setParam(s, "response_format", t.Str)
			}
		default:
			if sampling[k.Str] && v.Type != gjson.JSON && v.Type != gjson.Null {
				setParam(s, k.Str, v.Value())
			}
		}
		return true
	})
	return f
}

func gjsonMessages(s *pipeline.Summary, msgs gjson.Result) bool {
	msgs.ForEach(func(_, m gjson.Result) bool {
		s.MessageCount++
		var role, content gjson.Result
		m.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "role":
				role = v
			case "content":
				content = v
			}
			return true
		})
		isUser := role.Str == "user"
		if content.Type == gjson.String {
			if isUser {
				s.LastUserMessage = excerpt(content.Str)
			}
			return true
		}
		text := ""
		content.ForEach(func(_, part gjson.Result) bool {
			switch part.Get("type").Str {
			case "text":
				if text == "" {
					text = part.Get("text").Str
				}
			case "image_url", "image":
				s.Images++
			}
			return true
		})
		if isUser && text != "" {
			s.LastUserMessage = excerpt(text)
		}
		return true
	})
	return s.MessageCount > 0
}
