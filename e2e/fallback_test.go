package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// The chain envoy/envoy.yaml defines, and the plan Sluice must announce
// for gpt-4o falling back to claude.
const (
	fallbackChain = "openai_then_anthropic"
	fallbackPlan  = "openai=gpt-4o,anthropic=claude"
)

var requestIDs atomic.Int64

// newRequestID is an x-request-id to find a request's record by.
func newRequestID() string { return fmt.Sprintf("e2e-request-%d", requestIDs.Add(1)) }

// attempt is what a test checks of one router attempt.
type attempt struct {
	Cluster string
	Status  int
}

func attemptsOf(r envoystandin.RequestRecord) []attempt {
	var as []attempt
	for _, a := range r.Attempts {
		as = append(as, attempt{a.Cluster, a.Status})
	}
	return as
}

// Cross-provider fallback through the chain's aggregate cluster: the
// policy's fallbacks knob sends gpt-4o on to claude, Sluice selects the
// openai_then_anthropic chain, and each attempt is translated for its own
// provider by the per-attempt ext_proc stream. The client sees one clean
// OpenAI answer, or the last provider's error in OpenAI's shape.
//
// Faults are set on the fakes for every request, so the subtests run one
// after another.
func TestFallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(configOptions{
		fallbackChains: []map[string]any{{"name": fallbackChain, "backends": []string{fp.BackendOpenAI, fp.BackendAnthropic}}},
		policy:         policyAt(policyCopy(t, map[string]any{"fallbacks": map[string]any{"gpt-4o": []string{"claude"}}}), nil),
	}))
	openaiFake, anthropicFake := e.fakes.Fake(fp.BackendOpenAI), e.fakes.Fake(fp.BackendAnthropic)
	served := []attempt{{"openai_fallback", 200}}
	failedOver := []attempt{{"openai_fallback", 429}, {"anthropic_fallback", 200}}
	for _, c := range []struct {
		name      string
		openai    fp.FaultKind
		stream    bool
		want      []attempt
		anthropic bool // the Anthropic fake answers
	}{
		{name: "first member serves", want: served},
		{name: "openai 429", openai: fp.RateLimited, want: failedOver, anthropic: true},
		{name: "openai 503", openai: fp.Unavailable, want: []attempt{{"openai_fallback", 503}, {"anthropic_fallback", 200}}, anthropic: true},
		{name: "openai 429 streamed", openai: fp.RateLimited, stream: true, want: failedOver, anthropic: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			openaiFake.SetFault(fp.Fault{Kind: c.openai})
			t.Cleanup(func() { openaiFake.SetFault(fp.Fault{}) })
			marker, id := newMarker(), newRequestID()
			params := openai.ChatCompletionNewParams{
				Model:    "gpt-4o",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello. " + marker)},
			}
			// The fakes all say fp.ReplyText; the model they echo tells who
			// answered.
			wantModel := providerOf(t, fp.BackendOpenAI).upstream
			if c.anthropic {
				wantModel = providerOf(t, fp.BackendAnthropic).upstream
			}
			var model string
			if c.stream {
				model = checkFallbackStream(t, e, params, id)
			} else {
				var raw *http.Response
				resp, err := e.client.Chat.Completions.New(ctxFor(t), params,
					option.WithHeader("X-Request-Id", id), option.WithResponseInto(&raw))
				if err != nil {
					t.Fatalf("chat: %v", describe(err))
				}
				if raw.Header.Get(decisionHeader) == "" {
					t.Errorf("the answer has no %s", decisionHeader)
				}
				for _, h := range []string{"X-Sluice-Translated", "X-Sluice-Upstream-Backend", "X-Sluice-Backend"} {
					if v := raw.Header.Get(h); v != "" {
						t.Errorf("the client received %s: %q", h, v)
					}
				}
				if resp.Object != "chat.completion" || len(resp.Choices) != 1 || resp.Choices[0].Message.Content != fp.ReplyText {
					t.Errorf("answer = %s, want one chat.completion choice saying %q", resp.RawJSON(), fp.ReplyText)
				}
				model = resp.Model
			}
			if model != wantModel {
				t.Errorf("answered by model %q, want %q", model, wantModel)
			}
			rec := e.recordFor(t, id)
			checkChainRecord(t, rec, c.want)
			checkCredential(t, fp.BackendOpenAI, e.upstream(t, fp.BackendOpenAI, marker))
			if !c.anthropic {
				checkNoRequest(t, anthropicFake, marker)
				return
			}
			up := e.upstream(t, fp.BackendAnthropic, marker)
			checkChatRoute(t, providerOf(t, fp.BackendAnthropic), up, c.stream)
			checkCredential(t, fp.BackendAnthropic, up)
		})
	}
	t.Run("both fail", func(t *testing.T) {
		openaiFake.SetFault(fp.Fault{Kind: fp.RateLimited})
		anthropicFake.SetFault(fp.Fault{Kind: fp.Unavailable})
		t.Cleanup(func() { openaiFake.SetFault(fp.Fault{}); anthropicFake.SetFault(fp.Fault{}) })
		// What the client would get from Anthropic's 503 without a chain.
		direct := e.post(t, "/v1/chat/completions", chatBody(t, "claude", newMarker(), false))
		wantErr := checkOpenAIError(t, direct, direct.status)
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
				marker, id := newMarker(), newRequestID()
				r := e.post(t, "/v1/chat/completions", chatBody(t, "gpt-4o", marker, stream), "X-Request-Id", id)
				got := checkOpenAIError(t, r, direct.status)
				if r.header.Get(decisionHeader) == "" {
					t.Errorf("the error has no %s", decisionHeader)
				}
				if got.Get("code").String() != wantErr.Get("code").String() {
					t.Errorf("error.code = %q, want %q as for Anthropic's 503 without fallback", got.Get("code").String(), wantErr.Get("code").String())
				}
				if msg := faultMessage(fp.BackendAnthropic, fp.Unavailable); !strings.Contains(got.Get("message").String(), msg) {
					t.Errorf("error.message = %q, want Anthropic's message %q", got.Get("message").String(), msg)
				}
				checkChainRecord(t, e.recordFor(t, id), []attempt{{"openai_fallback", 429}, {"anthropic_fallback", 503}})
				checkCredential(t, fp.BackendOpenAI, e.upstream(t, fp.BackendOpenAI, marker))
				checkCredential(t, fp.BackendAnthropic, e.upstream(t, fp.BackendAnthropic, marker))
			})
		}
	})
}

// checkChainRecord asserts the request went to the chain with the plan in
// the sluice metadata, and the router tried want.
func checkChainRecord(t *testing.T, rec envoystandin.RequestRecord, want []attempt) {
	t.Helper()
	if rec.Route != fallbackChain {
		t.Errorf("route = %q, want %q", rec.Route, fallbackChain)
	}
	if got := rec.DynamicMetadata["sluice"].GetFields()["fallback"].GetStringValue(); got != fallbackPlan {
		t.Errorf("dynamic metadata sluice.fallback = %q, want %q", got, fallbackPlan)
	}
	if diff := cmp.Diff(want, attemptsOf(rec)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	// Envoy's mutation rules accept everything Sluice sets, per attempt too.
	if n := rec.Counters.RejectedHeaderMutations; n != 0 {
		t.Errorf("the router-chain ext_proc rejected %d header mutations", n)
	}
	for _, a := range rec.Attempts {
		if n := a.Counters.RejectedHeaderMutations; n != 0 {
			t.Errorf("the %s attempt's ext_proc rejected %d header mutations", a.Cluster, n)
		}
	}
}

// checkFallbackStream streams params to the end through the SDK and
// returns the model the chunks name.
func checkFallbackStream(t *testing.T, e *env, params openai.ChatCompletionNewParams, id string) string {
	t.Helper()
	stream := e.client.Chat.Completions.NewStreaming(ctxFor(t), params, option.WithHeader("X-Request-Id", id))
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		if ch := stream.Current(); !acc.AddChunk(ch) {
			t.Errorf("the SDK accumulator rejected a chunk: %s", ch.RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", describe(err))
	}
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != fp.ReplyText || acc.Choices[0].FinishReason != "stop" {
		t.Errorf("accumulated %+v, want one choice saying %q and stopping", acc.Choices, fp.ReplyText)
	}
	return acc.Model
}

// checkNoRequest fails when f received a request carrying marker.
func checkNoRequest(t *testing.T, f *fp.Fake, marker string) {
	t.Helper()
	for _, r := range f.Requests() {
		if strings.Contains(string(r.Body), marker) {
			t.Errorf("the %s fake received %s %s, want nothing", f.Name(), r.Method, r.Path)
		}
	}
}

// providerOf returns the catalogue entry of backend.
func providerOf(t *testing.T, backend string) provider {
	t.Helper()
	for _, p := range providers {
		if p.backend == backend {
			return p
		}
	}
	t.Fatalf("no provider %q", backend)
	return provider{}
}
