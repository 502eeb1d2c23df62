package gemini

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

func streamRequest(name string) *translate.Request {
	return &translate.Request{
		Op:           translate.Chat,
		Body:         []byte(`{"model":"my-alias","stream":true}`),
		Stream:       true,
		IncludeUsage: strings.Contains(filepath.Base(name), "usage"),
	}
}

// fixedStream starts a stream of a fresh fixed translator, so every run
// numbers its generated ids from 1.
func fixedStream(name string) func() translate.StreamTranslator {
	return func() translate.StreamTranslator { return fixedTranslator().Stream(streamRequest(name)) }
}

// checkStream asserts the client-facing output is well-formed SSE with
// JSON events and valid UTF-8.
func checkStream(t testing.TB, out []byte) {
	t.Helper()
	translatetest.CheckEvents(t, out)
	translatetest.CheckUTF8(t, out)
}

// TestStreamGolden feeds every fixture whole, byte by byte, cut at every
// offset and at seeded random offsets: the output must not change, and
// must match the golden file.
func TestStreamGolden(t *testing.T) {
	for _, name := range translatetest.Glob(t, "testdata/stream/*.sse") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			r := translatetest.StreamInvariant(t, fixedStream(name), translatetest.ReadFile(t, name))
			checkStream(t, r.Out)
			translatetest.Golden(t, translatetest.GoldenPath(name), r.RenderPlain())
		})
	}
}

func TestStreamClosedAfterEnd(t *testing.T) {
	st := fixedTranslator().Stream(streamRequest("x"))
	if _, err := st.Feed([]byte("data: {\"candidates\":[{\"finishReason\":\"STOP\"}]}\n\n"), true); err != nil {
		t.Fatal(err)
	}
	out, err := st.Feed([]byte("data: {}\n\n"), true)
	if out != nil || err != nil {
		t.Errorf("Feed after end = %q, %v; want nothing", out, err)
	}
}
