package sse_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

var seeds = map[string]string{
	"lf":        "data: a\n\n",
	"crlf":      "event: e\r\nid: 1\r\ndata: a\r\ndata: b\r\n\r\n",
	"cr":        "data: a\r\r",
	"comment":   ": c\n\n",
	"partial":   "data: {\"x\":",
	"nul-id":    "id: \x00\ndata: x\n\n",
	"only-name": "event: x\n\n",
}

// TestSeedCorpus keeps testdata/fuzz/FuzzParser in step with the seeds.
func TestSeedCorpus(t *testing.T) {
	for name, s := range seeds {
		translatetest.SeedCorpus(t, "FuzzParser", name, []byte(s))
	}
	translatetest.SeedCorpus(t, "FuzzParser", "mixed", translatetest.ReadFile(t, "testdata/mixed.sse"))
	translatetest.SeedCorpus(t, "FuzzParserLimit", "over", []byte("data: 0123456789\n\n"), 8)
	translatetest.SeedCorpus(t, "FuzzParserLimit", "under", []byte("data: 0123\n\n"), 64)
}

// FuzzParser checks that no input panics, that the events do not depend on
// how the bytes were cut, and that writing the events back with
// AppendEvent and parsing again gives the same events.
func FuzzParser(f *testing.F) {
	f.Add([]byte("data: x\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var want []ev
		for i, sp := range translatetest.QuickSplits(in, 2) {
			var p sse.Parser
			got, _, err := parse(&p, sp.Chunks)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want = got
			} else if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("split %s: (-whole +split)\n%s", sp.Name, d)
			}
		}
		var wire []byte
		for _, e := range want {
			wire = sse.AppendEvent(wire, e.Name, []byte(e.Data))
		}
		var p sse.Parser
		again, pending, err := parse(&p, [][]byte{wire})
		if err != nil || pending {
			t.Fatalf("re-parse: pending=%t err=%v", pending, err)
		}
		for i := range again {
			again[i].ID = want[i].ID // AppendEvent does not write ids
		}
		if d := cmp.Diff(want, again); d != "" {
			t.Fatalf("round trip (-parsed +reparsed):\n%s", d)
		}
	})
}

func FuzzParserLimit(f *testing.F) {
	f.Add([]byte("data: 0123456789\n\n"), 8)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		p := sse.Parser{MaxEventBytes: limit}
		_ = p.Feed(in, func(e sse.Event) error {
			if limit > 0 && len(e.Data) > limit {
				t.Fatalf("event of %d bytes passed a %d-byte limit", len(e.Data), limit)
			}
			return nil
		})
	})
}
