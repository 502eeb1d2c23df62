package semcache

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
)

// signBits is the length of an entry's sign sketch. 256 bits keep the
// scan over a partition at four words an entry whatever the embedding's
// dimension, and make the Hamming distance a tight enough estimate of the
// angle (σ ≈ 8 bits) to discard unrelated entries before exact scoring.
const (
	signBits  = 256
	signWords = signBits / 64
)

// sketchSeed fixes the random rotation, so a sketch never depends on
// which replica computed it.
const sketchSeed = 0x5e3ca6e

// errBadVector is returned for a vector that cannot be normalised.
var errBadVector = errors.New("embedding is empty, zero or not finite")

// quantized is a unit vector stored as int8 with one scale: dot products
// of two unit vectors are int32 sums times both scales, at a quarter of
// float32's memory. The rounding error (≤ 1/254 of the largest
// component) moves a cosine by about 0.002 at 256 dimensions and less at
// more, well under the gap between a paraphrase and a near miss.
type quantized struct {
	q     []int8
	scale float32
}

// normalize returns v scaled to unit length, or errBadVector.
func normalize(v []float32) ([]float32, error) {
	var ss float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errBadVector
		}
		ss += f * f
	}
	if len(v) == 0 || ss == 0 || math.IsInf(ss, 0) {
		return nil, errBadVector
	}
	inv := 1 / math.Sqrt(ss)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out, nil
}

// quantize maps a unit vector to int8 so that its largest component is
// ±127.
func quantize(u []float32) quantized {
	var m float32
	for _, x := range u {
		m = max(m, abs32(x))
	}
	q := make([]int8, len(u))
	if m == 0 {
		return quantized{q: q}
	}
	f := 127 / m
	for i, x := range u {
		q[i] = int8(math.Round(float64(x * f))) // #nosec G115 -- |x*f| ≤ 127 by construction
	}
	return quantized{q: q, scale: m / 127}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// dot is the cosine of two quantised unit vectors of the same length.
func dot(a, b quantized) float32 {
	return float32(dotInt8(a.q, b.q)) * a.scale * b.scale
}

// dotInt8 is unrolled by eight: the compiler then keeps four accumulators
// in registers and drops most bounds checks.
func dotInt8(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += int32(aa[0])*int32(bb[0]) + int32(aa[4])*int32(bb[4])
		s1 += int32(aa[1])*int32(bb[1]) + int32(aa[5])*int32(bb[5])
		s2 += int32(aa[2])*int32(bb[2]) + int32(aa[6])*int32(bb[6])
		s3 += int32(aa[3])*int32(bb[3]) + int32(aa[7])*int32(bb[7])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

// sketcher turns a vector into signBits signs of its projections on
// random directions (SimHash): the fraction of differing bits between two
// sketches estimates the angle between the vectors over π, whatever the
// embedding model's coordinates look like. The random rotation is three
// rounds of random sign flips and a Walsh-Hadamard transform, which mixes
// like a dense Gaussian projection at O(d log d) instead of O(256·d): 70µs
// instead of 400µs at 1,536 dimensions.
type sketcher struct {
	size  int       // a power of two ≥ max(dims, signBits)
	signs [][]bool  // per round, per coordinate: flip?
	pool  sync.Pool // *[]float32 of size
}

const sketchRounds = 3

func newSketcher(dims int) *sketcher {
	size := signBits
	for size < dims {
		size *= 2
	}
	r := rand.New(rand.NewPCG(sketchSeed, uint64(size))) // #nosec G404 G115 -- a fixed rotation, not a secret; size is positive
	s := &sketcher{size: size, signs: make([][]bool, sketchRounds)}
	for k := range s.signs {
		s.signs[k] = make([]bool, size)
		for i := range s.signs[k] {
			s.signs[k][i] = r.IntN(2) == 1
		}
	}
	s.pool.New = func() any { b := make([]float32, size); return &b }
	return s
}

func (s *sketcher) sketch(u []float32) [signWords]uint64 {
	bp := s.pool.Get().(*[]float32)
	defer s.pool.Put(bp)
	x := *bp
	n := copy(x, u)
	clear(x[n:])
	for _, flip := range s.signs {
		for i, f := range flip {
			if f {
				x[i] = -x[i]
			}
		}
		fwht(x)
	}
	var out [signWords]uint64
	for b := range signBits {
		if x[b] >= 0 {
			out[b/64] |= 1 << (b % 64)
		}
	}
	return out
}

// fwht is the unnormalised fast Walsh-Hadamard transform, in place;
// len(x) is a power of two. Only signs are kept, so scale does not matter.
func fwht(x []float32) {
	for h := 1; h < len(x); h *= 2 {
		for i := 0; i < len(x); i += 2 * h {
			a, b := x[i:i+h], x[i+h:i+2*h]
			for j := range a {
				a[j], b[j] = a[j]+b[j], a[j]-b[j]
			}
		}
	}
}

// maxHamming is the largest sketch distance at which an entry can still
// reach threshold: the expected distance at that angle plus 4.5 standard
// deviations, so a qualifying entry is discarded with probability under
// 4·10⁻⁶ (and far less for the near-duplicates that score well above
// the threshold).
func maxHamming(threshold float32) int {
	t := math.Max(-1, math.Min(1, float64(threshold)))
	p := math.Acos(t) / math.Pi
	bound := signBits*p + 4.5*math.Sqrt(signBits*p*(1-p)) + 1
	return int(math.Min(signBits, math.Ceil(bound)))
}
