package protect

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// conversation is a chat body of n user turns; every third one carries an
// email address when dirty.
func conversation(n int, dirty bool) string {
	var b strings.Builder
	b.WriteString(`{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."}`)
	for i := range n {
		text := fmt.Sprintf("Turn %d: please summarise the quarterly report and list three risks.", i)
		if dirty && i%3 == 0 {
			text += fmt.Sprintf(" Send it to person%d@example.com.", i)
		}
		fmt.Fprintf(&b, `,{"role":"user","content":%q}`, text)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkProtect is both stages on a 20-turn conversation: with data
// protection off, on a clean request, and on one whose findings are
// masked.
func BenchmarkProtect(b *testing.B) {
	cases := []struct {
		name, section string
		dirty         bool
	}{
		{"off", "", true},
		{"clean", "  injection: {enabled: false}\n", false},
		{"clean+injection", "  {}\n", false},
		{"mask", "  pii_action: mask\n  injection: {enabled: false}\n", true},
		{"mask+injection", "  pii_action: mask\n", true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, snap := newState(&testing.T{}, c.section)
			body := conversation(20, c.dirty)
			in, red := s.Stages()
			x := exchange(snap, pipeline.APIChat, body, "acme")
			src := x.Request.Body
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				x.Request.Body, x.Protect, x.Out = src, pipeline.Protect{}, pipeline.Mutation{}
				if err := in.OnRequest(context.Background(), x); err != nil {
					b.Fatal(err)
				}
				if err := red.OnRequest(context.Background(), x); err != nil {
					b.Fatal(err)
				}
				x.End(context.Background())
			}
		})
	}
}
