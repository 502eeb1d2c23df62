package audit

import (
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/pii"
)

// masker captures request text for full-level records with every PII and
// secret finding replaced by <TYPE>. The whole text is scanned before it
// is cut, so an entity at the cut is either masked whole or left out,
// never half shown.
type masker struct{ s *pii.Scanner }

func newMasker() (*masker, error) {
	s, err := pii.New(pii.Config{})
	if err != nil {
		return nil, err
	}
	return &masker{s: s}, nil
}

// mask returns text masked and cut to at most limit bytes, on a character
// boundary, and whether it was cut.
func (m *masker) mask(text []byte, limit int) (string, bool) {
	fs := m.s.Scan(nil, text)
	out := make([]byte, 0, min(len(text), limit))
	room := func(n int) bool { return len(out)+n <= limit }
	at := 0
	for _, f := range fs {
		if f.Start < at || f.End > len(text) {
			continue
		}
		if !room(f.Start - at) {
			return string(cut(append(out, text[at:f.Start]...), limit)), true
		}
		out = append(out, text[at:f.Start]...)
		ph := len(f.Type) + 2
		if !room(ph) {
			return string(out), true
		}
		out = append(append(append(out, '<'), f.Type...), '>')
		at = f.End
	}
	if !room(len(text) - at) {
		return string(cut(append(out, text[at:]...), limit)), true
	}
	return string(append(out, text[at:]...)), false
}

// cut shortens b to at most limit bytes without splitting a character.
func cut(b []byte, limit int) []byte {
	if len(b) <= limit {
		return b
	}
	b = b[:limit]
	for range utf8.UTFMax - 1 {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}
