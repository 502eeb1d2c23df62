package audit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// trail writes n request records through a writer and returns the lines.
func trail(t *testing.T, n int) []string {
	t.Helper()
	sink := &failingSink{}
	w, err := NewWriter(Options{Sinks: []Sink{sink}, QueueRecords: n + 1, QueueBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		w.Add(request("r" + strconv.Itoa(i)))
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(sink.buf.String(), "\n")
	return lines[:len(lines)-1] // after the last newline: nothing
}

func TestVerifyCatchesTampering(t *testing.T) {
	// Lines: 1 segment, 2..6 requests r0..r4, 7 end.
	good := trail(t, 5)
	if len(good) != 7 {
		t.Fatalf("trail has %d lines, want 7", len(good))
	}
	verifyString(t, strings.Join(good, ""), VerifyOptions{})
	edit := func(f func(l []string) []string) string {
		return strings.Join(f(append([]string(nil), good...)), "")
	}
	for _, tc := range []struct {
		name     string
		trail    string
		opts     VerifyOptions
		line     int // where the break is reported; 0 for an error without a line
		inReason string
	}{
		{name: "edit a field", trail: edit(func(l []string) []string {
			l[2] = strings.Replace(l[2], `"status":200`, `"status":403`, 1)
			return l
		}), line: 4, inReason: "prev is not the digest"},
		{name: "edit the last record", trail: edit(func(l []string) []string {
			l[6] = strings.Replace(l[6], `"written":5`, `"written":4`, 1)
			return l
		}), opts: VerifyOptions{Head: headOf(t, good)}},
		{name: "edit seq", trail: edit(func(l []string) []string {
			l[3] = strings.Replace(l[3], `"seq":4`, `"seq":5`, 1)
			return l
		}), line: 4, inReason: "want seq 4"},
		{name: "delete a record", trail: edit(func(l []string) []string {
			return append(l[:3], l[4:]...)
		}), line: 4, inReason: "want seq 4"},
		{name: "delete the genesis", trail: edit(func(l []string) []string { return l[1:] }),
			line: 1, inReason: "does not start at its genesis"},
		{name: "reorder", trail: edit(func(l []string) []string {
			l[2], l[3] = l[3], l[2]
			return l
		}), line: 3, inReason: "want seq 3"},
		{name: "insert a copy", trail: edit(func(l []string) []string {
			return append(l[:3], append([]string{l[2]}, l[3:]...)...)
		}), line: 4, inReason: "want seq 4"},
		{name: "truncate mid-record", trail: edit(func(l []string) []string {
			l[6] = l[6][:20]
			return l
		}), line: 7, inReason: "not a complete audit record"},
		{name: "truncate inside the trail", trail: edit(func(l []string) []string {
			l[3] = l[3][:30] + "\n"
			return l
		}), line: 4, inReason: "not a complete audit record"},
		{name: "cut whole records off the end", trail: edit(func(l []string) []string { return l[:5] }),
			opts: VerifyOptions{Head: headOf(t, good)}},
		{name: "fake crash excuse", trail: edit(func(l []string) []string {
			l[2] = strings.Replace(l[2], `"type":"request"`, `"type":"segment","skipped_bytes":3`, 1)
			return l
		}), line: 3, inReason: "incomplete line that is not there"},
		{name: "new genesis mid-trail", trail: edit(func(l []string) []string {
			return append(l[:4], l...)
		}), line: 5, inReason: "a new chain starts here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyErr(t, tc.trail, tc.opts)
			if err == nil {
				t.Fatalf("verify accepted the tampered trail:\n%s", tc.trail)
			}
			var b *BrokenError
			if tc.line == 0 {
				return
			}
			if !errors.As(err, &b) || b.Line != tc.line || !strings.Contains(b.Reason, tc.inReason) {
				t.Errorf("error %v, want line %d with %q", err, tc.line, tc.inReason)
			}
		})
	}
}

func TestVerifyPartialTrail(t *testing.T) {
	good := trail(t, 3)
	rest := strings.Join(good[2:], "")
	if _, err := verifyErr(t, rest, VerifyOptions{}); err == nil {
		t.Error("a trail without genesis verified without partial")
	}
	rep := verifyString(t, rest, VerifyOptions{Partial: true})
	if !rep.Partial || rep.FirstSeq != 3 {
		t.Errorf("report %+v", rep)
	}
}

func headOf(t *testing.T, lines []string) string {
	t.Helper()
	return verifyString(t, strings.Join(lines, ""), VerifyOptions{}).Head
}

func FuzzVerify(f *testing.F) {
	sink := &failingSink{}
	w, err := NewWriter(Options{Sinks: []Sink{sink}, QueueRecords: 4, QueueBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	w.Add(request("a"))
	if err := w.Close(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Add(sink.buf.Bytes())
	f.Add([]byte("{}\n{\"seq\":1}\n"))
	f.Add([]byte(`{"seq":1,"prev":"genesis","type":"segment","alg":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := NewVerifier(VerifyOptions{Partial: true})
		if err := v.File("fuzz", strings.NewReader(string(data))); err == nil {
			_, _ = v.Finish()
		}
	})
}
