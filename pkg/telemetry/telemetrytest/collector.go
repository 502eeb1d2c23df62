// Package telemetrytest is an in-process OTLP receiver for tests: a gRPC
// server with the trace and metrics collector services that keeps what it
// receives.
package telemetrytest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// Collector receives OTLP over gRPC.
type Collector struct {
	coltracepb.UnimplementedTraceServiceServer

	// Addr is host:port to export to (insecure).
	Addr string

	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics []*metricpb.Metric
}

// Start runs a collector on a free local port until t ends.
func Start(t testing.TB) *Collector {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{Addr: lis.Addr().String()}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, c)
	colmetricpb.RegisterMetricsServiceServer(srv, metricsService{c: c})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return c
}

// Export implements the trace service.
func (c *Collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			c.spans = append(c.spans, ss.GetSpans()...)
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// metricsService adapts the metrics Export, whose name clashes with the
// trace service's.
type metricsService struct {
	colmetricpb.UnimplementedMetricsServiceServer
	c *Collector
}

func (m metricsService) Export(_ context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			m.c.metrics = append(m.c.metrics, sm.GetMetrics()...)
		}
	}
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// Spans returns every span received so far.
func (c *Collector) Spans() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...)
}

// Metrics returns every metric data point batch received so far.
func (c *Collector) Metrics() []*metricpb.Metric {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*metricpb.Metric(nil), c.metrics...)
}

// WaitSpan polls until a span matching ok arrives, or timeout passes.
func (c *Collector) WaitSpan(timeout time.Duration, ok func(*tracepb.Span) bool) *tracepb.Span {
	deadline := time.Now().Add(timeout)
	for {
		for _, s := range c.Spans() {
			if ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}
