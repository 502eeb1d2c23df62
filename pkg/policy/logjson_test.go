package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// sameAsASTJSON checks that appendJSON writes what encoding/json writes
// for ast.JSON(v), as a JSON reader sees it: the same values, and objects'
// members in the same order. Escapes may differ (\u0008 for \b), which
// no reader tells apart.
// appendJSON appends v with a jsonWriter of its own.
func appendJSON(b []byte, v ast.Value) ([]byte, error) {
	return newJSONWriter().append(b, v)
}

func sameAsASTJSON(t *testing.T, v ast.Value) {
	t.Helper()
	got, err := appendJSON(nil, v)
	x, wantErr := ast.JSON(plain(v))
	var want []byte
	if wantErr == nil {
		want, wantErr = json.Marshal(x)
	}
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%v: appendJSON error %v, ast.JSON and encoding/json %v", v, err, wantErr)
	}
	if err != nil {
		return
	}
	sameJSON(t, v.String(), got, want)
}

// sameJSON fails unless got and want are valid JSON that a reader takes
// for the same document, with every object's members in the same order.
func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: invalid JSON: %v: %s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want)
	}
	if keys(t, got) != keys(t, want) {
		t.Fatalf("%s: members in another order:\n got %s\nwant %s", what, got, want)
	}
}

// keys lists every object key of doc in the order it is written.
func keys(t *testing.T, doc []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	var out []byte
	var inObject []bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return string(out)
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				inObject = append(inObject, true)
				expectKey = true
			case '[':
				inObject = append(inObject, false)
				expectKey = false
			default:
				inObject = inObject[:len(inObject)-1]
				expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
			}
			continue
		case string:
			if expectKey {
				out = append(out, tok...)
				out = append(out, 0)
				expectKey = false
				continue
			}
		}
		expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
	}
}

func TestAppendJSONMatchesASTJSON(t *testing.T) {
	for _, src := range []string{
		`null`, `true`, `false`, `0`, `-1.5e10`, `12345678901234567890`, `"plain"`,
		`"quote \" backslash \\ newline \n tab \t bell \u0007 back \b feed \f <&> \u2028 é 😀"`,
		`[]`, `{}`, `set()`, `[1, "a", [true, null], {"b": 2}]`,
		`{"z": 1, "a": {"y": [1, 2], "b": set()}, "m": {"x", "a", "b"}}`,
		`{"": 1, "a": 2, "A": 3, "é": 4, "ab": 5}`,
		`{1: "one", "1": "string one", "b": 2}`,
		`{[1, 2]: "array key", true: "bool key", null: "null key", {"k": 1}: "object key"}`,
		`{"s": {3, 1, 2}, "n": {{"b": 1}, {"a": 2}}}`,
	} {
		v, err := ast.ParseTerm(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		sameAsASTJSON(t, v.Value)
	}
	sameAsASTJSON(t, ast.String("invalid \xff utf-8"))
	if _, err := appendJSON(nil, ast.MustParseRef("data.x")); err == nil {
		t.Error("a reference was written as JSON; want an error, as ast.JSON gives")
	}
}

// The decision log's inputs and results: every realistic input of the
// reference policy, and the decision it gets.
func TestAppendJSONReferenceDecisions(t *testing.T) {
	e := refEngine(t)
	if e.cur.Load().vm == nil {
		t.Fatal("the reference policy did not plan")
	}
	for _, in := range refInputs() {
		v, result := refDecision(t, e, in)
		sameAsASTJSON(t, v)
		if result != nil {
			sameAsASTJSON(t, result.Value)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	for _, src := range []string{`{"a": [1, {"b": set()}], "c": "\u0001"}`, `{1: 2, "1": 3}`, `[{"x": {"y", "z"}}]`} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		v, err := ast.ParseTerm(src)
		if err != nil || !v.IsGround() {
			return
		}
		if _, ok := v.Value.(ast.Ref); ok {
			return
		}
		sameAsASTJSON(t, v.Value)
	})
}

// refEventJSON is a decision log line as encoding/json wrote it before
// lines were written by hand: the reference appendEvent is held to.
type refEventJSON struct {
	Labels     map[string]string        `json:"labels"`
	DecisionID string                   `json:"decision_id"`
	Bundles    map[string]refBundleJSON `json:"bundles,omitempty"`
	Path       string                   `json:"path"`
	Input      any                      `json:"input"`
	Result     *any                     `json:"result,omitempty"`
	Error      *errorJSON               `json:"error,omitempty"`
	Timestamp  string                   `json:"timestamp"`
	Metrics    map[string]int64         `json:"metrics"`
	Custom     refCustomJSON            `json:"custom"`
}

type refBundleJSON struct {
	Revision string `json:"revision,omitempty"`
}

type refCustomJSON struct {
	Outcome        string `json:"outcome"`
	Mode           string `json:"mode"`
	PolicyRevision string `json:"policy_revision"`
}

func refEventLine(t testing.TB, l *decisionLog, labels map[string]string, ev *logEvent) []byte {
	t.Helper()
	out := &refEventJSON{
		Labels:     labels,
		DecisionID: ev.decisionID,
		Path:       l.path,
		Timestamp:  ev.timestamp.UTC().Format(time.RFC3339Nano),
		Metrics:    map[string]int64{"timer_rego_query_eval_ns": ev.evalNS},
		Custom:     refCustomJSON{Outcome: ev.outcome.String(), Mode: Enforce.String(), PolicyRevision: ev.revision},
	}
	if ev.dryRun {
		out.Custom.Mode = DryRun.String()
	}
	if ev.bundle != nil {
		out.Bundles = map[string]refBundleJSON{ev.bundle.name: {Revision: ev.bundle.revision}}
	}
	if v, err := ast.JSON(plain(ev.input)); err == nil {
		out.Input = v
	}
	if ev.result != nil {
		if v, err := ast.JSON(ev.result.Value); err == nil {
			out.Result = &v
		}
	}
	if ev.err != nil {
		out.Error = errorOf(ev.err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAppendEventMatchesEncodingJSON writes lines for the reference
// policy's inputs and decisions, with and without a bundle, an error, a
// dry run or a decision, and compares each with encoding/json's.
func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	e := refEngine(t)
	labels := map[string]string{"version": "sluice", "id": "instance-<1>"}
	l := &decisionLog{labelsJSON: labelsJSON(labels), path: "sluice/decision"}
	for i, in := range refInputs()[:200] {
		v, result := refDecision(t, e, in)
		ev := &logEvent{decisionID: newDecisionID(), input: v, result: result, timestamp: in.Time.Add(time.Duration(i) * 1234567),
			evalNS: int64(i) * 997, outcome: outcome(i % 3), revision: "rev-" + strconv.Itoa(i)}
		switch i % 5 {
		case 1:
			ev.bundle = &bundleRef{name: "sluice", revision: "b\"1"}
		case 2:
			ev.bundle, ev.dryRun = &bundleRef{name: "other"}, true
		case 3:
			ev.result, ev.err = nil, ErrMalformed
		case 4:
			ev.err = &topdown.Error{Code: topdown.ConflictErr, Message: "functions must not produce multiple outputs", Location: ast.NewLocation([]byte("x"), "policy.rego", 3, 7)}
		}
		got := l.appendEvent(nil, ev)
		want := refEventLine(t, l, labels, ev)
		if got[len(got)-1] != '\n' || bytes.Count(got, []byte("\n")) != 1 {
			t.Fatalf("line %d is not one line: %q", i, got)
		}
		sameJSON(t, "line "+strconv.Itoa(i), got, want)
	}
}

// refDecision is in's input document and the plan's decision for it.
func refDecision(tb testing.TB, e *Engine, in *Input) (ast.Value, *ast.Term) {
	tb.Helper()
	st := e.cur.Load()
	v, err := in.toAST(&builder{names: st.strings, ids: st.ids}, e.timeTerm(in.Time))
	if err != nil {
		tb.Fatal(err)
	}
	result, err := evalPlan(context.Background(), st, v, in.Time)
	if err != nil {
		tb.Fatal(err)
	}
	return v.Value, result
}

// BenchmarkDecisionLogLine writes one decision log line for a routed
// reference decision, by hand and as encoding/json wrote it before.
func BenchmarkDecisionLogLine(b *testing.B) {
	e := refEngine(b)
	in := refInputs()[950]
	v, result := refDecision(b, e, in)
	labels := map[string]string{"version": "sluice", "id": "instance"}
	l := &decisionLog{labelsJSON: labelsJSON(labels), path: "sluice/decision"}
	ev := &logEvent{decisionID: newDecisionID(), input: v, result: result, timestamp: in.Time, revision: "rev"}
	b.Run("appendEvent", func(b *testing.B) {
		b.ReportAllocs()
		var line []byte
		for b.Loop() {
			line = l.appendEvent(line[:0], ev)
		}
		b.SetBytes(int64(len(line)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = refEventLine(b, l, labels, ev)
		}
	})
}
