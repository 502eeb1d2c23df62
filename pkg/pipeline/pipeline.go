package pipeline

import (
	"context"
	"fmt"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// HeaderStage sees the request headers before any body arrives, so it can
// reject or answer early (unknown path, GET /v1/models).
type HeaderStage interface {
	Name() string
	OnRequestHeaders(ctx context.Context, x *Exchange) error
}

// RequestStage runs once the whole request body is available.
type RequestStage interface {
	Name() string
	OnRequest(ctx context.Context, x *Exchange) error
}

// ResponseStage sees the response. OnResponseBody receives a chunk (the
// whole body when buffered) and returns the bytes to pass on; stages chain
// in order, each seeing the previous stage's output. A chunk, and what a
// stage makes of it, is only valid until the next chunk: the stream reads
// a response's chunks into one buffer, and stages write their output into
// buffers they reuse, so a stage keeps a copy of anything it needs later.
type ResponseStage interface {
	Name() string
	OnResponseHeaders(ctx context.Context, x *Exchange) error
	OnResponseBody(ctx context.Context, x *Exchange, chunk []byte, end bool) ([]byte, error)
}

// DeepStage is implemented by a stage whose work runs deeper than the rest
// of the pipeline (a policy evaluation's recursion). StackBytes is the
// stack it needs, or 0 when it has nothing to do; the stream reserves the
// deepest stage's need up front (see package stackroom).
type DeepStage interface {
	StackBytes() int
}

// Stages is the full stage set. The order inside each slice is the order of
// execution; it is fixed by New, never by user config.
type Stages struct {
	Headers  []HeaderStage
	Request  []RequestStage
	Response []ResponseStage
}

// Pipeline runs stages in their fixed order.
type Pipeline struct {
	s    Stages
	deep []DeepStage
}

// New builds a pipeline and rejects duplicate stage names, which would make
// errors and metrics ambiguous.
func New(s Stages) (*Pipeline, error) {
	p := &Pipeline{s: s}
	seen := map[string]bool{}
	add := func(list string, st interface{ Name() string }) error {
		n := list + "/" + st.Name()
		if seen[n] {
			return fmt.Errorf("pipeline: duplicate stage %q", n)
		}
		seen[n] = true
		// A stage in two lists is kept twice; StackBytes takes the most.
		if d, ok := st.(DeepStage); ok {
			p.deep = append(p.deep, d)
		}
		return nil
	}
	for _, st := range s.Headers {
		if err := add("headers", st); err != nil {
			return nil, err
		}
	}
	for _, st := range s.Request {
		if err := add("request", st); err != nil {
			return nil, err
		}
	}
	for _, st := range s.Response {
		if err := add("response", st); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// StackBytes is the most stack any of the pipeline's stages needs now;
// 0 for a nil pipeline (a server without an attempt pipeline refuses
// attempts later, with an error).
func (p *Pipeline) StackBytes() int {
	if p == nil {
		return 0
	}
	n := 0
	for _, d := range p.deep {
		n = max(n, d.StackBytes())
	}
	return n
}

// RequestHeaders runs the header stages. It stops at the first error or
// local reply.
func (p *Pipeline) RequestHeaders(ctx context.Context, x *Exchange) error {
	for _, st := range p.s.Headers {
		if err := st.OnRequestHeaders(ctx, x); err != nil {
			return stageErr(st.Name(), err)
		}
		if x.Reply != nil {
			return nil
		}
	}
	return nil
}

// Request runs the body stages.
func (p *Pipeline) Request(ctx context.Context, x *Exchange) error {
	for _, st := range p.s.Request {
		if err := st.OnRequest(ctx, x); err != nil {
			return stageErr(st.Name(), err)
		}
		if x.Reply != nil {
			return nil
		}
	}
	return nil
}

// ResponseHeaders runs the response header stages.
func (p *Pipeline) ResponseHeaders(ctx context.Context, x *Exchange) error {
	for _, st := range p.s.Response {
		if err := st.OnResponseHeaders(ctx, x); err != nil {
			return stageErr(st.Name(), err)
		}
	}
	return nil
}

// ResponseBody passes a chunk through every response stage.
func (p *Pipeline) ResponseBody(ctx context.Context, x *Exchange, chunk []byte, end bool) ([]byte, error) {
	var err error
	for _, st := range p.s.Response {
		if chunk, err = st.OnResponseBody(ctx, x, chunk, end); err != nil {
			return chunk, stageErr(st.Name(), err)
		}
	}
	return chunk, nil
}

// stageErr keeps client-facing errors intact (their message is what the
// client sees) and names the stage on internal ones, for logs.
func stageErr(stage string, err error) error {
	if e, ok := err.(*gwerror.Error); ok { //nolint:errorlint // exact type: wrapped ones get the stage name
		return e
	}
	return fmt.Errorf("%s: %w", stage, err)
}
