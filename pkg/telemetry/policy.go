package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-gw/sluice/pkg/policy"
)

// PolicySpan is the child span of one policy evaluation.
type PolicySpan struct {
	span  trace.Span
	start time.Time
}

// StartPolicy starts the policy evaluation's child span under the
// request's span in ctx. Without a sampled request span it costs nothing:
// the span comes from the request span's own (no-op) provider.
func StartPolicy(ctx context.Context) (context.Context, PolicySpan) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, PolicySpan{}
	}
	ctx, s := parent.TracerProvider().Tracer(ScopeName).Start(ctx, "sluice.policy.evaluate",
		trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, PolicySpan{span: s, start: time.Now()}
}

// End records the decision's result, id and duration.
func (p PolicySpan) End(d *policy.Decision, err error) {
	if p.span == nil {
		return
	}
	result := "error"
	switch {
	case d == nil:
	case d.FailedOpen:
	case d.DryRunDenied:
		result = "dry_run_deny"
	case d.Allow:
		result = "allow"
	case d.Status != 503:
		result = "deny"
	}
	attrs := []attribute.KeyValue{
		attribute.String("sluice.policy.result", result),
		attribute.Float64("sluice.policy.duration_ms", float64(time.Since(p.start).Microseconds())/1000),
	}
	if d != nil {
		attrs = append(attrs, attribute.String("sluice.decision_id", d.DecisionID),
			attribute.Bool("sluice.policy.remembered", d.Remembered))
		if len(d.Reasons) > 0 {
			attrs = append(attrs, attribute.StringSlice("sluice.policy.reasons", d.Reasons))
		}
	}
	p.span.SetAttributes(attrs...)
	if result == "error" {
		p.span.SetStatus(codes.Error, "policy evaluation failed")
		if err != nil {
			p.span.RecordError(err)
		}
	}
	p.span.End()
}
