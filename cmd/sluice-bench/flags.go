package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

type options struct {
	duration time.Duration
	warmup   time.Duration
	requests int
	rounds   int
	// minRequests extends a timed cell until each server has completed
	// this many requests, up to maxStretch times its duration.
	minRequests int
	concurrency []int
	cases       []*loadgen.Case
	conns       int
	policyDir   string
	// decisionLog logs every decision to a file (needs policyDir).
	decisionLog bool
	// decisionMemo is policy.decision_memo_size, or -1 for its default.
	decisionMemo int
	limits       bool
	// observability runs Sluice with tracing, metrics and the audit log on.
	observability bool
	// protoAnswers decodes the servers' answers with protobuf-go.
	protoAnswers bool
	// newTurns makes each chat request's last message new.
	newTurns bool
	// baselineWorkers runs the do-nothing server's streams on gRPC's
	// stream workers, as Sluice's are.
	baselineWorkers bool

	rssRequests    int
	rssConcurrency int
	sluiceBin      string

	cpuProfile string
	memProfile string

	format string // markdown or json
	out    string // file, or "" for stdout
	args   []string
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("sluice-bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{args: args}
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per cell and server")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured run before each cell")
	fs.IntVar(&o.requests, "requests", 0, "requests per cell and server instead of -duration")
	fs.IntVar(&o.rounds, "rounds", 5, "slices each cell's time is cut into, alternating between the two servers")
	fs.IntVar(&o.minRequests, "min-requests", 50_000,
		"keep measuring a timed cell, in more alternating slices, until each server has completed this many requests (at most 4 times -duration): a p99 needs them; 0 keeps to -duration")
	conc := fs.String("concurrency", "1,16,64", "comma-separated concurrent requests (streams) per cell")
	cases := fs.String("cases", "openai-openai,openai-anthropic-stream,openai-openai-stream", "comma-separated cases")
	fs.IntVar(&o.conns, "conns", 2, "HTTP/2 connections per server, as Envoy opens one per worker thread")
	fs.StringVar(&o.policyDir, "policy", "", "run Sluice with this OPA policy directory (default: no policy)")
	fs.BoolVar(&o.decisionLog, "decision-log", false, "with -policy, log every decision to a file, in OPA's decision-log format")
	fs.IntVar(&o.decisionMemo, "decision-memo", -1, "with -policy, how many decisions Sluice remembers (policy.decision_memo_size; 0 is off, -1 its default)")
	fs.BoolVar(&o.limits, "limits", false, "run Sluice with layered rate limits (key, team, tenant) and a tenant budget, none of which refuses")
	fs.BoolVar(&o.observability, "observability", false,
		"run Sluice with telemetry (10% of traces sampled, exported by OTLP gRPC to an in-process collector; Prometheus metrics) and the audit log (a file, standard level) on")
	fs.BoolVar(&o.protoAnswers, "proto-answers", false,
		"decode the servers' answers with protobuf-go's generic decoder, as runs before November 22, 2026 did, instead of reading them from the wire as Envoy's parser costs")
	fs.BoolVar(&o.newTurns, "new-turns", false,
		"end each chat request's last message with a number no request sent before, as each turn of a conversation is new, so Sluice can remember only the history (default: the same body every time)")
	fs.BoolVar(&o.baselineWorkers, "baseline-workers", false,
		"run the do-nothing server's streams on long-lived gRPC workers, as Sluice's are, instead of a goroutine per stream (gRPC's default, the usual setup)")
	fs.IntVar(&o.rssRequests, "rss-requests", 100_000, "requests to drive through `sluice serve` before reading its RSS; 0 skips")
	fs.IntVar(&o.rssConcurrency, "rss-concurrency", 64, "concurrency of the RSS run")
	fs.StringVar(&o.sluiceBin, "sluice-bin", "", "prebuilt sluice binary for the RSS run (default: go build ./cmd/sluice)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the in-process cells (driver and both servers) to this file; samples carry the label role=sluice, do-nothing, driver or collector (go tool pprof -tagfocus role=sluice)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile of the in-process cells to this file")
	fs.StringVar(&o.format, "format", "markdown", "report format: markdown or json")
	fs.StringVar(&o.out, "o", "", "write the report to this file instead of stdout")
	quick := fs.Bool("quick", false, "smoke run: 300ms cells, concurrency 1,16, 5k-request RSS run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(nil)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if *quick {
		o.duration, o.warmup, o.rounds, o.rssRequests, o.minRequests = 300*time.Millisecond, 100*time.Millisecond, 2, 5_000, 0
		if !isSet(fs, "concurrency") {
			*conc = "1,16"
		}
	}
	var err error
	if o.concurrency, err = parseInts(*conc); err != nil {
		return nil, fmt.Errorf("-concurrency: %w", err)
	}
	if o.cases, err = loadgen.SelectCases(splitList(*cases)); err != nil {
		return nil, fmt.Errorf("-cases: %w", err)
	}
	if o.decisionMemo >= 0 && o.policyDir == "" {
		return nil, errors.New("-decision-memo needs -policy")
	}
	if o.decisionLog && o.policyDir == "" {
		return nil, errors.New("-decision-log needs -policy")
	}
	if o.format != "markdown" && o.format != "json" {
		return nil, fmt.Errorf("-format: want markdown or json, got %q", o.format)
	}
	if o.duration <= 0 && o.requests <= 0 {
		return nil, errors.New("one of -duration and -requests must be positive")
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}
