package translatetest

import (
	"bytes"
	"fmt"
	"math/rand"
	randv2 "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// Split is one way of cutting a byte stream into network chunks.
type Split struct {
	Name   string
	Chunks [][]byte
}

// maxExhaustive is the largest input cut at every split point.
const maxExhaustive = 4096

// Splits returns the adversarial ways to cut input: whole, whole with a
// separate empty end call, one byte at a time (also with a separate end
// call), every two-way split point (every 7th for inputs over 4 KiB) and
// 64 random cuts from a fixed seed. Envoy sends end_of_stream either with
// the last body chunk or on its own, empty call.
func Splits(input []byte) []Split {
	s := QuickSplits(input, 64)
	bytewise := s[2].Chunks
	s = append(s, Split{Name: "bytewise+end", Chunks: append(bytewise[:len(bytewise):len(bytewise)], nil)})
	step := 1
	if len(input) > maxExhaustive {
		step = 7
	}
	for i := 1; i < len(input); i += step {
		s = append(s, Split{Name: fmt.Sprintf("at%d", i), Chunks: [][]byte{input[:i], input[i:]}})
	}
	return s
}

// QuickSplits is the cheap subset of Splits for fuzz targets: whole, whole
// with a separate end call, one byte at a time, and n random cuts.
func QuickSplits(input []byte, n int) []Split {
	s := []Split{
		{Name: "whole", Chunks: [][]byte{input}},
		{Name: "whole+end", Chunks: [][]byte{input, nil}},
	}
	bytewise := make([][]byte, len(input))
	for i := range input {
		bytewise[i] = input[i : i+1]
	}
	s = append(s, Split{Name: "bytewise", Chunks: bytewise})
	rng := rand.New(rand.NewSource(1)) //nolint:gosec // a fixed seed makes the cuts reproducible
	for r := 0; r < n; r++ {
		var chunks [][]byte
		for rest := input; len(rest) > 0; {
			k := 1 + rng.Intn(24)
			if k > len(rest) {
				k = len(rest)
			}
			chunks, rest = append(chunks, rest[:k]), rest[k:]
		}
		s = append(s, Split{Name: fmt.Sprintf("random%d", r), Chunks: chunks})
	}
	return s
}

// SeededSplit cuts input at random points from seed, 1 to 24 bytes apart,
// with the end on a separate empty call for even seeds: the split a fuzz
// target with a seed argument checks against the whole input.
func SeededSplit(input []byte, seed uint64) Split {
	r := randv2.New(randv2.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // the seed makes the cuts reproducible
	var chunks [][]byte
	prev := 0
	for at := r.IntN(24); at < len(input); at += 1 + r.IntN(24) {
		chunks = append(chunks, input[prev:at])
		prev = at
	}
	chunks = append(chunks, input[prev:])
	if seed%2 == 0 {
		chunks = append(chunks, nil)
	}
	return Split{Name: fmt.Sprintf("seed%d", seed), Chunks: chunks}
}

// StreamResult is everything a stream translation produced.
type StreamResult struct {
	Out   []byte
	Err   error
	Usage translate.Usage
}

// Render renders the result for a golden file.
func (r StreamResult) Render() []byte {
	var b bytes.Buffer
	b.Write(r.Out)
	b.WriteString("--- usage ---\n")
	b.WriteString(RenderUsage(r.Usage))
	if r.Err != nil {
		b.WriteString("--- error ---\n")
		b.Write(RenderError(r.Err))
	}
	return b.Bytes()
}

// RenderPlain renders the result in the older golden form some packages
// keep: the output, then the error and the usage as Go prints them.
func (r StreamResult) RenderPlain() []byte {
	var b bytes.Buffer
	b.Write(r.Out)
	if r.Err != nil {
		fmt.Fprintf(&b, "--- error: %v\n", r.Err)
	}
	fmt.Fprintf(&b, "--- usage: %+v\n", r.Usage)
	return b.Bytes()
}

// Feed runs chunks through st, marking the last one as the end, and keeps
// the first error.
func Feed(st translate.StreamTranslator, chunks [][]byte) StreamResult {
	var r StreamResult
	if len(chunks) == 0 {
		chunks = [][]byte{nil}
	}
	for i, c := range chunks {
		out, err := st.Feed(c, i == len(chunks)-1)
		r.Out = append(r.Out, out...)
		if err != nil && r.Err == nil {
			r.Err = err
		}
		Spoil(out, c)
	}
	r.Usage = st.Usage()
	return r
}

// StreamInvariant translates input under every split from Splits and fails
// the test unless all agree on output, error and usage. It returns the
// result of the whole-input run.
func StreamInvariant(t testing.TB, newStream func() translate.StreamTranslator, input []byte) StreamResult {
	t.Helper()
	return SplitsAgree(t, newStream, input, Splits(input)[1:]...)
}

// SplitsAgree translates input whole, then cut as each split says, and
// fails the test unless every split agrees with the whole input on output,
// error and usage. It returns the result of the whole-input run.
func SplitsAgree(t testing.TB, newStream func() translate.StreamTranslator, input []byte, splits ...Split) StreamResult {
	t.Helper()
	want := Feed(newStream(), [][]byte{input})
	for _, sp := range splits {
		if d := Diff(want, Feed(newStream(), sp.Chunks)); d != "" {
			t.Fatalf("split %s changed the translation (-whole +split):\n%s", sp.Name, d)
		}
	}
	return want
}

// Diff describes how two results differ in output, error or usage, or is
// "" when they agree.
func Diff(a, b StreamResult) string {
	if d := cmp.Diff(string(a.Out), string(b.Out)); d != "" {
		return d
	}
	if errString(a.Err) != errString(b.Err) {
		return fmt.Sprintf("error %q != %q", errString(a.Err), errString(b.Err))
	}
	return cmp.Diff(a.Usage, b.Usage)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// StreamCase is one stream fixture: testdata/stream/<name>.sse with an
// optional <name>.json holding {"request": {...client body}}.
type StreamCase struct {
	Name    string
	Path    string
	Request translate.Request
	Input   []byte
}

// GoldenPath is where the case's expected output lives.
func (c StreamCase) GoldenPath() string { return GoldenPath(c.Path) }

// LoadStreamCases reads every *.sse fixture in dir.
func LoadStreamCases(t testing.TB, dir string) []StreamCase {
	t.Helper()
	var cases []StreamCase
	for _, path := range Glob(t, filepath.Join(dir, "*.sse")) {
		reqBody := []byte(`{"stream":true}`)
		if raw, err := os.ReadFile(strings.TrimSuffix(path, ".sse") + ".json"); err == nil {
			if r := gjson.GetBytes(raw, "request"); r.Exists() {
				reqBody = []byte(r.Raw)
			}
		}
		cases = append(cases, StreamCase{
			Name:    strings.TrimSuffix(filepath.Base(path), ".sse"),
			Path:    path,
			Request: NewRequest(translate.Chat, reqBody),
			Input:   ReadFile(t, path),
		})
	}
	return cases
}

// RunStreams translates every stream fixture in dir under every split,
// checks the output is well-formed SSE with JSON payloads and compares it
// with the golden file.
func RunStreams(t *testing.T, dir string, newStream func(*translate.Request) translate.StreamTranslator) {
	for _, c := range LoadStreamCases(t, dir) {
		t.Run(c.Name, func(t *testing.T) {
			req := c.Request
			r := StreamInvariant(t, func() translate.StreamTranslator { return newStream(&req) }, c.Input)
			CheckEvents(t, r.Out)
			Golden(t, c.GoldenPath(), r.Render())
		})
	}
}

// Spoil overwrites out, the output of a stream translator or response
// stage for the chunk in, once the test has read it: that output is only
// read until the next chunk, so a translator or stage that reads it again,
// or hands it on again unwritten, fails. Output that is in itself is left
// alone: that chunk belongs to the test.
func Spoil(out, in []byte) {
	if len(out) == 0 || len(in) > 0 && &out[0] == &in[0] {
		return
	}
	for k := range out {
		out[k] = 0xff
	}
}
