package model

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	m := Model{Bias: -0.25, Weights: make([]float32, 1<<6)}
	m.Weights[0], m.Weights[7], m.Weights[63] = 1.5, -2, 1e-7
	got, err := Unmarshal(Marshal(m), 6)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good := Marshal(Model{Bias: 1, Weights: []float32{0, 1, 0, 2}})
	tests := map[string]struct {
		b    []byte
		bits int
	}{
		"empty":          {nil, 2},
		"bad magic":      {append([]byte("XXXXXXXX"), good[8:]...), 2},
		"other bits":     {good, 3},
		"truncated":      {good[:len(good)-1], 2},
		"trailing bytes": {append(append([]byte(nil), good...), 0), 2},
		"out of range":   {outOfRange(), 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Unmarshal(tt.b, tt.bits); !errors.Is(err, ErrFormat) {
				t.Errorf("err = %v, want ErrFormat", err)
			}
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(Marshal(Model{Bias: 1, Weights: []float32{0, 1, 0, 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b, 2)
		if err == nil && len(m.Weights) != 4 {
			t.Fatalf("%d weights", len(m.Weights))
		}
	})
}

// outOfRange is a file whose header claims 4 buckets and whose one weight
// sits in bucket 7.
func outOfRange() []byte {
	b := Marshal(Model{Weights: []float32{0, 0, 0, 0, 0, 0, 0, 1}})
	b[8] = 2
	return b
}
