package e2e

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

// startStandin serves envoy/envoy.yaml in-process with its clusters sent
// to overrides, and returns the listener's base URL.
func (e *env) startStandin(t *testing.T, overrides map[string]string) string {
	t.Helper()
	cfg, err := envoystandin.Load(filepath.Join(repoRoot, "envoy", "envoy.yaml"))
	if err != nil {
		t.Fatalf("loading envoy/envoy.yaml into the stand-in: %v", err)
	}
	logs := &syncBuffer{}
	p, err := envoystandin.New(cfg, envoystandin.Options{
		ClusterOverrides: overrides,
		Logger:           slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnComplete:       e.record,
		Downstream:       downstream,
	})
	if err != nil {
		t.Fatalf("starting the Envoy stand-in: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("stand-in listener: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("stand-in: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("stand-in did not shut down within 10s")
		}
		if err := p.Close(); err != nil {
			t.Logf("closing the stand-in: %v", err)
		}
		if t.Failed() {
			t.Logf("stand-in log:\n%s", logs.String())
		}
	})
	return "http://" + ln.Addr().String()
}

func (e *env) record(r envoystandin.RequestRecord) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.records = append(e.records, r)
}

// requestRecords returns what the stand-in recorded so far. Records arrive
// just after the response, so callers wait for the count they expect.
func (e *env) requestRecords(t *testing.T, want int) []envoystandin.RequestRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		rs := append([]envoystandin.RequestRecord(nil), e.records...)
		e.mu.Unlock()
		if len(rs) >= want || time.Now().After(deadline) {
			return rs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordFor waits for the record of the request that carried the
// x-request-id id.
func (e *env) recordFor(t *testing.T, id string) envoystandin.RequestRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		for _, r := range e.records {
			if r.RequestID == id {
				e.mu.Unlock()
				return r
			}
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("the stand-in recorded no request with x-request-id %s", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
