package semcache

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/coder/hnsw"
)

// The lookup benchmarks time one search (quantising the query, sketching
// it, scanning its scope) without the embedding call, and report the
// median and 99th percentile next to the mean:
//
//	go test -run '^$' -bench BenchmarkLookup -benchtime 2000x ./pkg/semcache
//
// "hot" puts every entry in one scope (a single-turn FAQ bot on one
// model); "spread" puts ten in each scope (multi-turn conversations, or
// many tenants). Half the queries are paraphrases of a stored entry
// (cosine 0.95) and half match nothing.

// benchThreshold is Sluice's default threshold.
const benchThreshold = 0.95

var benchSizes = []int{1_000, 10_000, 100_000}

var benchDims = []int{256, 768, 1536}

func BenchmarkLookup(b *testing.B) {
	for _, layout := range []string{"hot", "spread"} {
		for _, dims := range benchDims {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("%s/dims=%d/n=%d", layout, dims, n), func(b *testing.B) {
					benchLookup(b, layout, dims, n)
				})
			}
		}
	}
}

// benchData is n stored unit vectors and queries, half near a stored one.
func benchData(dims, n, queries int) (stored, qs [][]float32) {
	stored, qs, _ = benchDataSources(dims, n, queries)
	return stored, qs
}

// benchDataSources also returns, for each query, the stored vector it is
// near (-1 for the others).
func benchDataSources(dims, n, queries int) (stored, qs [][]float32, src []int) {
	r := rand.New(rand.NewPCG(uint64(dims), uint64(n))) // #nosec G115 -- small positive sizes
	stored = make([][]float32, n)
	for i := range stored {
		stored[i] = fastUnit(r, dims)
	}
	qs = make([][]float32, queries)
	src = make([]int, queries)
	for i := range qs {
		if i%2 == 0 {
			src[i] = r.IntN(n)
			qs[i] = near(r, stored[src[i]], 0.96)
		} else {
			src[i] = -1
			qs[i] = fastUnit(r, dims)
		}
	}
	return stored, qs, src
}

// fastUnit is a random unit vector from uniform coordinates: close enough
// to isotropic at these dimensions, and much faster to draw than normals.
func fastUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = r.Float32() - 0.5
	}
	u, _ := normalize(v)
	return u
}

func scopeOf(layout string, i int) string {
	if layout == "hot" {
		return "hot"
	}
	return "scope-" + strconv.Itoa(i/10)
}

func benchLookup(b *testing.B, layout string, dims, n int) {
	stored, qs := benchData(dims, n, 1024)
	s := newStore()
	now := time.Now()
	for i, u := range stored {
		if err := s.add(newEntry(scopeOf(layout, i), strconv.Itoa(i), quantize(u), now), n); err != nil {
			b.Fatal(err)
		}
	}
	// A query's scope: the one of the entry it paraphrases, or a random
	// one for misses.
	r := rand.New(rand.NewPCG(7, 7))
	scopes := make([]string, len(qs))
	for i := range qs {
		scopes[i] = scopeOf(layout, r.IntN(n))
	}
	cutoff := now.Add(-time.Hour).UnixNano()
	tm := newTimer(b.N)
	b.ResetTimer()
	for i := range b.N {
		u := qs[i%len(qs)]
		tm.begin()
		s.search(scopes[i%len(qs)], quantize(u), benchThreshold, cutoff)
		tm.end()
	}
	b.StopTimer()
	tm.report(b)
}

// timer records each operation's wall and thread CPU time. The goroutine
// is locked to its thread so that the CPU clock is the operation's.
type timer struct {
	wall, cpu   []time.Duration
	start, cpu0 time.Duration
	epoch       time.Time
}

func newTimer(n int) *timer {
	runtime.LockOSThread()
	return &timer{wall: make([]time.Duration, 0, n), cpu: make([]time.Duration, 0, n), epoch: time.Now()}
}

func (t *timer) begin() { t.start, t.cpu0 = time.Since(t.epoch), threadCPU() }

func (t *timer) end() {
	t.wall = append(t.wall, time.Since(t.epoch)-t.start)
	t.cpu = append(t.cpu, threadCPU()-t.cpu0)
}

// report adds p50 and p99 of wall and CPU time, in microseconds.
func (t *timer) report(b *testing.B) {
	runtime.UnlockOSThread()
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"", t.wall}, {"cpu-", t.cpu}} {
		slices.Sort(m.d)
		p := func(q float64) float64 { return float64(m.d[int(q*float64(len(m.d)-1))].Nanoseconds()) / 1e3 }
		b.ReportMetric(p(0.50), m.name+"p50-µs")
		b.ReportMetric(p(0.99), m.name+"p99-µs")
	}
}

// BenchmarkScan compares ways to search one hot scope of n entries:
// float32 exact scan (the memory layout an index without quantisation
// needs), int8 exact scan, the sketch prefilter with int8 rescoring that
// Index uses, and coder/hnsw, a pure-Go HNSW graph:
//
//	go test -run '^$' -bench BenchmarkScan -benchtime 1000x -timeout 60m ./pkg/semcache
func BenchmarkScan(b *testing.B) {
	for _, dims := range benchDims {
		for _, n := range benchSizes {
			stored, qs, src := benchDataSources(dims, n, 1024)
			b.Run(fmt.Sprintf("float32/dims=%d/n=%d", dims, n), func(b *testing.B) { benchFloat32(b, stored, qs) })
			b.Run(fmt.Sprintf("int8/dims=%d/n=%d", dims, n), func(b *testing.B) { benchInt8(b, stored, qs) })
			b.Run(fmt.Sprintf("sketch+int8/dims=%d/n=%d", dims, n), func(b *testing.B) { benchSketch(b, stored, qs, src) })
			b.Run(fmt.Sprintf("hnsw/dims=%d/n=%d", dims, n), func(b *testing.B) { benchHNSW(b, stored, qs, src) })
		}
	}
}

func benchFloat32(b *testing.B, stored, qs [][]float32) {
	tm := newTimer(b.N)
	for i := range b.N {
		u := qs[i%len(qs)]
		tm.begin()
		best := float32(-2)
		for _, v := range stored {
			var d float32
			for j, x := range u {
				d += x * v[j]
			}
			best = max(best, d)
		}
		tm.end()
	}
	tm.report(b)
}

func benchInt8(b *testing.B, stored, qs [][]float32) {
	q8 := make([]quantized, len(stored))
	for i, v := range stored {
		q8[i] = quantize(v)
	}
	b.ResetTimer()
	tm := newTimer(b.N)
	for i := range b.N {
		tm.begin()
		q := quantize(qs[i%len(qs)])
		best := float32(-2)
		for _, v := range q8 {
			best = max(best, dot(q, v))
		}
		tm.end()
	}
	tm.report(b)
}

func benchSketch(b *testing.B, stored, qs [][]float32, src []int) {
	s := newStore()
	now := time.Now()
	buildStart := time.Now()
	for i, u := range stored {
		if err := s.add(newEntry("hot", strconv.Itoa(i), quantize(u), now), len(stored)); err != nil {
			b.Fatal(err)
		}
	}
	build := time.Since(buildStart)
	b.ResetTimer()
	tm := newTimer(b.N)
	found := 0
	for i := range b.N {
		u := qs[i%len(qs)]
		tm.begin()
		e, _ := s.search("hot", quantize(u), benchThreshold, 0)
		tm.end()
		if e != nil && src[i%len(qs)] >= 0 && e.key == strconv.Itoa(src[i%len(qs)]) {
			found++
		}
	}
	reportRecall(b, found, src)
	// After ResetTimer, which drops metrics reported before it.
	b.ReportMetric(build.Seconds(), "build-s")
	b.StopTimer()
	tm.report(b)
}

func benchHNSW(b *testing.B, stored, qs [][]float32, src []int) {
	if len(stored) > 10_000 && len(stored[0]) > 256 {
		b.Skip("building the graph takes too long at this size")
	}
	// coder/hnsw keeps only k results while it walks the bottom layer and
	// stops at the first step that brings no better one, so Search(q, 1)
	// is a greedy walk that found the source of only 42% of the near
	// queries here. Asking for efK results and keeping the best is the
	// usual HNSW search (ef ≥ k).
	const efK = 32
	g := hnsw.NewGraph[int]()
	g.Distance = hnsw.CosineDistance
	g.EfSearch = efK
	buildStart := time.Now()
	for i, u := range stored {
		g.Add(hnsw.MakeNode(i, u))
	}
	build := time.Since(buildStart)
	b.ResetTimer()
	tm := newTimer(b.N)
	found := 0
	for i := range b.N {
		tm.begin()
		q := qs[i%len(qs)]
		res := g.Search(q, efK)
		best, bestD := -1, float32(2)
		for _, n := range res {
			if d := hnsw.CosineDistance(n.Value, q); d < bestD {
				best, bestD = n.Key, d
			}
		}
		tm.end()
		if best >= 0 && best == src[i%len(qs)] {
			found++
		}
	}
	reportRecall(b, found, src)
	// After ResetTimer, which drops metrics reported before it.
	b.ReportMetric(build.Seconds(), "build-s")
	b.StopTimer()
	tm.report(b)
}

// reportRecall reports the share of the near queries run whose source
// entry was found: the exact scan's is 1 by construction.
func reportRecall(b *testing.B, found int, src []int) {
	near := 0
	for i := range b.N {
		if src[i%len(src)] >= 0 {
			near++
		}
	}
	if near > 0 {
		b.ReportMetric(float64(found)/float64(near), "recall")
	}
}

// BenchmarkMemory reports the heap one stored entry takes, vector, sketch
// and bookkeeping included, with 100,000 entries of 64-character keys in
// scopes of ten:
//
//	go test -run '^$' -bench BenchmarkMemory -benchtime 1x ./pkg/semcache
func BenchmarkMemory(b *testing.B) {
	for _, dims := range benchDims {
		b.Run(fmt.Sprintf("dims=%d", dims), func(b *testing.B) {
			const n = 100_000
			stored, _ := benchData(dims, n, 1)
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s := newStore()
				now := time.Now()
				for i, u := range stored {
					key := fmt.Sprintf("%064d", i)
					if err := s.add(newEntry(fmt.Sprintf("%064d", i/10), key, quantize(u), now), n); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entry")
				runtime.KeepAlive(s)
			}
		})
	}
}
