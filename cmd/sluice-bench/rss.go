package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sluice-gw/sluice/pkg/loadgen"
)

// rssMix is the request mix of the memory run: mostly plain JSON with
// every fifth request a stream, alternating providers. Streams weigh more
// on memory per request (a translator per stream, 53 messages), but a run
// of nothing but streams would take minutes.
func rssMix(cases []*loadgen.Case) []*loadgen.Case {
	var plain, streams []*loadgen.Case
	for _, c := range cases {
		if c.Stream {
			streams = append(streams, c)
		} else {
			plain = append(plain, c)
		}
	}
	if len(plain) == 0 || len(streams) == 0 {
		return cases
	}
	var mix []*loadgen.Case
	for i := range 4 * len(streams) {
		mix = append(mix, plain[i%len(plain)])
		if i%4 == 3 {
			mix = append(mix, streams[i/4])
		}
	}
	return mix
}

// measureRSS builds `sluice serve`, drives o.rssRequests requests through
// it as a child process, and reads its resident memory from /proc.
func measureRSS(ctx context.Context, o *options, bc *benchConfig, log *os.File) *Memory {
	mem := &Memory{Requests: o.rssRequests, Concurrency: o.rssConcurrency}
	mix := rssMix(o.cases)
	for _, c := range mix {
		mem.Mix = append(mem.Mix, c.Name)
	}
	dir, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		mem.Err = err.Error()
		return mem
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := driveChild(ctx, o, bc, dir, mix, mem, log); err != nil {
		mem.Err = err.Error()
	}
	return mem
}

func driveChild(ctx context.Context, o *options, bc *benchConfig, dir string, mix []*loadgen.Case, mem *Memory, log *os.File) error {
	bin := o.sluiceBin
	if bin == "" {
		bin = filepath.Join(dir, "sluice")
		_, _ = fmt.Fprintln(log, "building ./cmd/sluice for the memory run")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sluice-gw/sluice/cmd/sluice") //nolint:gosec // a temp path we made
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, out)
		}
	}
	mem.Binary = bin
	child, err := startChild(ctx, bin, bc, dir)
	if err != nil {
		return err
	}
	defer func() {
		if err := child.stop(); err != nil {
			_, _ = fmt.Fprintf(log, "sluice serve did not stop cleanly: %v\n%s\n", err, tail(child.stderr.Name()))
		}
	}()
	if mem.RSSStartMB, _, err = procMemory(child.cmd.Process.Pid); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(log, "driving %d requests through sluice serve (pid %d) at concurrency %d\n",
		o.rssRequests, child.cmd.Process.Pid, o.rssConcurrency)
	res := child.target.client.Run(ctx, loadgen.Load{Cases: mix, Concurrency: o.rssConcurrency, Requests: o.rssRequests})
	mem.PerSecond, mem.Errors, mem.ErrorKinds = res.PerSecond(), res.Errors, res.ErrorKinds
	if mem.RSSMB, mem.HWMMB, err = procMemory(child.cmd.Process.Pid); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	mem.Measured = true
	return nil
}

type childServer struct {
	cmd    *exec.Cmd
	target *target
	stderr *os.File
	// exited is closed when the process has exited, with waitErr set.
	exited  chan struct{}
	waitErr error
}

// startChild runs `sluice serve` on a free loopback port and waits until a
// real request goes through it.
func startChild(ctx context.Context, bin string, bc *benchConfig, dir string) (*childServer, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	admin, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := bc.yaml(addr, admin)
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	stderr, err := os.Create(filepath.Join(dir, "sluice.log")) //nolint:gosec // inside our own temp dir
	if err != nil {
		return nil, fmt.Errorf("creating log: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", path) //nolint:gosec // the sluice binary the user chose or we built
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		_ = stderr.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	c := &childServer{cmd: cmd, stderr: stderr, target: &target{name: "sluice serve", addr: addr}, exited: make(chan struct{})}
	go func() { c.waitErr = cmd.Wait(); close(c.exited) }()
	if err := c.ready(ctx, bc.key); err != nil {
		_ = c.stop() // the readiness error says more
		return nil, fmt.Errorf("%w\nsluice serve log:\n%s", err, tail(stderr.Name()))
	}
	return c, nil
}

// freePort finds a loopback port for the child to listen on. Another
// process could take it in between; the readiness check would then fail
// loudly rather than measure the wrong server.
func freePort() (string, error) {
	ln, err := listen()
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

func (c *childServer) ready(ctx context.Context, key string) error {
	var err error
	if c.target.client, err = loadgen.Dial(c.target.addr, 2); err != nil {
		return err
	}
	c.target.client.APIKey = key
	probe := loadgen.Cases()[0]
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err = c.target.client.Check(ctx, probe); err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("sluice serve never answered a request: %w", err)
		}
		select {
		case <-c.exited:
			return fmt.Errorf("sluice serve exited before answering: %w", c.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop drains the child with SIGTERM, as a deployment would, and kills it
// if it does not exit in time. It returns the child's exit error.
func (c *childServer) stop() error {
	if c.target.client != nil {
		_ = c.target.client.Close()
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-c.exited:
		err = c.waitErr
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		err = errors.Join(errors.New("no exit 10s after SIGTERM; killed"), c.waitErr)
	}
	_ = c.stderr.Close()
	return err
}

// procMemory reads VmRSS and VmHWM (peak RSS) in MB from /proc.
func procMemory(pid int) (rss, hwm float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)) //nolint:gosec // a pid, not a user path
	if err != nil {
		return 0, 0, fmt.Errorf("reading process memory: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parsing %s %q: %w", k, v, err)
		}
		if k == "VmRSS" {
			rss = kb / 1024
		} else {
			hwm = kb / 1024
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return rss, hwm, sc.Err()
}

func tail(path string) string {
	b, err := os.ReadFile(filepath.Clean(path)) //nolint:gosec // the log in our own temp dir
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}
