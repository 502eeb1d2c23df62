package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// sluiceProc is a running `sluice serve`.
type sluiceProc struct {
	grpcAddr, adminAddr string
	cmd                 *exec.Cmd
	out                 *syncBuffer
	exited              chan struct{}
}

// startSluice runs bin on a fresh config. Free ports are found by
// listening and closing, so another process may take one in between; a
// start that fails to bind is retried on new ports.
func startSluice(t *testing.T, bin string, fakes *fp.Set, o configOptions) *sluiceProc {
	t.Helper()
	var lastErr error
	for range 3 {
		s := &sluiceProc{grpcAddr: freeAddr(t), adminAddr: freeAddr(t), out: &syncBuffer{}, exited: make(chan struct{})}
		path := writeConfig(t, sluiceConfig(s.grpcAddr, s.adminAddr, o))
		s.cmd = exec.Command(bin, "serve", "--config", path)
		s.cmd.Env = append(fakes.Env(), "PATH="+os.Getenv("PATH"), adminTokenEnv+"="+adminToken)
		s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("starting sluice: %v", err)
		}
		go func() {
			_ = s.cmd.Wait() // the exit status is judged from the output
			close(s.exited)
		}()
		t.Cleanup(func() { s.stop(t) })
		if lastErr = s.waitReady(); lastErr == nil {
			return s
		}
		if !strings.Contains(s.out.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("sluice did not become ready: %v", lastErr)
	return nil
}

func (s *sluiceProc) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("sluice exited before it was ready")
		default:
		}
		resp, err := client.Get("http://" + s.adminAddr + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from http://%s/readyz within 20s", s.adminAddr)
}

// stop ends the process (SIGTERM, then SIGKILL), shows its output when the
// test failed, and fails the test on a race report.
func (s *sluiceProc) stop(t *testing.T) {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM) // it may have exited meanwhile
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	out := s.out.String()
	if strings.Contains(out, "WARNING: DATA RACE") {
		t.Errorf("the race detector reported a race in sluice")
	}
	if t.Failed() {
		t.Logf("sluice output:\n%s", out)
	}
}

// waitLog waits for a line of sluice's JSON log that match accepts, and
// returns it.
func (s *sluiceProc) waitLog(t *testing.T, match func(gjson.Result) bool) gjson.Result {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if l, ok := s.findLog(match); ok {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice logged no matching line within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countLog counts the lines of sluice's JSON log that match accepts.
func (s *sluiceProc) countLog(match func(gjson.Result) bool) int {
	n := 0
	for line := range strings.Lines(s.out.String()) {
		if l := gjson.Parse(line); l.IsObject() && match(l) {
			n++
		}
	}
	return n
}

func (s *sluiceProc) findLog(match func(gjson.Result) bool) (gjson.Result, bool) {
	for line := range strings.Lines(s.out.String()) {
		if l := gjson.Parse(line); l.IsObject() && match(l) {
			return l, true
		}
	}
	return gjson.Result{}, false
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	return addr
}

// syncBuffer collects a child process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
