package extproc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"github.com/tidwall/gjson"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/extproc"
	"github.com/sluice-gw/sluice/pkg/extproc/extproctest"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/identity"
	"github.com/sluice-gw/sluice/pkg/pipeline"
)

const cfgYAML = `
limits: {max_request_body_bytes: 64}
backends:
  - {name: local, provider: openai_compatible}
models:
  - {name: m, backend: local}
`

// stages is a scripted pipeline: each hook is optional.
type stages struct {
	headers  func(*pipeline.Exchange) error
	request  func(*pipeline.Exchange) error
	respHdr  func(*pipeline.Exchange) error
	respBody func(*pipeline.Exchange, []byte, bool) ([]byte, error)
}

func (s *stages) Name() string { return "scripted" }
func (s *stages) OnRequestHeaders(_ context.Context, x *pipeline.Exchange) error {
	if s.headers == nil {
		return nil
	}
	return s.headers(x)
}
func (s *stages) OnRequest(_ context.Context, x *pipeline.Exchange) error {
	if s.request == nil {
		return nil
	}
	return s.request(x)
}
func (s *stages) OnResponseHeaders(_ context.Context, x *pipeline.Exchange) error {
	if s.respHdr == nil {
		return nil
	}
	return s.respHdr(x)
}
func (s *stages) OnResponseBody(_ context.Context, x *pipeline.Exchange, b []byte, end bool) ([]byte, error) {
	if s.respBody == nil {
		return b, nil
	}
	return s.respBody(x, b, end)
}

func client(t *testing.T, s *stages) extprocv3.ExternalProcessorClient {
	t.Helper()
	snap, err := config.Parse("test.yaml", []byte(cfgYAML), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Stages{
		Headers:  []pipeline.HeaderStage{s},
		Request:  []pipeline.RequestStage{s},
		Response: []pipeline.ResponseStage{s},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(extproc.ServerOption())
	extprocv3.RegisterExternalProcessorServer(srv, extproc.New(extproc.Pipelines{Main: p}, func() *config.Snapshot { return snap },
		slog.New(slog.NewTextHandler(io.Discard, nil))))
	return extproctest.Dial(t, srv)
}

func wantImmediate(t *testing.T, resp *extprocv3.ProcessingResponse, status int, code string) {
	t.Helper()
	ir := resp.GetImmediateResponse()
	if ir == nil {
		t.Fatalf("want immediate response %d, got %v", status, resp)
	}
	if got := int(ir.GetStatus().GetCode()); got != status {
		t.Errorf("status = %d, want %d", got, status)
	}
	if got := gjson.GetBytes(ir.GetBody(), "error.code").String(); got != code {
		t.Errorf("error.code = %q, want %q (body %s)", got, code, ir.GetBody())
	}
	if cl, _ := extproctest.SetHeader(ir.GetHeaders(), "content-length"); cl != strconv.Itoa(len(ir.GetBody())) {
		t.Errorf("content-length %q does not match body of %d bytes", cl, len(ir.GetBody()))
	}
	if ct, _ := extproctest.SetHeader(ir.GetHeaders(), "content-type"); ct != "application/json" {
		t.Errorf("content-type = %q", ct)
	}
}

func TestRequestRewriteAndReroute(t *testing.T) {
	c := client(t, &stages{request: func(x *pipeline.Exchange) error {
		if string(x.Request.Body) != `{"a":1}` {
			t.Errorf("stage saw body %q", x.Request.Body)
		}
		x.Out.Set("x-sluice-backend", "local")
		x.Out.Set(":path", "/v1/chat/completions")
		x.Out.Remove("authorization")
		x.Out.Body, x.Out.ReplaceBody, x.Out.ClearRouteCache = []byte(`{"b":2}`), true, true
		x.Out.SetMetadata("fallback", "a=b")
		return nil
	}})
	st := extproctest.Open(t, c)
	r := st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false, "x-request-id", "req-1"))
	if r.GetRequestHeaders() == nil || r.GetRequestHeaders().GetResponse().GetHeaderMutation() != nil {
		t.Fatalf("headers phase: want a bare CONTINUE, got %v", r)
	}
	r = st.Send(extproctest.RequestBody([]byte(`{"a":1}`), true))
	common := r.GetRequestBody().GetResponse()
	if common == nil {
		t.Fatalf("want request_body response, got %v", r)
	}
	if !common.GetClearRouteCache() {
		t.Error("clear_route_cache not set")
	}
	if v, _ := extproctest.SetHeader(common.GetHeaderMutation(), "x-sluice-backend"); v != "local" {
		t.Errorf("x-sluice-backend = %q", v)
	}
	if !extproctest.Removes(common.GetHeaderMutation(), "authorization") {
		t.Error("client authorization not removed")
	}
	if got := string(common.GetBodyMutation().GetBody()); got != `{"b":2}` {
		t.Errorf("body = %q", got)
	}
	ns := r.GetDynamicMetadata().GetFields()["sluice"].GetStructValue()
	if got := ns.GetFields()["fallback"].GetStringValue(); got != "a=b" {
		t.Errorf("dynamic metadata must be namespaced under sluice, got %v", r.GetDynamicMetadata())
	}
}

func TestLocalReplyOnHeaders(t *testing.T) {
	c := client(t, &stages{headers: func(x *pipeline.Exchange) error {
		x.Reply = &pipeline.Reply{Status: 200, Body: []byte(`{"object":"list"}`)}
		return nil
	}})
	st := extproctest.Open(t, c)
	r := st.Send(extproctest.RequestHeaders("GET", "/v1/models", true, "x-request-id", "abc"))
	ir := r.GetImmediateResponse()
	if ir == nil || ir.GetStatus().GetCode() != 200 || string(ir.GetBody()) != `{"object":"list"}` {
		t.Fatalf("got %v", r)
	}
	if id, _ := extproctest.SetHeader(ir.GetHeaders(), "x-request-id"); id != "abc" {
		t.Errorf("x-request-id = %q", id)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		s      *stages
		body   string
		eos    bool
		status int
		code   string
	}{
		{"stage error keeps its status", &stages{request: func(*pipeline.Exchange) error {
			return gwerror.Param(gwerror.ModelNotFound, "model", "no such model")
		}}, `{}`, true, 404, "model_not_found"},
		{"internal error hides its cause", &stages{request: func(*pipeline.Exchange) error {
			return errors.New("secret internals")
		}}, `{}`, true, 500, "internal_error"},
		{"body over the limit", &stages{}, strings.Repeat("x", 65), true, 413, "request_too_large"},
		{"streamed request body refused", &stages{}, `{}`, false, 500, "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := extproctest.Open(t, client(t, tt.s))
			st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
			r := st.Send(extproctest.RequestBody([]byte(tt.body), tt.eos))
			wantImmediate(t, r, tt.status, tt.code)
			if strings.Contains(string(r.GetImmediateResponse().GetBody()), "secret") {
				t.Error("internal cause leaked to the client")
			}
		})
	}
}

func TestStreamedResponse(t *testing.T) {
	c := client(t, &stages{
		respHdr: func(x *pipeline.Exchange) error {
			x.Streaming = true
			x.Out.StreamBody = true
			x.Out.Set("content-type", "text/event-stream")
			return nil
		},
		respBody: func(_ *pipeline.Exchange, b []byte, end bool) ([]byte, error) {
			out := strings.ToUpper(string(b))
			if end {
				out += "|END"
			}
			return []byte(out), nil
		},
	})
	st := extproctest.Open(t, c)
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
	st.Send(extproctest.RequestBody([]byte(`{}`), true))
	r := st.Send(extproctest.ResponseHeaders(200, "text/event-stream", false))
	mo := r.GetModeOverride()
	if mo.GetResponseBodyMode() != filterv3.ProcessingMode_STREAMED {
		t.Fatalf("mode_override = %v, want response body STREAMED", mo)
	}
	if mo.GetRequestBodyMode() != filterv3.ProcessingMode_BUFFERED || mo.GetResponseHeaderMode() != filterv3.ProcessingMode_SEND {
		t.Errorf("mode_override must state every mode explicitly: %v", mo)
	}
	for i, chunk := range []string{"ab", "cd"} {
		r := st.Send(extproctest.ResponseBody([]byte(chunk), i == 1))
		want := strings.ToUpper(chunk)
		if i == 1 {
			want += "|END"
		}
		if got := string(r.GetResponseBody().GetResponse().GetBodyMutation().GetBody()); got != want {
			t.Errorf("chunk %d = %q, want %q", i, got, want)
		}
		if r.GetResponseBody().GetResponse().GetHeaderMutation() != nil {
			t.Errorf("chunk %d: header mutations are ignored by Envoy in STREAMED mode; do not send them", i)
		}
	}
}

// TestEarlierMessagesOutliveLaterOnes: the request's headers and body,
// and the response's headers, are read in place from the messages Envoy
// sent, and stages use them until the stream ends. Every later message,
// of every size, must leave them as they were.
func TestEarlierMessagesOutliveLaterOnes(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"hello"}]}`
	var failures []string
	check := func(x *pipeline.Exchange, when string) {
		if x.Header.Get(":path") != "/v1/chat/completions" || x.Header.Get("x-tenant") != "acme" ||
			string(x.Request.Body) != body || (x.RespHeader != nil && x.RespHeader.Get("x-upstream") != "u1") ||
			x.Conn.SourceAddress != "10.1.2.3:4567" {
			failures = append(failures, fmt.Sprintf("%s: path %q tenant %q body %q upstream %q source %q", when,
				x.Header.Get(":path"), x.Header.Get("x-tenant"), x.Request.Body, x.RespHeader.Get("x-upstream"), x.Conn.SourceAddress))
		}
	}
	c := client(t, &stages{
		respHdr: func(x *pipeline.Exchange) error {
			x.Streaming, x.Out.StreamBody = true, true
			check(x, "response headers")
			return nil
		},
		respBody: func(x *pipeline.Exchange, b []byte, _ bool) ([]byte, error) {
			check(x, fmt.Sprintf("chunk of %d bytes", len(b)))
			return b, nil
		},
	})
	// As Envoy sends them: attributes with the first message, forwarded
	// metadata with every other one.
	// Forwarded claims of every size from a few bytes up, so that some
	// message's metadata lands where the first message's attributes were
	// if anything kept them in a reused buffer.
	meta := func(n int) *corev3.Metadata {
		claims, err := structpb.NewStruct(map[string]any{"sub": strings.Repeat("a", n)})
		if err != nil {
			t.Fatal(err)
		}
		return &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{"envoy.filters.http.jwt_authn": claims}}
	}
	first := extproctest.RequestHeaders("POST", "/v1/chat/completions", false, "x-tenant", "acme")
	first.Attributes = map[string]*structpb.Struct{identity.AttributesNamespace: {Fields: map[string]*structpb.Value{
		identity.AttrSourceAddress: structpb.NewStringValue("10.1.2.3:4567")}}}
	// The first without claims: its attributes are then read in place.
	first.MetadataContext = &corev3.Metadata{}
	st := extproctest.Open(t, c)
	st.Send(first)
	for _, m := range []*extprocv3.ProcessingRequest{extproctest.RequestBody([]byte(body), true),
		extproctest.ResponseHeaders(200, "text/event-stream", false, "x-upstream", "u1")} {
		m.MetadataContext = meta(1)
		st.Send(m)
	}
	sizes := []int{1, 4096, 17, 65536, 3}
	for n := 0; n < 100; n += 4 {
		sizes = append(sizes, n)
	}
	for i, n := range sizes {
		m := extproctest.ResponseBody(bytes.Repeat([]byte{'x'}, n), i == len(sizes)-1)
		m.MetadataContext = meta(n % 128)
		st.Send(m)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

func TestBufferedResponseSetsContentLength(t *testing.T) {
	c := client(t, &stages{respBody: func(_ *pipeline.Exchange, _ []byte, _ bool) ([]byte, error) {
		return []byte(`{"translated":true}`), nil
	}})
	st := extproctest.Open(t, c)
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
	st.Send(extproctest.RequestBody([]byte(`{}`), true))
	st.Send(extproctest.ResponseHeaders(200, "application/json", false, "content-length", "2"))
	r := st.Send(extproctest.ResponseBody([]byte(`{}`), true))
	common := r.GetResponseBody().GetResponse()
	body := common.GetBodyMutation().GetBody()
	if cl, _ := extproctest.SetHeader(common.GetHeaderMutation(), "content-length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("content-length %q, body %d bytes: Envoy fails the request on a mismatch", cl, len(body))
	}
}

func TestHalfCloseIsClean(t *testing.T) {
	c := client(t, &stages{})
	s, err := c.Process(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("server should end the stream cleanly, got %v", err)
	}
}

func TestUnchangedBodyIsNotResent(t *testing.T) {
	c := client(t, &stages{}) // response stages return their input as is
	st := extproctest.Open(t, c)
	st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
	st.Send(extproctest.RequestBody([]byte(`{}`), true))
	st.Send(extproctest.ResponseHeaders(200, "application/json", false, "content-length", "9"))
	r := st.Send(extproctest.ResponseBody([]byte(`{"a":"b"}`), true))
	common := r.GetResponseBody().GetResponse()
	if common.GetBodyMutation() != nil || common.GetHeaderMutation() != nil {
		t.Errorf("an unchanged body must be left to Envoy, got %v", common)
	}
}

// Usage is known only at the end of the response, so metadata set then
// must reach Envoy with that chunk's answer, buffered or streamed.
func TestResponseMetadata(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		t.Run(map[bool]string{false: "buffered", true: "streamed"}[streamed], func(t *testing.T) {
			c := client(t, &stages{
				respHdr: func(x *pipeline.Exchange) error {
					x.Streaming = streamed
					x.Out.SetMetadata("model", "m")
					return nil
				},
				respBody: func(x *pipeline.Exchange, b []byte, end bool) ([]byte, error) {
					if end {
						x.Out.SetMetadata("total_tokens", "42")
					}
					return b, nil
				},
			})
			st := extproctest.Open(t, c)
			st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false))
			st.Send(extproctest.RequestBody([]byte(`{}`), true))
			r := st.Send(extproctest.ResponseHeaders(200, "application/json", false))
			if got := r.GetDynamicMetadata().GetFields()["sluice"].GetStructValue().GetFields()["model"].GetStringValue(); got != "m" {
				t.Errorf("headers metadata = %v", r.GetDynamicMetadata())
			}
			r = st.Send(extproctest.ResponseBody([]byte(`{"a":`), false))
			if r.GetDynamicMetadata() != nil {
				t.Errorf("a middle chunk repeats metadata: %v", r.GetDynamicMetadata())
			}
			r = st.Send(extproctest.ResponseBody([]byte(`1}`), true))
			if got := r.GetDynamicMetadata().GetFields()["sluice"].GetStructValue().GetFields()["total_tokens"].GetStringValue(); got != "42" {
				t.Errorf("last chunk metadata = %v", r.GetDynamicMetadata())
			}
		})
	}
}

// Whatever ends a stream (a finished response, a local reply, an error,
// or the client going away) runs the exchange's end functions once.
func TestEndRunsOnEveryPath(t *testing.T) {
	tests := []struct {
		name string
		s    *stages
		run  func(st *extproctest.Stream)
	}{
		{"complete response", &stages{}, func(st *extproctest.Stream) {
			st.Send(extproctest.RequestBody([]byte(`{}`), true))
			st.Send(extproctest.ResponseHeaders(200, "application/json", false))
			st.Send(extproctest.ResponseBody([]byte(`{}`), true))
		}},
		{"stage error", &stages{request: func(*pipeline.Exchange) error { return gwerror.New(gwerror.InvalidRequest, "no") }}, func(st *extproctest.Stream) { st.Send(extproctest.RequestBody([]byte(`{}`), true)) }},
		{"client gone mid-response", &stages{}, func(st *extproctest.Stream) {
			st.Send(extproctest.RequestBody([]byte(`{}`), true))
			st.Send(extproctest.ResponseHeaders(200, "text/event-stream", false))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ended := make(chan string, 2)
			s := tt.s
			hdr := s.headers
			s.headers = func(x *pipeline.Exchange) error {
				x.AtEnd(func(ctx context.Context) {
					if ctx.Err() != nil {
						t.Error("end functions get a cancelled context")
					}
					ended <- x.RequestID
				})
				if hdr != nil {
					return hdr(x)
				}
				return nil
			}
			st := extproctest.Open(t, client(t, s))
			st.Send(extproctest.RequestHeaders("POST", "/v1/chat/completions", false, "x-request-id", "r1"))
			tt.run(st)
			if err := st.CloseSend(); err != nil {
				t.Fatal(err)
			}
			if id := <-ended; id != "r1" {
				t.Errorf("ended %q", id)
			}
			select {
			case <-ended:
				t.Error("end functions ran twice")
			default:
			}
		})
	}
}
