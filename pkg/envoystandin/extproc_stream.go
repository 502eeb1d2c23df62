package envoystandin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// msgKind is the oneof case of a ProcessingRequest, and of its answer.
type msgKind int

const (
	kindNone msgKind = iota
	kindRequestHeaders
	kindRequestBody
	kindResponseHeaders
	kindResponseBody
)

func (k msgKind) String() string {
	return [...]string{"none", "request_headers", "request_body", "response_headers", "response_body"}[k]
}

func kindOfResponse(r *extprocv3.ProcessingResponse) msgKind {
	switch r.GetResponse().(type) {
	case *extprocv3.ProcessingResponse_RequestHeaders:
		return kindRequestHeaders
	case *extprocv3.ProcessingResponse_RequestBody:
		return kindRequestBody
	case *extprocv3.ProcessingResponse_ResponseHeaders:
		return kindResponseHeaders
	case *extprocv3.ProcessingResponse_ResponseBody:
		return kindResponseBody
	}
	return kindNone
}

// gracefulClose bounds how long a finished stream waits for the server.
const gracefulClose = time.Second

type recvResult struct {
	resp     *extprocv3.ProcessingResponse
	err      error
	spurious bool // arrived when no message was waiting for an answer
}

// procStream is the one ExternalProcessor/Process stream of a request. It
// opens with the first message. Once processing is complete (the server
// closed the stream, sent an immediate response, or failed under
// failure_mode_allow) it sends nothing more and the request carries on
// without it.
type procStream struct {
	f      *extProcFilter
	cfg    *extProcConfig
	ctx    context.Context
	cancel context.CancelFunc

	mu          sync.Mutex // guards stream and openErr: STREAMED bodies send from their own goroutine
	stream      extprocv3.ExternalProcessor_ProcessClient
	openErr     error
	recv        chan recvResult
	outstanding atomic.Int32
	done        atomic.Bool
	protocolSet bool
}

func newProcStream(f *extProcFilter) *procStream {
	// The stream outlives the downstream request briefly, to close gracefully.
	ctx, cancel := context.WithCancel(context.WithoutCancel(f.x.ctx))
	return &procStream{f: f, cfg: f.cfg, ctx: ctx, cancel: cancel, recv: make(chan recvResult)}
}

// active reports whether messages are still sent to the server.
func (s *procStream) active() bool { return !s.done.Load() }

// send opens the stream if needed and sends one message that expects an
// answer. Failures surface from the following wait, as in Envoy.
func (s *procStream) send(req *extprocv3.ProcessingRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done.Load() {
		return // processing is over; the matching wait returns at once
	}
	if s.stream == nil && s.openErr == nil {
		s.open()
	}
	if !s.protocolSet {
		m := s.f.mode
		req.ProtocolConfig = &extprocv3.ProtocolConfiguration{RequestBodyMode: m.reqBody, ResponseBodyMode: m.respBody}
		s.protocolSet = true
	}
	s.outstanding.Add(1)
	s.f.count(func(c *Counters) { c.MessagesSent++ })
	if s.openErr == nil {
		// io.EOF means the stream broke; Recv reports the real status.
		if err := s.stream.Send(req); err != nil && !errors.Is(err, io.EOF) {
			s.openErr = err
		}
	}
}

func (s *procStream) open() {
	ctx := s.ctx
	for _, h := range s.cfg.initialMetadata {
		ctx = metadata.AppendToOutgoingContext(ctx, h.key, h.value)
	}
	stream, err := s.f.client.Process(ctx)
	if err != nil {
		s.openErr = err
		return
	}
	s.stream = stream
	go s.receive()
}

func (s *procStream) receive() {
	for {
		resp, err := s.stream.Recv()
		r := recvResult{resp: resp, err: err}
		if err == nil && resp.GetOverrideMessageTimeout() == nil {
			if s.outstanding.Add(-1) < 0 {
				s.outstanding.Add(1)
				r.spurious = true
			}
		}
		select {
		case s.recv <- r:
		case <-s.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// wait returns the answer to the oldest unanswered message, which must be
// of kind want. A nil response with a nil error means processing is over
// and the request continues unmodified. An immediate response, a timeout or
// a stream failure comes back as a *localReply error.
func (s *procStream) wait(want msgKind) (*extprocv3.ProcessingResponse, error) {
	if s.done.Load() {
		return nil, nil
	}
	s.mu.Lock()
	openErr := s.openErr
	s.mu.Unlock()
	if openErr != nil {
		return s.fail(openErr)
	}
	timer := time.NewTimer(s.cfg.messageTimeout)
	defer timer.Stop()
	extended := false
	for {
		select {
		case <-timer.C:
			s.f.count(func(c *Counters) { c.MessageTimeouts++ })
			return s.failWith(&localReply{status: http.StatusGatewayTimeout, details: "ext_proc_error_per-message_timeout_exceeded"})
		case <-s.f.x.ctx.Done():
			return s.failWith(&localReply{reset: true, details: "downstream_remote_disconnect"})
		case <-s.f.abort:
			// The router reset the attempt (per_try_timeout); it decides what follows.
			s.finish()
			return nil, &localReply{reset: true, details: "upstream_attempt_reset"}
		case r := <-s.recv:
			if r.err != nil {
				return s.fail(r.err)
			}
			if d := r.resp.GetOverrideMessageTimeout(); d != nil {
				extended = s.extend(timer, d.AsDuration(), extended)
				continue
			}
			return s.accept(r, want)
		}
	}
}

// extend honours override_message_timeout once per message, within
// max_message_timeout, and only when that is configured.
func (s *procStream) extend(timer *time.Timer, d time.Duration, extended bool) bool {
	if extended || s.cfg.maxMessageTimeout == 0 || d < time.Millisecond || d > s.cfg.maxMessageTimeout {
		s.f.count(func(c *Counters) { c.OverrideMessageTimeoutIgnored++ })
		return extended
	}
	timer.Reset(d)
	return true
}

func (s *procStream) accept(r recvResult, want msgKind) (*extprocv3.ProcessingResponse, error) {
	if r.spurious || (kindOfResponse(r.resp) != want && r.resp.GetImmediateResponse() == nil) {
		s.f.count(func(c *Counters) { c.SpuriousMessages++ })
		return s.failWith(&localReply{status: http.StatusInternalServerError,
			details: fmt.Sprintf("ext_proc_error_spurious_message_%s_for_%s", kindOfResponse(r.resp), want)})
	}
	s.f.count(func(c *Counters) { c.MessagesReceived++ })
	s.f.receiveMetadata(r.resp.GetDynamicMetadata())
	if ir := r.resp.GetImmediateResponse(); ir != nil {
		s.finish()
		return nil, s.f.immediateReply(ir)
	}
	return r.resp, nil
}

// fail handles a stream that ended: a clean close is not a failure.
func (s *procStream) fail(err error) (*extprocv3.ProcessingResponse, error) {
	if errors.Is(err, io.EOF) {
		s.f.count(func(c *Counters) { c.StreamsClosed++ })
		s.finish()
		return nil, nil
	}
	return s.failWith(&localReply{status: s.cfg.statusOnError,
		details: fmt.Sprintf("ext_proc_error_gRPC_error_%d{%s}", status.Code(err), status.Convert(err).Message())})
}

// failWith ends processing; failure_mode_allow lets the request continue.
func (s *procStream) failWith(lr *localReply) (*extprocv3.ProcessingResponse, error) {
	s.finish()
	if s.cfg.failureModeAllow && !lr.reset {
		s.f.count(func(c *Counters) { c.FailureModeAllowed++ })
		return nil, nil
	}
	return nil, lr
}

// finish stops processing and cancels the stream.
func (s *procStream) finish() {
	s.done.Store(true)
	s.cancel()
}

// close ends a stream whose request completed: half-close, give the server
// a moment to return, then cancel, like Envoy's graceful close.
func (s *procStream) close() {
	if !s.mu.TryLock() {
		// A STREAMED chunk is still being sent: no graceful close.
		s.finish()
		return
	}
	stream := s.stream
	s.mu.Unlock()
	if s.done.Swap(true) || stream == nil {
		s.cancel()
		return
	}
	go func() {
		defer s.cancel()
		s.mu.Lock() // sends check done under this lock, so none can race CloseSend
		err := stream.CloseSend()
		s.mu.Unlock()
		if err != nil {
			return
		}
		deadline := time.After(gracefulClose)
		for {
			select {
			case r := <-s.recv:
				if r.err != nil {
					return
				}
			case <-deadline:
				return
			}
		}
	}()
}
