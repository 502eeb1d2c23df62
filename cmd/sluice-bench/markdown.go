package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// Markdown renders the report so it can be pasted into BENCHMARKS.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	r.errorBanner(&b)
	m := r.Machine
	fmt.Fprintf(&b, "Machine: %d CPUs, %s, %s/%s, %s, GOMAXPROCS %d; load average before the run %s  \n",
		m.CPUs, m.CPUModel, m.OS, m.Arch, m.Go, m.GOMAXPROCS, m.LoadBefore)
	if busy(m) {
		fmt.Fprintf(&b, "> **The machine was busy before the run (load %s on %d CPUs).** Wall-clock figures (req/s, ratio, latency) "+
			"are skewed by the other work; the CPU ratio is the steadier measure of Sluice's cost.\n\n", m.LoadBefore, m.CPUs)
	}
	fmt.Fprintf(&b, "Command: `%s`  \n", r.Command)
	s := r.Settings
	switch {
	case s.Requests > 0:
		fmt.Fprintf(&b, "Cells: %d requests per server per cell in %d alternating slices", s.Requests, s.Rounds)
	case s.MinRequests > 0:
		fmt.Fprintf(&b, "Cells: %s per server per cell in %d alternating slices, and more slices of the same length "+
			"(up to %d× the time) until each server had completed %d requests", s.Duration, s.Rounds, maxStretch, s.MinRequests)
	default:
		fmt.Fprintf(&b, "Cells: %s per server per cell in %d alternating slices", s.Duration, s.Rounds)
	}
	fmt.Fprintf(&b, ", after a %s warm-up; %d HTTP/2 connections per server; "+
		"driver, Sluice and the do-nothing server in one process. Run took %.0f s.  \n",
		s.Warmup, s.Conns, r.ElapsedSeconds)
	if s.ProtoAnswers {
		b.WriteString("The driver decoded every answer with protobuf-go (-proto-answers).  \n")
	} else {
		b.WriteString("The driver read every answer from the wire, checking each field, without allocating (like Envoy's parser, unlike protobuf-go's generic decoder).  \n")
	}
	b.WriteString("Every message carried an empty metadata_context, and the first the request attributes of envoy/envoy.yaml, as Envoy sends them. " +
		"Sluice read Envoy's messages from the wire into a frame per stream; the do-nothing server decoded them with go-control-plane's generated code, as an ext_proc server written the usual way does. " +
		"Sluice ran its streams on long-lived gRPC workers, as sluice serve does; ")
	if s.BaselineWorkers {
		b.WriteString("so did the do-nothing server (-baseline-workers).  \n")
	} else {
		b.WriteString("the do-nothing server a goroutine per stream, gRPC's default.  \n")
	}
	switch {
	case s.NewTurns && s.Limits:
		b.WriteString("Each chat request's last message ended with a number no request sent before (-new-turns): the token estimate's memo knew the history, not the new turn.  \n")
	case s.Limits:
		b.WriteString("Every request sent the same body, so the token estimate for the limits found all of its messages in its memo (pkg/tokens); -new-turns makes each last message new.  \n")
	}
	policy := "no policy"
	if s.Policy != "" {
		policy = "OPA policy from `" + s.Policy + "`"
		if s.DecisionLog {
			policy += fmt.Sprintf(", every decision logged to a file (%d lines)", r.DecisionsLogged)
		}
		switch m := s.DecisionMemo; {
		case m == nil:
			policy += fmt.Sprintf(", decisions remembered by what they read (policy.decision_memo_size %d, the default)", config.DefaultDecisionMemoSize)
		case *m == 0:
			policy += ", every decision evaluated (policy.decision_memo_size 0)"
		default:
			policy += fmt.Sprintf(", decisions remembered by what they read (policy.decision_memo_size %d)", *m)
		}
	}
	if s.Limits {
		policy += "; in-memory rate limits per key, team and tenant and a tenant budget, checked and settled on every call"
	}
	if s.Observability {
		policy += "; tracing (10% of traces sampled, exported by OTLP gRPC to an in-process collector that drops them), " +
			"Prometheus metrics and the audit log (a file, standard level) on"
		if o := r.Observed; o != nil {
			policy += fmt.Sprintf(" (%d spans exported, %d audit records written)", o.SpansExported, o.AuditRecords)
		}
	} else {
		policy += "; tracing, metrics and the audit log off"
	}
	fmt.Fprintf(&b, "Sluice: every request authenticated with a Sluice API key; %s.\n\n", policy)

	b.WriteString("### Targets\n\n| target | want | got | verdict |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, verdict(t))
	}

	b.WriteString("\n### Throughput and overhead\n\n")
	b.WriteString("| case | conc | sluice req/s | do-nothing req/s | ratio | target | CPU µs/req sluice / do-nothing | CPU ratio | p50 added | p99 added | allocs/req sluice / do-nothing | KB/req sluice / do-nothing | errors |\n")
	b.WriteString("|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Cells {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %.2f× | %s | %.0f / %.0f | %.2f× | %+.0f µs | %+.0f µs | %.0f / %.0f | %.1f / %.1f | %d |\n",
			c.Title, c.Concurrency, c.Sluice.PerSecond, c.Baseline.PerSecond, c.Ratio, cellTarget(c),
			c.Sluice.CPUMicrosPerRequest, c.Baseline.CPUMicrosPerRequest, c.CPURatio,
			c.P50AddedMicros, c.P99AddedMicros, c.Sluice.ProcessAllocsPerRequest, c.Baseline.ProcessAllocsPerRequest,
			c.Sluice.ProcessBytesPerRequest/1024, c.Baseline.ProcessBytesPerRequest/1024, c.Sluice.Errors+c.Baseline.Errors)
	}

	b.WriteString("\n### Latency per phase, µs (p50 / p99)\n\n")
	b.WriteString("| case | conc | server | request_headers | request_body | response_headers | response_body (all chunks) | one streamed event | whole request |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Cells {
		for _, run := range []struct {
			name string
			r    Run
		}{{"sluice", c.Sluice}, {"do-nothing", c.Baseline}} {
			fmt.Fprintf(&b, "| %s | %d | %s |", c.Title, c.Concurrency, run.name)
			for p := range loadgen.NumPhases {
				l := run.r.Phases[p.String()]
				fmt.Fprintf(&b, " %.0f / %.0f |", l.P50, l.P99)
			}
			if ev := run.r.Event; ev != nil {
				fmt.Fprintf(&b, " %.0f / %.0f |", ev.P50, ev.P99)
			} else {
				b.WriteString(" — |")
			}
			fmt.Fprintf(&b, " %.0f / %.0f |\n", run.r.Total.P50, run.r.Total.P99)
		}
	}
	r.memoryTable(&b)
	return b.String()
}

// busy reports whether the one-minute load average before the run was
// over half the CPU count.
func busy(m Machine) bool {
	var load float64
	if _, err := fmt.Sscan(m.LoadBefore, &load); err != nil {
		return false
	}
	return load > float64(m.CPUs)/2
}

func cellTarget(c Cell) string {
	if c.ThroughputTarget == 0 {
		return "—"
	}
	v := "PASS"
	if c.Ratio < c.ThroughputTarget {
		v = "**FAIL**"
	}
	return fmt.Sprintf("≥ %.1f× %s", c.ThroughputTarget, v)
}

func (r *Report) memoryTable(b *strings.Builder) {
	m := r.Memory
	if m == nil {
		return
	}
	b.WriteString("\n### Memory of `sluice serve` (child process, VmRSS from /proc)\n\n")
	if !m.Measured {
		fmt.Fprintf(b, "**Not measured:** %s\n", strings.ReplaceAll(m.Err, "\n", "  \n"))
		return
	}
	b.WriteString("| requests | mix | conc | req/s | RSS before | RSS after | peak RSS | errors |\n|--:|---|--:|--:|--:|--:|--:|--:|\n")
	fmt.Fprintf(b, "| %d | %s | %d | %.0f | %.1f MB | %.1f MB | %.1f MB | %d |\n",
		m.Requests, mixSummary(m.Mix), m.Concurrency, m.PerSecond, m.RSSStartMB, m.RSSMB, m.HWMMB, m.Errors)
}

func mixSummary(names []string) string {
	counts := map[string]int{}
	for _, n := range names {
		counts[n]++
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d/%d %s", counts[n], len(names), n))
	}
	return strings.Join(parts, ", ")
}

// errorBanner makes a run with failures impossible to miss.
func (r *Report) errorBanner(b *strings.Builder) {
	if r.Errors == 0 {
		return
	}
	fmt.Fprintf(b, "> **ERRORS: %d requests failed. These numbers are NOT a valid measurement; no target passes.**\n>\n", r.Errors)
	kinds := map[string]int{}
	add := func(prefix string, ks map[string]int) {
		for k, n := range ks {
			kinds[prefix+k] += n
		}
	}
	for _, c := range r.Cells {
		add(c.Case+" sluice: ", c.Sluice.ErrorKinds)
		add(c.Case+" do-nothing: ", c.Baseline.ErrorKinds)
	}
	if r.Memory != nil {
		add("sluice serve: ", r.Memory.ErrorKinds)
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Fprintf(b, "> - %d × %s\n", kinds[k], strings.ReplaceAll(k, "\n", " "))
	}
	b.WriteString("\n")
}
