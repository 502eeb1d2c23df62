package route_test

import (
	"context"
	"testing"

	"github.com/tidwall/gjson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/route"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/anthropic"
	"github.com/sluice-gw/sluice/pkg/translate/openai"
)

const cfgYAML = `
backends:
  - {name: openai, provider: openai, credential: {env: K_OPENAI}}
  - {name: anthropic, provider: anthropic, credential: {env: K_ANTHROPIC}}
  - {name: openai_eu, provider: openai, credential: {env: K_OPENAI}}
models:
  - {name: gpt-4o, backend: openai}
  - {name: claude, backend: anthropic, upstream_model: claude-sonnet-4-5}
fallback_chains:
  - {name: openai_then_anthropic, backends: [openai, anthropic]}
`

func setup(t *testing.T) (*route.Stage, *config.Snapshot) {
	t.Helper()
	env := map[string]string{"K_OPENAI": "sk-o", "K_ANTHROPIC": "sk-a"}
	snap, err := config.Parse("t.yaml", []byte(cfgYAML), config.LoadOptions{
		ResolveSecrets: true, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	ts := route.Translators{}
	_ = ts.Register(translate.OpenAI, openai.New(translate.OpenAI))
	_ = ts.Register(translate.Anthropic, anthropic.New())
	return route.New(ts), snap
}

func chatExchange(snap *config.Snapshot, model string) *pipeline.Exchange {
	x := &pipeline.Exchange{Config: snap, API: pipeline.APIChat, Model: model,
		Header: pipeline.Headers{{Key: "authorization", Value: "Bearer sk-sluice-client"}}}
	x.Request = translate.Request{Op: translate.Chat,
		Body: []byte(`{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`)}
	return x
}

func set(x *pipeline.Exchange, k string) string {
	for _, h := range x.Out.SetHeaders {
		if h.Key == k {
			return h.Value
		}
	}
	return ""
}

func removed(x *pipeline.Exchange, k string) bool {
	for _, h := range x.Out.RemoveHeaders {
		if h == k {
			return true
		}
	}
	return false
}

func TestPlanOverrides(t *testing.T) {
	tests := []struct {
		name    string
		plan    pipeline.Plan
		backend string
		model   string
		errCode gwerror.Code
	}{
		{"model's own backend", pipeline.Plan{}, "openai", "gpt-4o", ""},
		{"downgrade to another model", pipeline.Plan{Model: "claude"}, "anthropic", "claude-sonnet-4-5", ""},
		{"backend override keeps the upstream name", pipeline.Plan{Backend: "openai_eu"}, "openai_eu", "gpt-4o", ""},
		{"unknown backend from policy", pipeline.Plan{Backend: "nope"}, "", "", gwerror.Internal},
		{"unknown model from policy", pipeline.Plan{Model: "nope"}, "", "", gwerror.ModelNotFound},
		{"fallback with no configured chain serves the first", pipeline.Plan{Model: "claude", Fallback: []pipeline.Target{{Model: "gpt-4o"}}}, "anthropic", "claude-sonnet-4-5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, snap := setup(t)
			x := chatExchange(snap, "gpt-4o")
			x.Plan = tt.plan
			err := s.OnRequest(context.Background(), x)
			if tt.errCode != "" {
				if gwerror.From(err).Code != tt.errCode {
					t.Fatalf("err = %v, want %s", err, tt.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := set(x, route.BackendHeader); got != tt.backend {
				t.Errorf("backend = %q, want %q", got, tt.backend)
			}
			sent := x.Request.Body // an unchanged body is left to Envoy
			if x.Out.ReplaceBody {
				sent = x.Out.Body
			}
			if got := gjson.GetBytes(sent, "model").String(); got != tt.model {
				t.Errorf("upstream model = %q, want %q", got, tt.model)
			}
			// Anthropic authenticates with x-api-key, so the client's
			// authorization header must be removed, not left behind.
			if tt.backend == "anthropic" && !removed(x, "authorization") {
				t.Error("client authorization not removed")
			}
			if got := set(x, "accept-encoding"); got != "identity" {
				t.Errorf("accept-encoding = %q", got)
			}
		})
	}
}

func TestFallbackChainRoutesUntranslated(t *testing.T) {
	s, snap := setup(t)
	x := chatExchange(snap, "gpt-4o")
	x.Plan = pipeline.Plan{Fallback: []pipeline.Target{{Model: "claude"}}}
	if err := s.OnRequest(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if got := set(x, route.BackendHeader); got != "openai_then_anthropic" {
		t.Errorf("backend = %q, want the chain", got)
	}
	if got, _ := x.Out.MetadataValue(route.FallbackMetadata); got != "openai=gpt-4o,anthropic=claude" {
		t.Errorf("fallback metadata = %q", got)
	}
	if set(x, "x-sluice-fallback") != "" {
		t.Error("the plan must travel as metadata: attempts share one header map")
	}
	if x.Out.ReplaceBody {
		t.Error("chain requests keep the OpenAI body; each attempt translates it")
	}
	if !removed(x, "authorization") || !x.Out.ClearRouteCache {
		t.Error("client credential must go and the route cache must clear")
	}
}

func TestAttemptTranslatesForItsBackend(t *testing.T) {
	s, snap := setup(t)
	a := route.NewAttempt(s)
	x := chatExchange(snap, "gpt-4o")
	x.Attempt = "anthropic"
	x.FilterMetadata = map[string]*structpb.Struct{"sluice": {Fields: map[string]*structpb.Value{
		route.FallbackMetadata: structpb.NewStringValue("openai=gpt-4o,anthropic=claude")}}}
	// What the failed openai attempt left in the shared header map.
	x.Header = append(x.Header, pipeline.Header{Key: "x-amz-date", Value: "20260101T000000Z"})
	if err := a.OnRequest(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if got := set(x, "x-api-key"); got != "sk-a" {
		t.Errorf("x-api-key = %q", got)
	}
	if got := set(x, ":path"); got != "/v1/messages" {
		t.Errorf(":path = %q", got)
	}
	if got := gjson.GetBytes(x.Out.Body, "model").String(); got != "claude-sonnet-4-5" {
		t.Errorf("model = %q", got)
	}
	if !removed(x, "authorization") || !removed(x, "x-amz-date") {
		t.Errorf("an earlier attempt's provider headers would reach anthropic: %v", x.Out.RemoveHeaders)
	}

	// A failed attempt passes through untouched so Envoy can retry.
	x.Out = pipeline.Mutation{}
	x.Status = 429
	if err := a.OnResponseHeaders(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if set(x, route.TranslatedHeader) != "" || set(x, route.ServedByHeader) != "anthropic" {
		t.Errorf("error response headers: %+v", x.Out.SetHeaders)
	}
	body := []byte(`{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}`)
	if out, err := a.OnResponseBody(context.Background(), x, body, true); err != nil || string(out) != string(body) {
		t.Errorf("error body changed: %s %v", out, err)
	}
}

func TestAttemptWithoutModelFails(t *testing.T) {
	s, snap := setup(t)
	x := chatExchange(snap, "gpt-4o")
	x.Attempt = "anthropic"
	if err := route.NewAttempt(s).OnRequest(context.Background(), x); err == nil {
		t.Fatal("an attempt with no model for its backend must fail")
	}
}

func TestCallerHeadersNeverReachTheProvider(t *testing.T) {
	s, snap := setup(t)
	x := chatExchange(snap, "gpt-4o")
	x.Header = append(x.Header, pipeline.Header{Key: "x-sluice-tenant", Value: "acme"},
		pipeline.Header{Key: "x-sluice-backend", Value: "evil"}, pipeline.Header{Key: "x-sluice-fallback", Value: "evil=x"},
		pipeline.Header{Key: "x-trace", Value: "keep"})
	if err := s.OnRequest(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if !removed(x, "x-sluice-tenant") || !removed(x, "x-sluice-fallback") {
		t.Error("a caller-identifying header would reach the provider")
	}
	if removed(x, "x-sluice-backend") || removed(x, "x-trace") {
		t.Errorf("removed too much: %v", x.Out.RemoveHeaders)
	}
}

func TestFallbackRefusesWhatAMemberCannotServe(t *testing.T) {
	s, snap := setup(t)
	x := chatExchange(snap, "gpt-4o")
	x.Request.Body = []byte(`{"model":"gpt-4o","n":2,"messages":[{"role":"user","content":"hi"}]}`)
	x.Plan = pipeline.Plan{Fallback: []pipeline.Target{{Model: "claude"}}}
	err := s.OnRequest(context.Background(), x)
	if gwerror.From(err).Code != gwerror.UnsupportedParam {
		t.Fatalf("err = %v, want a 400 before the chain starts", err)
	}
}
