package policy

import (
	"context"
	"log/slog"
	"os"
	"strconv"
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

// BenchmarkLoadDecisionMemo is that decision with decisions remembered:
// remembered, every request agreeing with the first on what the policy
// reads (only the request id and last message change); missed, every
// request from a new team, so each is evaluated and, once it is clear
// none repeats, no longer recorded; half, every other request from a new
// team, so half are evaluated, recorded and kept.
func BenchmarkLoadDecisionMemo(b *testing.B) {
	for _, c := range []struct {
		name  string
		every int // a new team every this many requests, or never
	}{{"remembered", 0}, {"missed", 1}, {"half", 2}} {
		b.Run(c.name, func(b *testing.B) {
			e, in := loadDecision(b, false)
			// SLUICE_BENCH_MEMO_OFF=1 runs the same requests with the memo
			// off, to compare.
			memo := os.Getenv("SLUICE_BENCH_MEMO_OFF") == ""
			if memo {
				e.cur.Load().vm.RememberResults(4096)
			}
			ids := make([]string, 1<<12)
			for i := range ids {
				ids[i] = strconv.Itoa(i)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				id := ids[n%len(ids)]
				in.Request.ID, in.Request.LastUserMessage = id, "hello "+id
				miss := c.every > 0 && n%c.every == 0
				if miss {
					in.Identity.Team = "team-" + strconv.Itoa(n)
				} else {
					in.Identity.Team = "load"
				}
				d, err := e.Evaluate(context.Background(), in)
				if err != nil || memo && c.every == 0 && !d.Remembered && n > 1 {
					b.Fatalf("%d: %+v, %v", n, d, err)
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
