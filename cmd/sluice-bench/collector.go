package main

import (
	"context"
	"fmt"
	"sync/atomic"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sluice-gw/sluice/pkg/pbread"
)

// collector is an OTLP gRPC receiver that counts and drops the spans it
// gets, so -observability pays for exporting spans without the run growing
// a store of them.
//
// It counts them from the wire rather than decoding them: a collector runs
// beside Sluice, not inside it, and decoding every exported span in the
// process being measured would charge Sluice's cells for the collector's
// work, about a microsecond and ten allocations per request at 10%
// sampling.
type collector struct {
	addr  string
	spans atomic.Int64
	srv   *grpc.Server
}

func startCollector() (*collector, error) {
	ln, err := listen()
	if err != nil {
		return nil, fmt.Errorf("OTLP collector: %w", err)
	}
	c := &collector{addr: ln.Addr().String(),
		srv: grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{encoding.GetCodecV2("proto")}))}
	c.srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: coltracepb.TraceService_ServiceDesc.ServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Export",
			Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				return c.export(dec)
			}}},
	}, c)
	colmetricpb.RegisterMetricsServiceServer(c.srv, metricsSink{})
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// export is the trace service's Export; dec reads the request.
func (c *collector) export(dec func(any) error) (any, error) {
	var req rawMessage
	if err := dec(&req); err != nil {
		return nil, err
	}
	n, err := countSpans(req)
	if err != nil {
		return nil, err
	}
	c.spans.Add(n)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (c *collector) stop() { c.srv.Stop() }

// rawMessage is a request kept as its bytes.
type rawMessage []byte

// rawCodec hands rawMessages their bytes and leaves everything else to
// gRPC's proto codec.
type rawCodec struct{ encoding.CodecV2 }

func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*rawMessage); ok {
		*r = data.Materialize()
		return nil
	}
	return c.CodecV2.Unmarshal(data, v)
}

// Field numbers on the way to a span: ExportTraceServiceRequest's
// resource_spans, ResourceSpans' scope_spans, ScopeSpans' spans.
const (
	fieldResourceSpans protowire.Number = 1
	fieldScopeSpans    protowire.Number = 2
	fieldSpans         protowire.Number = 2
)

// countSpans counts the spans in an ExportTraceServiceRequest.
func countSpans(b []byte) (int64, error) {
	var n int64
	err := pbread.Each(b, fieldResourceSpans, func(rs []byte) error {
		return pbread.Each(rs, fieldScopeSpans, func(ss []byte) error {
			return pbread.Each(ss, fieldSpans, func([]byte) error { n++; return nil })
		})
	})
	return n, err
}

// metricsSink drops pushed metrics; the bench records metrics for
// Prometheus, which is pulled, so nothing normally arrives here.
type metricsSink struct {
	colmetricpb.UnimplementedMetricsServiceServer
}

func (metricsSink) Export(context.Context, *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}
