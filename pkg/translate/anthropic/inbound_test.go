package anthropic

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

func goldenOf(path string) string { return strings.TrimSuffix(path, filepath.Ext(path)) + ".golden" }

// render shows a JSON result indented, or its error.
func render(out []byte, err error) []byte {
	if err != nil {
		return translatetest.RenderError(err)
	}
	return append([]byte(gjson.GetBytes(out, "@pretty").Raw), '\n')
}

func TestFromMessagesGolden(t *testing.T) {
	for _, path := range translatetest.Glob(t, "testdata/messages/request/*.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out, err := FromMessages(translatetest.ReadFile(t, path))
			if err == nil && !gjson.ValidBytes(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
			translatetest.Golden(t, goldenOf(path), render(out, err))
		})
	}
}

func TestToMessagesResponseGolden(t *testing.T) {
	for _, path := range translatetest.Glob(t, "testdata/messages/response/*.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out, err := ToMessagesResponse(translatetest.ReadFile(t, path))
			translatetest.Golden(t, goldenOf(path), render(out, err))
		})
	}
}

func TestMessagesStreamGolden(t *testing.T) {
	for _, path := range translatetest.Glob(t, "testdata/messages/stream/*.sse") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			newStream := func() translate.StreamTranslator { return NewMessagesStream() }
			r := translatetest.StreamInvariant(t, newStream, translatetest.ReadFile(t, path))
			translatetest.CheckEvents(t, r.Out)
			translatetest.Golden(t, goldenOf(path), r.Render())
		})
	}
}

// The pass-through stream reuses the provider stream fixtures: its output
// must be the provider's events, re-framed, with the same usage.
func TestPassthroughStreamGolden(t *testing.T) {
	for _, path := range translatetest.Glob(t, "testdata/stream/*.sse") {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			newStream := func() translate.StreamTranslator { return NewPassthroughStream() }
			r := translatetest.StreamInvariant(t, newStream, translatetest.ReadFile(t, path))
			translatetest.Golden(t, filepath.Join("testdata", "passthrough", strings.TrimSuffix(name, ".sse")+".golden"), r.Render())
		})
	}
}

func TestPassthroughRequest(t *testing.T) {
	body := []byte(`{"model":"alias","max_tokens":5,"messages":[{"role":"user","content":"x"}],"top_k":3}`)
	up, err := PassthroughRequest(body, &translate.Target{Model: "claude-opus-4-1", Credential: translate.Credential{APIKey: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"claude-opus-4-1","max_tokens":5,"messages":[{"role":"user","content":"x"}],"top_k":3}`
	if string(up.Body) != want || up.Path != "/v1/messages" {
		t.Fatalf("got %s %s", up.Path, up.Body)
	}
	if _, err := PassthroughRequest([]byte(`[]`), &translate.Target{}); err == nil {
		t.Fatal("array body accepted")
	}
	if _, err := PassthroughRequest(body, nil); err == nil {
		t.Fatal("nil target accepted")
	}
}

func TestPassthroughResponse(t *testing.T) {
	body := []byte(`{"id":"msg","usage":{"input_tokens":3,"cache_read_input_tokens":10,"output_tokens":4}}`)
	resp, err := PassthroughResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := translate.Usage{InputTokens: 13, OutputTokens: 4, CachedInputTokens: 10}
	if string(resp.Body) != string(body) || resp.Usage != want {
		t.Fatalf("got %s %+v", resp.Body, resp.Usage)
	}
	if _, err := PassthroughResponse([]byte(`{`)); err == nil {
		t.Fatal("malformed body accepted")
	}
}

func TestFromMessagesRejects(t *testing.T) {
	tests := []struct {
		name, body, param string
	}{
		{"top_k", `{"messages":[],"top_k":1}`, "top_k"},
		{"container", `{"messages":[],"container":"c"}`, "container"},
		{"service tier", `{"messages":[],"service_tier":"standard_only"}`, "service_tier"},
		{"search result block", `{"messages":[{"role":"user","content":[{"type":"search_result"}]}]}`, "messages[0].content[0].type"},
		{"image in tool result", `{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image"}]}]}]}`, "messages[0].content[0].content[0].type"},
		{"server tool use", `{"messages":[{"role":"assistant","content":[{"type":"server_tool_use"}]}]}`, "messages[0].content[0].type"},
		{"bad role", `{"messages":[{"role":"system","content":"x"}]}`, "messages[0].role"},
		{"bad tool choice", `{"messages":[],"tool_choice":{"type":"maybe"}}`, "tool_choice"},
		{"no messages", `{"model":"m"}`, "messages"},
		{"system number", `{"messages":[],"system":5}`, "system"},
		{"content number", `{"messages":[{"role":"user","content":5}]}`, "messages[0].content"},
		{"tools object", `{"messages":[],"tools":{}}`, "tools"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromMessages([]byte(tc.body))
			var ge *gwerror.Error
			if !errors.As(err, &ge) || ge.HTTPStatus() != 400 || ge.Param != tc.param {
				t.Fatalf("got %v (param %q), want a 400 on %q", err, paramOf(ge), tc.param)
			}
		})
	}
	for _, body := range []string{`{`, `[]`} {
		if _, err := FromMessages([]byte(body)); !errors.Is(err, gwerror.New(gwerror.InvalidJSON, "")) {
			t.Errorf("%s: got %v", body, err)
		}
	}
}

func paramOf(e *gwerror.Error) string {
	if e == nil {
		return ""
	}
	return e.Param
}

func TestErrorBody(t *testing.T) {
	tests := []struct {
		e    *gwerror.Error
		want string
	}{
		{gwerror.New(gwerror.UnsupportedParam, "parameter 'n' \"x\""), `{"type":"error","error":{"type":"invalid_request_error","message":"parameter 'n' \"x\""}}`},
		{gwerror.New(gwerror.Unauthenticated, "bad key"), `{"type":"error","error":{"type":"authentication_error","message":"bad key"}}`},
		{gwerror.New(gwerror.PermissionDenied, "no"), `{"type":"error","error":{"type":"permission_error","message":"no"}}`},
		{gwerror.New(gwerror.ModelNotFound, "m"), `{"type":"error","error":{"type":"not_found_error","message":"m"}}`},
		{gwerror.New(gwerror.BodyTooLarge, "big"), `{"type":"error","error":{"type":"request_too_large","message":"big"}}`},
		{gwerror.New(gwerror.RateLimited, "slow"), `{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}`},
		{gwerror.New(gwerror.UpstreamError, "up"), `{"type":"error","error":{"type":"api_error","message":"up"}}`},
		{gwerror.New(gwerror.UpstreamUnavailable, "busy"), `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`},
		{gwerror.New(gwerror.UpstreamTimeout, "late"), `{"type":"error","error":{"type":"timeout_error","message":"late"}}`},
		{gwerror.New(gwerror.MethodNotAllowed, "get"), `{"type":"error","error":{"type":"invalid_request_error","message":"get"}}`},
		{gwerror.New(gwerror.Internal, "oops"), `{"type":"error","error":{"type":"api_error","message":"oops"}}`},
		{gwerror.New(gwerror.InvalidRequest, "pay").WithStatus(402), `{"type":"error","error":{"type":"billing_error","message":"pay"}}`},
	}
	for _, tc := range tests {
		if got := string(ErrorBody(tc.e)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.e.Code, got, tc.want)
		}
	}
}
