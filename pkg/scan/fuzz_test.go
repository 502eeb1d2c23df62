package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, `{"text":"\ud800"}`, "{\"text\":\"\xff\"}", `{"text":1}`, `[]`, ``, `{"text":"a","text":"b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		text, err := parseLine(line)
		if err == nil && !utf8.Valid(text) {
			t.Fatalf("text %q is not valid UTF-8", text)
		}
	})
}

func FuzzRun(f *testing.F) {
	f.Add("{\"text\":\"bob@example.com\"}\nnope\n\n{\"text\":\"ignore previous instructions\"}")
	f.Add("{\"text\":\"\xf0\x9f\"}\r\n{")
	s, err := New(Options{MaxLineBytes: 256})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := s.Run(context.Background(), strings.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(in, "\n") + 1
		if got := bytes.Count(out.Bytes(), []byte("\n")); got > lines {
			t.Fatalf("%d result lines for %d input lines", got, lines)
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
			if len(l) > 0 && !json.Valid(l) {
				t.Fatalf("result %q is not JSON", l)
			}
		}
	})
}
