package semcache

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/semcache/semcachetest"
)

// vectorEmbedder embeds "v<i>" as vecs[i], for synthetic benchmarks and
// recall tests that need no text.
type vectorEmbedder [][]float32

func (v vectorEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		n, _ := strconv.Atoi(t[1:])
		out[i] = v[n]
	}
	return out, nil
}

func randomUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	u, _ := normalize(v)
	return u
}

// near returns a unit vector at cosine c from the unit vector u.
func near(r *rand.Rand, u []float32, c float64) []float32 {
	n := randomUnit(r, len(u))
	var d float64
	for i := range u {
		d += float64(u[i]) * float64(n[i])
	}
	s := math.Sqrt(1 - c*c)
	out := make([]float32, len(u))
	var norm float64
	for i := range u {
		o := float64(n[i]) - d*float64(u[i])
		out[i] = float32(o)
		norm += o * o
	}
	norm = math.Sqrt(norm)
	for i := range out {
		out[i] = float32(c*float64(u[i]) + s*float64(out[i])/norm)
	}
	return out
}

// TestSketchPrefilterFindsTheExactBest checks that, in a partition large
// enough for the sign-sketch prefilter, Lookup finds the same entry as
// scoring every entry: for dense random vectors near the threshold, and
// for the sparse vectors of semcachetest's embedder.
func TestSketchPrefilterFindsTheExactBest(t *testing.T) {
	t.Run("random", func(t *testing.T) {
		const n, dims, queries = 600, 128, 200
		r := rand.New(rand.NewPCG(1, 2))
		vecs := make([][]float32, n+queries)
		for i := range n {
			vecs[i] = randomUnit(r, dims)
		}
		for q := range queries {
			// Queries from a little to well above the threshold.
			vecs[n+q] = near(r, vecs[r.IntN(n)], 0.8+0.19*r.Float64())
		}
		checkPrefilter(t, vecs[:n], vecs[n:], 0.8)
	})
	t.Run("text", func(t *testing.T) {
		raw, err := os.ReadFile("testdata/paraphrases.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		e := semcachetest.Embedder{Dims: 256}
		var stored, queries [][]float32
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var p struct{ A, B string }
			if err := json.Unmarshal([]byte(line), &p); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, e.Vector(p.A))
			queries = append(queries, e.Vector(p.B))
		}
		checkPrefilter(t, stored, queries, 0.7)
	})
}

func checkPrefilter(t *testing.T, stored, queries [][]float32, threshold float32) {
	t.Helper()
	ix := newIndex(t, Options{Embedder: vectorEmbedder(stored), MaxEntries: len(stored)})
	for i := range stored {
		mustAdd(t, ix, "s", "v"+strconv.Itoa(i), strconv.Itoa(i))
	}
	entries := ix.store.parts["s"].entries
	if len(entries) < exactBelow {
		t.Fatalf("%d entries: too few for the prefilter", len(entries))
	}
	misses, hits := 0, 0
	for _, u := range queries {
		u, _ = normalize(u)
		qq := quantize(u)
		want, wantScore := "", threshold
		for _, e := range entries {
			if s := dot(qq, e.vec); s >= wantScore {
				want, wantScore = e.key, s
			}
		}
		got, score, _, err := ix.search("s", qq, threshold)
		if err != nil {
			t.Fatal(err)
		}
		if want != "" {
			hits++
		}
		// Equal vectors under different keys tie: compare scores.
		if (got == "") != (want == "") || (want != "" && score != wantScore) {
			misses++
		}
	}
	if misses > 0 || hits == 0 {
		t.Fatalf("%d of %d lookups differ from an exact scan (%d hits)", misses, len(queries), hits)
	}
}

func TestQuantizedDotIsClose(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, dims := range []int{3, 256, 768, 1536} {
		for range 50 {
			a := randomUnit(r, dims)
			b := near(r, a, 0.5+0.5*r.Float64())
			var exact float64
			for i := range a {
				exact += float64(a[i]) * float64(b[i])
			}
			got := dot(quantize(a), quantize(b))
			if math.Abs(float64(got)-exact) > 0.01 {
				t.Fatalf("dims %d: quantised cosine %.4f, exact %.4f", dims, got, exact)
			}
		}
	}
}

func TestVectorEncodingRoundTrips(t *testing.T) {
	q := quantize(randomUnit(rand.New(rand.NewPCG(5, 6)), 64))
	got, err := decodeVector(encodeVector(q))
	if err != nil {
		t.Fatal(err)
	}
	if got.scale != q.scale || string(encodeVector(got)) != string(encodeVector(q)) {
		t.Fatal("vector changed in a round trip")
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0, 0, 128, 63, 1}, {1, 0, 0, 0, 0, 1}, {1, 0, 0, 192, 127, 1}} {
		if _, err := decodeVector(bad); err == nil {
			t.Errorf("decodeVector(%v): no error", bad)
		}
	}
}
