// Package scan runs Sluice's request-side detectors (PII and secrets,
// optionally a Presidio analyzer, and prompt-injection scoring) over JSON
// Lines outside the gateway. It is the engine of `sluice scan`: one
// {"text": "..."} object in, one result line out, in order, so a corpus or
// an interactive pipe can be checked against the same detectors and
// configuration the gateway uses.
package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/sluice-gw/sluice/pkg/injection"
	"github.com/sluice-gw/sluice/pkg/pii"
	"github.com/sluice-gw/sluice/pkg/presidio"
)

// DefaultMaxLineBytes bounds one input line when Options.MaxLineBytes is 0.
const DefaultMaxLineBytes = 64 << 20

// Options configures a Scanner.
type Options struct {
	// PII selects the built-in types and adds custom detectors.
	PII pii.Config
	// Presidio, when set, adds an external analyzer's findings.
	Presidio *presidio.Client
	// NoInjection leaves injection scoring out of the results.
	NoInjection bool
	// Threshold is the injection score from which the verdict is
	// "injection"; 0 means injection.DefaultThreshold.
	Threshold float64
	// MaxLineBytes bounds one input line, newline included; a longer line
	// gets an error result. Default DefaultMaxLineBytes.
	MaxLineBytes int
}

// Scanner turns input lines into result lines. It is safe for concurrent
// use; Run uses it from one goroutine.
type Scanner struct {
	pii       *pii.Scanner
	presidio  *presidio.Client
	injection *injection.Detector
	threshold float64
	maxLine   int
}

// New builds the detectors opts describes.
func New(opts Options) (*Scanner, error) {
	p, err := pii.New(opts.PII)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	s := &Scanner{pii: p, presidio: opts.Presidio, threshold: opts.Threshold, maxLine: opts.MaxLineBytes}
	if !opts.NoInjection {
		s.injection = injection.New()
	}
	if s.threshold <= 0 {
		s.threshold = injection.DefaultThreshold
	}
	if s.maxLine <= 0 {
		s.maxLine = DefaultMaxLineBytes
	}
	return s, nil
}

// Finding is one entity in a result, with offsets in Unicode code points
// into the text, End exclusive.
type Finding struct {
	Type  string  `json:"type"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// Injection is a result's prompt-injection assessment.
type Injection struct {
	Score   float64  `json:"score"`
	Verdict string   `json:"verdict"` // "injection" or "benign"
	Signals []string `json:"signals,omitempty"`
}

// Result is one output line: Findings and Injection, or only Error.
type Result struct {
	Findings  []Finding  `json:"findings"`
	Injection *Injection `json:"injection,omitempty"`
}

type errorResult struct {
	Error string `json:"error"`
}

// Text scans one text. Scores are rounded to four decimals so output stays
// stable across platforms' floating-point differences.
func (s *Scanner) Text(ctx context.Context, text []byte) (Result, error) {
	found := s.pii.Scan(nil, text)
	if s.presidio != nil {
		ner, err := s.presidio.Analyze(ctx, nil, text)
		if err != nil {
			return Result{}, err
		}
		found = merge(found, ner)
	}
	pii.RuneOffsets(text, found)
	r := Result{Findings: make([]Finding, len(found))}
	for i, f := range found {
		r.Findings[i] = Finding{Type: f.Type, Start: f.Start, End: f.End, Score: round(f.Score)}
	}
	if s.injection != nil {
		res := s.injection.Score(text)
		verdict := "benign"
		if res.Score >= s.threshold {
			verdict = "injection"
		}
		r.Injection = &Injection{Score: round(res.Score), Verdict: verdict, Signals: res.Signals}
	}
	return r, nil
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// Run reads JSON Lines from r and writes one result line to w for each,
// in order. A line that cannot be scanned gets {"error": "..."} and the
// run goes on; blank lines are skipped. Output is flushed whenever the
// next input line has not fully arrived, so a pipe can be used
// interactively. Only an I/O error, or ctx ending, stops the run.
func (s *Scanner) Run(ctx context.Context, r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var tooLong bool
		var rerr error
		line, tooLong, rerr = readLine(br, line[:0], s.maxLine)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			_ = bw.Flush()
			return fmt.Errorf("scan: reading input: %w", rerr)
		}
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			if err := s.writeLine(ctx, bw, line, tooLong); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return flush(bw)
		}
		if !lineBuffered(br) {
			if err := flush(bw); err != nil {
				return err
			}
		}
	}
}

func (s *Scanner) writeLine(ctx context.Context, bw *bufio.Writer, line []byte, tooLong bool) error {
	var out any
	switch text, err := parseLine(line); {
	case tooLong:
		out = errorResult{fmt.Sprintf("line longer than %d bytes", s.maxLine)}
	case err != nil:
		out = errorResult{err.Error()}
	default:
		res, err := s.Text(ctx, text)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			out = errorResult{err.Error()}
		} else {
			out = res
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if _, err := bw.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("scan: writing output: %w", err)
	}
	return nil
}

func flush(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("scan: writing output: %w", err)
	}
	return nil
}

// readLine appends the next line of br to buf, without its newline. A line
// longer than limit is consumed but not kept: tooLong is set instead.
func readLine(br *bufio.Reader, buf []byte, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(buf)+len(chunk) <= limit {
			buf = append(buf, chunk...)
		} else {
			tooLong, buf = true, buf[:0]
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(buf, []byte("\n")), tooLong, err
	}
}

// lineBuffered reports whether a whole next line is already buffered, so
// reading it cannot block.
func lineBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// parseLine returns the text of one input object. encoding/json turns
// invalid UTF-8 into U+FFFD, one per bad byte, so the text scanned is
// always valid.
func parseLine(line []byte) ([]byte, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, errors.New(`want a JSON object such as {"text": "..."}`)
	}
	var in struct {
		Text json.RawMessage `json:"text"`
	}
	if err := json.Unmarshal(line, &in); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if len(in.Text) == 0 || string(in.Text) == "null" {
		return nil, errors.New(`no "text" field`)
	}
	var text string
	if err := json.Unmarshal(in.Text, &text); err != nil {
		return nil, errors.New(`"text" is not a string`)
	}
	return []byte(text), nil
}
