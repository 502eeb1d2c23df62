package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// logLine is the part of OPA's decision-log event the tests check.
type logLine struct {
	Labels     map[string]string         `json:"labels"`
	DecisionID string                    `json:"decision_id"`
	Bundles    map[string]map[string]any `json:"bundles"`
	Path       string                    `json:"path"`
	Input      map[string]any            `json:"input"`
	Result     any                       `json:"result"`
	Error      *struct{ Code, Message string }
	Timestamp  string           `json:"timestamp"`
	Metrics    map[string]int64 `json:"metrics"`
	Custom     map[string]string
}

func readLog(t *testing.T, s string) []logLine {
	t.Helper()
	var lines []logLine
	for line := range strings.Lines(s) {
		var l logLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("decision log line %q: %v", line, err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestDecisionLog(t *testing.T) {
	var log syncBuffer
	e := newTestEngine(t, Options{Dir: "testdata/cases", Catalogue: testCatalogue, DecisionLog: &log})
	models := []string{"allow-full", "deny", "conflict", "allow-not-bool", "undefined"}
	ids := make([]string, len(models))
	for i, m := range models {
		d, _ := e.Evaluate(context.Background(), input(m))
		ids[i] = d.DecisionID
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLog(t, log.String())
	if len(lines) != len(models) {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(models), log.String())
	}
	wantOutcome := []string{"allow", "deny", "error", "malformed", "deny"}
	wantError := []string{"", "", "eval_conflict_error", "malformed_decision", ""}
	for i, l := range lines {
		if l.DecisionID != ids[i] {
			t.Errorf("line %d: decision_id %s, want %s", i, l.DecisionID, ids[i])
		}
		if l.Labels["version"] != "sluice" || l.Labels["id"] == "" || l.Labels["id"] != lines[0].Labels["id"] {
			t.Errorf("line %d: labels %v, want one instance id and version sluice", i, l.Labels)
		}
		if l.Path != "sluice/decision" || l.Timestamp != "2026-11-21T14:03:00Z" || l.Bundles != nil {
			t.Errorf("line %d: path %q, timestamp %q, bundles %v", i, l.Path, l.Timestamp, l.Bundles)
		}
		if _, ok := l.Metrics["timer_rego_query_eval_ns"]; !ok {
			t.Errorf("line %d: metrics %v lack timer_rego_query_eval_ns", i, l.Metrics)
		}
		if l.Input["version"] != InputVersion || l.Input["request"].(map[string]any)["model"] != models[i] {
			t.Errorf("line %d: input %v", i, l.Input)
		}
		if l.Custom["outcome"] != wantOutcome[i] || l.Custom["mode"] != "enforce" || l.Custom["policy_revision"] != e.Revision() {
			t.Errorf("line %d: custom %v, want outcome %s", i, l.Custom, wantOutcome[i])
		}
		if code := errorCode(l); code != wantError[i] {
			t.Errorf("line %d: error code %q, want %q", i, code, wantError[i])
		}
	}
	// The result is the policy's document as it was, fields Sluice ignores included.
	if extra := lines[0].Result.(map[string]any)["extra"]; extra != "ignored" {
		t.Errorf("result %v lacks the ignored field", lines[0].Result)
	}
	if lines[4].Result != nil {
		t.Errorf("undefined decision logged result %v", lines[4].Result)
	}
}

func errorCode(l logLine) string {
	if l.Error == nil {
		return ""
	}
	return l.Error.Code
}

// blockedWriter holds every write until released, and says when the
// first write arrived.
type blockedWriter struct {
	entered chan struct{}
	once    *sync.Once
	release chan struct{}
}

func (w blockedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return len(p), nil
}

func TestDecisionLogNeverBlocks(t *testing.T) {
	w := blockedWriter{entered: make(chan struct{}), once: &sync.Once{}, release: make(chan struct{})}
	e := newTestEngine(t, Options{Dir: "testdata/cases", DecisionLog: w, DecisionLogBuffer: 2})
	_, _ = e.Evaluate(context.Background(), input("allow"))
	<-w.entered // the writer is now stuck with the first event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			_, _ = e.Evaluate(context.Background(), input("allow"))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Evaluate blocked on the decision log")
	}
	// Two events fit in the queue; the other 48 are dropped.
	if drops := e.Stats().LogDrops; drops != 48 {
		t.Errorf("LogDrops = %d, want 48", drops)
	}
	close(w.release)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestDecisionLogWriteErrors(t *testing.T) {
	var logs syncBuffer
	e := newTestEngine(t, Options{Dir: "testdata/cases", DecisionLog: failingWriter{},
		Logger: slogTo(&logs)})
	for range 3 {
		if d, _ := e.Evaluate(context.Background(), input("allow")); !d.Allow {
			t.Fatal("a failing decision log changed the decision")
		}
	}
	_ = e.Close()
	if n := strings.Count(logs.String(), "disk full"); n != 1 {
		t.Errorf("write error logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestInputDocument(t *testing.T) {
	in := &Input{
		Identity: Identity{
			Authenticated: true, Source: "api_key", Subject: "key:7Qx2mK9p",
			Tenant: "acme", Team: "search", App: "ranker", User: "alice@acme.example",
			Roles: []string{"developer"}, Labels: map[string]string{"env": "prod"},
			Key: &Key{
				ID: "7Qx2mK9p", Name: "ranker-prod", Owner: "alice@acme.example",
				ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Labels: map[string]string{"env": "prod"},
			},
			JWT:       map[string]any{"iss": "https://idp.acme.example", "sub": "alice", "groups": []any{"ml"}},
			Principal: "spiffe://cluster.local/ns/search/sa/ranker",
		},
		Request: Request{
			ID: "5f1c0c1e", API: "chat_completions", Method: "POST", Path: "/v1/chat/completions",
			Model: "gpt-4o", ModelRequested: "gpt4o", Stream: true, MaxTokens: 512,
			Parameters:          map[string]any{"temperature": 0.2, "top_p": 1.0, "n": 1, "response_format": "json_schema"},
			InputTokensEstimate: 734, MessageCount: 4,
			Tools:           Tools{Present: true, Count: 2, Names: []string{"search", "lookup"}},
			LastUserMessage: "How do I reverse a linked list in Go?",
		},
		Source:    Source{Address: "10.1.2.3", Port: 53122},
		RouteName: "sluice",
		Findings:  Findings{PII: PII{Types: []string{"EMAIL"}, Count: 1}, Injection: Injection{Score: 0.02, Verdict: "benign", Signals: []string{"delimiter"}}},
		Time:      time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC),
	}
	v, err := in.toAST(&builder{}, newTimeTerm(in.Time))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(mustJSON(t, policyvm.Plain(v).Value))
	if err != nil {
		t.Fatal(err)
	}
	want := readJSON(t, "testdata/input.json")
	if diff := cmp.Diff(want, decode(t, got)); diff != "" {
		t.Errorf("input document (-testdata/input.json +got):\n%s", diff)
	}
}

func TestLastUserMessageIsBounded(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want int // bytes kept
	}{
		{"short", "hello", 5},
		{"exact", strings.Repeat("a", 1024), 1024},
		{"ascii", strings.Repeat("a", 2000), 1024},
		{"rune across the limit", strings.Repeat("a", 1023) + "é" + "tail", 1023},
		{"four-byte runes", strings.Repeat("😀", 300), 1024},
		{"four-byte rune across the limit", "ab" + strings.Repeat("😀", 300), 1022},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncateUTF8(tt.msg, MaxLastUserMessage)
			if len(got) != tt.want || !strings.HasPrefix(tt.msg, got) {
				t.Errorf("kept %d bytes, want %d", len(got), tt.want)
			}
		})
	}
}

func TestDecisionIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newDecisionID()
		if len(id) != 36 || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) || seen[id] {
			t.Fatalf("decision id %q is not a fresh version 4 UUID", id)
		}
		seen[id] = true
	}
}

// TestDecisionLogSteadyTrafficDoesNotWakeTheWriter logs a decision every
// 100µs and checks that only the first has to wake the writer: the
// writer keeps to its linger's cadence while decisions keep coming. And
// every line arrives.
func TestDecisionLogSteadyTrafficDoesNotWakeTheWriter(t *testing.T) {
	var buf bytes.Buffer
	var drops atomic.Uint64
	l := newDecisionLog(&buf, defaultLogBuffer, "sluice/decision", "instance", &drops, slog.New(slog.DiscardHandler))
	sent := 0
	for start := time.Now(); time.Since(start) < 2*logLinger; sent++ {
		l.send(&logEvent{decisionID: strconv.Itoa(sent), input: ast.NewObject(), timestamp: time.Unix(1700000000, 0)})
		// time.Sleep can take a millisecond here.
		for next := time.Now().Add(100 * time.Microsecond); time.Now().Before(next); {
			runtime.Gosched()
		}
	}
	woken := l.idleTakes.Load()
	l.close()
	lines := bytes.Count(buf.Bytes(), []byte("\n"))
	t.Logf("%d decisions, %d lines; %d batches began with a wake-up", sent, lines, woken)
	if lines != sent || drops.Load() != 0 {
		t.Fatalf("%d lines and %d drops for %d decisions", lines, drops.Load(), sent)
	}
	if woken > 2 {
		t.Errorf("%d batches began by waking the writer; want the first only (two on a machine that paused the sender for a linger)", woken)
	}
}

// signalWriter tells its channel of each write.
type signalWriter chan struct{}

func (w signalWriter) Write(p []byte) (int, error) {
	select {
	case w <- struct{}{}:
	default:
	}
	return len(p), nil
}

// TestDecisionLogHalfQueueCutsTheLingerShort fills half the queue while
// the writer lingers and checks that the lines are written without waiting
// out the linger, so a burst cannot fill the queue and be dropped. A busy
// machine may delay one attempt, so the test allows several.
func TestDecisionLogHalfQueueCutsTheLingerShort(t *testing.T) {
	const size = 8
	fastest := time.Hour
	for range 20 {
		w := make(signalWriter, 1)
		var drops atomic.Uint64
		l := newDecisionLog(w, size, "sluice/decision", "instance", &drops, slog.New(slog.DiscardHandler))
		ev := &logEvent{decisionID: "d", input: ast.NewObject(), timestamp: time.Unix(1700000000, 0)}
		l.send(ev)                 // the writer takes it and lingers
		time.Sleep(logLinger / 10) // by now it waits on its timer
		for range size / 2 {
			l.send(ev)
		}
		start := time.Now()
		<-w
		fastest = min(fastest, time.Since(start))
		l.close()
		if fastest < logLinger/2 {
			return
		}
	}
	t.Errorf("half a queue waited at least %s for its write (linger %s): the writer waited out its linger", fastest, logLinger)
}
