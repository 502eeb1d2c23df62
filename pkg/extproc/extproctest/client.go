// Package extproctest drives Sluice's ext_proc server the way Envoy does,
// over an in-memory gRPC connection, for hermetic stream tests.
package extproctest

import (
	"context"
	"net"
	"strconv"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// Dial serves register's services on a bufconn listener and returns a
// connected ExternalProcessor client. Everything stops with the test.
func Dial(t testing.TB, srv *grpc.Server) extprocv3.ExternalProcessorClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(); srv.Stop() })
	return extprocv3.NewExternalProcessorClient(conn)
}

// Stream is one request's ext_proc stream, used step by step like Envoy.
type Stream struct {
	t  testing.TB
	s  extprocv3.ExternalProcessor_ProcessClient
	Mu []*extprocv3.ProcessingResponse // every response received, in order
}

// Open starts a stream.
func Open(t testing.TB, c extprocv3.ExternalProcessorClient) *Stream {
	t.Helper()
	s, err := c.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.CloseSend() })
	return &Stream{t: t, s: s}
}

// CloseSend half-closes the stream, as Envoy does once it has every answer.
func (st *Stream) CloseSend() error { return st.s.CloseSend() }

// Send sends one message and waits for its single answer, as Envoy does in
// BUFFERED and STREAMED modes.
func (st *Stream) Send(req *extprocv3.ProcessingRequest) *extprocv3.ProcessingResponse {
	st.t.Helper()
	if err := st.s.Send(req); err != nil {
		st.t.Fatalf("send: %v", err)
	}
	resp, err := st.s.Recv()
	if err != nil {
		st.t.Fatalf("recv: %v", err)
	}
	st.Mu = append(st.Mu, resp)
	return resp
}

// Headers builds a HeaderMap with raw values, as Envoy sends them.
func Headers(kv ...string) *corev3.HeaderMap {
	m := &corev3.HeaderMap{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: kv[i], RawValue: []byte(kv[i+1])})
	}
	return m
}

// RequestHeaders is a request_headers message.
func RequestHeaders(method, path string, eos bool, extra ...string) *extprocv3.ProcessingRequest {
	kv := append([]string{":method", method, ":path", path, ":authority", "localhost", ":scheme", "http"}, extra...)
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{
		RequestHeaders: &extprocv3.HttpHeaders{Headers: Headers(kv...), EndOfStream: eos}}}
}

// RequestBody is a request_body message.
func RequestBody(body []byte, eos bool) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{
		RequestBody: &extprocv3.HttpBody{Body: body, EndOfStream: eos}}}
}

// ResponseHeaders is a response_headers message.
func ResponseHeaders(status int, contentType string, eos bool, extra ...string) *extprocv3.ProcessingRequest {
	kv := append([]string{":status", strconv.Itoa(status), "content-type", contentType}, extra...)
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseHeaders{
		ResponseHeaders: &extprocv3.HttpHeaders{Headers: Headers(kv...), EndOfStream: eos}}}
}

// ResponseBody is a response_body message.
func ResponseBody(body []byte, eos bool) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{
		ResponseBody: &extprocv3.HttpBody{Body: body, EndOfStream: eos}}}
}

// SetHeader returns the value a header mutation sets for key, and whether it
// sets it.
func SetHeader(m *extprocv3.HeaderMutation, key string) (string, bool) {
	for _, h := range m.GetSetHeaders() {
		if h.GetHeader().GetKey() == key {
			return string(h.GetHeader().GetRawValue()), true
		}
	}
	return "", false
}

// Removes reports whether a header mutation removes key.
func Removes(m *extprocv3.HeaderMutation, key string) bool {
	for _, k := range m.GetRemoveHeaders() {
		if k == key {
			return true
		}
	}
	return false
}
