// Command sluice-bench measures what Sluice costs per request. It plays
// Envoy's part against Sluice's ext_proc server and, in the same run,
// against a processor that does nothing, and reports throughput, per-phase
// latency, allocations and memory side by side. `make bench` runs it; see
// BENCHMARKS.md for how to read the output.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	rep, err := run(ctx, opts, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(1)
	}
	if err := write(rep, opts); err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(1)
	}
	if rep.Errors > 0 {
		fmt.Fprintf(os.Stderr, "sluice-bench: ERRORS: %d requests failed; the report is not a valid measurement\n", rep.Errors)
		os.Exit(1)
	}
}
