package guard

import (
	"context"
	"testing"

	"github.com/sluice-gw/sluice/pkg/config"
)

// benchRules is a realistic streaming setup: a phrase list, a pattern,
// output PII, a canary and pseudonyms to restore.
var benchRules = &config.Guardrails{CanaryAction: "block",
	Banned: []config.GuardrailBanned{
		{Name: "leak", Phrases: []string{"internal only", "do not distribute", "project falcon", "confidential draft"}, Action: "block"},
		{Name: "tickets", Patterns: []string{`TICKET-[0-9]{4,8}`}, Action: "mask"},
	},
	PII: &config.GuardrailPII{Action: "mask"},
}

var benchSetup = setup{stream: true, guardrails: benchRules, pseudonyms: pseudonymMap, canary: "sluice-canary-1f2e3d"}

// BenchmarkFirstChunk is the latency the guard adds to the first token:
// response headers, then the chunk carrying the role and first delta.
func BenchmarkFirstChunk(b *testing.B) {
	first := firstChunks("Hello! Here is what I found about your question: ")
	ctx := context.Background()
	st := sharedStage
	b.ReportAllocs()
	for b.Loop() {
		x := benchSetup.exchange()
		if err := st.OnResponseHeaders(ctx, x); err != nil {
			b.Fatal(err)
		}
		if _, err := st.OnResponseBody(ctx, x, first, false); err != nil {
			b.Fatal(err)
		}
		x.End(ctx)
	}
}

// BenchmarkEvent is the steady cost of one content event of a guarded
// stream.
func BenchmarkEvent(b *testing.B) {
	ctx := context.Background()
	st := sharedStage
	x := benchSetup.exchange()
	if err := st.OnResponseHeaders(ctx, x); err != nil {
		b.Fatal(err)
	}
	ev := chunkStream([]string{"the quick brown fox jumps, "}, "stop")
	ev = ev[len(firstChunks("")):]
	ev = ev[:len(ev)-len(chunkStream(nil, "stop"))+len(firstChunks(""))]
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.OnResponseBody(ctx, x, ev, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnguarded is a chunk of an answer with nothing to check.
func BenchmarkUnguarded(b *testing.B) {
	ctx := context.Background()
	st := sharedStage
	x := setup{stream: true}.exchange()
	if err := st.OnResponseHeaders(ctx, x); err != nil {
		b.Fatal(err)
	}
	chunk := chunkStream([]string{"hello"}, "stop")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = st.OnResponseBody(ctx, x, chunk, false)
	}
}
