package sse_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate/translatetest"
)

// ev is a copied event: sse.Event aliases the parser's buffer.
type ev struct{ Name, Data, ID string }

// parse feeds chunks and returns the events, whether an event is still
// pending at the end, and the first error.
func parse(p *sse.Parser, chunks [][]byte) ([]ev, bool, error) {
	var out []ev
	for _, c := range chunks {
		err := p.Feed(c, func(e sse.Event) error {
			out = append(out, ev{string(e.Name), string(e.Data), string(e.ID)})
			return nil
		})
		if err != nil {
			return out, p.Pending(), err
		}
	}
	return out, p.Pending(), nil
}

func TestParser(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []ev
		pending bool
	}{
		{"LF", "data: a\n\ndata: b\n\n", []ev{{Data: "a"}, {Data: "b"}}, false},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []ev{{Data: "a"}, {Data: "b"}}, false},
		{"CR", "data: a\r\rdata: b\r\r", []ev{{Data: "a"}, {Data: "b"}}, false},
		{"mixed endings", "data: a\r\ndata: b\rdata: c\n\r\n", []ev{{Data: "a\nb\nc"}}, false},
		{"comments", ": hello\ndata: a\n: mid\n\n:\n\n", []ev{{Data: "a"}}, false},
		{"multi-line data", "data: {\ndata: \"k\": 1\ndata: }\n\n", []ev{{Data: "{\n\"k\": 1\n}"}}, false},
		{"no space after colon", "data:x\n\n", []ev{{Data: "x"}}, false},
		{"only one space stripped", "data:  x\n\n", []ev{{Data: " x"}}, false},
		{"field without colon", "data\n\n", []ev{{Data: ""}}, false},
		{"empty data line", "data:\ndata:\n\n", []ev{{Data: "\n"}}, false},
		{"named event", "event: ping\ndata: {}\n\n", []ev{{Name: "ping", Data: "{}"}}, false},
		{"name resets per event", "event: a\ndata: 1\n\ndata: 2\n\n", []ev{{Name: "a", Data: "1"}, {Data: "2"}}, false},
		{"name without data is dispatched", "event: x\n\n", []ev{{Name: "x"}}, false},
		{"id persists", "id: 5\ndata: a\n\ndata: b\n\n", []ev{{Data: "a", ID: "5"}, {Data: "b", ID: "5"}}, false},
		{"id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\n", []ev{{Data: "a", ID: "1"}, {Data: "b", ID: "1"}}, false},
		{"unknown fields ignored", "retry: 10\nfoo: bar\ndata: a\n\n", []ev{{Data: "a"}}, false},
		{"blank lines only", "\n\n\r\n\r\r", nil, false},
		{"empty", "", nil, false},
		{"partial line", "data: a\n\ndata: b", []ev{{Data: "a"}}, true},
		{"line without blank line", "data: a\n\ndata: b\n", []ev{{Data: "a"}}, true},
		{"name pending", "event: x\n", nil, true},
		{"ends in CR", "data: a\r\r", []ev{{Data: "a"}}, false},
		{"UTF-8 and NUL in data", "data: é\x00👋\n\n", []ev{{Data: "é\x00👋"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, sp := range translatetest.Splits([]byte(tc.in)) {
				var p sse.Parser
				got, pending, err := parse(&p, sp.Chunks)
				if err != nil {
					t.Fatalf("%s: %v", sp.Name, err)
				}
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Fatalf("%s: events (-want +got):\n%s", sp.Name, d)
				}
				if pending != tc.pending {
					t.Fatalf("%s: pending = %t, want %t", sp.Name, pending, tc.pending)
				}
			}
		})
	}
}

// TestParserGolden renders every event of a fixture that mixes line
// endings, comments, fields and multi-line data, for every split.
func TestParserGolden(t *testing.T) {
	in := translatetest.ReadFile(t, "testdata/mixed.sse")
	var want []byte
	for i, sp := range translatetest.Splits(in) {
		var p sse.Parser
		events, pending, err := parse(&p, sp.Chunks)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, e := range events {
			fmt.Fprintf(&b, "name=%q id=%q data=%q\n", e.Name, e.ID, e.Data)
		}
		fmt.Fprintf(&b, "pending=%t\n", pending)
		if i == 0 {
			want = []byte(b.String())
		} else if b.String() != string(want) {
			t.Fatalf("split %s differs:\n%s", sp.Name, cmp.Diff(string(want), b.String()))
		}
	}
	translatetest.Golden(t, "testdata/mixed.golden", want)
}

func TestMaxEventBytes(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"data over limit", "data: 0123456789\ndata: 0123456789\n\n"},
		{"unterminated line over limit", "data: 0123456789012345678901234567890123456789"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, sp := range translatetest.Splits([]byte(tc.in)) {
				p := sse.Parser{MaxEventBytes: 16}
				if _, _, err := parse(&p, sp.Chunks); !errors.Is(err, sse.ErrTooLarge) {
					t.Fatalf("%s: err = %v, want ErrTooLarge", sp.Name, err)
				}
			}
		})
	}
	p := sse.Parser{MaxEventBytes: 16}
	if _, _, err := parse(&p, [][]byte{[]byte("data: 0123456789\n\ndata: 0123456789\n\n")}); err != nil {
		t.Fatalf("events under the limit: %v", err)
	}
}

func TestCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	var p sse.Parser
	n := 0
	err := p.Feed([]byte("data: a\n\ndata: b\n\n"), func(sse.Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d events", err, n)
	}
}

func TestFeedDoesNotKeepCallerChunk(t *testing.T) {
	var p sse.Parser
	chunk := []byte("data: abc")
	if err := p.Feed(chunk, func(sse.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	copy(chunk, "XXXXXXXXX")
	var got string
	if err := p.Feed([]byte("\n\n"), func(e sse.Event) error { got = string(e.Data); return nil }); err != nil {
		t.Fatal(err)
	}
	if got != "abc" {
		t.Fatalf("data = %q: the parser kept a reference to the caller's chunk", got)
	}
}

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name, event, data, want string
	}{
		{"data only", "", `{"a":1}`, "data: {\"a\":1}\n\n"},
		{"named", "ping", `{}`, "event: ping\ndata: {}\n\n"},
		{"multi-line", "", "a\nb\n", "data: a\ndata: b\ndata: \n\n"},
		{"empty", "", "", "data: \n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(sse.AppendEvent([]byte("prefix|"), tc.event, []byte(tc.data)))
			if got != "prefix|"+tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			var p sse.Parser
			events, pending, err := parse(&p, [][]byte{[]byte(tc.want)})
			if err != nil || pending || len(events) != 1 || events[0].Data != tc.data || events[0].Name != tc.event {
				t.Fatalf("round trip: %+v pending=%t err=%v", events, pending, err)
			}
		})
	}
	if got := string(sse.AppendData(nil, []byte("x"))); got != "data: x\n\n" {
		t.Fatalf("AppendData = %q", got)
	}
	if !bytes.Equal(sse.Done, []byte("data: [DONE]\n\n")) {
		t.Fatalf("Done = %q", sse.Done)
	}
}
