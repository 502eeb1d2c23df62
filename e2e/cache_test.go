package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
	"github.com/sluice-gw/sluice/pkg/redistest"
	"github.com/sluice-gw/sluice/pkg/semcache/semcachetest"
)

// Response cache tests: exact hits and misses through the stand-in, JSON
// and SSE replay read by the openai-go SDK, Cache-Control, what is never
// stored, pseudonymized PII, and a cache two replicas share in Redis.

// cacheSections turns the cache on, and pseudonymizes e-mail addresses so
// that the PII tests see placeholders.
func cacheSections(cache map[string]any) map[string]any {
	return map[string]any{
		"cache":           cache,
		"data_protection": map[string]any{"actions": map[string]any{"EMAIL_ADDRESS": "pseudonymize"}},
	}
}

// calls counts the requests carrying marker that backend's fake received.
func (e *env) calls(backend, marker string) int {
	n := 0
	for _, r := range e.fakes.Fake(backend).Requests() {
		if bytes.Contains(r.Body, []byte(marker)) {
			n++
		}
	}
	return n
}

func deterministic(model, text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       model,
		Temperature: openai.Float(0),
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// complete sends params through the SDK and returns the answer and the
// response's x-sluice-cache.
func complete(t *testing.T, e *env, params openai.ChatCompletionNewParams, opts ...option.RequestOption) (*openai.ChatCompletion, string) {
	t.Helper()
	var resp *http.Response
	c, err := e.client.Chat.Completions.New(ctxFor(t), params, append(opts, option.WithResponseInto(&resp))...)
	if err != nil {
		t.Fatalf("chat completion: %v", describe(err))
	}
	return c, resp.Header.Get("X-Sluice-Cache")
}

// streamed streams params through the SDK and returns what the SDK
// accumulated, the chunks' stats and x-sluice-cache.
//
// The SDK stops at [DONE] and closes the body, which may be before the
// provider's end of stream has reached Sluice; Sluice stores an answer at
// that end, before it releases the last bytes. So the body is read to its
// end when the SDK closes it, and the next request finds what this one
// stored.
func streamed(t *testing.T, e *env, params openai.ChatCompletionNewParams, opts ...option.RequestOption) (openai.ChatCompletionAccumulator, streamStats, string) {
	t.Helper()
	var (
		resp     *http.Response
		drainErr error
	)
	drain := option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		res, err := next(req)
		if err == nil {
			res.Body = &drainOnClose{ReadCloser: res.Body, err: &drainErr}
		}
		return res, err
	})
	stream := e.client.Chat.Completions.NewStreaming(ctxFor(t), params, append(opts, drain, option.WithResponseInto(&resp))...)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	var s streamStats
	for stream.Next() {
		ch := stream.Current()
		s.chunks++
		if !acc.AddChunk(ch) {
			t.Errorf("the SDK accumulator rejected chunk %d: %s", s.chunks, ch.RawJSON())
		}
		if ch.JSON.Usage.Valid() {
			s.usageChunks++
			s.usage = ch.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream failed after %d chunks: %v", s.chunks, describe(err))
	}
	if drainErr != nil {
		t.Fatalf("reading the stream to its end: %v", drainErr)
	}
	h := ""
	if resp != nil {
		h = resp.Header.Get("X-Sluice-Cache")
	}
	return acc, s, h
}

// drainOnClose reads the body to its end before closing it, and keeps
// what went wrong doing so.
type drainOnClose struct {
	io.ReadCloser
	err *error
}

func (d *drainOnClose) Close() error {
	if _, err := io.Copy(io.Discard, d.ReadCloser); err != nil && *d.err == nil {
		*d.err = err
	}
	return d.ReadCloser.Close()
}

func TestCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(configOptions{sections: cacheSections(map[string]any{
		"models": []any{map[string]any{"model": "gemini", "cache_nondeterministic": true}},
	})}))

	t.Run("json then stream share one entry", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		params := deterministic("gpt-4o", "hello "+marker)
		first, h1 := complete(t, e, params)
		second, h2 := complete(t, e, params)
		if h1 != "miss" || h2 != "hit" {
			t.Errorf("x-sluice-cache = %q then %q, want miss then hit", h1, h2)
		}
		if second.Choices[0].Message.Content != first.Choices[0].Message.Content || second.ID != first.ID {
			t.Errorf("hit %+v differs from the stored answer %+v", second.Choices[0].Message, first.Choices[0].Message)
		}
		if second.Usage.TotalTokens != first.Usage.TotalTokens {
			t.Errorf("hit usage %d, want the stored %d", second.Usage.TotalTokens, first.Usage.TotalTokens)
		}
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		acc, s, h3 := streamed(t, e, params)
		if h3 != "hit" || acc.Choices[0].Message.Content != fp.ReplyText || acc.Choices[0].FinishReason != "stop" {
			t.Errorf("streamed hit: header %q, %q (%s)", h3, acc.Choices[0].Message.Content, acc.Choices[0].FinishReason)
		}
		if s.usageChunks != 1 || s.usage.TotalTokens != first.Usage.TotalTokens {
			t.Errorf("streamed hit with include_usage: %d usage chunks, total %d", s.usageChunks, s.usage.TotalTokens)
		}
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{}
		if _, s, _ := streamed(t, e, params); s.usageChunks != 0 {
			t.Errorf("streamed hit without include_usage sent %d usage chunks", s.usageChunks)
		}
		if n := e.calls(fp.BackendOpenAI, marker); n != 1 {
			t.Errorf("the provider was called %d times, want 1", n)
		}
	})

	t.Run("a stored stream with tool calls serves json and streams", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		params := deterministic("gpt-4o", "Weather in Zürich? "+marker)
		params.Tools = weatherTool()
		acc, _, h1 := streamed(t, e, params)
		if h1 != "miss" || len(acc.Choices) == 0 || len(acc.Choices[0].Message.ToolCalls) != 1 {
			t.Fatalf("first stream: header %q, %+v", h1, acc.Choices)
		}
		want := acc.Choices[0].Message.ToolCalls[0]
		got, h2 := complete(t, e, params)
		if h2 != "hit" || got.Choices[0].FinishReason != "tool_calls" || len(got.Choices[0].Message.ToolCalls) != 1 {
			t.Fatalf("json hit: header %q, %+v", h2, got.Choices[0])
		}
		tc := got.Choices[0].Message.ToolCalls[0]
		if tc.ID != want.ID || tc.Function.Name != "get_weather" || tc.Function.Arguments != fp.ToolArguments {
			t.Errorf("json hit tool call %+v, want %+v", tc, want)
		}
		again, _, h3 := streamed(t, e, params)
		if h3 != "hit" || len(again.Choices[0].Message.ToolCalls) != 1 || again.Choices[0].Message.ToolCalls[0].Function.Arguments != fp.ToolArguments {
			t.Errorf("streamed hit: header %q, %+v", h3, again.Choices)
		}
		if n := e.calls(fp.BackendOpenAI, marker); n != 1 {
			t.Errorf("the provider was called %d times, want 1", n)
		}
	})

	t.Run("translated providers", func(t *testing.T) {
		t.Parallel()
		for _, model := range []string{"claude", "bedrock-claude", "azure-gpt"} {
			marker := newMarker()
			params := deterministic(model, "hi "+marker)
			params.MaxTokens = openai.Int(64)
			acc, _, h1 := streamed(t, e, params)
			got, h2 := complete(t, e, params)
			if h1 != "miss" || h2 != "hit" || got.Choices[0].Message.Content != acc.Choices[0].Message.Content {
				t.Errorf("%s: %q then %q; %q vs %q", model, h1, h2, acc.Choices[0].Message.Content, got.Choices[0].Message.Content)
			}
		}
	})

	t.Run("cache-control", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		params := deterministic("gpt-4o", "cc "+marker)
		noStore := option.WithHeader("Cache-Control", "no-store")
		noCache := option.WithHeader("Cache-Control", "no-cache")
		_, h1 := complete(t, e, params, noStore)
		_, h2 := complete(t, e, params, noCache) // not looked up, but stored
		_, h3 := complete(t, e, params)
		_, h4 := complete(t, e, params, noCache)
		if got := []string{h1, h2, h3, h4}; !slices.Equal(got, []string{"miss", "miss", "hit", "miss"}) {
			t.Errorf("x-sluice-cache = %q, want miss, miss, hit, miss", got)
		}
		if n := e.calls(fp.BackendOpenAI, marker); n != 3 {
			t.Errorf("the provider was called %d times, want 3", n)
		}
	})

	t.Run("errors are not stored", func(t *testing.T) {
		t.Parallel()
		for _, kind := range []fp.FaultKind{fp.ServerError, fp.StreamError} {
			p := providers[0]
			marker := newMarker()
			body := mustJSON(t, map[string]any{"model": p.faultModel(kind), "temperature": 0, "stream": kind == fp.StreamError,
				"messages": []any{user("fail " + marker)}})
			for range 2 {
				r := e.post(t, "/v1/chat/completions", body)
				if r.header.Get("X-Sluice-Cache") != "miss" {
					t.Errorf("%s: status %d, x-sluice-cache %q, want miss", kind, r.status, r.header.Get("X-Sluice-Cache"))
				}
			}
			if n := e.calls(p.backend, marker); n != 2 {
				t.Errorf("%s: the provider was called %d times, want 2", kind, n)
			}
		}
	})

	t.Run("temperature", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name, model string
			temp        any // nil: unset
			cached      bool
		}{
			{"unset", "gpt-4o", nil, false},
			{"sampled", "gpt-4o", 0.7, false},
			{"zero", "gpt-4o", 0, true},
			{"sampled on a model that caches it", "gemini", 0.7, true},
		} {
			marker := newMarker()
			req := map[string]any{"model": tc.model, "messages": []any{user("t " + marker)}}
			if tc.temp != nil {
				req["temperature"] = tc.temp
			}
			body := mustJSON(t, req)
			r1, r2 := e.post(t, "/v1/chat/completions", body), e.post(t, "/v1/chat/completions", body)
			want1, want2, calls := "", "", 2
			if tc.cached {
				want1, want2, calls = "miss", "hit", 1
			}
			if r1.header.Get("X-Sluice-Cache") != want1 || r2.header.Get("X-Sluice-Cache") != want2 {
				t.Errorf("%s: x-sluice-cache %q, %q; want %q, %q", tc.name, r1.header.Get("X-Sluice-Cache"),
					r2.header.Get("X-Sluice-Cache"), want1, want2)
			}
			backend := fp.BackendOpenAI
			if tc.model == "gemini" {
				backend = fp.BackendGemini
			}
			if n := e.calls(backend, marker); n != calls {
				t.Errorf("%s: the provider was called %d times, want %d", tc.name, n, calls)
			}
		}
	})

	// The key is computed after pseudonymization, so two clients who wrote
	// different addresses in the same sentence ask the provider the same
	// question: the second is served the first's answer, and gets its own
	// address back in it, never the first client's.
	t.Run("pseudonymized PII", func(t *testing.T) {
		t.Parallel()
		marker := newMarker()
		ask := func(email string, stream bool) string {
			body := mustJSON(t, map[string]any{"model": "gpt-4o", "temperature": 0, "stream": stream,
				"messages": []any{user("write to " + email + " " + marker)}})
			r := e.post(t, "/v1/chat/completions", body, fp.ReplyHeader, "echo")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			return r.header.Get("X-Sluice-Cache") + " " + answerText(t, r.body, stream)
		}
		for _, tc := range []struct {
			email  string
			stream bool
			want   string
		}{
			{"alice@example.com", false, "miss write to alice@example.com "},
			{"bob@example.org", false, "hit write to bob@example.org "},
			{"carol@example.net", true, "hit write to carol@example.net "},
		} {
			if got := ask(tc.email, tc.stream); got != tc.want+marker {
				t.Errorf("%s: got %q, want %q", tc.email, got, tc.want+marker)
			}
		}
		if n := e.calls(fp.BackendOpenAI, marker); n != 1 {
			t.Errorf("the provider was called %d times, want 1", n)
		}
	})

	t.Run("anthropic-native requests are not cached", func(t *testing.T) {
		t.Parallel()
		body := `{"model":"claude","max_tokens":32,"temperature":0,"messages":[{"role":"user","content":"hi ` + newMarker() + `"}]}`
		for range 2 {
			if r := e.postMessages(t, body); r.status != 200 || r.header.Get("X-Sluice-Cache") != "" {
				t.Errorf("status %d, x-sluice-cache %q", r.status, r.header.Get("X-Sluice-Cache"))
			}
		}
	})
}

// Two replicas share one cache in Redis: an answer stored by one serves
// the other, compressed, without the client's PII.
func TestCacheSharedRedis(t *testing.T) {
	t.Parallel()
	r := redistest.StartRedis(t)
	e := newEnv(t, withReplicas(2), withConfig(configOptions{sections: map[string]any{
		"state":           redisState(r.Addr),
		"cache":           map[string]any{"store": "redis", "ttl": "10m"},
		"data_protection": map[string]any{"actions": map[string]any{"EMAIL_ADDRESS": "pseudonymize"}},
	}}))
	marker := newMarker()
	body := mustJSON(t, map[string]any{"model": "gpt-4o", "temperature": 0,
		"messages": []any{user("write to alice@example.com " + marker)}})
	first := e.mustSend(t, e.replicaURLs[0], clientKeyRecord(), body)
	second := e.mustSend(t, e.replicaURLs[1], clientKeyRecord(), body)
	if first.header.Get("X-Sluice-Cache") != "miss" || second.header.Get("X-Sluice-Cache") != "hit" {
		t.Errorf("x-sluice-cache %q then %q, want miss then hit", first.header.Get("X-Sluice-Cache"), second.header.Get("X-Sluice-Cache"))
	}
	if gjson.GetBytes(first.body, "choices.0.message.content").Str != gjson.GetBytes(second.body, "choices.0.message.content").Str {
		t.Errorf("the replicas answered differently: %s / %s", first.body, second.body)
	}
	if n := e.calls(fp.BackendOpenAI, marker); n != 1 {
		t.Errorf("the provider was called %d times, want 1", n)
	}
	c := r.Client(t)
	keys, err := c.Keys(context.Background(), "sluice:cache:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("cache keys in Redis: %v, %v", keys, err)
	}
	raw, _ := c.Get(context.Background(), keys[0]).Bytes()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	plain, err := dec.DecodeAll(raw, nil)
	if err != nil {
		t.Fatalf("the stored entry is not zstd: %v", err)
	}
	if bytes.Contains(plain, []byte("alice@example.com")) || !bytes.Contains(plain, []byte(fp.ReplyText)) {
		t.Errorf("stored entry %s: want the provider's answer and no client address", plain)
	}
	if ttl := c.TTL(context.Background(), keys[0]).Val(); ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Errorf("entry TTL %s, want 10m", ttl)
	}
}

// A hit served through the stand-in is at least ten times faster than a
// miss to a provider that takes 50ms.
func TestCacheHitLatency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(configOptions{sections: map[string]any{"cache": map[string]any{}}}))
	e.fakes.Fake(fp.BackendOpenAI).SetFault(fp.Fault{Delay: 50 * time.Millisecond})
	e.fakes.SetSplit(fp.Whole())
	const n = 20
	var misses, hits []time.Duration
	for i := range n {
		marker := newMarker()
		body := mustJSON(t, map[string]any{"model": "gpt-4o", "temperature": 0, "messages": []any{user("x " + marker)}})
		start := time.Now()
		if r := e.post(t, "/v1/chat/completions", body); r.header.Get("X-Sluice-Cache") != "miss" {
			t.Fatalf("request %d: status %d, %q", i, r.status, r.header.Get("X-Sluice-Cache"))
		}
		misses = append(misses, time.Since(start))
		start = time.Now()
		if r := e.post(t, "/v1/chat/completions", body); r.header.Get("X-Sluice-Cache") != "hit" {
			t.Fatalf("request %d: status %d, %q", i, r.status, r.header.Get("X-Sluice-Cache"))
		}
		hits = append(hits, time.Since(start))
	}
	slices.Sort(misses)
	slices.Sort(hits)
	miss, hit := misses[n/2], hits[n/2]
	t.Logf("median over %d: miss %s, hit %s (%.0fx); p90 miss %s, hit %s", n, miss, hit,
		float64(miss)/float64(hit), misses[n*9/10], hits[n*9/10])
	switch {
	case raceEnabled:
		// The race detector slows Sluice's side several times over, and
		// the ratio with it: the 10x target is measured without it
		// (BENCHMARKS.md). A hit must still not wait for the provider.
		if hit*2 > miss {
			t.Errorf("median hit %s is not well under median miss %s: hits wait for the provider", hit, miss)
		}
	case hit*10 > miss:
		t.Errorf("median hit %s is not 10x faster than median miss %s", hit, miss)
	}
}

// On an exact miss, a request whose last user message means the same as a
// stored one's, with everything else equal, is served the stored answer;
// embedding failures are misses.
func TestCacheSemantic(t *testing.T) {
	t.Parallel()
	// semcachetest's lexical embedder scores these paraphrases above 0.9
	// and the other country below it.
	emb := semcachetest.NewServer(t, 0)
	e := newEnv(t, withConfig(configOptions{sections: map[string]any{"cache": map[string]any{
		"semantic": map[string]any{"endpoint": emb.URL, "model": "lexical", "threshold": 0.9},
	}}}))
	marker := newMarker()
	ask := func(system, text string) string {
		t.Helper()
		params := openai.ChatCompletionNewParams{Model: "gpt-4o", Temperature: openai.Float(0),
			Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage(text + " " + marker)}}
		_, h := complete(t, e, params)
		return h
	}
	if got := ask("be brief", "What is the capital of France?"); got != "miss" {
		t.Errorf("first: x-sluice-cache %q, want miss", got)
	}
	// The answer joins the semantic index after it was sent: wait for
	// its embedding.
	for deadline := time.Now().Add(5 * time.Second); emb.Calls() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	for _, tc := range []struct{ name, system, text, want string }{
		{"paraphrase", "be brief", "Which city is the capital of France?", "hit"},
		{"another country", "be brief", "What is the capital of Peru?", "miss"},
		{"another system prompt", "be verbose", "Which city is the capital of France?", "miss"},
	} {
		if got := ask(tc.system, tc.text); got != tc.want {
			t.Errorf("%s: x-sluice-cache %q, want %q", tc.name, got, tc.want)
		}
	}
	if n := e.calls(fp.BackendOpenAI, marker); n != 3 {
		t.Errorf("the provider was called %d times, want 3", n)
	}
	emb.Fail(http.StatusServiceUnavailable)
	if got := ask("be brief", "Tell me the capital city of France."); got != "miss" {
		t.Errorf("with embeddings down: x-sluice-cache %q, want miss (fail open)", got)
	}
}

// A hit is a request (it counts against requests_per_minute) that used no
// tokens: its admission is settled with none.
func TestCacheHitAdmission(t *testing.T) {
	t.Parallel()
	key := newKey(t, keyRecord{Name: "cache-limits", Tenant: "e2e"})
	e := newEnv(t, withConfig(configOptions{
		keys: []keyRecord{key},
		limitRules: []map[string]any{{"name": "per-key", "scope": "key",
			"requests_per_minute": 100, "tokens_per_minute": 1000}},
		sections: map[string]any{"cache": map[string]any{}},
	}))
	e.fakes.Forbid(key.key)
	body := mustJSON(t, map[string]any{"model": "gpt-4o", "temperature": 0, "max_tokens": 50,
		"messages": []any{user("limits " + newMarker())}})
	var requests []string
	var tokens []int
	for i := range 3 {
		r := e.mustSend(t, e.baseURL, key, body)
		if r.status != http.StatusOK {
			t.Fatalf("request %d: status %d: %s", i, r.status, r.body)
		}
		requests = append(requests, r.header.Get("X-Ratelimit-Remaining-Requests"))
		n, err := strconv.Atoi(r.header.Get("X-Ratelimit-Remaining-Tokens"))
		if err != nil {
			t.Fatalf("request %d: x-ratelimit-remaining-tokens %q", i, r.header.Get("X-Ratelimit-Remaining-Tokens"))
		}
		tokens = append(tokens, n)
	}
	// Remaining counts are read at admission, before the request settles:
	// the second request sees the first (a miss) charged its usage, the
	// third sees the second (a hit) charged nothing. The bucket refills
	// about 17 tokens a second meanwhile.
	if !slices.Equal(requests, []string{"99", "98", "97"}) {
		t.Errorf("x-ratelimit-remaining-requests = %q, want 99, 98, 97", requests)
	}
	if miss, hit := tokens[0]-tokens[1], tokens[1]-tokens[2]; miss < fp.TotalTokens-5 || hit > 2 {
		t.Errorf("x-ratelimit-remaining-tokens = %d: a miss charged %d, a hit %d; want about %d and 0", tokens, miss, hit, fp.TotalTokens)
	}
}
