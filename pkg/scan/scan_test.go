package scan

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/pii"
)

func newScanner(t *testing.T, opts Options) *Scanner {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunKeepsOrderAndSurvivesBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"text":"mail bob@example.com please"}`,
		`not json`,
		``,
		`   `,
		`{"id":7}`,
		`{"text":42}`,
		`{"text":null}`,
		`["text"]`,
		`{"text":"ok"} trailing`,
		"{\"text\":\"\xff\xfe bob@example.com\"}",
		`{"text":""}`,
	}, "\n")
	var out strings.Builder
	if err := newScanner(t, Options{}).Run(context.Background(), strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	wantErr := []bool{false, true, true, true, true, true, true, false, false}
	if len(lines) != len(wantErr) {
		t.Fatalf("%d output lines for 9 non-blank inputs:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		var r struct {
			Findings  []Finding
			Injection *Injection
			Error     string
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, l)
		}
		if (r.Error != "") != wantErr[i] {
			t.Errorf("line %d: %s", i, l)
		}
		if r.Error == "" && (r.Findings == nil || r.Injection == nil) {
			t.Errorf("line %d lacks findings or injection: %s", i, l)
		}
	}
	// The invalid bytes each count as one code point (U+FFFD).
	if !strings.Contains(lines[7], `"start":3,"end":18`) {
		t.Errorf("offsets after invalid UTF-8: %s", lines[7])
	}
}

func TestRunLongLines(t *testing.T) {
	long := strings.Repeat("é", 8<<20) + " bob@example.com"
	in := `{"text":"` + long + `"}` + "\n" + `{"text":"x` + strings.Repeat("y", 200) + `"}` + "\n" + `{"text":"short"}`
	var out strings.Builder
	s := newScanner(t, Options{MaxLineBytes: 20 << 20, NoInjection: true})
	if err := s.Run(context.Background(), strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"start":8388609,"end":8388624`) {
		t.Fatalf("got %.300s", out.String())
	}

	out.Reset()
	s = newScanner(t, Options{MaxLineBytes: 100, NoInjection: true})
	if err := s.Run(context.Background(), strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := "{\"error\":\"line longer than 100 bytes\"}\n{\"error\":\"line longer than 100 bytes\"}\n{\"findings\":[]}\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestRunInteractive answers each line before the next is written, as a
// user typing into a pipe needs.
func TestRunInteractive(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- newScanner(t, Options{NoInjection: true}).Run(context.Background(), inR, outW) }()
	answers := bufio.NewReader(outR)
	for _, text := range []string{"a@b.co", "none", "c@d.io"} {
		if _, err := io.WriteString(inW, `{"text":"`+text+`"}`+"\n"); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() { l, _ := answers.ReadString('\n'); got <- l }()
		select {
		case l := <-got:
			if !strings.HasPrefix(l, `{"findings":`) {
				t.Fatalf("answer %q", l)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer before the next line was written")
		}
	}
	_ = inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestRunReportsIOErrors(t *testing.T) {
	s := newScanner(t, Options{NoInjection: true})
	if err := s.Run(context.Background(), strings.NewReader(`{"text":"a"}`), failingWriter{}); err == nil {
		t.Error("a failing writer went unreported")
	}
	if err := s.Run(context.Background(), io.MultiReader(strings.NewReader("{\"text\":\"a\"}\n"), iotestErr{}), io.Discard); err == nil {
		t.Error("a failing reader went unreported")
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestMerge(t *testing.T) {
	f := func(typ string, start, end int, score float64) pii.Finding {
		return pii.Finding{Type: typ, Start: start, End: end, Score: score}
	}
	tests := []struct {
		name         string
		builtin, ner []pii.Finding
		want         []pii.Finding
	}{
		{"no analyzer findings", []pii.Finding{f("EMAIL_ADDRESS", 0, 5, 1)}, nil, []pii.Finding{f("EMAIL_ADDRESS", 0, 5, 1)}},
		{"disjoint interleave", []pii.Finding{f("EMAIL_ADDRESS", 10, 20, 1)}, []pii.Finding{f("PERSON", 0, 5, 0.8), f("LOCATION", 30, 35, 0.7)},
			[]pii.Finding{f("PERSON", 0, 5, 0.8), f("EMAIL_ADDRESS", 10, 20, 1), f("LOCATION", 30, 35, 0.7)}},
		{"built-in stands on overlap", []pii.Finding{f("US_SSN", 0, 11, 0.85)}, []pii.Finding{f("PERSON", 5, 15, 0.95)},
			[]pii.Finding{f("US_SSN", 0, 11, 0.85)}},
		{"analyzer finding spanning two built-ins", []pii.Finding{f("A", 0, 3, 0.5), f("B", 4, 6, 0.4)},
			[]pii.Finding{f("PERSON", 1, 5, 0.9), f("LOCATION", 6, 9, 0.9)}, []pii.Finding{f("A", 0, 3, 0.5), f("B", 4, 6, 0.4), f("LOCATION", 6, 9, 0.9)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, merge(tt.builtin, tt.ner)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
