package textview

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// FuzzEdits edits a random subset of a body's text fields and checks that
// the result is valid JSON in which the edited fields read back as set and
// every other field is byte for byte the original.
func FuzzEdits(f *testing.F) {
	seeds := []string{
		string(chatBody(3)),
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a\u00e9\n"}]},{"role":"assistant","tool_calls":[{"function":{"arguments":"{\"a\":1}"}}]}]}`,
		`{"model":"e","input":["x","y\"z"]}`,
		`{"model":"c","system":"s","messages":[{"role":"user","content":[{"type":"tool_use","input":{"a":["b",{"c":"d"}]}},{"type":"tool_result","content":"r"}]}]}`,
	}
	for i, s := range seeds {
		f.Add(s, "<EMAIL_ADDRESS_1>\"\\\n\xff", uint64(i), uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, body, text string, seed uint64, format uint8) {
		if !json.Valid([]byte(body)) {
			return
		}
		src := []byte(body)
		v, err := New(Format(format%3+1), src)
		if err != nil {
			return
		}
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		edited := make([]bool, v.Len())
		for i := range v.Len() {
			if rng.IntN(2) == 0 {
				v.Set(i, text[:rng.IntN(len(text)+1)])
				edited[i] = true
			}
		}
		out := v.Bytes()
		if !json.Valid(out) {
			t.Fatalf("invalid JSON after edits:\n%s", out)
		}
		w, err := New(v.format, out)
		if err != nil {
			t.Fatal(err)
		}
		if w.Len() != v.Len() {
			t.Fatalf("%d fields after edits, want %d", w.Len(), v.Len())
		}
		for i, f := range v.Fields {
			g := w.Fields[i]
			if edited[i] {
				continue
			}
			if string(src[f.start:f.end]) != string(out[g.start:g.end]) {
				t.Fatalf("unedited field %d changed: %q -> %q", i, src[f.start:f.end], out[g.start:g.end])
			}
		}
	})
}
