package openai

import (
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

func BenchmarkRequest(b *testing.B) {
	for _, name := range []string{"openai_chat", "openai_stream", "azure_chat"} {
		c := loadCase(b, name)
		tr := New(c.Target.Provider)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.Request.Body)))
			for b.Loop() {
				req := c.Request
				if _, err := tr.Request(&req, &c.Target); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStream(b *testing.B) {
	input := translatetest.ReadFile(b, "testdata/stream/injected_usage.sse")
	tr := New(translate.OpenAI)
	req := &translate.Request{Op: translate.Chat, Stream: true}
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		if _, err := tr.Stream(req).Feed(input, true); err != nil {
			b.Fatal(err)
		}
	}
}

func loadCase(b *testing.B, name string) translatetest.RequestCase {
	for _, c := range translatetest.LoadRequestCases(b, "testdata/request") {
		if c.Name == name {
			return c
		}
	}
	b.Fatalf("no case %s", name)
	return translatetest.RequestCase{}
}
