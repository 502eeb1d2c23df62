package main

import (
	"context"
	"fmt"
	"sync/atomic"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// collector is an OTLP gRPC receiver that counts and drops what it gets,
// so -observability pays for exporting spans without the run growing a
// store of them.
type collector struct {
	coltracepb.UnimplementedTraceServiceServer

	addr  string
	spans atomic.Int64
	srv   *grpc.Server
}

func startCollector() (*collector, error) {
	ln, err := listen()
	if err != nil {
		return nil, fmt.Errorf("OTLP collector: %w", err)
	}
	c := &collector{addr: ln.Addr().String(), srv: grpc.NewServer()}
	coltracepb.RegisterTraceServiceServer(c.srv, c)
	colmetricpb.RegisterMetricsServiceServer(c.srv, metricsSink{})
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Export implements the trace service.
func (c *collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			c.spans.Add(int64(len(ss.GetSpans())))
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (c *collector) stop() { c.srv.Stop() }

// metricsSink drops pushed metrics; the bench records metrics for
// Prometheus, which is pulled, so nothing normally arrives here.
type metricsSink struct {
	colmetricpb.UnimplementedMetricsServiceServer
}

func (metricsSink) Export(context.Context, *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}
