package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/metric"
)

// The instrument names. GenAI ones follow the semantic conventions; the
// rest are Sluice's own. Prometheus names replace dots with underscores,
// add the unit (_seconds, _ratio) and counters' _total.
const (
	MetricTokenUsage      = "gen_ai.client.token.usage" //nolint:gosec // a metric name, not a credential
	MetricRequestDuration = "gen_ai.server.request.duration"
	MetricTimeToFirst     = "gen_ai.server.time_to_first_token"
	MetricTimePerOutput   = "gen_ai.server.time_per_output_token"
	MetricRequests        = "sluice.requests"
	MetricPolicyDecisions = "sluice.policy.decisions"
	MetricPolicyErrors    = "sluice.policy.errors"
	MetricPIIFindings     = "sluice.pii.findings"
	MetricGuardrails      = "sluice.guardrail.actions"
	MetricCacheRequests   = "sluice.cache.requests"
	MetricCacheSavedCost  = "sluice.cache.saved_cost"
	MetricCost            = "sluice.cost"
	MetricLimitRejections = "sluice.limit.rejections"
	MetricBudgetSpent     = "sluice.budget.spent"
	MetricBudgetRemaining = "sluice.budget.remaining"
	MetricConfigReloads   = "sluice.config.reloads"
	MetricAuditDropped    = "sluice.audit.dropped"
)

// Bucket boundaries advised by the GenAI semantic conventions.
var (
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	ttftBuckets     = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	tpotBuckets     = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5}
)

type instruments struct {
	tokens, duration, ttft, tpot metric.Float64Histogram

	requests, decisions, policyErrors, pii, guardrails, cache, limits, reloads metric.Int64Counter
	cost, savedCost, budgetSpent                                               metric.Float64Counter
	budgetRemaining                                                            metric.Float64Gauge
}

func newInstruments(m metric.Meter, auditDropped func() (uint64, bool)) (*instruments, error) {
	b := builder{m: m}
	in := &instruments{
		tokens: b.histogram(MetricTokenUsage, "{token}", "Tokens used per model call, by gen_ai.token.type.", tokenBuckets),
		duration: b.histogram(MetricRequestDuration, "s",
			"Time from the request's arrival at Sluice to the end of its response.", durationBuckets),
		ttft: b.histogram(MetricTimeToFirst, "s",
			"Time from the request's arrival to the first response bytes released to the client.", ttftBuckets),
		tpot: b.histogram(MetricTimePerOutput, "s",
			"Time per output token after the first, for streamed responses.", tpotBuckets),
		requests:        b.counter(MetricRequests, "{request}", "Requests answered, by HTTP status and error type."),
		decisions:       b.counter(MetricPolicyDecisions, "{decision}", "Policy decisions, by result, and whether remembered rather than evaluated."),
		policyErrors:    b.counter(MetricPolicyErrors, "{error}", "Policy evaluations that failed, closed or open."),
		pii:             b.counter(MetricPIIFindings, "{finding}", "PII and secret findings in requests, by type and action."),
		guardrails:      b.counter(MetricGuardrails, "{action}", "Output guardrail findings, by type and action."),
		cache:           b.counter(MetricCacheRequests, "{request}", "Response cache lookups, by result."),
		limits:          b.counter(MetricLimitRejections, "{request}", "Requests refused by a limit or budget, by kind."),
		reloads:         b.counter(MetricConfigReloads, "{reload}", "Config and policy reloads, by kind and result."),
		cost:            b.fcounter(MetricCost, "{USD}", "What model calls cost, by tenant and model."),
		savedCost:       b.fcounter(MetricCacheSavedCost, "{USD}", "What cache hits would have cost."),
		budgetSpent:     b.fcounter(MetricBudgetSpent, "{USD}", "Spending charged to budgets, by tenant."),
		budgetRemaining: b.gauge(MetricBudgetRemaining, "1", "Smallest share of any applicable budget left, by tenant, as last seen."),
	}
	b.observable(MetricAuditDropped, "{record}", "Audit records dropped because the audit sink could not keep up.", auditDropped)
	return in, b.err
}

// builder creates instruments, keeping the first error.
type builder struct {
	m   metric.Meter
	err error
}

func (b *builder) keep(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *builder) histogram(name, unit, desc string, bounds []float64) metric.Float64Histogram {
	h, err := b.m.Float64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc),
		metric.WithExplicitBucketBoundaries(bounds...))
	b.keep(err)
	return h
}

func (b *builder) counter(name, unit, desc string) metric.Int64Counter {
	c, err := b.m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	b.keep(err)
	return c
}

func (b *builder) fcounter(name, unit, desc string) metric.Float64Counter {
	c, err := b.m.Float64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	b.keep(err)
	return c
}

func (b *builder) gauge(name, unit, desc string) metric.Float64Gauge {
	g, err := b.m.Float64Gauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
	b.keep(err)
	return g
}

func (b *builder) observable(name, unit, desc string, read func() (uint64, bool)) {
	_, err := b.m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			if v, ok := read(); ok {
				o.Observe(int64(min(v, 1<<63-1))) //nolint:gosec // clamped to int64 range
			}
			return nil
		}))
	b.keep(err)
}
