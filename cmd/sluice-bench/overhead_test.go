package main

import (
	"context"
	"testing"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// BenchmarkSluice drives OpenAI → OpenAI calls through Sluice alone, with
// limits and observability off and on, so what each feature adds per
// request can be compared with -benchmem and -count. Allocations and
// cpu-µs/op are the whole process's, driver included; compare
// sub-benchmarks, not absolute figures.
func BenchmarkSluice(b *testing.B) {
	if err := setBenchSecrets(); err != nil {
		b.Fatal(err)
	}
	cs, err := loadgen.SelectCases([]string{"openai-openai"})
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name          string
		limits, obsOn bool
	}{{"plain", false, false}, {"limits", true, false}, {"observability", false, true}, {"both", true, true}} {
		b.Run(v.name, func(b *testing.B) {
			bc, err := newBenchConfig("")
			if err != nil {
				b.Fatal(err)
			}
			bc.limits = v.limits
			if v.obsOn {
				obs, err := observe(bc)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(obs.close)
			}
			sl, err := startSluice(context.Background(), bc, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer sl.close()
			l := loadgen.Load{Cases: cs, Concurrency: 4, Requests: 200}
			if r := sl.client.Run(context.Background(), l); r.Errors != 0 {
				b.Fatalf("%d warm-up requests failed", r.Errors)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			l.Requests = b.N
			r := sl.client.Run(context.Background(), l)
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			if r.Errors != 0 {
				b.Fatalf("%d requests failed", r.Errors)
			}
		})
	}
}
