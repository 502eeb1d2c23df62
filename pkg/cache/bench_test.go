package cache

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// chatBody is a realistic request of about size bytes: a system prompt,
// alternating turns and two tools.
func chatBody(size int) []byte {
	b := []byte(`{"model":"gpt-4o","temperature":0,"max_tokens":512,"user":"u-123","messages":[`)
	b = append(b, `{"role":"system","content":"You are a support assistant for Acme. Answer briefly and cite the policy section you rely on."}`...)
	sentence := "The customer says the order arrived damaged and asks whether the refund covers shipping, and when it will be paid. "
	for turn := 0; len(b) < size-900; turn++ {
		role := "user"
		if turn%2 == 1 {
			role = "assistant"
		}
		b = append(b, `,{"role":"`+role+`","content":`...)
		b = rawjson.AppendString(b, strings.Repeat(sentence, 2))
		b = append(b, '}')
	}
	b = append(b, `],"tools":[{"type":"function","function":{"name":"lookup_order","description":"Find an order by id","parameters":{"type":"object","properties":{"id":{"type":"string"},"include_items":{"type":"boolean"}},"required":["id"]}}},{"type":"function","function":{"name":"refund","description":"Refund an order","parameters":{"type":"object","properties":{"id":{"type":"string"},"amount":{"type":"number"}},"required":["id","amount"]}}}],"tool_choice":"auto","response_format":{"type":"text"}}`...)
	return b
}

// BenchmarkLookup is an exact-cache hit in memory: the key computed from
// the body, then the store read. It reports p50 and p99 latency.
func BenchmarkLookup(b *testing.B) {
	for _, size := range []int{2 << 10, 8 << 10} {
		body := chatBody(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			ctx := context.Background()
			m := NewMemory(256 << 20)
			scope := Scope{Tenant: "acme", Model: "gpt-4o", Backend: "openai", Upstream: "gpt-4o"}
			// A full store: the lookup finds its key among many.
			for i := range 10000 {
				_ = m.Set(ctx, fmt.Sprintf("%064d", i), entry(1000), time.Hour)
			}
			_ = m.Set(ctx, ComputeKey(scope, body).Exact, entry(1000), time.Hour)
			lat := make([]time.Duration, 0, b.N)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				if _, ok, _ := m.Get(ctx, ComputeKey(scope, body).Exact); !ok {
					b.Fatal("miss")
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkReplay is the SSE replay of a stored answer with restore.
func BenchmarkReplay(b *testing.B) {
	a := newAssembler(1 << 20)
	a.feed([]byte(streams["text"]))
	body, err := a.completion(usage)
	if err != nil {
		b.Fatal(err)
	}
	ps := map[string]string{"<EMAIL_ADDRESS_1>": "bob@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		_ = Replay(Restore(body, ps), usage, true)
	}
}

// BenchmarkComputeKey is the exact key alone, for a chat request of each
// size.
func BenchmarkComputeKey(b *testing.B) {
	scope := Scope{Tenant: "acme", Model: "gpt-4o", Backend: "openai", Upstream: "gpt-4o"}
	for _, size := range []int{2 << 10, 8 << 10, 64 << 10} {
		body := chatBody(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_ = ComputeKey(scope, body)
			}
		})
	}
}
