package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// runHealth asks a Sluice ext_proc server for its grpc.health.v1 status.
// It exists because the release image has no shell or grpc_health_probe:
// a Docker HEALTHCHECK and the chart's test hook run the binary itself.
func runHealth(args []string) int {
	return healthCheck(args, os.Stdout, os.Stderr)
}

func healthCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:50051", "host:port of the ext_proc gRPC server")
	service := fs.String("service", "", `service name to check; "" is the server as a whole`)
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *timeout <= 0 {
		fmt.Fprintln(stderr, "usage: sluice health [--addr host:port] [--service name] [--timeout 2s]")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	status, err := check(ctx, *addr, *service)
	if err != nil {
		fmt.Fprintf(stderr, "sluice health: %s: %v\n", *addr, err)
		return 1
	}
	fmt.Fprintln(stdout, status)
	if status != healthpb.HealthCheckResponse_SERVING {
		return 1
	}
	return 0
}

// check dials without TLS: the ext_proc port speaks plaintext HTTP/2, and
// in a mesh the sidecar adds mTLS around it.
func check(ctx context.Context, addr, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN, err
	}
	defer func() { _ = cc.Close() }() // the answer is in; a close error changes nothing
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN, err
	}
	return resp.GetStatus(), nil
}
