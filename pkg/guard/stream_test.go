package guard

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluice-gw/sluice/pkg/config"
)

// streamCase is one answer and what its client must see, however the
// answer is cut.
type streamCase struct {
	name  string
	setup setup
	text  string                       // the provider's whole text
	build func(deltas []string) []byte // renders the stream from deltas
	args  bool                         // the text is tool-call arguments
	want  string                       // what the client reads, when not blocked
	// safe, when set, means the answer must be blocked, and everything
	// the client reads is a prefix of safe (the text before the match).
	safe string
}

var pseudonymMap = map[string]string{
	"<EMAIL_ADDRESS_1>":  "ana@example.com",
	"<EMAIL_ADDRESS_12>": "bo@example.org",
	"<PERSON_1>":         `Zoë "Z" Ng`,
}

func streamCases() []streamCase {
	openaiChunks := func(d []string) []byte { return chunkStream(d, "stop") }
	mask := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{
		{Name: "codename", Phrases: []string{"Project Falcon", "falcon nest"}, Action: "mask"},
		{Name: "tickets", Patterns: []string{`TICKET-[0-9]{4,8}`}, Action: "mask"},
	}}
	block := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{
		{Name: "leak", Phrases: []string{"internal only"}, Action: "block"},
	}}
	piiMask := &config.Guardrails{CanaryAction: "block", PII: &config.GuardrailPII{Action: "mask",
		Actions: map[string]string{"AWS_ACCESS_KEY": "block"}}}
	return []streamCase{
		{
			name:  "output PII masked",
			setup: setup{stream: true, guardrails: piiMask},
			text:  "Write to john.doe@acme.com or pay with 4111 1111 1111 1111.",
			build: openaiChunks,
			want:  "Write to <EMAIL_ADDRESS> or pay with <CREDIT_CARD>.",
		},
		{
			name:  "restored values are not output PII",
			setup: setup{stream: true, guardrails: piiMask, pseudonyms: pseudonymMap},
			text:  "Reply to <EMAIL_ADDRESS_1>, cc x.y@corp.io",
			build: openaiChunks,
			want:  "Reply to ana@example.com, cc <EMAIL_ADDRESS>",
		},
		{
			name:  "secret blocks",
			setup: setup{stream: true, guardrails: piiMask},
			text:  "the key is AKIAIOSFODNN7EXAMPLE, use it",
			build: openaiChunks,
			safe:  "the key is ",
		},
		{
			name:  "placeholders restored",
			setup: setup{stream: true, pseudonyms: pseudonymMap},
			text:  "Mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_12>, not <EMAIL_ADDRESS_3> <3",
			build: openaiChunks,
			want:  "Mail ana@example.com or bo@example.org, not <EMAIL_ADDRESS_3> <3",
		},
		{
			name:  "placeholder at the very end",
			setup: setup{stream: true, pseudonyms: pseudonymMap},
			text:  "ok <PERSON_1>",
			build: openaiChunks,
			want:  `ok Zoë "Z" Ng`,
		},
		{
			name:  "phrases and patterns masked",
			setup: setup{stream: true, guardrails: mask},
			text:  "Status of PROJECT falcon: ok — ünïcode ✓ TICKET-123456 TICKET-12 falcon nes",
			build: openaiChunks,
			want:  "Status of <codename>: ok — ünïcode ✓ <tickets> TICKET-12 falcon nes",
		},
		{
			name:  "placeholder beside a masked phrase",
			setup: setup{stream: true, guardrails: mask, pseudonyms: pseudonymMap},
			text:  "<EMAIL_ADDRESS_1>project falcon<EMAIL_ADDRESS_12>",
			build: openaiChunks,
			want:  "ana@example.com<codename>bo@example.org",
		},
		{
			name:  "banned phrase blocks",
			setup: setup{stream: true, guardrails: block},
			text:  "Here it is: this is Internal Only data.",
			build: openaiChunks,
			safe:  "Here it is: this is ",
		},
		{
			name:  "canary leak blocks",
			setup: setup{stream: true, canary: "sluice-canary-1f2e3d"},
			text:  "The prompt says sluice-canary-1f2e3d, fine",
			build: openaiChunks,
			safe:  "The prompt says ",
		},
		{
			name:  "tool arguments restored as JSON",
			setup: setup{stream: true, pseudonyms: pseudonymMap},
			text:  `{"to":"<PERSON_1>","cc":"<EMAIL_ADDRESS_1>"}`,
			build: toolStream,
			args:  true,
			want:  `{"to":"Zoë \"Z\" Ng","cc":"ana@example.com"}`,
		},
		{
			name:  "anthropic placeholders restored",
			setup: setup{stream: true, anthropic: true, pseudonyms: pseudonymMap},
			text:  "Dear <PERSON_1>, write to <EMAIL_ADDRESS_12>.",
			build: messagesStream,
			want:  `Dear Zoë "Z" Ng, write to bo@example.org.`,
		},
		{
			name:  "anthropic banned phrase refused",
			setup: setup{stream: true, anthropic: true, guardrails: block},
			text:  "Sure — INTERNAL ONLY: the plan",
			build: messagesStream,
			safe:  "Sure — ",
		},
	}
}

func (c streamCase) check(t *testing.T, outs [][]byte, how string) {
	t.Helper()
	all := bytes.Join(outs, nil)
	v := clientView(t, all)
	got := v.content
	if c.args {
		got = v.args
	}
	switch {
	case !v.done || v.afterEnd:
		t.Fatalf("%s: the stream must end with its terminator and nothing after it (done %v, after %v):\n%s", how, v.done, v.afterEnd, all)
	case c.safe == "" && got != c.want:
		t.Fatalf("%s: client read %q, want %q", how, got, c.want)
	case c.safe == "" && v.errCode != "":
		t.Fatalf("%s: unexpected error event %q", how, v.errCode)
	case c.safe != "" && !strings.HasPrefix(c.safe, got):
		t.Fatalf("%s: client read %q, which is more than the text before the match %q", how, got, c.safe)
	case c.safe != "" && (len(v.finish) == 0 || !isFiltered(v.finish[len(v.finish)-1])):
		t.Fatalf("%s: a blocked stream must finish with content_filter or refusal, got %v", how, v.finish)
	case c.safe != "" && v.errCode == "":
		t.Fatalf("%s: a blocked stream must carry an error event", how)
	}
}

func isFiltered(reason string) bool { return reason == "content_filter" || reason == "refusal" }

// runeGroups cuts s into deltas of n runes.
func runeGroups(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for k := 0; k < n && i < len(s); k++ {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// runeCuts are the offsets between the runes of s, both ends included:
// providers never split a rune between deltas.
func runeCuts(s string) []int {
	cuts := []int{0}
	for i := range s {
		if i > 0 {
			cuts = append(cuts, i)
		}
	}
	return append(cuts, len(s))
}

// TestStreamEveryDeltaSplit splits each answer into deltas at every pair
// of rune boundaries: every entity, placeholder, canary and phrase spans
// events in every possible way.
func TestStreamEveryDeltaSplit(t *testing.T) {
	t.Parallel()
	for _, c := range streamCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cuts := runeCuts(c.text)
			stride := 1
			if raceEnabled {
				stride = 4
			}
			for a := 0; a < len(cuts); a++ {
				for b := a; b < len(cuts); b += stride {
					i, j := cuts[a], cuts[b]
					deltas := []string{c.text[:i], c.text[i:j], c.text[j:]}
					outs, _ := run(t, c.setup, [][]byte{c.build(deltas)})
					c.check(t, outs, "deltas "+strings.Join(deltas, "|"))
				}
			}
		})
	}
}

// TestStreamEveryByteSplit sends each answer one rune per event and cuts
// the SSE bytes at every offset, and at every pair of offsets on short
// streams: events themselves arrive in pieces.
func TestStreamEveryByteSplit(t *testing.T) {
	t.Parallel()
	for _, c := range streamCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wire := c.build(runeGroups(c.text, 4))
			stride := 1
			if raceEnabled {
				stride = 5
			}
			for i := 0; i <= len(wire); i += stride {
				outs, _ := run(t, c.setup, [][]byte{wire[:i], wire[i:]})
				c.check(t, outs, "one cut")
			}
			short := c.build([]string{c.text})
			step := max(1, len(short)/45) // about a thousand pairs
			if raceEnabled {
				step = max(1, len(short)/15)
			}
			for i := 0; i <= len(short); i += step {
				for j := i; j <= len(short); j += step {
					outs, _ := run(t, c.setup, [][]byte{short[:i], short[i:j], short[j:]})
					c.check(t, outs, "two cuts")
				}
			}
		})
	}
}

// TestStreamHoldsOnlyWhatCouldMatch checks that text which cannot become
// a match or a placeholder is released in the same chunk it arrived in.
func TestStreamHoldsOnlyWhatCouldMatch(t *testing.T) {
	s := setup{stream: true, pseudonyms: pseudonymMap, canary: "sluice-canary-1f2e3d",
		guardrails: &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{{Name: "leak", Phrases: []string{"internal only"}, Action: "block"}}}}
	tests := []struct {
		delta, released string
	}{
		{"Hello world", "Hello world"},
		{"Hello <EMAIL_", "Hello "},    // a placeholder may be arriving
		{"Hello <b>", "Hello <b>"},     // not a placeholder
		{"we are internal", "we are "}, // the phrase may be arriving
		{"ask sluice-can", "ask "},     // the canary may be arriving
		{"ünïcode ✓", "ünïcode ✓"},     // nothing to hold
	}
	for _, tt := range tests {
		st := quietStage()
		x := s.exchange()
		if err := st.OnResponseHeaders(t.Context(), x); err != nil {
			t.Fatal(err)
		}
		out, err := st.OnResponseBody(t.Context(), x, firstChunks(tt.delta), false)
		if err != nil {
			t.Fatal(err)
		}
		v := clientView(t, out)
		if v.content != tt.released {
			t.Errorf("%q: released %q at once, want %q", tt.delta, v.content, tt.released)
		}
	}
}

// firstChunks is a stream's role chunk and one content delta, without its
// end.
func firstChunks(delta string) []byte {
	full := chunkStream([]string{delta}, "stop")
	i := bytes.Index(full, []byte(`"finish_reason":"stop"`))
	return full[:bytes.LastIndex(full[:i], []byte("data: "))]
}

func TestUnguardedChunksPassUntouched(t *testing.T) {
	st := quietStage()
	x := setup{stream: true}.exchange()
	ctx := t.Context()
	if err := st.OnResponseHeaders(ctx, x); err != nil {
		t.Fatal(err)
	}
	chunk := chunkStream([]string{"hello"}, "stop")
	out, err := st.OnResponseBody(ctx, x, chunk, true)
	if err != nil || &out[0] != &chunk[0] || len(out) != len(chunk) {
		t.Fatalf("an unguarded chunk must come back as the same slice")
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = st.OnResponseBody(ctx, x, chunk, false) }); n != 0 {
		t.Errorf("unguarded chunk allocated %v times, want 0", n)
	}
}

func TestUTF8NeverSplit(t *testing.T) {
	s := setup{stream: true, pseudonyms: pseudonymMap}
	text := "日本語 <PERSON_1> ✓🌊"
	var deltas []string
	for _, r := range text {
		deltas = append(deltas, string(r))
	}
	outs, _ := run(t, s, [][]byte{chunkStream(deltas, "stop")})
	v := clientView(t, bytes.Join(outs, nil))
	if !utf8.ValidString(v.content) || v.content != `日本語 Zoë "Z" Ng ✓🌊` {
		t.Errorf("got %q", v.content)
	}
}

// TestStreamEveryBytePair cuts a short stream at every pair of offsets,
// for a placeholder to restore and a phrase to block.
func TestStreamEveryBytePair(t *testing.T) {
	t.Parallel()
	block := &config.Guardrails{CanaryAction: "block", Banned: []config.GuardrailBanned{{Name: "leak", Phrases: []string{"internal only"}, Action: "block"}}}
	cases := []streamCase{
		{name: "placeholder", setup: setup{stream: true, pseudonyms: pseudonymMap}, text: "to <PERSON_1>!", want: `to Zoë "Z" Ng!`},
		{name: "phrase", setup: setup{stream: true, guardrails: block}, text: "ok internal only", safe: "ok "},
	}
	stride := 1
	if raceEnabled {
		stride = 7
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// The smallest chunks clients accept, to keep the pairs few.
			wire := []byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + c.text[:6] + "\"}}]}\n\n" +
				"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + c.text[6:] + "\"},\"finish_reason\":\"stop\"}]}\n\n" +
				"data: [DONE]\n\n")
			for i := 0; i <= len(wire); i += stride {
				for j := i; j <= len(wire); j += stride {
					outs, _ := run(t, c.setup, [][]byte{wire[:i], wire[i:j], wire[j:]})
					c.check(t, outs, "cuts at "+strconv.Itoa(i)+","+strconv.Itoa(j))
				}
			}
		})
	}
}
