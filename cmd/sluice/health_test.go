package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthServer serves grpc.health.v1 on a loopback port, with the whole
// server SERVING and the service "draining" NOT_SERVING.
func healthServer(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus("draining", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, h)
	go func() { _ = srv.Serve(lis) }() // Serve returns when Stop runs below
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestHealth(t *testing.T) {
	up, down := healthServer(t), closedAddr(t)
	tests := []struct {
		name   string
		args   []string
		rc     int
		stdout string
		stderr string
	}{
		{"serving", []string{"--addr", up}, 0, "SERVING\n", ""},
		{"service not serving", []string{"--addr", up, "--service", "draining"}, 1, "NOT_SERVING\n", ""},
		{"unknown service", []string{"--addr", up, "--service", "nope"}, 1, "", "NotFound"},
		{"nothing listening", []string{"--addr", down, "--timeout", "300ms"}, 1, "", down},
		{"stray argument", []string{"--addr", up, "extra"}, 2, "", "usage: sluice health"},
		{"zero timeout", []string{"--addr", up, "--timeout", "0s"}, 2, "", "usage: sluice health"},
		{"unknown flag", []string{"--port", "1"}, 2, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := healthCheck(tt.args, &stdout, &stderr); rc != tt.rc {
				t.Errorf("rc = %d, want %d (stderr: %s)", rc, tt.rc, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}
