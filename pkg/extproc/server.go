// Package extproc speaks Envoy's external-processing protocol. It turns the
// ext_proc stream's phases into pipeline calls and turns the pipeline's
// mutations, local replies and errors back into ProcessingResponses. It
// knows nothing about providers or policy; that lives in the stages.
//
// Both directions skip protobuf-go's generated code on the hot path:
// Envoy's messages are read from the wire into a frame the stream reuses
// (frame.go; the gRPC server needs ServerOption for that), and answers
// are encoded by hand into a buffer the stream reuses (wire.go). Each is
// checked against the generated code, by fuzzing and byte for byte.
package extproc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/stackroom"
)

// Server implements envoy.service.ext_proc.v3.ExternalProcessor.
type Server struct {
	extprocv3.UnimplementedExternalProcessorServer

	pipelines Pipelines
	config    func() *config.Snapshot
	log       *slog.Logger
	ids       atomic.Uint64
	inflight  atomic.Int64
	obs       Observer
}

// Observer watches exchanges for traces and metrics.
type Observer interface {
	// Begin starts observing x once its request headers are read; every
	// stage of the exchange runs with the context it returns.
	Begin(ctx context.Context, x *pipeline.Exchange) context.Context
	// Released is told of response body bytes as they go to the client.
	Released(ctx context.Context, x *pipeline.Exchange, body []byte)
}

// Observe sets the observer of every stream opened from now on. Without
// one, streams are not observed at all. Call it before serving.
func (s *Server) Observe(o Observer) { s.obs = o }

// AttemptMetadata is the gRPC metadata key that the ext_proc filter in a
// provider cluster's upstream filter chain sends (its grpc_service
// initial_metadata), naming the backend of that attempt.
const AttemptMetadata = "x-sluice-upstream-backend"

// Pipelines are the stage chains a server runs.
type Pipelines struct {
	// Main serves the ext_proc filter in the HTTP connection manager.
	Main *pipeline.Pipeline
	// Attempt serves the upstream filter of fallback-chain clusters, once
	// per attempt. Nil refuses such streams.
	Attempt *pipeline.Pipeline
}

// New returns a server that runs ps for every stream, reading the current
// config snapshot from cfg at the start of each stream.
func New(ps Pipelines, cfg func() *config.Snapshot, log *slog.Logger) *Server {
	return &Server{pipelines: ps, config: cfg, log: log}
}

// InFlight is the number of open streams; used for draining on shutdown.
func (s *Server) InFlight() int64 { return s.inflight.Load() }

// streamStack is the stack a stream's handling needs without its deep
// stages (pipeline.DeepStage), gRPC's receive and send included: with
// this much reserved, no stream of make bench's cases grows its stack
// again (go run ./cmd/sluice-bench -cpuprofile, runtime.copystack under
// Process).
const streamStack = 12 << 10

// Process handles one HTTP request's stream. Envoy opens one per request.
func (s *Server) Process(stream extprocv3.ExternalProcessor_ProcessServer) error {
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	ctx := stream.Context()
	st := &streamState{srv: s, p: s.pipelines.Main, ans: takeAnswer()}
	// Every Send has returned, and gRPC copied the answer, by the time
	// this runs.
	defer putAnswer(st.ans)
	st.xv.Start, st.xv.Config = time.Now(), s.config()
	st.x = &st.xv
	// Stages release what they hold for the request (limit slots, for
	// one) however the stream ends, even when the client went away.
	defer st.x.End(context.WithoutCancel(ctx))
	// ValueFromIncomingContext copies only this key's values, not the
	// stream's whole metadata.
	if v := metadata.ValueFromIncomingContext(ctx, AttemptMetadata); len(v) > 0 && v[0] != "" {
		st.x.Attempt, st.p = v[0], s.pipelines.Attempt
	}
	// A new goroutine's small stack would otherwise double in gRPC's
	// receive and again in the deepest stage, each time copying every
	// frame beneath; here it is grown once, over a handful of frames. A
	// deep stage's need adds to the depth it runs at. The garbage
	// collector may halve the stack again while the stream waits on
	// Envoy, so this saves the deep copies, not every copy.
	stackroom.Reserve(streamStack + st.p.StackBytes())
	for {
		// The frame is read by the codec ServerOption installs.
		if err := stream.RecvMsg(&st.in); err != nil {
			// Envoy half-closes or cancels once it has every answer it
			// expects; both are normal ends of a stream.
			if errors.Is(err, io.EOF) || status.Code(err) == codes.Canceled {
				return nil
			}
			return err
		}
		resp := st.handle(st.context(ctx), &st.in)
		var err error
		if resp == &st.ans.resp {
			// Encoded already: the codec sends the bytes as they are.
			err = stream.SendMsg(&st.ans.encoded)
		} else {
			err = stream.Send(resp)
		}
		if err != nil {
			return err
		}
		if resp.GetImmediateResponse() != nil {
			return nil
		}
	}
}

// streamState is the per-stream phase machine.
type streamState struct {
	srv      *Server
	p        *pipeline.Pipeline
	x        *pipeline.Exchange
	finished bool
	// ctx is what stages run with once the observer has begun: the
	// stream's context carrying the request's span.
	ctx context.Context
	// ans is reused for every answer but the immediate ones.
	ans *answer
	// sent is the dynamic metadata Envoy already holds from this stream.
	sent published
	// xv is the exchange, allocated with the stream's state.
	xv pipeline.Exchange
	// in is the message being handled.
	in frame
}

func (st *streamState) context(ctx context.Context) context.Context {
	if st.ctx != nil {
		return st.ctx
	}
	return ctx
}

// begin hands the exchange to the observer, once its headers are read.
func (st *streamState) begin(ctx context.Context) context.Context {
	if st.srv.obs == nil {
		return ctx
	}
	st.ctx = st.srv.obs.Begin(ctx, st.x)
	return st.ctx
}

// released notes response body bytes going to the client.
func (st *streamState) released(ctx context.Context, body []byte) {
	if len(body) == 0 {
		return
	}
	if st.x.Outcome.FirstByte.IsZero() {
		st.x.Outcome.FirstByte = time.Now()
	}
	if st.srv.obs != nil {
		st.srv.obs.Released(ctx, st.x, body)
	}
}

func (st *streamState) handle(ctx context.Context, in *frame) *extprocv3.ProcessingResponse {
	switch in.kind {
	case inRequestHeaders:
		// Attributes and forwarded metadata come with the first message.
		st.x.FilterMetadata = in.filterMetadata
		st.x.Conn = in.conn
		return st.requestHeaders(ctx, in)
	case inRequestBody:
		return st.requestBody(ctx, in)
	case inResponseHeaders:
		return st.responseHeaders(ctx, in)
	case inResponseBody:
		return st.responseBody(ctx, in)
	case inRequestTrailers:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestTrailers{
			RequestTrailers: &extprocv3.TrailersResponse{}}}
	case inResponseTrailers:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseTrailers{
			ResponseTrailers: &extprocv3.TrailersResponse{}}}
	}
	return st.fail(gwerror.New(gwerror.Internal, "unsupported ext_proc message"))
}

// fail answers the client with an OpenAI-shaped error. Internal errors are
// logged with their cause and shown to the client without it.
func (st *streamState) fail(err error) *extprocv3.ProcessingResponse {
	e := gwerror.From(err)
	st.x.Outcome.Error = string(e.Code)
	if e.HTTPStatus() >= 500 {
		st.srv.log.Error("request failed", "request_id", st.x.RequestID, "code", e.Code, "err", err)
	}
	return immediate(st.x, e.HTTPStatus(), errorHeaders(e), e.Body(), "sluice_"+string(e.Code))
}
