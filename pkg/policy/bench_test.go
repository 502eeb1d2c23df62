package policy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The benchmark's scale: a large deployment's catalogue.
const (
	benchTenants  = 100
	benchKeys     = 1000
	benchModels   = 20
	benchBackends = 5
)

// referencePolicy is the policy library Sluice ships. The benchmark uses it
// when it is present and decides the benchmark's inputs; otherwise the
// representative policy in testdata/bench.
const referencePolicy = "../../policies/sluice"

func benchCatalogue() Catalogue {
	c := Catalogue{
		Tenants:  make(map[string]Tenant, benchTenants),
		Models:   make(map[string]Model, benchModels),
		Backends: make(map[string]Backend, benchBackends),
	}
	for i := range benchBackends {
		c.Backends[fmt.Sprintf("backend-%d", i)] = Backend{
			Provider: "openai",
			Labels:   map[string]string{"region": []string{"us", "eu"}[i%2], "tier": "standard"},
		}
	}
	for i := range benchModels {
		labels := map[string]string{"family": fmt.Sprintf("f%d", i%4)}
		if i%5 == 0 {
			labels["restricted"] = "true"
		}
		if i%2 == 0 {
			labels["cheaper"] = fmt.Sprintf("model-%02d", i+1)
		}
		c.Models[fmt.Sprintf("model-%02d", i)] = Model{
			Backend:       fmt.Sprintf("backend-%d", i%benchBackends),
			Provider:      "openai",
			UpstreamModel: fmt.Sprintf("upstream-%02d", i),
			Aliases:       []string{fmt.Sprintf("alias-%02d", i)},
			Labels:        labels,
		}
	}
	for i := range benchTenants {
		var allow []string
		if i%4 != 0 { // a quarter of tenants may use every model
			for m := range 8 {
				allow = append(allow, fmt.Sprintf("model-%02d", (i+m)%benchModels))
			}
		}
		teams := map[string]Team{}
		for t := range 3 {
			teams[fmt.Sprintf("team-%d", t)] = Team{Labels: map[string]string{"cost_center": fmt.Sprint(t)}}
		}
		c.Tenants[fmt.Sprintf("tenant-%03d", i)] = Tenant{
			Models: allow,
			Roles:  []string{"developer", "ml-admin", "viewer"},
			Labels: map[string]string{"tier": []string{"gold", "silver", "bronze"}[i%3]},
			Region: []string{"us", "eu"}[i%2],
			Teams:  teams,
		}
	}
	return c
}

// benchInputs are requests from benchKeys API keys spread over the
// tenants, mostly allowed, some denied by each rule.
func benchInputs() []*Input {
	ins := make([]*Input, benchKeys)
	now := clock
	for k := range benchKeys {
		tenant := k % benchTenants
		in := &Input{
			Identity: Identity{
				Authenticated: true,
				Source:        "api_key",
				Subject:       fmt.Sprintf("key:k%04d", k),
				Tenant:        fmt.Sprintf("tenant-%03d", tenant),
				Team:          fmt.Sprintf("team-%d", k%3),
				App:           "ranker",
				User:          fmt.Sprintf("user%d@example.com", k),
				Roles:         []string{"developer"},
				Labels:        map[string]string{"env": "prod"},
				Key: &Key{
					ID: fmt.Sprintf("k%04d", k), Name: "ranker-prod", Owner: "owner@example.com",
					ExpiresAt: now.Add(365 * 24 * time.Hour), Expired: k%97 == 0,
					Labels: map[string]string{"env": "prod"},
				},
			},
			Request: Request{
				ID: fmt.Sprintf("req-%d", k), API: "chat_completions", Method: "POST",
				Path: "/v1/chat/completions", Model: fmt.Sprintf("model-%02d", (tenant+k%8)%benchModels),
				Stream: k%2 == 0, MaxTokens: 512, InputTokensEstimate: 734, MessageCount: 4,
				Parameters: map[string]any{"temperature": 0.2, "top_p": 1.0, "n": 1, "response_format": "json_schema"},
				Tools:      Tools{Present: true, Count: 2, Names: []string{"search", "lookup"}},
				LastUserMessage: "How do I reverse a linked list in Go? I have tried iterating and " +
					"keeping a pointer to the previous node but I lose the rest of the list.",
			},
			Source:    Source{Address: fmt.Sprintf("10.1.%d.%d", k/250, k%250), Port: 53122},
			RouteName: "sluice",
			Findings:  Findings{PII: PII{Types: []string{"EMAIL"}, Count: k % 2}, Injection: Injection{Score: 0.02}},
			Time:      now,
		}
		if k%13 == 0 {
			in.Findings.Injection.Score = 0.95
		}
		ins[k] = in
	}
	return ins
}

// benchPolicies are the policies to measure: the reference library when it
// is present, and the representative fixture.
func benchPolicies() []string {
	dirs := []string{}
	if _, err := os.Stat(referencePolicy); err == nil {
		dirs = append(dirs, referencePolicy)
	}
	return append(dirs, "testdata/bench")
}

// benchEngine loads dir with the benchmark catalogue. It skips a policy
// that does not load or does not decide the benchmark inputs (the
// reference library while it is being written).
func benchEngine(tb testing.TB, dir string) (*Engine, []*Input) {
	tb.Helper()
	ins := benchInputs()
	e, err := New(context.Background(), Options{
		Dir: dir, Catalogue: benchCatalogue(), Now: fixedNow, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Skipf("%s does not load: %v", dir, err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	if !decides(e, ins) {
		tb.Skipf("%s does not decide the benchmark inputs", dir)
	}
	return e, ins
}

// decides reports whether the policy allows most inputs and denies some,
// so the benchmark measures real rule evaluation.
func decides(e *Engine, ins []*Input) bool {
	allowed, denied := 0, 0
	for _, in := range ins {
		d, err := e.Evaluate(context.Background(), in)
		switch {
		case err != nil || d.Reason == reasonUndefined:
			return false
		case d.Allow:
			allowed++
		default:
			denied++
		}
	}
	return allowed > len(ins)/2 && denied > 0
}

func BenchmarkDecision(b *testing.B) {
	for _, dir := range benchPolicies() {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			e, ins := benchEngine(b, dir)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := e.Evaluate(ctx, ins[i%len(ins)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkDecisionParallel(b *testing.B) {
	for _, dir := range benchPolicies() {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			e, ins := benchEngine(b, dir)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := e.Evaluate(ctx, ins[i%len(ins)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

func BenchmarkInputToAST(b *testing.B) {
	in := benchInputs()[1]
	timeTerm := newTimeTerm(clock)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.toAST(&builder{}, timeTerm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecisionID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = newDecisionID()
	}
}

// TestDecisionLatency reports the latency distribution of 10,000
// evaluations per policy; run it with -v. It asserts nothing about time,
// which depends on the machine; the targets are p50 ≤ 30µs, p99 ≤ 100µs.
// Beside wall time it reports each evaluation's CPU time on its thread,
// which a busy machine does not inflate.
func TestDecisionLatency(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("latency report: not with -short or -race")
	}
	for _, dir := range benchPolicies() {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			e, ins := benchEngine(t, dir)
			ctx := context.Background()
			for _, in := range ins { // warm up
				_, _ = e.Evaluate(ctx, in)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const n = 10000
			wall := make([]time.Duration, n)
			cpu := make([]time.Duration, n)
			for i := range n {
				c0, _ := threadCPU()
				start := time.Now()
				if _, err := e.Evaluate(ctx, ins[i%len(ins)]); err != nil {
					t.Fatal(err)
				}
				wall[i] = time.Since(start)
				c1, ok := threadCPU()
				if ok {
					cpu[i] = c1 - c0
				}
			}
			t.Logf("%s: %d evaluations", dir, n)
			t.Logf("  wall: %s", percentiles(wall))
			if _, ok := threadCPU(); ok {
				t.Logf("  cpu:  %s", percentiles(cpu))
			}
		})
	}
}

func percentiles(d []time.Duration) string {
	slices.Sort(d)
	n := len(d)
	return fmt.Sprintf("p50 %v, p90 %v, p99 %v, max %v", d[n/2], d[n*90/100], d[n*99/100], d[n-1])
}

// BenchmarkOverhead is the engine's own cost: the input conversion, OPA's
// per-query setup and the decision checks, around a one-lookup policy.
func BenchmarkOverhead(b *testing.B) {
	e := newTestEngine(b, Options{Dir: "testdata/cases", Catalogue: testCatalogue})
	in := benchInputs()[1]
	in.Request.Model = "allow-full"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
