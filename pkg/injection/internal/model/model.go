// Package model is the file format of the injection model's weights: a
// logistic regression over hashed n-gram buckets, stored sparsely because
// a small training set touches only a fraction of the buckets.
//
// Layout, little-endian: the magic "SLINJ\x00\x00\x01", the number of
// bucket bits (uint32), the bias (float64), the number of non-zero
// weights (uint32), then for each non-zero weight in bucket order the gap
// from the previous bucket (uvarint) and the weight (float32).
package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

var magic = []byte("SLINJ\x00\x00\x01")

// Model is a bias and one weight per bucket.
type Model struct {
	Bias    float64
	Weights []float32 // length 1<<bits
}

// ErrFormat is returned for bytes that are not a weights file.
var ErrFormat = errors.New("model: malformed weights file")

// Marshal encodes m. len(m.Weights) must be a power of two.
func Marshal(m Model) []byte {
	bits := uint32(0)
	for 1<<bits < len(m.Weights) {
		bits++
	}
	out := append([]byte(nil), magic...)
	out = binary.LittleEndian.AppendUint32(out, bits)
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(m.Bias))
	nz := 0
	for _, w := range m.Weights {
		if w != 0 {
			nz++
		}
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(nz))
	prev := 0
	for i, w := range m.Weights {
		if w == 0 {
			continue
		}
		out = binary.AppendUvarint(out, uint64(i-prev)) //nolint:gosec // i > prev
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(w))
		prev = i
	}
	return out
}

// Unmarshal decodes a weights file whose table has 1<<bits buckets.
func Unmarshal(b []byte, bits int) (Model, error) {
	const header = 8 + 4 + 8 + 4
	if len(b) < header || string(b[:8]) != string(magic) {
		return Model{}, fmt.Errorf("%w: bad header", ErrFormat)
	}
	if got := binary.LittleEndian.Uint32(b[8:]); int64(got) != int64(bits) {
		return Model{}, fmt.Errorf("%w: %d bucket bits, want %d", ErrFormat, got, bits)
	}
	m := Model{
		Bias:    math.Float64frombits(binary.LittleEndian.Uint64(b[12:])),
		Weights: make([]float32, 1<<bits),
	}
	nz := binary.LittleEndian.Uint32(b[20:])
	b = b[header:]
	idx := uint64(0)
	for i := range nz {
		gap, n := binary.Uvarint(b)
		if n <= 0 || len(b) < n+4 {
			return Model{}, fmt.Errorf("%w: truncated at weight %d", ErrFormat, i)
		}
		idx += gap
		if idx >= uint64(len(m.Weights)) || (i > 0 && gap == 0) {
			return Model{}, fmt.Errorf("%w: bucket %d out of order or range", ErrFormat, idx)
		}
		m.Weights[idx] = math.Float32frombits(binary.LittleEndian.Uint32(b[n:]))
		b = b[n+4:]
	}
	if len(b) != 0 {
		return Model{}, fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(b))
	}
	return m, nil
}
