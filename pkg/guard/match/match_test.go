package match

import (
	"errors"
	"testing"
)

func TestMaxLen(t *testing.T) {
	tests := []struct {
		expr string
		want int
		err  error
	}{
		{`TICKET-[0-9]{4,8}`, 15, nil},
		{`ab|abcd`, 4, nil},
		{`é`, 2, nil},
		{`(?i)k`, 4, nil}, // folds to the three-byte Kelvin sign
		{`\bfoo\b`, 3, nil},
		{`x?y{2}`, 3, nil},
		{`[a-z]+`, 0, ErrUnbounded},
		{`a*`, 0, ErrUnbounded},
		{`a{3,}`, 0, ErrUnbounded},
	}
	for _, tt := range tests {
		got, err := MaxLen(tt.expr)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("MaxLen(%q) = %d, %v; want %d, %v", tt.expr, got, err, tt.want, tt.err)
		}
	}
	if _, err := MaxLen(`[a-z]{1,300}`); err == nil {
		t.Error("a pattern longer than MaxPatternLen must be refused")
	}
}

func TestDictionary(t *testing.T) {
	d := NewDictionary([]string{"Internal Only", "internal", "ÜBER"}, []int{0, 1, 2})
	tests := []struct {
		text string
		find []Match
		hold int
	}{
		{"this is INTERNAL ONLY.", []Match{{Start: 8, End: 21, ID: 0}}, 0},
		{"internal memo", []Match{{Start: 0, End: 8, ID: 1}}, 0},
		{"über alles", []Match{{Start: 0, End: 5, ID: 2}}, 0},
		{"we are inter", nil, 5},
		{"internal on", []Match{{Start: 0, End: 8, ID: 1}}, 11},
		{"nothing here", nil, 0},
	}
	for _, tt := range tests {
		f := Fold(nil, []byte(tt.text))
		got := d.Find(nil, f)
		if len(got) != len(tt.find) || (len(got) > 0 && got[0] != tt.find[0]) {
			t.Errorf("Find(%q) = %v, want %v", tt.text, got, tt.find)
		}
		if h := d.Hold(f); h != tt.hold {
			t.Errorf("Hold(%q) = %d, want %d", tt.text, h, tt.hold)
		}
	}
	if NewDictionary([]string{""}, []int{0}) != nil {
		t.Error("a dictionary of empty phrases must be nil")
	}
}
