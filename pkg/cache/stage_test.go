package cache

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

const testConfig = `
backends:
  - name: openai
    provider: openai
    credential: {env: OPENAI_API_KEY}
models:
  - name: gpt-4o
    aliases: [gpt4o]
    backend: openai
    upstream_model: gpt-4o-2024-08-06
  - name: hot
    backend: openai
cache:
  models:
    - model: hot
      cache_nondeterministic: true
`

func snapshot(t testing.TB, src string) *config.Snapshot {
	t.Helper()
	snap, err := config.Parse("test.yaml", []byte(src), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

type ticket struct{ settled, released int }

func (k *ticket) Settle(context.Context, int64, int64) error { k.settled++; return nil }
func (k *ticket) Release(context.Context) error              { k.released++; return nil }

type harness struct {
	t       testing.TB
	s       *Stage
	snap    *config.Snapshot
	records []budget.UsageRecord
}

func newHarness(t testing.TB, src string) *harness {
	h := &harness{t: t, snap: snapshot(t, src)}
	h.s = New(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
		Record: func(_ *pipeline.Exchange, r budget.UsageRecord) { h.records = append(h.records, r) },
	})
	if err := h.s.Reload(context.Background(), h.snap); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) exchange(body string, hdr ...pipeline.Header) *pipeline.Exchange {
	x := &pipeline.Exchange{Config: h.snap, API: pipeline.APIChat, Header: hdr,
		Identity: &identity.Identity{Tenant: "acme"}}
	x.Request = translate.Request{Op: translate.Chat, Body: []byte(body), Stream: strings.Contains(body, `"stream":true`),
		IncludeUsage: strings.Contains(body, `"include_usage":true`)}
	if t := gjson.Get(body, "temperature"); t.Exists() {
		x.Summary.Parameters = map[string]any{"temperature": t.Value()}
	}
	x.Model = "gpt-4o"
	if strings.Contains(body, `"model":"hot"`) {
		x.Model = "hot"
	}
	x.Admission = &pipeline.Admission{Ticket: &ticket{}}
	return x
}

// answer runs the response side of a miss: the provider's status and
// body (chunks when streamed) through the stage, then the exchange's end.
func (h *harness) answer(x *pipeline.Exchange, status int, chunks ...string) {
	ctx := context.Background()
	x.Status, x.Outcome.Status = status, status
	x.Streaming = x.Request.Stream
	if err := h.s.OnResponseHeaders(ctx, x); err != nil {
		h.t.Fatal(err)
	}
	for i, c := range chunks {
		end := i == len(chunks)-1
		out, err := h.s.OnResponseBody(ctx, x, []byte(c), end)
		if err != nil || string(out) != c {
			h.t.Fatalf("OnResponseBody changed the chunk or failed: %v", err)
		}
		// The guard stage runs here, then the commit stage.
		if out, err = h.s.Commit().OnResponseBody(ctx, x, out, end); err != nil || string(out) != c {
			h.t.Fatalf("commit changed the chunk or failed: %v", err)
		}
	}
	x.End(ctx)
}

func (h *harness) request(x *pipeline.Exchange) {
	if err := h.s.OnRequest(context.Background(), x); err != nil {
		h.t.Fatal(err)
	}
}

const (
	plain  = `{"model":"gpt-4o","temperature":0,"messages":[{"role":"user","content":"hi"}]}`
	stream = `{"model":"gpt4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"content":"hi","role":"user"}],"temperature":0}`
	reply  = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hello <EMAIL_ADDRESS_1>"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`
)

func header(x *pipeline.Exchange) string {
	for _, h := range x.ClientHeaders {
		if h.Key == Header {
			return h.Value
		}
	}
	if x.Reply != nil {
		for _, h := range x.Reply.Headers {
			if h.Key == Header {
				return h.Value
			}
		}
	}
	return ""
}

func TestMissThenHit(t *testing.T) {
	h := newHarness(t, testConfig)
	x := h.exchange(plain)
	h.request(x)
	if x.Reply != nil || header(x) != Miss || x.Outcome.Cache != Miss {
		t.Fatalf("first request: reply %v, header %q", x.Reply, header(x))
	}
	x.Usage = translate.Usage{InputTokens: 9, OutputTokens: 3}
	h.answer(x, 200, reply)

	y := h.exchange(plain)
	y.Protect.Pseudonyms = map[string]string{"<EMAIL_ADDRESS_1>": "bob@example.com"}
	h.request(y)
	if y.Reply == nil || header(y) != Hit || y.Outcome.Cache != Hit {
		t.Fatalf("second request: reply %v, header %q", y.Reply, header(y))
	}
	if !strings.Contains(string(y.Reply.Body), "Hello bob@example.com") {
		t.Errorf("hit not restored with this request's values: %s", y.Reply.Body)
	}
	if k := y.Admission.Ticket.(*ticket); k.settled != 1 || !y.Admission.Settled {
		t.Errorf("admission of a hit not settled: %+v", k)
	}
	if len(h.records) != 1 || !h.records[0].CacheHit || h.records[0].CostMicros != 0 || h.records[0].Tenant != "acme" {
		t.Errorf("usage records = %+v", h.records)
	}
	if y.Outcome.SavedMicros <= 0 {
		t.Errorf("SavedMicros = %d, want the stored answer's price", y.Outcome.SavedMicros)
	}
	if y.Route == nil || y.Route.Name != "gpt-4o" {
		t.Errorf("hit's route not named")
	}

	// The same request streamed, with another key order and the alias.
	z := h.exchange(stream)
	h.request(z)
	if z.Reply == nil {
		t.Fatal("streamed request missed the stored answer")
	}
	golden(t, "hit.replay.sse", z.Reply.Body)
}

func TestStreamStoredServesJSON(t *testing.T) {
	h := newHarness(t, testConfig)
	x := h.exchange(stream)
	h.request(x)
	x.Usage = translate.Usage{InputTokens: 9, OutputTokens: 3}
	s := streams["text"]
	h.answer(x, 200, s[:100], s[100:300], s[300:])
	y := h.exchange(plain)
	h.request(y)
	if y.Reply == nil {
		t.Fatal("miss after a stored stream")
	}
	golden(t, "hit.stream-stored.json", indent(t, y.Reply.Body))
}

func TestNotCached(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		hdr     []pipeline.Header
		status  int
		prepare func(x *pipeline.Exchange)
		chunks  []string
		// header is the first request's x-sluice-cache value; stored
		// whether a second request hits.
		header string
		stored bool
	}{
		{name: "stored", body: plain, status: 200, chunks: []string{reply}, header: Miss, stored: true},
		{name: "unset temperature", body: `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, status: 200, chunks: []string{reply}},
		{name: "sampled", body: `{"model":"gpt-4o","temperature":0.7,"messages":[{"role":"user","content":"hi"}]}`, status: 200, chunks: []string{reply}},
		{name: "sampled on a nondeterministic model", body: `{"model":"hot","messages":[{"role":"user","content":"hi"}]}`, status: 200, chunks: []string{reply}, header: Miss, stored: true},
		{name: "no-store", body: plain, hdr: []pipeline.Header{{Key: "cache-control", Value: "no-store"}}, status: 200, chunks: []string{reply}, header: Miss},
		{name: "no-cache still stores", body: plain, hdr: []pipeline.Header{{Key: "cache-control", Value: "max-age=0, No-Cache"}}, status: 200, chunks: []string{reply}, header: Miss, stored: true},
		{name: "provider error", body: plain, status: 500, chunks: []string{`{"error":{"message":"boom"}}`}, header: Miss},
		{name: "content filtered", body: plain, status: 200, chunks: []string{strings.Replace(reply, `"stop"`, `"content_filter"`, 1)}, header: Miss},
		{name: "guard blocked", body: plain, status: 200, chunks: []string{reply}, header: Miss,
			prepare: func(x *pipeline.Exchange) { x.Outcome.Error = "content_blocked" }},
		{name: "guard masked", body: plain, status: 200, chunks: []string{reply}, header: Miss,
			prepare: func(x *pipeline.Exchange) {
				x.Protect.Output = []pipeline.FindingCount{{Type: "EMAIL_ADDRESS", Action: "mask", Count: 1}}
			}},
		{name: "guard logged", body: plain, status: 200, chunks: []string{reply}, header: Miss, stored: true,
			prepare: func(x *pipeline.Exchange) {
				x.Protect.Output = []pipeline.FindingCount{{Type: "EMAIL_ADDRESS", Action: "log", Count: 1}}
			}},
		{name: "cut stream", body: stream, status: 200, chunks: []string{streams["text"][:300]}, header: Miss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig)
			x := h.exchange(tc.body, tc.hdr...)
			h.request(x)
			if got := header(x); got != tc.header {
				t.Errorf("x-sluice-cache = %q, want %q", got, tc.header)
			}
			if x.Reply != nil {
				return
			}
			if tc.prepare != nil {
				tc.prepare(x)
			}
			h.answer(x, tc.status, tc.chunks...)
			y := h.exchange(tc.body)
			h.request(y)
			if stored := y.Reply != nil; stored != tc.stored {
				t.Errorf("second request hit = %v, want %v", stored, tc.stored)
			}
		})
	}
}

func TestNoCacheSkipsLookup(t *testing.T) {
	h := newHarness(t, testConfig)
	x := h.exchange(plain)
	h.request(x)
	h.answer(x, 200, reply)
	y := h.exchange(plain, pipeline.Header{Key: "cache-control", Value: "no-cache"})
	h.request(y)
	if y.Reply != nil || header(y) != Miss {
		t.Errorf("no-cache request served from the cache")
	}
}

func TestUncacheable(t *testing.T) {
	h := newHarness(t, testConfig)
	x := h.exchange(plain)
	x.API = pipeline.APIMessages
	h.request(x)
	if header(x) != "" {
		t.Errorf("Anthropic-native request marked %q", header(x))
	}
	off := newHarness(t, strings.Replace(testConfig, "cache_nondeterministic: true", "enabled: false", 1))
	y := off.exchange(`{"model":"hot","temperature":0,"messages":[{"role":"user","content":"hi"}]}`)
	off.request(y)
	if header(y) != "" {
		t.Errorf("request to a model with caching off marked %q", header(y))
	}
}
