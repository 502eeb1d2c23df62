package telemetry

import (
	"context"
	"strconv"
	"time"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// providerNames maps Sluice's provider families to gen_ai.provider.name.
// An OpenAI-compatible server is reported as openai, as the conventions
// ask of clients that speak the OpenAI API to another product.
var providerNames = map[translate.Provider]string{
	translate.OpenAI:           "openai",
	translate.OpenAICompatible: "openai",
	translate.AzureOpenAI:      "azure.ai.openai",
	translate.Anthropic:        "anthropic",
	translate.Gemini:           "gcp.gemini",
	translate.Bedrock:          "aws.bedrock",
}

// limitKinds are the errors with which Sluice itself refuses a call for a
// limit or budget, by the kind label they are counted under.
var limitKinds = map[string]string{
	string(gwerror.RateLimited):       "rate",
	string(gwerror.BudgetExceeded):    "budget",
	string(gwerror.LimitsUnavailable): "unavailable",
}

// record writes every metric of one exchange. It runs once, at its end.
func (t *Telemetry) record(x *pipeline.Exchange, now time.Time) {
	ctx := context.Background()
	in := t.inst
	k := t.labelKey(x)
	ls := t.labels.set(k)
	in.requests.Add(ctx, 1, ls.requests.add...)
	if k.op != "" && x.Route != nil {
		in.duration.Record(ctx, now.Sub(x.Start).Seconds(), ls.genai.rec...)
		if u := x.Usage; u.InputTokens > 0 || u.OutputTokens > 0 {
			in.tokens.Record(ctx, float64(u.InputTokens), ls.input.rec...)
			in.tokens.Record(ctx, float64(u.OutputTokens), ls.output.rec...)
		}
		// Time to first token means something only for streams; a
		// buffered reply's first byte is its last.
		if fb := x.Outcome.FirstByte; !fb.IsZero() && x.Streaming {
			in.ttft.Record(ctx, fb.Sub(x.Start).Seconds(), ls.genai.rec...)
			if x.Usage.OutputTokens > 1 {
				in.tpot.Record(ctx, now.Sub(fb).Seconds()/float64(x.Usage.OutputTokens-1), ls.genai.rec...)
			}
		}
	}
	if x.Outcome.Priced && x.Outcome.CostMicros > 0 {
		usd := float64(x.Outcome.CostMicros) / 1e6
		if x.Outcome.Cache == "hit" {
			in.savedCost.Add(ctx, usd, ls.cost.add...)
		} else {
			in.cost.Add(ctx, usd, ls.cost.add...)
			if x.Budget != nil {
				in.budgetSpent.Add(ctx, usd, ls.tenant.add...)
			}
		}
	}
	if b := x.Budget; b != nil && b.Err == nil {
		in.budgetRemaining.Record(ctx, b.RemainingFraction, ls.tenant.rec...)
	}
	t.recordDecisions(ctx, x)
}

func (t *Telemetry) recordDecisions(ctx context.Context, x *pipeline.Exchange) {
	in, c := t.inst, t.labels
	if r := policyResult(x); r != "" {
		remembered := strconv.FormatBool(x.Decision != nil && x.Decision.Remembered)
		in.decisions.Add(ctx, 1, c.pair(attrResult, r, attrRemembered, remembered).add...)
		if r == "error" || (x.Decision != nil && x.Decision.FailedOpen) {
			mode := "closed"
			if x.Decision != nil && x.Decision.FailedOpen {
				mode = "open"
			}
			in.policyErrors.Add(ctx, 1, c.pair(attrKind, mode, "", "").add...)
		}
	}
	for _, f := range x.Protect.Findings {
		in.pii.Add(ctx, int64(f.Count), c.pair(attrType, f.Type, attrAction, f.Action).add...)
	}
	for _, f := range x.Protect.Output {
		in.guardrails.Add(ctx, int64(f.Count), c.pair(attrType, f.Type, attrAction, f.Action).add...)
	}
	if r := x.Outcome.Cache; r != "" {
		in.cache.Add(ctx, 1, c.pair(attrResult, r, "", "").add...)
	}
	if kind, ok := limitKinds[x.Outcome.Error]; ok && x.Target.Backend == "" {
		// Before routing: Sluice's own limits, not a provider's 429.
		in.limits.Add(ctx, 1, c.pair(attrKind, kind, "", "").add...)
	}
}

// policyResult is allow, deny, dry_run_deny or error; "" when no policy
// ran.
func policyResult(x *pipeline.Exchange) string {
	d := x.Decision
	switch {
	case d == nil && x.Outcome.Error == string(gwerror.PolicyError):
		return "error"
	case d == nil:
		return ""
	case d.FailedOpen:
		return "error"
	case d.DryRunDenied:
		return "dry_run_deny"
	case d.Allow:
		return "allow"
	case d.Status == 503 || x.Outcome.Error == string(gwerror.PolicyError):
		return "error"
	}
	return "deny"
}

// labelKey reads x's bounded labels: configured models and tenants only.
func (t *Telemetry) labelKey(x *pipeline.Exchange) labelKey {
	k := labelKey{op: operation(x), status: x.Outcome.Status, errType: errorType(x)}
	switch {
	case x.Route != nil:
		k.model = x.Route.Name
	case x.Model == "":
	case x.Config != nil:
		if m, ok := x.Config.Model(x.Model); ok {
			k.model = m.Name
		} else {
			k.model = other
		}
	}
	k.upstream = x.Target.Model
	if k.upstream == "" && x.Route != nil {
		k.upstream = x.Route.UpstreamModel
	}
	p := x.Target.Provider
	if p == "" && x.Route != nil && x.Route.Backend != nil {
		p = x.Route.Backend.Provider
	}
	k.provider = providerNames[p]
	if id := x.Identity; id != nil {
		switch {
		case id.TenantConfig != nil:
			k.tenant = id.Tenant
		case id.Tenant != "":
			k.tenant = other
		}
		if tc := x.Config.Telemetry; tc != nil {
			if tc.LabelKeys && id.Key != nil {
				k.key = id.Key.ID
			}
			if tc.LabelUsers {
				k.user = id.User
			}
		}
	}
	return k
}

// errorType is the gwerror code Sluice answered with, or the status class
// of an error the provider's answer carried through.
func errorType(x *pipeline.Exchange) string {
	switch s := x.Outcome.Status; {
	case x.Outcome.Error != "":
		return x.Outcome.Error
	case s == 0:
		return "incomplete" // the client or Envoy went away before an answer
	case s >= 400:
		return strconv.Itoa(s)
	}
	return ""
}
