package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/extproc/extproctest"
	"github.com/sluice-gw/sluice/pkg/server"
)

const limitsConfig = `
limits:
  rules:
    - {name: per-key, scope: key, requests_per_minute: 1, tokens_per_minute: 100000}
budgets:
  - {name: acme-monthly, scope: tenant, id: acme, period: monthly, limit: "10.00"}
`

func newLimitedClient(t *testing.T) extprocv3.ExternalProcessorClient {
	t.Helper()
	env := map[string]string{"T_OPENAI_KEY": "sk-provider", "T_ANTHROPIC_KEY": "ak-provider"}
	src := fmt.Sprintf(testConfig, clientKeyID, clientKeyHash) + limitsConfig
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

func usageMetadata(r *extprocv3.ProcessingResponse) map[string]string {
	out := map[string]string{}
	for k, v := range r.GetDynamicMetadata().GetFields()["sluice"].GetStructValue().GetFields() {
		out[k] = v.GetStringValue()
	}
	return out
}

func TestRateLimitedThroughTheServer(t *testing.T) {
	c := newLimitedClient(t)
	const chat = `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`

	st := extproctest.Open(t, c)
	r := send(t, st, "/v1/chat/completions", chat)
	if r.GetRequestBody() == nil {
		t.Fatalf("first call: want it routed, got %v", r)
	}
	held := usageMetadata(r)
	if held["tenant"] != "acme" || held["key"] != clientKeyID {
		t.Errorf("request metadata = %v", held)
	}
	r = st.Send(extproctest.ResponseHeaders(200, "application/json", false))
	hm := r.GetResponseHeaders().GetResponse().GetHeaderMutation()
	for k, want := range map[string]string{"x-ratelimit-limit-requests": "1", "x-ratelimit-remaining-requests": "0",
		"x-ratelimit-limit-tokens": "100000"} {
		if got, _ := extproctest.SetHeader(hm, k); got != want {
			t.Errorf("success response %s = %q, want %q", k, got, want)
		}
	}
	r = st.Send(extproctest.ResponseBody([]byte(`{"id":"c1","object":"chat.completion","model":"gpt-4o",
		"choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],
		"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}`), true))
	// Envoy merges each answer's metadata into what it holds for the
	// stream; a value it already holds is not sent again.
	maps.Copy(held, usageMetadata(r))
	want := map[string]string{"input_tokens": "1000", "output_tokens": "500", "total_tokens": "1500",
		"cost_micros": "7500", "tenant": "acme", "model": "gpt-4o", "backend": "openai", "key": clientKeyID}
	if fmt.Sprint(held) != fmt.Sprint(want) {
		t.Errorf("metadata after the last chunk = %v, want %v", held, want)
	}

	st = extproctest.Open(t, c)
	r = send(t, st, "/v1/chat/completions", chat)
	ir := r.GetImmediateResponse()
	if ir == nil || ir.GetStatus().GetCode() != 429 {
		t.Fatalf("second call in the minute: want 429, got %v", r)
	}
	if got := gjson.GetBytes(ir.GetBody(), "error.code").String(); got != "rate_limit_exceeded" {
		t.Errorf("error.code = %q (%s)", got, ir.GetBody())
	}
	if got := gjson.GetBytes(ir.GetBody(), "error.type").String(); got != "rate_limit_error" {
		t.Errorf("error.type = %q", got)
	}
	for k, want := range map[string]string{"retry-after": "60",
		"x-ratelimit-limit-requests": "1", "x-ratelimit-remaining-requests": "0"} {
		if got, _ := extproctest.SetHeader(ir.GetHeaders(), k); got != want {
			t.Errorf("429 %s = %q, want %q", k, got, want)
		}
	}
	// The bucket drains while the test runs: a minute, less a moment.
	if ms, _ := extproctest.SetHeader(ir.GetHeaders(), "retry-after-ms"); ms < "59000" || ms > "60000" || len(ms) != 5 {
		t.Errorf("429 retry-after-ms = %q, want about 60000", ms)
	}
	if id, _ := extproctest.SetHeader(ir.GetHeaders(), "x-request-id"); id == "" {
		t.Error("429 without x-request-id")
	}
}

// A stream is accounted for on its last chunk, with the usage its events
// reported.
func TestStreamAccountedAtItsEnd(t *testing.T) {
	st := extproctest.Open(t, newLimitedClient(t))
	send(t, st, "/v1/chat/completions", `{"model":"claude","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	st.Send(extproctest.ResponseHeaders(200, "text/event-stream", false))
	events := []string{
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-5\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":20,\"output_tokens\":1}}}\n\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}\n\n",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
	}
	for i, ev := range events {
		r := st.Send(extproctest.ResponseBody([]byte(ev), i == len(events)-1))
		md := usageMetadata(r)
		if i < len(events)-1 && len(md) > 0 {
			t.Errorf("chunk %d carries usage before the end: %v", i, md)
		}
		if i == len(events)-1 && (md["input_tokens"] != "20" || md["output_tokens"] != "7" || md["model"] != "claude") {
			t.Errorf("last chunk metadata = %v", md)
		}
	}
}

func TestAdminUsage(t *testing.T) {
	t.Setenv("T_SLUICE_ADMIN_TOKEN", "admin-secret")
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	src := `
server: {admin_token_env: T_SLUICE_ADMIN_TOKEN}
identity: {allow_anonymous: true}
backends: [{name: local, provider: openai_compatible}]
models: [{name: mock-gpt, backend: local}]
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	r := start(t, path)
	st := extproctest.Open(t, dial(t, r.grpc))
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false, "content-type", "application/json"))
	st.Send(extproctest.RequestBody([]byte(`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`), true))
	st.Send(extproctest.ResponseHeaders(200, "application/json", false))
	st.Send(extproctest.ResponseBody([]byte(`{"id":"c","object":"chat.completion","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`), true))

	get := func(token, query string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+r.admin+"/admin/usage"+query, nil) //nolint:noctx // test
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	if resp, _ := get("", ""); resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
	if resp, _ := get("wrong", ""); resp.StatusCode != 401 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	if resp, body := get("admin-secret", "?by=colour"); resp.StatusCode != 400 || !strings.Contains(string(body), "colour") {
		t.Errorf("bad dimension: %d %s", resp.StatusCode, body)
	}
	resp, body := get("admin-secret", "?by=model,status")
	if resp.StatusCode != 200 {
		t.Fatalf("usage: %d %s", resp.StatusCode, body)
	}
	var rep struct {
		Rows []struct {
			Group       map[string]string `json:"group"`
			Requests    int64             `json:"requests"`
			TotalTokens int64             `json:"total_tokens"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Group["model"] != "mock-gpt" || rep.Rows[0].Requests != 1 || rep.Rows[0].TotalTokens != 5 {
		t.Errorf("report = %s", body)
	}
}

func TestAdminUsageOffWithoutToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	writeConfig(t, path, "5s", "m1")
	r := start(t, path)
	if s := httpStatus("http://" + r.admin + "/admin/usage"); s != 404 {
		t.Errorf("/admin/usage without server.admin_token_env = %d, want 404", s)
	}
}
