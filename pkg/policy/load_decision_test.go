package policy

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// loadDecision is the decision `make bench -policy policies/sluice` asks
// for on every request: the shipped policy and data, one tenant, team and
// key, a plain chat request for a configured model.
func loadDecision(tb testing.TB, interp bool) (*Engine, *Input) {
	e, err := New(context.Background(), Options{
		Dir: refPolicyDir, Interpreter: interp,
		Catalogue: Catalogue{
			Tenants:  map[string]Tenant{"bench": {Teams: map[string]Team{"load": {}}}},
			Models:   map[string]Model{"gpt-4o-mini": {Backend: "openai", Provider: "openai"}, "claude-haiku": {Backend: "anthropic", Provider: "anthropic", UpstreamModel: "claude-3-5-haiku-20241022"}},
			Backends: map[string]Backend{"openai": {Provider: "openai"}, "anthropic": {Provider: "anthropic"}},
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	in := &Input{
		Identity: Identity{Authenticated: true, Source: "api_key", Subject: "key:bench", Tenant: "bench", Team: "load", Roles: []string{"developer"},
			Key: &Key{ID: "bench", Name: "sluice-bench"}},
		Request: Request{ID: "r1", API: "chat_completions", Method: "POST", Path: "/v1/chat/completions", Model: "gpt-4o-mini", MessageCount: 1, LastUserMessage: "hello there"},
		Time:    time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC),
	}
	return e, in
}

// BenchmarkLoadDecision compares the compiled plan with OPA's interpreter
// on that decision.
func BenchmarkLoadDecision(b *testing.B) {
	for _, interp := range []bool{false, true} {
		b.Run(map[bool]string{false: "plan", true: "interpreter"}[interp], func(b *testing.B) {
			e, in := loadDecision(b, interp)
			d, _ := e.Evaluate(context.Background(), in)
			if !d.Allow {
				b.Fatalf("%+v", d)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadDecisionFreshGoroutine evaluates each decision on a new
// goroutine, as Envoy's streams arrive: its stack starts small.
func BenchmarkLoadDecisionFreshGoroutine(b *testing.B) {
	e, in := loadDecision(b, false)
	done := make(chan error)
	b.ReportAllocs()
	for b.Loop() {
		go func() {
			_, err := e.Evaluate(context.Background(), in)
			done <- err
		}()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}
