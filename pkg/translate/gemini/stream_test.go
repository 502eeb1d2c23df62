package gemini

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
)

func streamRequest(name string) *translate.Request {
	return &translate.Request{
		Op:           translate.Chat,
		Body:         []byte(`{"model":"my-alias","stream":true}`),
		Stream:       true,
		IncludeUsage: strings.Contains(filepath.Base(name), "usage"),
	}
}

type streamResult struct {
	out   []byte
	err   error
	usage translate.Usage
}

// feedPieces runs a fresh stream over data cut at the given offsets. With
// separateEnd the end flag arrives on its own empty call, as when Envoy
// sends end_of_stream after the last body chunk.
func feedPieces(name string, data []byte, cuts []int, separateEnd bool) streamResult {
	st := fixedTranslator().Stream(streamRequest(name))
	var res streamResult
	prev := 0
	pieces := make([][]byte, 0, len(cuts)+1)
	for _, c := range cuts {
		pieces = append(pieces, data[prev:c])
		prev = c
	}
	pieces = append(pieces, data[prev:])
	if separateEnd {
		pieces = append(pieces, nil)
	}
	for i, p := range pieces {
		out, err := st.Feed(p, i == len(pieces)-1)
		res.out = append(res.out, out...)
		if err != nil && res.err == nil {
			res.err = err
		}
	}
	res.usage = st.Usage()
	return res
}

func (r streamResult) render() []byte {
	var b bytes.Buffer
	b.Write(r.out)
	if r.err != nil {
		fmt.Fprintf(&b, "--- error: %v\n", r.err)
	}
	fmt.Fprintf(&b, "--- usage: %+v\n", r.usage)
	return b.Bytes()
}

func TestStreamGolden(t *testing.T) {
	for _, name := range fixtures(t, "stream", ".sse") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res := feedPieces(name, data, nil, false)
			checkSSE(t, res.out)
			golden(t, goldenPath(name), res.render())
		})
	}
}

// TestStreamSplits feeds every fixture cut at every byte, at every single
// offset, and at seeded random offsets: the output must not change.
func TestStreamSplits(t *testing.T) {
	for _, name := range fixtures(t, "stream", ".sse") {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			want := feedPieces(name, data, nil, false).render()
			check := func(label string, cuts []int, separateEnd bool) {
				t.Helper()
				got := feedPieces(name, data, cuts, separateEnd).render()
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Fatalf("%s cuts %v: output differs (-whole +split):\n%s", label, cuts, diff)
				}
			}
			every := make([]int, 0, len(data))
			for i := 1; i < len(data); i++ {
				every = append(every, i)
			}
			check("every byte", every, false)
			check("every byte, separate end", every, true)
			for i := 0; i <= len(data); i++ {
				check("single cut", []int{i}, i%2 == 0)
			}
			for seed := uint64(1); seed <= 64; seed++ {
				check(fmt.Sprintf("seed %d", seed), randomCuts(seed, len(data)), seed%2 == 0)
			}
		})
	}
}

func randomCuts(seed uint64, n int) []int {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var cuts []int
	for at := r.IntN(24); at < n; at += 1 + r.IntN(24) {
		cuts = append(cuts, at)
	}
	return cuts
}

// checkSSE asserts the client-facing output is valid UTF-8 and every event
// is JSON or the [DONE] terminator.
func checkSSE(t testing.TB, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
	for _, ev := range strings.Split(string(out), "\n\n") {
		if ev == "" {
			continue
		}
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("malformed SSE event %q", ev)
		}
		if data != "[DONE]" && !gjson.Valid(data) {
			t.Fatalf("event data is not JSON: %q", data)
		}
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
