package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// run starts both servers in this process, checks Sluice's answers, runs
// every cell, then measures `sluice serve`'s memory as a child process.
func run(ctx context.Context, o *options, log *os.File) (*Report, error) {
	rep := &Report{Machine: machine(), Command: command(o), Settings: settingsOf(o)}
	if err := setBenchSecrets(); err != nil {
		return nil, err
	}
	bc, err := newBenchConfig(o.policyDir)
	if err != nil {
		return nil, err
	}
	bc.limits = o.limits
	bc.decisionMemo = o.decisionMemo
	if o.decisionLog {
		dir, err := os.MkdirTemp("", "sluice-bench-decisions-")
		if err != nil {
			return nil, fmt.Errorf("decision log directory: %w", err)
		}
		bc.decisionDir = dir
		// Runs after every Sluice has stopped and flushed its log.
		defer func() {
			rep.DecisionsLogged, _ = countLines(dir)
			_ = os.RemoveAll(dir)
		}()
	}
	if o.observability {
		obs, err := observe(bc)
		if err != nil {
			return nil, err
		}
		defer obs.close()
		defer func() { rep.Observed = obs.report() }()
	}
	base, err := startBaseline(o.conns, o.baselineWorkers)
	if err != nil {
		return nil, err
	}
	defer base.close()
	sl, err := startSluice(ctx, bc, o.conns)
	if err != nil {
		return nil, err
	}
	defer sl.close()
	base.client.ProtoAnswers, sl.client.ProtoAnswers = o.protoAnswers, o.protoAnswers
	base.client.NewTurns, sl.client.NewTurns = o.newTurns, o.newTurns
	if err := verify(ctx, sl, o.cases); err != nil {
		return nil, err
	}
	start := time.Now()
	as("driver", func() {
		rep.Cells, err = profiled(o, func() ([]Cell, error) { return runCells(ctx, o, base, sl, log) })
	})
	if err != nil {
		return nil, err
	}
	if o.rssRequests > 0 {
		rep.Memory = measureRSS(ctx, o, bc, log)
		if !rep.Memory.Measured {
			_, _ = fmt.Fprintf(log, "WARNING: sluice serve's memory was not measured: %s\n", rep.Memory.Err)
		}
	}
	rep.finish(time.Since(start))
	return rep, nil
}

// profiled runs fn under the CPU profiler and writes an allocation profile
// after it, when asked to. Look for Sluice's packages in them; the driver
// and gRPC's client side are in the same process.
func profiled(o *options, fn func() ([]Cell, error)) ([]Cell, error) {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile) //nolint:gosec // a path the user asked for
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	cells, err := fn()
	if err != nil || o.memProfile == "" {
		return cells, err
	}
	f, err := os.Create(o.memProfile) //nolint:gosec // a path the user asked for
	if err != nil {
		return nil, fmt.Errorf("allocation profile: %w", err)
	}
	defer func() { _ = f.Close() }()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return nil, fmt.Errorf("allocation profile: %w", err)
	}
	return cells, nil
}

func command(o *options) string {
	return strings.TrimSpace("go run ./cmd/sluice-bench " + strings.Join(o.args, " "))
}

func settingsOf(o *options) Settings {
	s := Settings{
		Duration: o.duration.String(), Warmup: o.warmup.String(), Requests: o.requests, Rounds: o.rounds, MinRequests: o.minRequests,
		Concurrency: o.concurrency, Conns: o.conns, Policy: o.policyDir, DecisionLog: o.decisionLog, Limits: o.limits,
		Observability: o.observability, ProtoAnswers: o.protoAnswers, NewTurns: o.newTurns,
		BaselineWorkers: o.baselineWorkers,
	}
	if o.decisionMemo >= 0 {
		s.DecisionMemo = &o.decisionMemo
	}
	for _, c := range o.cases {
		s.Cases = append(s.Cases, c.Name)
	}
	return s
}

func machine() Machine {
	m := Machine{
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(),
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadBefore = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func write(rep *Report, o *options) error {
	var out []byte
	if o.format == "json" {
		var err error
		if out, err = rep.JSON(); err != nil {
			return err
		}
	} else {
		out = []byte(rep.Markdown())
	}
	if o.out == "" {
		_, err := os.Stdout.Write(out)
		return err
	}
	if err := os.WriteFile(o.out, out, 0o600); err != nil { //nolint:gosec // a path the user asked for
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
