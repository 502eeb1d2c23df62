package ngram

import (
	"math"
	"testing"
)

func TestGramsCollapseWhitespace(t *testing.T) {
	a := Grams(nil, []byte("ignore  all\n\tprevious"))
	b := Grams(nil, []byte(" ignore all previous "))
	if len(a) != len(b) {
		t.Fatalf("%d grams, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("gram %d: %+v, want %+v", i, a[i], b[i])
		}
	}
}

func TestMaxWindow(t *testing.T) {
	tests := []struct {
		name string
		sums []Sum
		want float64
	}{
		{"none", nil, 0},
		{"empty chunk", []Sum{{}}, 0},
		{"one chunk", []Sum{{W: 4, N: 16}}, 1},
		{"best pair", []Sum{{W: -8, N: 8}, {W: 2, N: 8}, {W: 6, N: 8}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaxWindow(tt.sums); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("MaxWindow = %v, want %v", got, tt.want)
			}
		})
	}
	if Windows(1) != 1 || Windows(2) != 1 || Windows(5) != 4 {
		t.Error("Windows: a window per adjacent pair of chunks, at least one")
	}
}

func TestChunks(t *testing.T) {
	text := make([]byte, 3*Chunk)
	for i := range text {
		text[i] = 'a' + byte(i%26)
	}
	grams := Grams(nil, text)
	if got := grams[len(grams)-1].Chunk; got != 3 {
		t.Errorf("last gram in chunk %d, want 3 (the trailing pad)", got)
	}
	w := make([]float32, Buckets)
	if got := len(Sums(nil, w, text)); got != 4 {
		t.Errorf("%d sums, want 4", got)
	}
}
