package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/extproc/extproctest"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
	"github.com/sluice-gw/sluice/pkg/server"
)

const testConfig = `
identity:
  api_keys:
    - {id: %s, hash: "%s", tenant: acme, name: test}
backends:
  - {name: openai, provider: openai, host: api.openai.com, credential: {env: T_OPENAI_KEY}}
  - {name: anthropic, provider: anthropic, host: api.anthropic.com, credential: {env: T_ANTHROPIC_KEY}}
  - {name: nokey, provider: openai, host: api.openai.com, credential: {env: T_UNSET_KEY}}
models:
  - {name: gpt-4o, aliases: [gpt4o], backend: openai}
  - {name: claude, backend: anthropic, upstream_model: claude-sonnet-4-5}
  - {name: broken, backend: nokey}
`

// clientKey is a real Sluice key, generated once for the package.
var clientKey, clientKeyID, clientKeyHash = func() (string, string, string) {
	key, id, err := apikey.Generate()
	if err != nil {
		panic(err)
	}
	hash, err := apikey.Hash(key)
	if err != nil {
		panic(err)
	}
	return key, id, hash
}()

func newClient(t *testing.T) extprocv3.ExternalProcessorClient {
	t.Helper()
	env := map[string]string{"T_OPENAI_KEY": "sk-provider", "T_ANTHROPIC_KEY": "ak-provider"}
	src := fmt.Sprintf(testConfig, clientKeyID, clientKeyHash)
	snap, err := config.Parse("test.yaml", []byte(src), config.LoadOptions{
		ResolveSecrets: true,
		LookupEnv:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.Build(snap, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return extproctest.Dial(t, s.GRPC())
}

// send runs the request phase of a chat call and returns the body response.
func send(t *testing.T, st *extproctest.Stream, path, body string) *extprocv3.ProcessingResponse {
	t.Helper()
	st.Send(extproctest.RequestHeaders("POST", path, false,
		"authorization", "Bearer "+clientKey, "content-type", "application/json"))
	return st.Send(extproctest.RequestBody([]byte(body), true))
}

func TestRoutesToProviderWithItsCredentials(t *testing.T) {
	tests := []struct {
		name, model, backend, path, authKey, authVal string
	}{
		{"openai", "gpt-4o", "openai", "/v1/chat/completions", "authorization", "Bearer sk-provider"},
		{"alias", "gpt4o", "openai", "/v1/chat/completions", "authorization", "Bearer sk-provider"},
		{"anthropic", "claude", "anthropic", "/v1/messages", "x-api-key", "ak-provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := extproctest.Open(t, newClient(t))
			r := send(t, st, "/v1/chat/completions",
				`{"model":"`+tt.model+`","messages":[{"role":"user","content":"hi"}]}`)
			c := r.GetRequestBody().GetResponse()
			if c == nil {
				t.Fatalf("want a body response, got %v", r)
			}
			hm := c.GetHeaderMutation()
			if v, _ := extproctest.SetHeader(hm, "x-sluice-backend"); v != tt.backend {
				t.Errorf("x-sluice-backend = %q, want %q", v, tt.backend)
			}
			// A :path the request already has is left as it is.
			if v, set := extproctest.SetHeader(hm, ":path"); set && v != tt.path || !set && tt.path != "/v1/chat/completions" {
				t.Errorf(":path = %q (set %v), want %q", v, set, tt.path)
			}
			if v, _ := extproctest.SetHeader(hm, tt.authKey); v != tt.authVal {
				t.Errorf("%s = %q, want %q", tt.authKey, v, tt.authVal)
			}
			if tt.authKey != "authorization" && !extproctest.Removes(hm, "authorization") {
				t.Error("the client's gateway key would reach the provider")
			}
			cl, clSet := extproctest.SetHeader(hm, "content-length")
			switch bm := c.GetBodyMutation(); {
			case bm == nil && tt.backend != "openai":
				t.Error("a translated body must be sent back")
			case bm == nil && clSet:
				t.Error("content-length set for a body left unchanged")
			case bm != nil && cl != itoa(len(bm.GetBody())):
				t.Errorf("content-length %s for a %d-byte body", cl, len(bm.GetBody()))
			}
			if !c.GetClearRouteCache() {
				t.Error("route cache not cleared")
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	tests := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"malformed json", "/v1/chat/completions", `{"model":`, 400, "invalid_json"},
		{"missing model", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 400, "missing_required_field"},
		{"missing messages", "/v1/chat/completions", `{"model":"gpt-4o"}`, 400, "missing_required_field"},
		{"unknown model", "/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, 404, "model_not_found"},
		{"backend without credential", "/v1/chat/completions", `{"model":"broken","messages":[{"role":"user","content":"x"}]}`, 503, "upstream_unavailable"},
		{"unmappable parameter", "/v1/chat/completions", `{"model":"claude","n":2,"messages":[{"role":"user","content":"x"}]}`, 400, "unsupported_parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := extproctest.Open(t, newClient(t))
			r := send(t, st, tt.path, tt.body)
			ir := r.GetImmediateResponse()
			if ir == nil {
				t.Fatalf("want an immediate %d, got %v", tt.status, r)
			}
			if int(ir.GetStatus().GetCode()) != tt.status {
				t.Errorf("status %d, want %d (%s)", ir.GetStatus().GetCode(), tt.status, ir.GetBody())
			}
			if got := gjson.GetBytes(ir.GetBody(), "error.code").String(); got != tt.code {
				t.Errorf("code %q, want %q (%s)", got, tt.code, ir.GetBody())
			}
		})
	}
}

func TestUnknownPathAnsweredOnHeaders(t *testing.T) {
	st := extproctest.Open(t, newClient(t))
	r := st.Send(extproctest.RequestHeaders("POST", "/v1/nothing-here", false))
	if ir := r.GetImmediateResponse(); ir == nil || ir.GetStatus().GetCode() != 404 {
		t.Fatalf("want 404, got %v", r)
	}
}

func TestModelsListedLocally(t *testing.T) {
	st := extproctest.Open(t, newClient(t))
	r := st.Send(extproctest.RequestHeaders("GET", "/v1/models", true, "authorization", "Bearer "+clientKey))
	ir := r.GetImmediateResponse()
	if ir == nil || ir.GetStatus().GetCode() != 200 {
		t.Fatalf("want 200, got %v", r)
	}
	var ids []string
	for _, m := range gjson.GetBytes(ir.GetBody(), "data.#.id").Array() {
		ids = append(ids, m.String())
	}
	if got := strings.Join(ids, ","); got != "gpt-4o,gpt4o,claude,broken" {
		t.Errorf("models = %s", got)
	}
}

func TestAnthropicStreamTranslatedToOpenAIChunks(t *testing.T) {
	st := extproctest.Open(t, newClient(t))
	send(t, st, "/v1/chat/completions", `{"model":"claude","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	r := st.Send(extproctest.ResponseHeaders(200, "text/event-stream", false))
	if r.GetModeOverride() == nil {
		t.Fatal("SSE response not switched to STREAMED")
	}
	events := []string{
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-5\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
	}
	// Split the provider stream at awkward offsets, not at event borders.
	raw := strings.Join(events, "")
	var out strings.Builder
	for i := 0; i < len(raw); i += 7 {
		end := min(i+7, len(raw))
		r := st.Send(extproctest.ResponseBody([]byte(raw[i:end]), end == len(raw)))
		out.Write(r.GetResponseBody().GetResponse().GetBodyMutation().GetBody())
	}
	text := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok && data != "[DONE]" {
			text += gjson.Get(data, "choices.0.delta.content").String()
		}
	}
	if text != "Hello" {
		t.Errorf("reassembled text %q from stream:\n%s", text, out.String())
	}
	if !strings.HasSuffix(out.String(), "data: [DONE]\n\n") {
		t.Errorf("stream does not end with [DONE]:\n%s", out.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCredentials(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"no credential", nil, 401},
		{"provider key is not a gateway key", []string{"authorization", "Bearer sk-proj-abcdef"}, 401},
		{"tampered key", []string{"authorization", "Bearer " + tamper(clientKey)}, 401},
		{"x-api-key works for Anthropic SDK clients", []string{"x-api-key", clientKey}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := extproctest.Open(t, newClient(t))
			r := st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false, tt.header...))
			ir := r.GetImmediateResponse()
			if tt.status == 0 {
				if ir != nil {
					t.Fatalf("want the request through, got %v", r)
				}
				return
			}
			if ir == nil || int(ir.GetStatus().GetCode()) != tt.status {
				t.Fatalf("want %d, got %v", tt.status, r)
			}
			if len(tt.header) > 1 && strings.Contains(string(ir.GetBody()), tt.header[1][7:]) {
				t.Errorf("the error echoes a credential: %s", ir.GetBody())
			}
		})
	}
}

// tamper changes the key's last character to a different one.
func tamper(key string) string {
	last := key[len(key)-1]
	repl := byte('x')
	if last == repl {
		repl = 'y'
	}
	return key[:len(key)-1] + string(repl)
}
