package telemetry

import (
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluice-gw/sluice/pkg/pipeline"
)

// annotate sets the span's name, GenAI and Sluice attributes, and events
// for what the data-protection, guardrail and cache stages did. Only
// sampled spans get here.
func (r *request) annotate() {
	x, s := r.x, r.span
	s.SetName(spanName(x))
	k := r.t.labelKey(x)
	attrs := make([]attribute.KeyValue, 0, 32)
	attrs = append(attrs, attribute.String("sluice.request_id", x.RequestID))
	if k.op != "" {
		attrs = append(attrs, attrOperation.String(k.op), attrRequestModel.String(x.Model))
		attrs = append(attrs, requestParams(x)...)
	}
	if k.provider != "" {
		attrs = append(attrs, attrProvider.String(k.provider))
	}
	if r.resp.model != "" {
		attrs = append(attrs, attrResponseModel.String(r.resp.model))
	}
	if r.resp.id != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.id", r.resp.id))
	}
	if len(r.resp.finish) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", r.resp.finish))
	}
	if u := x.Usage; u.InputTokens > 0 || u.OutputTokens > 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.usage.input_tokens", u.InputTokens),
			attribute.Int64("gen_ai.usage.output_tokens", u.OutputTokens))
	}
	if h := x.Target.Host; h != "" {
		attrs = append(attrs, attribute.String("server.address", h))
	}
	if b := x.Target.Backend; b != "" {
		attrs = append(attrs, attribute.String("sluice.backend", b))
	}
	if id := x.Identity; id != nil && id.Tenant != "" {
		attrs = append(attrs, attrTenant.String(id.Tenant))
	}
	if d := x.Decision; d != nil && d.DecisionID != "" {
		attrs = append(attrs, attribute.String("sluice.decision_id", d.DecisionID))
	}
	if x.Outcome.Status != 0 {
		attrs = append(attrs, attrStatus.Int(x.Outcome.Status))
	}
	if x.Outcome.Priced {
		attrs = append(attrs, attribute.Float64("sluice.cost_usd", float64(x.Outcome.CostMicros)/1e6))
	}
	attrs = r.protection(attrs)
	s.SetAttributes(attrs...)
	r.content()
	if k.errType != "" {
		s.SetAttributes(attrErrorType.String(k.errType))
		if x.Outcome.Status == 0 || x.Outcome.Status >= 500 || x.Outcome.Error != "" {
			s.SetStatus(codes.Error, k.errType)
		}
	}
}

// requestParams are the sampling parameters the client set.
func requestParams(x *pipeline.Exchange) []attribute.KeyValue {
	var attrs []attribute.KeyValue
	if n := x.Summary.MaxTokens; n > 0 {
		attrs = append(attrs, attribute.Int("gen_ai.request.max_tokens", n))
	}
	for _, p := range [...]struct{ param, attr string }{
		{"temperature", "gen_ai.request.temperature"}, {"top_p", "gen_ai.request.top_p"},
		{"top_k", "gen_ai.request.top_k"}, {"seed", "gen_ai.request.seed"},
		{"presence_penalty", "gen_ai.request.presence_penalty"},
		{"frequency_penalty", "gen_ai.request.frequency_penalty"},
	} {
		if f, ok := x.Summary.Parameters[p.param].(float64); ok {
			if p.param == "seed" || p.param == "top_k" {
				attrs = append(attrs, attribute.Int64(p.attr, int64(f)))
			} else {
				attrs = append(attrs, attribute.Float64(p.attr, f))
			}
		}
	}
	// stop is not in the summary; one gjson lookup on a sampled request.
	var stops []string
	stop := gjson.GetBytes(x.Request.Body, "stop")
	if !stop.Exists() {
		stop = gjson.GetBytes(x.Request.Body, "stop_sequences") // Anthropic
	}
	switch {
	case stop.Type == gjson.String:
		stops = append(stops, stop.Str)
	case stop.IsArray():
		stop.ForEach(func(_, v gjson.Result) bool {
			if v.Type == gjson.String && len(stops) < 16 {
				stops = append(stops, v.Str)
			}
			return true
		})
	}
	if len(stops) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.request.stop_sequences", stops))
	}
	return attrs
}

// protection adds the PII, guardrail and cache attributes and an event
// for each: types and counts, never values.
func (r *request) protection(attrs []attribute.KeyValue) []attribute.KeyValue {
	x, s := r.x, r.span
	if fs := x.Protect.Findings; len(fs) > 0 {
		types := make([]string, 0, len(fs))
		for _, f := range fs {
			types = append(types, f.Type)
			s.AddEvent("sluice.pii", trace.WithAttributes(attrType.String(f.Type), attrAction.String(f.Action),
				attribute.Int("count", f.Count)))
		}
		attrs = append(attrs, attribute.StringSlice("sluice.pii.types", types))
	}
	if fs := x.Protect.Output; len(fs) > 0 {
		actions := make([]string, 0, len(fs))
		for _, f := range fs {
			actions = append(actions, f.Type+":"+f.Action)
			s.AddEvent("sluice.guardrail", trace.WithAttributes(attrType.String(f.Type), attrAction.String(f.Action),
				attribute.Int("count", f.Count)))
		}
		attrs = append(attrs, attribute.StringSlice("sluice.guardrail.actions", actions))
	}
	if inj := x.Protect.Injection; inj.Verdict != "" {
		s.AddEvent("sluice.injection", trace.WithAttributes(attribute.Float64("score", inj.Score),
			attribute.String("verdict", inj.Verdict), attribute.StringSlice("signals", inj.Signals)))
	}
	if c := x.Outcome.Cache; c != "" {
		attrs = append(attrs, attribute.String("sluice.cache", c))
		s.AddEvent("sluice.cache", trace.WithAttributes(attrResult.String(c)))
	}
	if x.Outcome.Error != "" {
		attrs = append(attrs, attribute.String("sluice.error", x.Outcome.Error))
	}
	return attrs
}
