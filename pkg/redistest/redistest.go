// Package redistest starts a real, throwaway redis-server for tests of
// Sluice's shared state. Without redis-server the test is skipped, or fails
// when CI=true, so CI never passes by skipping.
package redistest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a real redis-server owned by one test: on a free loopback port,
// with its files in the test's temporary directory, and no persistence.
type Redis struct {
	Addr string

	bin, dir string
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
}

// StartRedis starts redis-server for t and stops it when t ends. Without a
// redis-server on PATH the test is skipped, or fails when CI=true, so CI
// never passes by skipping.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found on PATH (CI=true, so this fails instead of skipping): %v", err)
		}
		t.Skipf("redis-server not found on PATH; install Redis (e.g. apt-get install redis-server) to run the Redis limiter tests")
	}
	r := &Redis{bin: bin, dir: t.TempDir()}
	t.Cleanup(func() { _ = r.stop() })
	// A freed port can be taken before redis-server binds it: try again.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err = r.start(); err == nil {
			return r
		}
		if attempt == 2 {
			t.Fatalf("start redis-server: %v\n%s", err, r.log())
		}
		_ = r.stop()
	}
}

// Client returns a client for the server, tuned to notice an outage fast,
// and closes it when t ends.
func (r *Redis) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:            r.Addr,
		DialTimeout:     250 * time.Millisecond,
		ReadTimeout:     250 * time.Millisecond,
		WriteTimeout:    250 * time.Millisecond,
		MaxRetries:      1,
		DialerRetries:   1,
		MinRetryBackoff: time.Millisecond,
		MaxRetryBackoff: 5 * time.Millisecond,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop stops the server, as an outage would.
func (r *Redis) Stop(t testing.TB) {
	t.Helper()
	if err := r.stop(); err != nil {
		t.Fatalf("stop redis-server: %v", err)
	}
}

// Restart starts the stopped server again on the same address, empty.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	if err := r.start(); err != nil {
		t.Fatalf("restart redis-server: %v\n%s", err, r.log())
	}
}

func (r *Redis) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return errors.New("already running")
	}
	_, port, _ := net.SplitHostPort(r.Addr)
	cmd := exec.Command(r.bin, //nolint:gosec // redis-server from PATH, with arguments we built
		"--port", port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd, r.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(r.exited)
	return r.waitReady()
}

// waitReady polls PING until the server answers; r.mu is held.
func (r *Redis) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-r.exited:
			r.cmd = nil
			return errors.New("redis-server exited during startup")
		default:
		}
		err := ping(r.Addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on %s: %w", r.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping speaks just enough RESP to ask whether the server is up.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	if err := c.SetDeadline(time.Now().Add(500 * time.Millisecond)); err != nil {
		return err
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", buf)
	}
	return nil
}

func (r *Redis) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return nil
	}
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("redis-server ignored SIGINT; killed")
	}
}

func (r *Redis) log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
