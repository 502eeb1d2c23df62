package guard

import (
	"bytes"
	"sync"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/guard/match"
)

var fuzzRules = &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{
	{Name: "codename", Phrases: []string{"falcon", "falcon nest", "ünï"}, Action: "mask"},
	{Name: "tickets", Patterns: []string{`T-[0-9]{2,5}`}, Action: "mask"},
}, PII: &config.GuardrailPII{Action: "mask"}}

var fuzzCompiled = sync.OnceValues(func() (*rules, error) { return compile(fuzzRules) })

var fuzzBlock = &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{{Name: "leak", Phrases: []string{"internal only"}, Action: "block"}}}

// FuzzRedactor feeds text in pieces cut at fuzzed offsets and checks that
// the client reads exactly what it reads when the text arrives whole:
// the hold-back never lets a piece of a match or a placeholder through,
// and never changes the answer.
func FuzzRedactor(f *testing.F) {
	f.Add("Mail <EMAIL_ADDRESS_1> about the Falcon nest T-1234", uint16(3), uint16(17))
	f.Add("<PERSON_1><EMAIL_ADDRESS_12>falcon<", uint16(1), uint16(2))
	f.Add("ü\xffnï T-99999999 <EMAIL_ADDRESS_1", uint16(5), uint16(9))
	f.Add("mail bob.smith@corp.example, call +1 415 555 2671, card 4111 1111 1111 1111", uint16(12), uint16(40))
	f.Fuzz(func(t *testing.T, text string, a, b uint16) {
		i, j := int(a)%(len(text)+1), int(b)%(len(text)+1)
		if i > j {
			i, j = j, i
		}
		whole := redactAll(t, [][]byte{[]byte(text)})
		split := redactAll(t, [][]byte{[]byte(text[:i]), []byte(text[i:j]), []byte(text[j:])})
		if whole != split {
			t.Fatalf("text %q cut at %d,%d: read %q, whole %q", text, i, j, split, whole)
		}
	})
}

// redactAll runs deltas through a checker directly, as a stream's text.
func redactAll(t *testing.T, deltas [][]byte) string {
	r, err := fuzzCompiled()
	if err != nil {
		t.Fatal(err)
	}
	var c checker
	c.dets, c.fold = r.detectors("")
	c.ph = newPseudonyms(pseudonymMap)
	var tx text
	var out []byte
	for k, d := range deltas {
		red, stop := c.next(&tx, d, k == len(deltas)-1)
		if stop != nil {
			t.Fatalf("unexpected block %q", stop.kind)
		}
		out = append(out, c.restore(red, false)...)
	}
	return string(out)
}

// FuzzFold checks that folding keeps every offset.
func FuzzFold(f *testing.F) {
	f.Add([]byte("ÜNÏCODE ✓ K \xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := match.Fold(nil, b); len(got) != len(b) {
			t.Fatalf("folding %q changed its length: %q", b, got)
		}
	})
}

// FuzzStream feeds arbitrary bytes as a guarded stream: nothing panics,
// and a stream the guard stopped ends with its terminator. (Arbitrary
// bytes may carry the phrase where no text is, so that is not checked.)
func FuzzStream(f *testing.F) {
	f.Add(chunkStream([]string{"hi <PERSON_1> internal only"}, "stop"), uint16(40))
	f.Add(messagesStream([]string{"internal", " only"}), uint16(7))
	f.Fuzz(func(t *testing.T, wire []byte, cut uint16) {
		k := int(cut) % (len(wire) + 1)
		g := fuzzBlock
		for _, anth := range []bool{false, true} {
			outs, _ := run(t, setup{stream: true, anthropic: anth, guardrails: g, pseudonyms: pseudonymMap}, [][]byte{wire[:k], wire[k:]})
			all := bytes.Join(outs, nil)
			i := bytes.Index(all, []byte(`"code":"content_filter"`))
			if i < 0 {
				i = bytes.Index(all, []byte(`"stop_reason":"refusal"`))
			}
			if i >= 0 && !bytes.HasSuffix(all, []byte("data: [DONE]\n\n")) && !bytes.HasSuffix(all, []byte(`{"type":"message_stop"}`+"\n\n")) {
				t.Fatalf("a stopped stream must end with its terminator: %q", all)
			}
		}
	})
}
