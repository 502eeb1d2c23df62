package translatetest

import (
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// BenchStream measures translating input with a new stream per iteration,
// fed in network chunks of chunk bytes (the whole input when chunk is 0 or
// larger), the last marked as the end.
func BenchStream(b *testing.B, newStream func() translate.StreamTranslator, input []byte, chunk int) {
	if chunk <= 0 || chunk > len(input) {
		chunk = len(input)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		st := newStream()
		for off := 0; off < len(input); off += chunk {
			end := min(off+chunk, len(input))
			if _, err := st.Feed(input[off:end], end == len(input)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchRequest measures translating req for tg, the same request every
// iteration.
func BenchRequest(b *testing.B, tr translate.Translator, req *translate.Request, tg *translate.Target) {
	b.ReportAllocs()
	b.SetBytes(int64(len(req.Body)))
	for b.Loop() {
		if _, err := tr.Request(req, tg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchResponse measures translating the provider reply body to req.
func BenchResponse(b *testing.B, tr translate.Translator, req *translate.Request, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := tr.Response(req, body); err != nil {
			b.Fatal(err)
		}
	}
}
