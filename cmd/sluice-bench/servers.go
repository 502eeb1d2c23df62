package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/pprof"

	"google.golang.org/grpc"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/loadgen"
	"github.com/sluice-gw/sluice/pkg/server"
)

// target is one ext_proc server under test, with its client connections.
type target struct {
	name   string
	addr   string
	client *loadgen.Client
	stop   func()
}

func (t *target) close() {
	if t.client != nil {
		_ = t.client.Close()
	}
	if t.stop != nil {
		t.stop()
	}
}

func listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	return ln, nil
}

// as runs f with the calling goroutine labelled role=name for the
// profiler. Goroutines inherit the labels of the goroutine that starts
// them, so everything a server starts inside f (gRPC's transports, stream
// handlers, exporters, writers) is labelled with it, and -cpuprofile can be
// split by role: go tool pprof -tagfocus role=sluice.
func as(name string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("role", name), func(context.Context) { f() })
}

// startBaseline serves the do-nothing processor on loopback TCP, on
// stream workers like Sluice's when workers is set.
func startBaseline(conns int, workers bool) (*target, error) {
	ln, err := listen()
	if err != nil {
		return nil, err
	}
	var opts []grpc.ServerOption
	if workers {
		opts = append(opts, server.StreamWorkers())
	}
	srv := loadgen.NewBaselineServer(opts...)
	as("do-nothing", func() { go func() { _ = srv.Serve(ln) }() })
	t := &target{name: "do-nothing", addr: ln.Addr().String(), stop: srv.Stop}
	if err = dial(t, conns); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// startSluice runs Sluice's real server (the one `sluice serve` runs) in
// this process, so its allocations show in this process's MemStats.
func startSluice(ctx context.Context, bc *benchConfig, conns int) (*target, error) {
	gl, err := listen()
	if err != nil {
		return nil, err
	}
	al, err := listen()
	if err != nil {
		_ = gl.Close()
		return nil, err
	}
	src := bc.yaml(gl.Addr().String(), al.Addr().String())
	snap, err := config.Parse("bench.yaml", []byte(src), config.LoadOptions{RequireSecrets: true})
	if err != nil {
		_, _ = gl.Close(), al.Close()
		return nil, fmt.Errorf("bench config: %w", err)
	}
	// Logs are dropped: failures reach the driver as immediate responses
	// and are reported from there, and logging would cost time in the
	// measured path that a production log sink would not charge here.
	var srv *server.Server
	as("sluice", func() { srv, err = server.Build(snap, "", slog.New(slog.DiscardHandler)) })
	if err != nil {
		_, _ = gl.Close(), al.Close()
		return nil, fmt.Errorf("starting sluice: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	as("sluice", func() { go func() { defer close(done); _ = srv.Serve(ctx, gl, al) }() })
	t := &target{name: "sluice", addr: gl.Addr().String(), stop: func() { cancel(); <-done }}
	if err = dial(t, conns); err != nil {
		t.close()
		return nil, err
	}
	t.client.APIKey = bc.key
	return t, nil
}

// dial connects the driver to t; its transports are labelled role=driver.
func dial(t *target, conns int) (err error) {
	as("driver", func() { t.client, err = loadgen.Dial(t.addr, conns) })
	return err
}
