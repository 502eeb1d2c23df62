package loadgen

import (
	"bytes"
	"errors"
	"io"

	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Baseline is an ext_proc server that does nothing: it answers every
// message with the matching response type and an empty CommonResponse
// (CONTINUE, no mutations). Its cost is the floor any processor pays for
// gRPC and the protocol.
//
// The one thing it does beyond CONTINUE is switch an SSE response body to
// STREAMED, as any processor that handles streams must. Without that, Envoy
// would buffer the stream and a baseline run would send 4 messages where
// the processor under test is sent 53, and the comparison would be
// meaningless.
type Baseline struct {
	extprocv3.UnimplementedExternalProcessorServer
}

// NewBaselineServer returns a gRPC server with Baseline registered.
func NewBaselineServer(opts ...grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	extprocv3.RegisterExternalProcessorServer(s, Baseline{})
	return s
}

// The answers are built once and shared: marshalling a message that nobody
// modifies is safe from many goroutines, and it keeps the baseline's own
// allocations at zero.
var (
	continueRequestHeaders = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{
		RequestHeaders: &extprocv3.HeadersResponse{Response: &extprocv3.CommonResponse{}}}}
	continueRequestBody = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
		RequestBody: &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{}}}}
	continueResponseHeaders = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseHeaders{
		ResponseHeaders: &extprocv3.HeadersResponse{Response: &extprocv3.CommonResponse{}}}}
	continueStreamedHeaders = &extprocv3.ProcessingResponse{
		Response: &extprocv3.ProcessingResponse_ResponseHeaders{
			ResponseHeaders: &extprocv3.HeadersResponse{Response: &extprocv3.CommonResponse{}}},
		ModeOverride: &filterv3.ProcessingMode{
			RequestHeaderMode:   filterv3.ProcessingMode_SEND,
			ResponseHeaderMode:  filterv3.ProcessingMode_SEND,
			RequestBodyMode:     filterv3.ProcessingMode_BUFFERED,
			ResponseBodyMode:    filterv3.ProcessingMode_STREAMED,
			RequestTrailerMode:  filterv3.ProcessingMode_SKIP,
			ResponseTrailerMode: filterv3.ProcessingMode_SKIP,
		},
	}
	continueResponseBody = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{
		ResponseBody: &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{}}}}
	continueRequestTrailers = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestTrailers{
		RequestTrailers: &extprocv3.TrailersResponse{}}}
	continueResponseTrailers = &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseTrailers{
		ResponseTrailers: &extprocv3.TrailersResponse{}}}
)

// Process implements extprocv3.ExternalProcessorServer.
func (Baseline) Process(stream extprocv3.ExternalProcessor_ProcessServer) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) || status.Code(err) == codes.Canceled {
				return nil
			}
			return err
		}
		if err := stream.Send(continueFor(req)); err != nil {
			return err
		}
	}
}

func continueFor(req *extprocv3.ProcessingRequest) *extprocv3.ProcessingResponse {
	switch r := req.GetRequest().(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		return continueRequestHeaders
	case *extprocv3.ProcessingRequest_RequestBody:
		return continueRequestBody
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		if isSSE(r.ResponseHeaders) {
			return continueStreamedHeaders
		}
		return continueResponseHeaders
	case *extprocv3.ProcessingRequest_ResponseBody:
		return continueResponseBody
	case *extprocv3.ProcessingRequest_RequestTrailers:
		return continueRequestTrailers
	default:
		return continueResponseTrailers
	}
}

func isSSE(h *extprocv3.HttpHeaders) bool {
	for _, kv := range h.GetHeaders().GetHeaders() {
		if kv.GetKey() == "content-type" {
			return bytes.HasPrefix(kv.GetRawValue(), []byte("text/event-stream"))
		}
	}
	return false
}
