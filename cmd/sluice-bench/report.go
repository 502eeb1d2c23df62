package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// Report is the whole run; it is also the JSON output's schema.
type Report struct {
	Machine  Machine  `json:"machine"`
	Command  string   `json:"command"`
	Settings Settings `json:"settings"`
	Cells    []Cell   `json:"cells"`
	Memory   *Memory  `json:"memory,omitempty"`
	Targets  []Target `json:"targets"`
	// Observed is what telemetry and the audit log produced, when
	// -observability turned them on.
	Observed *Observed `json:"observed,omitempty"`
	// DecisionsLogged is how many lines -decision-log's file held.
	DecisionsLogged int `json:"decisions_logged,omitempty"`
	// Errors counts failed requests in every run; a report with errors is
	// not a valid measurement.
	Errors         int     `json:"errors"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
}

// Machine describes where the numbers came from.
type Machine struct {
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Go         string `json:"go"`
	// LoadBefore is /proc/loadavg's 1, 5 and 15 minute figures at the
	// start: anything else busy on the machine skews every number.
	LoadBefore string `json:"load_before"`
}

// Settings are the flags that shaped the run.
type Settings struct {
	Duration string `json:"duration"`
	Warmup   string `json:"warmup"`
	Requests int    `json:"requests,omitempty"`
	Rounds   int    `json:"rounds"`
	// MinRequests is -min-requests: timed cells went on until each server
	// had completed this many.
	MinRequests int      `json:"min_requests,omitempty"`
	Concurrency []int    `json:"concurrency"`
	Cases       []string `json:"cases"`
	Conns       int      `json:"conns"`
	// Policy is the policy directory Sluice ran with, if any.
	Policy string `json:"policy,omitempty"`
	// DecisionLog is set when every decision was logged to a file.
	DecisionLog bool `json:"decision_log,omitempty"`
	// DecisionMemo is policy.decision_memo_size when set by -decision-memo.
	DecisionMemo *int `json:"decision_memo,omitempty"`
	// Limits is set when Sluice checked layered rate limits and a budget.
	Limits bool `json:"limits,omitempty"`
	// Observability is set when Sluice ran with tracing, metrics and the
	// audit log on.
	Observability bool `json:"observability,omitempty"`
	// ProtoAnswers is set when the driver decoded answers with
	// protobuf-go rather than reading them from the wire.
	ProtoAnswers bool `json:"proto_answers,omitempty"`
	// NewTurns is set when each chat request's last message was one no
	// request sent before.
	NewTurns bool `json:"new_turns,omitempty"`
	// BaselineWorkers is set when the do-nothing server ran its streams
	// on gRPC's stream workers.
	BaselineWorkers bool `json:"baseline_workers,omitempty"`
}

// Cell is one case at one concurrency, against both servers.
type Cell struct {
	Case        string `json:"case"`
	Title       string `json:"title"`
	Concurrency int    `json:"concurrency"`
	Sluice      Run    `json:"sluice"`
	Baseline    Run    `json:"do_nothing"`
	// Ratio is Sluice's throughput over the do-nothing server's.
	Ratio float64 `json:"ratio"`
	// CPURatio is the do-nothing run's process CPU time per request over
	// Sluice's: the throughput ratio the two would reach on otherwise idle,
	// CPU-bound cores. It is steadier than Ratio on a shared machine.
	CPURatio float64 `json:"cpu_ratio"`
	// P99AddedMicros is Sluice's whole-request p99 minus the do-nothing
	// p99; P50AddedMicros the same at the median, which noise moves less.
	P99AddedMicros float64 `json:"p99_added_us"`
	P50AddedMicros float64 `json:"p50_added_us"`
	// EventP99AddedMicros is the same for one streamed event, the delay
	// Sluice adds to each SSE event; zero when the body was not streamed.
	EventP99AddedMicros float64 `json:"event_p99_added_us,omitempty"`
	// AllocsPerRequest and BytesPerRequest are what the Sluice run
	// allocates per request beyond the do-nothing run, which has the
	// same driver and gRPC stack. Negative when Sluice allocates less:
	// it reads Envoy's messages without protobuf-go's generated decoder,
	// which the do-nothing server pays for.
	AllocsPerRequest float64 `json:"allocs_per_request"`
	BytesPerRequest  float64 `json:"bytes_per_request"`
	// ThroughputTarget is the minimum Ratio this case must reach, or 0.
	ThroughputTarget float64 `json:"throughput_target,omitempty"`
}

// Run is one server's measurement in a cell.
type Run struct {
	Requests   int                `json:"requests"`
	Errors     int                `json:"errors"`
	ErrorKinds map[string]int     `json:"error_kinds,omitempty"`
	Seconds    float64            `json:"seconds"`
	PerSecond  float64            `json:"requests_per_second"`
	Phases     map[string]Latency `json:"phases"`
	Total      Latency            `json:"total"`
	// Event is one streamed body chunk's round trip, when the body was
	// streamed.
	Event *Latency `json:"event,omitempty"`
	// ProcessAllocsPerRequest counts every allocation in the process
	// (driver, gRPC both ends, processor) per request.
	ProcessAllocsPerRequest float64 `json:"process_allocs_per_request"`
	ProcessBytesPerRequest  float64 `json:"process_bytes_per_request"`
	// CPUMicrosPerRequest is the whole process's CPU time per request.
	CPUMicrosPerRequest float64 `json:"process_cpu_us_per_request"`
}

// Latency is a distribution in microseconds.
type Latency struct {
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
}

// Memory is the `sluice serve` child process's memory after the run.
type Memory struct {
	Measured    bool           `json:"measured"`
	Err         string         `json:"error,omitempty"`
	Binary      string         `json:"binary,omitempty"`
	Requests    int            `json:"requests"`
	Concurrency int            `json:"concurrency"`
	Mix         []string       `json:"mix"`
	PerSecond   float64        `json:"requests_per_second"`
	Errors      int            `json:"errors"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	RSSStartMB  float64        `json:"rss_start_mb"`
	RSSMB       float64        `json:"rss_mb"`
	HWMMB       float64        `json:"peak_rss_mb"`
}

// Target is one goal with its verdict. Measured is false when the run did
// not include what the target needs (a case or concurrency left out).
type Target struct {
	Name     string `json:"name"`
	Want     string `json:"want"`
	Got      string `json:"got"`
	Measured bool   `json:"measured"`
	Pass     bool   `json:"pass"`
}

// throughputTargets are the minimum Sluice/do-nothing throughput ratios.
var throughputTargets = map[string]float64{
	"openai-openai":           0.8,
	"openai-anthropic-stream": 0.6,
}

const (
	p99TargetConcurrency = 16
	p99TargetMicros      = 1000
	rssTargetMB          = 64
)

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func latencyOf(s loadgen.Summary) Latency {
	return Latency{P50: micros(s.P50), P90: micros(s.P90), P99: micros(s.P99), Max: micros(s.Max), Mean: micros(s.Mean)}
}

func runOf(m measured) Run {
	r := Run{
		Requests: m.res.Requests, Errors: m.res.Errors, ErrorKinds: m.res.ErrorKinds,
		Seconds: m.res.Elapsed.Seconds(), PerSecond: m.res.PerSecond(),
		Phases: map[string]Latency{}, Total: latencyOf(m.res.Total),
		ProcessAllocsPerRequest: perRequest(m.mallocs, m.res),
		ProcessBytesPerRequest:  perRequest(m.bytes, m.res),
		CPUMicrosPerRequest:     micros(m.cpu) / float64(max(m.res.Requests+m.res.Errors, 1)),
	}
	for p := range loadgen.NumPhases {
		r.Phases[p.String()] = latencyOf(m.res.Phases[p])
	}
	if m.res.Event.N > 0 {
		ev := latencyOf(m.res.Event)
		r.Event = &ev
	}
	return r
}

func newCell(c *loadgen.Case, n int, sl, base measured) Cell {
	cell := Cell{
		Case: c.Name, Title: c.Title, Concurrency: n,
		Sluice: runOf(sl), Baseline: runOf(base),
		ThroughputTarget: throughputTargets[c.Name],
	}
	if cell.Baseline.PerSecond > 0 {
		cell.Ratio = cell.Sluice.PerSecond / cell.Baseline.PerSecond
	}
	if cell.Sluice.CPUMicrosPerRequest > 0 {
		cell.CPURatio = cell.Baseline.CPUMicrosPerRequest / cell.Sluice.CPUMicrosPerRequest
	}
	cell.P99AddedMicros = cell.Sluice.Total.P99 - cell.Baseline.Total.P99
	cell.P50AddedMicros = cell.Sluice.Total.P50 - cell.Baseline.Total.P50
	if cell.Sluice.Event != nil && cell.Baseline.Event != nil {
		cell.EventP99AddedMicros = cell.Sluice.Event.P99 - cell.Baseline.Event.P99
	}
	cell.AllocsPerRequest = cell.Sluice.ProcessAllocsPerRequest - cell.Baseline.ProcessAllocsPerRequest
	cell.BytesPerRequest = cell.Sluice.ProcessBytesPerRequest - cell.Baseline.ProcessBytesPerRequest
	return cell
}

// JSON renders the report for machines.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	return append(b, '\n'), nil
}
