package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	filterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/encoding/protowire"
)

// Phase is one step of a request as Envoy drives it.
type Phase int

// The phases, in the order Envoy sends them.
const (
	RequestHeaders Phase = iota
	RequestBody
	ResponseHeaders
	ResponseBody // every chunk of the body, first send to last answer
	NumPhases
)

var phaseNames = [NumPhases]string{"request_headers", "request_body", "response_headers", "response_body"}

func (p Phase) String() string { return phaseNames[p] }

// ImmediateError is an immediate_response from the server: the request
// was answered locally instead of going to the provider.
type ImmediateError struct {
	Phase   Phase
	Status  int
	Details string
	Body    string
}

func (e *ImmediateError) Error() string {
	body := e.Body
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return fmt.Sprintf("immediate_response %d at %s (%s): %s", e.Status, e.Phase, e.Details, body)
}

// timings is one request's phase latencies.
type timings struct {
	phase [NumPhases]time.Duration
	total time.Duration
	// events are the round trips of a streamed body's chunks, in a buffer
	// the worker reuses.
	events []time.Duration
}

// Trace is every response a server sent for one request, for checking
// what a server does rather than how fast.
type Trace struct {
	Responses []*extprocv3.ProcessingResponse
	// Streamed is set when the server switched the response body to
	// STREAMED and the body went as one message per event.
	Streamed bool
}

// Check runs one request of c and returns the server's responses. It fails
// on the same conditions that count as errors in Run.
func (c *Client) Check(ctx context.Context, cs *Case) (*Trace, error) {
	w := &worker{client: c.conns[0], timeout: 10 * time.Second, protoAnswers: c.ProtoAnswers}
	tr := &Trace{}
	var t timings
	err := w.one(ctx, newScript(cs, c.APIKey, c.NewTurns), []byte("bench-check"), &t, tr)
	return tr, err
}

type processStream = extprocv3.ExternalProcessor_ProcessClient

// one plays a single HTTP request through a new stream. tr, when non-nil,
// collects the responses.
func (w *worker) one(ctx context.Context, s *script, id []byte, t *timings, tr *Trace) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	// Envoy stops the stream once it has every answer it expects; the
	// server treats the half-close and the cancel as a normal end.
	defer cancel()
	s.requestID.RawValue = id
	start := time.Now()
	st, err := w.client.Process(ctx)
	if err != nil {
		return fmt.Errorf("opening stream: %w", err)
	}
	defer func() { _ = st.CloseSend() }()

	mark := start
	step := func(p Phase, msg *extprocv3.ProcessingRequest) (reply, error) {
		r, err := w.exchange(st, msg, p, tr)
		now := time.Now()
		t.phase[p], mark = now.Sub(mark), now
		return r, err
	}
	if _, err := step(RequestHeaders, s.reqHeaders); err != nil {
		return err
	}
	if _, err := step(RequestBody, s.reqBody); err != nil {
		return err
	}
	r, err := step(ResponseHeaders, s.respHeaders)
	if err != nil {
		return err
	}
	if err := w.responseBody(st, s, r.bodyMode(), t, tr); err != nil {
		return err
	}
	now := time.Now()
	t.phase[ResponseBody], t.total = now.Sub(mark), now.Sub(start)
	return nil
}

// reply is what the driver acts on in an answer: whether it switched the
// response body mode, and to what.
type reply struct {
	override bool
	mode     filterv3.ProcessingMode_BodySendMode
}

// bodyMode is the response body mode after the headers response: the
// configured BUFFERED unless the server overrode it.
func (r reply) bodyMode() filterv3.ProcessingMode_BodySendMode {
	if r.override {
		return r.mode
	}
	return filterv3.ProcessingMode_BUFFERED
}

func (w *worker) responseBody(st processStream, s *script, mode filterv3.ProcessingMode_BodySendMode, t *timings, tr *Trace) error {
	if s.c.Stream && mode != filterv3.ProcessingMode_STREAMED {
		return fmt.Errorf("server answered SSE response headers without switching the body to STREAMED (mode %s)", mode)
	}
	switch mode {
	case filterv3.ProcessingMode_NONE:
		return nil
	case filterv3.ProcessingMode_BUFFERED, filterv3.ProcessingMode_BUFFERED_PARTIAL:
		_, err := w.exchange(st, s.whole, ResponseBody, tr)
		return err
	case filterv3.ProcessingMode_STREAMED:
		if tr != nil {
			tr.Streamed = true
		}
		for _, ch := range s.chunks {
			start := time.Now()
			if _, err := w.exchange(st, ch, ResponseBody, tr); err != nil {
				return err
			}
			t.events = append(t.events, time.Since(start))
		}
		return nil
	}
	return fmt.Errorf("server asked for response body mode %s, which this driver does not play", mode)
}

// exchange sends one message and waits for its answer, which must be of
// the matching type. A trace, or ProtoAnswers, needs the answer decoded
// by protobuf-go; otherwise it is read from the wire (answer.go).
func (w *worker) exchange(st processStream, msg *extprocv3.ProcessingRequest, p Phase, tr *Trace) (reply, error) {
	if err := st.Send(msg); err != nil {
		if errors.Is(err, io.EOF) {
			// The server ended the stream; Recv has the reason.
			_, err = st.Recv()
		}
		return reply{}, fmt.Errorf("sending %s: %w", p, err)
	}
	if tr != nil || w.protoAnswers {
		return receiveProto(st, p, tr)
	}
	a := &w.answer
	if err := st.RecvMsg(a); err != nil {
		return reply{}, fmt.Errorf("awaiting %s response: %w", p, err)
	}
	if err := a.parse(); err != nil {
		return reply{}, fmt.Errorf("%s answer: %w", p, err)
	}
	if a.kind == respImmediate {
		return reply{}, &ImmediateError{Phase: p, Status: a.status, Details: string(a.details), Body: string(a.localBody)}
	}
	if a.kind != phaseField[p] {
		return reply{}, fmt.Errorf("%s answered with response field %d: wrong response type", p, a.kind)
	}
	return reply{override: a.override, mode: a.bodyMode}, nil
}

func receiveProto(st processStream, p Phase, tr *Trace) (reply, error) {
	resp, err := st.Recv()
	if err != nil {
		return reply{}, fmt.Errorf("awaiting %s response: %w", p, err)
	}
	if tr != nil {
		tr.Responses = append(tr.Responses, resp)
	}
	if ir := resp.GetImmediateResponse(); ir != nil {
		return reply{}, &ImmediateError{Phase: p, Status: int(ir.GetStatus().GetCode()), Details: ir.GetDetails(), Body: string(ir.GetBody())}
	}
	if oneofField(resp) != phaseField[p] {
		return reply{}, fmt.Errorf("%s answered with %T: wrong response type", p, resp.GetResponse())
	}
	m := resp.GetModeOverride()
	return reply{override: m != nil, mode: m.GetResponseBodyMode()}, nil
}

// oneofField is the field number of the response's case, 0 if none. A
// type switch, not reflection: -proto-answers keeps the decoding cost of
// earlier runs, and should add nothing to it.
func oneofField(r *extprocv3.ProcessingResponse) protowire.Number {
	switch r.GetResponse().(type) {
	case *extprocv3.ProcessingResponse_RequestHeaders:
		return respRequestHeaders
	case *extprocv3.ProcessingResponse_RequestBody:
		return respRequestBody
	case *extprocv3.ProcessingResponse_ResponseHeaders:
		return respResponseHeaders
	case *extprocv3.ProcessingResponse_ResponseBody:
		return respResponseBody
	case *extprocv3.ProcessingResponse_RequestTrailers:
		return respRequestTrailers
	case *extprocv3.ProcessingResponse_ResponseTrailers:
		return respResponseTrailers
	case *extprocv3.ProcessingResponse_ImmediateResponse:
		return respImmediate
	}
	return 0
}
