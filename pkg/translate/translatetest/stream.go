package translatetest

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/sse"
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
// separate empty end call, one byte at a time, every two-way split point
// (every 7th for inputs over 4 KiB) and 64 random cuts from a fixed seed.
func Splits(input []byte) []Split {
	s := QuickSplits(input, 64)
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
	}
	r.Usage = st.Usage()
	return r
}

// StreamInvariant translates input under every split from Splits and fails
// the test unless all agree on output, error and usage. It returns the
// result of the whole-input run.
func StreamInvariant(t testing.TB, newStream func() translate.StreamTranslator, input []byte) StreamResult {
	t.Helper()
	var want StreamResult
	for i, sp := range Splits(input) {
		got := Feed(newStream(), sp.Chunks)
		if i == 0 {
			want = got
			continue
		}
		if d := diffResults(want, got); d != "" {
			t.Fatalf("split %s changed the translation (-whole +split):\n%s", sp.Name, d)
		}
	}
	return want
}

func diffResults(a, b StreamResult) string {
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

// CheckEvents parses translated SSE output and fails unless every data
// payload is valid JSON (or [DONE]) and the output ends on an event boundary.
func CheckEvents(t testing.TB, out []byte) {
	t.Helper()
	var p sse.Parser
	err := p.Feed(out, func(ev sse.Event) error {
		if string(ev.Data) == "[DONE]" {
			return nil
		}
		if !gjson.ValidBytes(ev.Data) {
			return fmt.Errorf("event data is not valid JSON: %q", ev.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Pending() {
		t.Fatalf("output ends inside an event: %q", out)
	}
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
func (c StreamCase) GoldenPath() string { return strings.TrimSuffix(c.Path, ".sse") + ".golden" }

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
