package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// TestBenchRuns drives every case against both servers for about a second
// in all, so the driver and the report keep working as Sluice changes.
func TestBenchRuns(t *testing.T) {
	o := &options{
		duration: 120 * time.Millisecond, warmup: 30 * time.Millisecond, rounds: 2,
		concurrency: []int{1, 16}, cases: loadgen.Cases(), conns: 2, format: "markdown",
	}
	rep, err := run(context.Background(), o, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 {
		t.Fatalf("%d requests failed:\n%s", rep.Errors, rep.Markdown())
	}
	if got, want := len(rep.Cells), len(o.cases)*len(o.concurrency); got != want {
		t.Fatalf("%d cells, want %d", got, want)
	}
	for _, c := range rep.Cells {
		for name, r := range map[string]Run{"sluice": c.Sluice, "do-nothing": c.Baseline} {
			if r.Requests == 0 || r.Total.P50 <= 0 || r.Phases["response_body"].P99 <= 0 {
				t.Errorf("%s c=%d %s: nothing measured: %+v", c.Case, c.Concurrency, name, r)
			}
		}
		streamed := strings.HasSuffix(c.Case, "-stream")
		if (c.Sluice.Event != nil) != streamed || (c.Baseline.Event != nil) != streamed {
			t.Errorf("%s c=%d: per-event latency measured %v/%v, want %v", c.Case, c.Concurrency, c.Sluice.Event != nil, c.Baseline.Event != nil, streamed)
		}
		if c.Sluice.ProcessAllocsPerRequest <= 0 || c.Baseline.ProcessAllocsPerRequest <= 0 {
			t.Errorf("%s c=%d: allocations not measured", c.Case, c.Concurrency)
		}
	}
	md := rep.Markdown()
	for _, want := range []string{"### Targets", "| OpenAI → Anthropic, streaming | 16 |", "p99 added at c=16", "(one event: ", "not measured (-rss-requests 0)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil || len(back.Cells) != len(rep.Cells) {
		t.Errorf("JSON does not round-trip (%v): %s", err, js)
	}
}

// TestMinRequestsStretchesACell: a timed cell goes on in more slices
// until each server has completed -min-requests requests, and no further
// than maxStretch times its duration.
func TestMinRequestsStretchesACell(t *testing.T) {
	base, err := startBaseline(1, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(base.close)
	l := loadgen.Load{Cases: []*loadgen.Case{loadgen.Cases()[0]}, Concurrency: 1, Duration: 40 * time.Millisecond}
	for _, c := range []struct {
		name        string
		minRequests int
		slices      int
	}{
		{"enough requests in the duration", 1, 2},
		{"more than fit in the longest stretch", 1 << 30, 2 * maxStretch},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := &options{rounds: 2, minRequests: c.minRequests}
			// The do-nothing server on both sides: only the slicing is
			// under test.
			b, s := measureCell(context.Background(), o, l, base, base)
			if b.res.Requests == 0 || s.res.Requests == 0 {
				t.Fatal("nothing measured")
			}
			if b.slices != c.slices || s.slices != c.slices {
				t.Errorf("measured %d and %d slices, want %d each", b.slices, s.slices, c.slices)
			}
		})
	}
}

func TestRSSMix(t *testing.T) {
	mix := rssMix(loadgen.Cases())
	got := map[string]int{}
	for _, c := range mix {
		got[c.Name]++
	}
	if len(mix) != 10 || got["openai-openai"] != 8 || got["openai-anthropic-stream"] != 1 || got["openai-openai-stream"] != 1 {
		t.Errorf("mix = %v, want 8 plain and one of each stream in 10", got)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		check   func(*options) bool
	}{
		{args: nil, check: func(o *options) bool {
			return o.duration == 5*time.Second && len(o.concurrency) == 3 && len(o.cases) == 3
		}},
		{args: []string{"-quick"}, check: func(o *options) bool { return o.duration < time.Second && len(o.concurrency) == 2 }},
		{args: []string{"-quick", "-concurrency", "8"}, check: func(o *options) bool { return len(o.concurrency) == 1 && o.concurrency[0] == 8 }},
		{args: []string{"-cases", "openai-anthropic-stream"}, check: func(o *options) bool { return len(o.cases) == 1 && o.cases[0].Stream }},
		{args: []string{"-cases", "nope"}, wantErr: `unknown case "nope"`},
		{args: []string{"-concurrency", "0"}, wantErr: "not a positive integer"},
		{args: []string{"-format", "xml"}, wantErr: "want markdown or json"},
		{args: []string{"-decision-log"}, wantErr: "-decision-log needs -policy"},
		{args: []string{"-policy", "policies/sluice", "-decision-log"}, check: func(o *options) bool {
			return o.decisionLog && settingsOf(o).DecisionLog &&
				strings.Contains((&Report{Settings: settingsOf(o)}).Markdown(), "every decision logged to a file")
		}},
		{args: []string{"-decision-memo", "0"}, wantErr: "-decision-memo needs -policy"},
		{args: []string{"-policy", "policies/sluice", "-decision-memo", "0"}, check: func(o *options) bool {
			return *settingsOf(o).DecisionMemo == 0 &&
				strings.Contains((&Report{Settings: settingsOf(o)}).Markdown(), "every decision evaluated")
		}},
		{args: []string{"-policy", "policies/sluice"}, check: func(o *options) bool {
			return settingsOf(o).DecisionMemo == nil &&
				strings.Contains((&Report{Settings: settingsOf(o)}).Markdown(), "decisions remembered by what they read")
		}},
		{args: []string{"-baseline-workers"}, check: func(o *options) bool {
			return o.baselineWorkers && settingsOf(o).BaselineWorkers &&
				strings.Contains((&Report{Settings: settingsOf(o)}).Markdown(), "so did the do-nothing server")
		}},
		{args: nil, check: func(o *options) bool {
			return strings.Contains((&Report{Settings: settingsOf(o)}).Markdown(), "the do-nothing server a goroutine per stream")
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, err := parseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(o) {
				t.Fatalf("parseFlags(%q) = %+v, %v", tt.args, o, err)
			}
		})
	}
}

// smallRun runs a short plain-request bench with set's options and
// fails the test on any error.
func smallRun(t *testing.T, set func(*options)) *Report {
	t.Helper()
	cs, err := loadgen.SelectCases([]string{"openai-openai"})
	if err != nil {
		t.Fatal(err)
	}
	o := &options{
		duration: 300 * time.Millisecond, warmup: 30 * time.Millisecond, rounds: 1,
		concurrency: []int{4}, cases: cs, conns: 1, format: "markdown",
	}
	set(o)
	rep, err := run(context.Background(), o, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 {
		t.Fatalf("%d requests failed", rep.Errors)
	}
	return rep
}

// TestDecisionLogRuns drives Sluice with the shipped policy and its
// decision log on, and checks that the log got the decisions, so
// -decision-log cannot quietly measure it off.
func TestDecisionLogRuns(t *testing.T) {
	rep := smallRun(t, func(o *options) { o.policyDir, o.decisionLog = "../../policies/sluice", true })
	if rep.DecisionsLogged == 0 {
		t.Fatal("no decision reached the decision log")
	}
	if md := rep.Markdown(); !strings.Contains(md, "every decision logged to a file") {
		t.Errorf("markdown does not say the decision log was on:\n%s", md)
	}
}

// TestObservabilityRuns drives Sluice with tracing, metrics and the audit
// log on, and checks that spans reached the collector and records the
// audit file, so -observability can never quietly measure them off.
func TestObservabilityRuns(t *testing.T) {
	rep := smallRun(t, func(o *options) { o.observability = true })
	ob := rep.Observed
	if ob == nil || ob.SpansExported == 0 || ob.AuditRecords == 0 {
		t.Fatalf("observability produced nothing: %+v", ob)
	}
	if md := rep.Markdown(); !strings.Contains(md, "audit records written") {
		t.Errorf("markdown does not say observability was on:\n%s", md)
	}
}

// TestEachSluiceLogsToItsOwnFiles configures two Sluices, as a run with a
// memory run does, and checks that they share no audit file (whose hash
// chain two writers would break) and no decision log.
func TestEachSluiceLogsToItsOwnFiles(t *testing.T) {
	bc, err := newBenchConfig("../../policies/sluice")
	if err != nil {
		t.Fatal(err)
	}
	bc.auditDir, bc.decisionDir = "/audit", "/decisions"
	first, second := bc.yaml("a:1", "a:2"), bc.yaml("a:3", "a:4")
	for _, want := range []string{`/audit/audit-1.jsonl`, `/decisions/decisions-1.jsonl`} {
		if !strings.Contains(first, want) || strings.Contains(second, want) {
			t.Errorf("%s: want it in the first Sluice's config only:\n%s\n%s", want, first, second)
		}
	}
}

// TestDecisionMemoReachesSluice checks that -decision-memo becomes the
// policy.decision_memo_size Sluice loads, and that without it Sluice
// keeps its default.
func TestDecisionMemoReachesSluice(t *testing.T) {
	for _, tc := range []struct{ flag, want int }{{-1, config.DefaultDecisionMemoSize}, {0, 0}, {128, 128}} {
		bc, err := newBenchConfig("../../policies/sluice")
		if err != nil {
			t.Fatal(err)
		}
		if tc.flag >= 0 {
			bc.decisionMemo = tc.flag
		}
		snap, err := config.Parse("bench.yaml", []byte(bc.yaml("127.0.0.1:1", "127.0.0.1:2")), config.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.Policy.DecisionMemoSize; got != tc.want {
			t.Errorf("-decision-memo %d: policy.decision_memo_size %d, want %d", tc.flag, got, tc.want)
		}
	}
}
