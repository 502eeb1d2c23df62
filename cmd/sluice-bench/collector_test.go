package main

import (
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestCountSpans(t *testing.T) {
	spans := func(n int) []*tracepb.Span {
		out := make([]*tracepb.Span, n)
		for i := range out {
			out[i] = &tracepb.Span{Name: "chat", TraceId: make([]byte, 16), SpanId: make([]byte, 8)}
		}
		return out
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{
		{Resource: &resourcepb.Resource{}, ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans(3)}, {Spans: spans(4)}}},
		{ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans(5)}}},
		{},
	}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := countSpans(b); err != nil || n != 12 {
		t.Fatalf("countSpans = %d, %v; want 12", n, err)
	}
	if _, err := countSpans(b[:len(b)-1]); err == nil {
		t.Fatal("a truncated request was counted")
	}
}
