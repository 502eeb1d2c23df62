package semcache

import (
	"math"
	"testing"
)

func FuzzParseEmbeddings(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"index":0,"embedding":[0.1,-0.2]}]}`,
		`{"object":"list","data":[{"object":"embedding","index":1,"embedding":[1]},{"index":0,"embedding":[2]}],"usage":{}}`,
		`{"data":[{"index":0,"embedding":[1e39]}]}`,
		`{"data":null}`, `[]`, ``,
	} {
		f.Add([]byte(s), 1)
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, raw []byte, want int) {
		if want < 0 || want > 64 {
			return
		}
		vs, err := parseEmbeddings(raw, want)
		if err != nil {
			return
		}
		if len(vs) != want {
			t.Fatalf("%d vectors, want %d", len(vs), want)
		}
		for _, v := range vs {
			if len(v) == 0 || len(v) != len(vs[0]) {
				t.Fatal("empty or ragged vectors accepted")
			}
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatal("non-finite value accepted")
				}
			}
		}
	})
}

func FuzzDecodeVector(f *testing.F) {
	f.Add(encodeVector(quantize([]float32{0.6, 0.8})))
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		q, err := decodeVector(raw)
		if err != nil {
			return
		}
		if !(q.scale > 0) || len(q.q) == 0 {
			t.Fatal("bad vector accepted")
		}
		_ = dot(q, q)
	})
}
