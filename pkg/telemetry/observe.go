package telemetry

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// request is one exchange's telemetry: its span and what the response
// revealed. It lives in the context the stages run with.
type request struct {
	t         *Telemetry
	x         *pipeline.Exchange
	span      trace.Span
	recording bool
	resp      responseInfo
}

type ctxKey struct{}

var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// headerCarrier reads the W3C trace context from the request headers.
type headerCarrier pipeline.Headers

func (h *headerCarrier) Get(k string) string { return pipeline.Headers(*h).Get(k) }
func (*headerCarrier) Set(string, string)    {}
func (h *headerCarrier) Keys() []string {
	keys := make([]string, len(*h))
	for i, kv := range *h {
		keys[i] = kv.Key
	}
	return keys
}

// Begin starts observing x once its request headers are in: it continues
// the traceparent Envoy forwarded with a server span, and registers the
// one AtEnd function that records the metrics and ends the span. Stages
// must run with the returned context. Registered first, the AtEnd runs
// last, after every stage has settled what it reports.
func (t *Telemetry) Begin(ctx context.Context, x *pipeline.Exchange) context.Context {
	if t == nil {
		return ctx
	}
	r := &request{t: t, x: x}
	if t.tp != nil {
		ctx = t.prop.Extract(ctx, (*headerCarrier)(&x.Header))
		// The name is final only once the model is known; annotate sets
		// it on sampled spans, so unsampled ones never build it.
		ctx, r.span = t.tracer.Start(ctx, x.Method, serverSpan...)
		r.recording = r.span.IsRecording()
	}
	x.AtEnd(r.end)
	return context.WithValue(ctx, ctxKey{}, r)
}

// Released tells telemetry of response body bytes going to the client, in
// the client's format. Only sampled requests look at them: the response
// id, model and finish reasons are read from the body (or the stream's
// events) without decoding it.
func (t *Telemetry) Released(ctx context.Context, x *pipeline.Exchange, body []byte) {
	if t == nil || len(body) == 0 {
		return
	}
	r, _ := ctx.Value(ctxKey{}).(*request)
	if r == nil || !r.recording {
		return
	}
	r.resp.scan(body, x.Streaming, r.capture())
}

// capture is the content bound when prompts and completions are recorded,
// else 0.
func (r *request) capture() int {
	if r.x.Config == nil {
		return 0
	}
	if tc := r.x.Config.Telemetry; tc != nil && tc.CaptureContent {
		return tc.CaptureContentMaxBytes
	}
	return 0
}

func (r *request) end(context.Context) {
	now := time.Now()
	x := r.x
	if x.Attempt != "" {
		// A fallback attempt's stream: the main stream accounts for the
		// request.
		r.endSpan(now)
		return
	}
	r.t.record(x, now)
	r.endSpan(now)
}

func (r *request) endSpan(now time.Time) {
	if r.span == nil {
		return
	}
	if !r.recording {
		// An unsampled span was never recording and never will be: its
		// End does nothing, so the options are not built.
		r.span.End()
		return
	}
	r.annotate()
	r.span.End(trace.WithTimestamp(now))
}

// operation is the GenAI operation name of x, "" for requests that are
// not model calls.
func operation(x *pipeline.Exchange) string {
	switch x.API {
	case pipeline.APIChat, pipeline.APIMessages:
		return "chat"
	case pipeline.APIEmbeddings:
		return "embeddings"
	}
	return ""
}

// spanName is "{operation} {model}" for model calls, else the HTTP method
// and path. The model is not known when the span starts; annotate renames.
func spanName(x *pipeline.Exchange) string {
	if op := operation(x); op != "" {
		if x.Model != "" {
			return op + " " + x.Model
		}
		return op
	}
	path, _, _ := strings.Cut(x.Path, "?")
	if x.Method == "" {
		return "sluice"
	}
	return x.Method + " " + path
}
