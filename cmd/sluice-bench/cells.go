package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"syscall"
	"time"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// measured is one server's runs of one cell, with the process-wide
// allocation counters summed over exactly those runs.
type measured struct {
	res     *loadgen.Result
	mallocs uint64
	bytes   uint64
	// cpu is the process's user+system CPU time over the runs. Unlike wall
	// time it barely moves when other work shares the machine.
	cpu time.Duration
	// slices is how many slices were merged.
	slices int
}

// measureOnce collects garbage so every run starts from the same heap
// state, then runs the load between two MemStats reads. Everything in this
// process allocates into those counters: the driver, the gRPC client and
// server, and the processor. Only the processor differs between the two
// servers of a cell.
func measureOnce(ctx context.Context, t *target, l loadgen.Load) measured {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	res := t.client.Run(ctx, l)
	cpu1 := cpuTime()
	runtime.ReadMemStats(&after)
	return measured{res: res, mallocs: after.Mallocs - before.Mallocs, bytes: after.TotalAlloc - before.TotalAlloc, cpu: cpu1 - cpu0}
}

// maxStretch bounds how far -min-requests lengthens a cell: to this many
// times -duration.
const maxStretch = 4

// measureCell warms both servers up, then alternates between them in
// o.rounds slices of the cell's time (or requests) and merges each
// server's slices. Alternating spreads any outside noise over both. A
// timed cell in which a server completed fewer than o.minRequests
// requests goes on in more slices of the same length, up to maxStretch
// times its duration: the p99 added to a whole SSE stream at c=16 spread
// over 2.2 ms across runs of 12,000 streams (five seconds), and under
// 1 ms across runs of 50,000.
func measureCell(ctx context.Context, o *options, l loadgen.Load, base, sl *target) (b, s measured) {
	if o.warmup > 0 {
		w := l
		w.Duration, w.Requests = o.warmup, 0
		base.client.Run(ctx, w)
		sl.client.Run(ctx, w)
	}
	rounds := max(o.rounds, 1)
	l.Duration /= time.Duration(rounds)
	l.Requests = (l.Requests + rounds - 1) / rounds
	var bs, ss []*loadgen.Result
	short := func(rs []*loadgen.Result) bool {
		n := 0
		for _, r := range rs {
			n += r.Requests
		}
		return n < o.minRequests
	}
	for i := 0; i < rounds || (l.Requests == 0 && i < maxStretch*rounds && (short(bs) || short(ss))); i++ {
		for _, m := range []struct {
			t   *target
			acc *measured
			rs  *[]*loadgen.Result
		}{{base, &b, &bs}, {sl, &s, &ss}} {
			r := measureOnce(ctx, m.t, l)
			m.acc.mallocs += r.mallocs
			m.acc.bytes += r.bytes
			m.acc.cpu += r.cpu
			m.acc.slices++
			*m.rs = append(*m.rs, r.res)
		}
	}
	b.res, s.res = loadgen.Merge(bs...), loadgen.Merge(ss...)
	return b, s
}

// runCells runs every case at every concurrency against both servers.
func runCells(ctx context.Context, o *options, base, sl *target, log io.Writer) ([]Cell, error) {
	var cells []Cell
	for _, c := range o.cases {
		for _, n := range o.concurrency {
			l := loadgen.Load{Cases: []*loadgen.Case{c}, Concurrency: n, Duration: o.duration, Requests: o.requests}
			b, s := measureCell(ctx, o, l, base, sl)
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("interrupted: %w", err)
			}
			cell := newCell(c, n, s, b)
			_, _ = fmt.Fprintf(log, "%-24s c=%-3d sluice %8.0f req/s  do-nothing %8.0f req/s  ratio %.2f  cpu ratio %.2f  p99 added %7.0fµs  allocs/req %.0f / %.0f  errors %d\n",
				c.Name, n, cell.Sluice.PerSecond, cell.Baseline.PerSecond, cell.Ratio, cell.CPURatio, cell.P99AddedMicros,
				cell.Sluice.ProcessAllocsPerRequest, cell.Baseline.ProcessAllocsPerRequest, cell.Sluice.Errors+cell.Baseline.Errors)
			cells = append(cells, cell)
		}
	}
	return cells, nil
}

// cpuTime is this process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func perRequest(total uint64, res *loadgen.Result) float64 {
	n := res.Requests + res.Errors
	if n == 0 {
		return 0
	}
	return float64(total) / float64(n)
}
