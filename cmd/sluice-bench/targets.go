package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// finish counts errors and judges the targets.
func (r *Report) finish(elapsed time.Duration) {
	r.ElapsedSeconds = elapsed.Seconds()
	for _, c := range r.Cells {
		r.Errors += c.Sluice.Errors + c.Baseline.Errors
	}
	if r.Memory != nil {
		r.Errors += r.Memory.Errors
	}
	r.Targets = append(r.Targets, r.throughputTargets()...)
	r.Targets = append(r.Targets, r.p99Targets()...)
	r.Targets = append(r.Targets, r.rssTarget())
	if r.Errors > 0 {
		// Numbers from a run with failures flatter the server: failed
		// requests are cheap. No target passes on them.
		for i := range r.Targets {
			r.Targets[i].Pass = false
		}
	}
}

func (r *Report) throughputTargets() []Target {
	var out []Target
	for _, c := range loadgen.Cases() {
		want, ok := throughputTargets[c.Name]
		if !ok {
			continue
		}
		t := Target{Name: c.Title + " throughput", Want: fmt.Sprintf("≥ %.1f× do-nothing at every concurrency", want), Pass: true}
		var got []string
		for _, cell := range r.Cells {
			if cell.Case != c.Name {
				continue
			}
			t.Measured = true
			t.Pass = t.Pass && cell.Ratio >= want
			got = append(got, fmt.Sprintf("%.2f× (c=%d)", cell.Ratio, cell.Concurrency))
		}
		t.Got = strings.Join(got, ", ")
		if !t.Measured {
			t.Pass, t.Got = false, "not measured (case not run)"
		}
		out = append(out, t)
	}
	return out
}

func (r *Report) p99Targets() []Target {
	var out []Target
	for _, cell := range r.Cells {
		if cell.Concurrency != p99TargetConcurrency {
			continue
		}
		got := fmt.Sprintf("%+.0f µs", cell.P99AddedMicros)
		if cell.Sluice.Event != nil && cell.Baseline.Event != nil {
			// The verdict stays on the whole stream; what one event
			// waits is shown beside it (only when both servers streamed,
			// or the difference would read +0).
			got += fmt.Sprintf(" for the whole stream (one event: %+.0f µs)", cell.EventP99AddedMicros)
		}
		out = append(out, Target{
			Name:     fmt.Sprintf("%s p99 added at c=%d", cell.Title, p99TargetConcurrency),
			Want:     fmt.Sprintf("≤ %d µs", p99TargetMicros),
			Got:      got,
			Measured: true,
			Pass:     cell.P99AddedMicros <= p99TargetMicros,
		})
	}
	if len(out) == 0 {
		out = append(out, Target{
			Name: fmt.Sprintf("p99 added at c=%d", p99TargetConcurrency), Want: fmt.Sprintf("≤ %d µs", p99TargetMicros),
			Got: fmt.Sprintf("not measured (concurrency %d not run)", p99TargetConcurrency),
		})
	}
	return out
}

func (r *Report) rssTarget() Target {
	t := Target{Name: "sluice serve RSS after the memory run", Want: fmt.Sprintf("≤ %d MB", rssTargetMB)}
	switch m := r.Memory; {
	case m == nil:
		t.Got = "not measured (-rss-requests 0)"
	case !m.Measured:
		t.Got = "not measured: " + firstLine(m.Err)
	default:
		t.Measured, t.Pass = true, m.RSSMB <= rssTargetMB
		t.Got = fmt.Sprintf("%.1f MB after %d requests", m.RSSMB, m.Requests)
	}
	return t
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func verdict(t Target) string {
	switch {
	case !t.Measured:
		return "—"
	case t.Pass:
		return "PASS"
	}
	return "**FAIL**"
}
