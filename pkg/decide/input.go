package decide

import (
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/policy"
)

// input maps the exchange onto the policy input document. Field for field;
// the engine builds OPA's value from it without a JSON round trip.
func input(x *pipeline.Exchange) *policy.Input {
	in := &policy.Input{Request: policy.Request{
		ID: x.RequestID, API: x.API.String(), Method: x.Method, Path: x.Path,
		Model: x.Model, ModelRequested: x.Model, Stream: x.Request.Stream,
		MaxTokens: x.Summary.MaxTokens, Parameters: x.Summary.Parameters,
		MessageCount: x.Summary.MessageCount, Images: x.Summary.Images,
		LastUserMessage: x.Summary.LastUserMessage,
		Template:        policy.Template{Name: x.Prompt.Template, Version: x.Prompt.Version},
		Tools: policy.Tools{Present: len(x.Summary.ToolNames) > 0, Count: len(x.Summary.ToolNames),
			Names: x.Summary.ToolNames},
	}}
	in.Findings = findings(&x.Protect)
	if b := x.Budget; b != nil && b.Err == nil {
		in.Usage = map[string]any{"budget": map[string]any{"remaining_fraction": b.RemainingFraction}}
	}
	if m, ok := x.Config.Model(x.Model); ok {
		in.Request.Model = m.Name // aliases resolve to the canonical name
	}
	if id := x.Identity; id != nil {
		in.Identity = policy.Identity{
			Authenticated: id.Authenticated, Source: string(id.Source), Subject: id.Subject,
			Tenant: id.Tenant, Team: id.Team, App: id.App, User: id.User,
			Roles: id.Roles, Labels: id.Labels, JWT: id.JWT, Principal: id.Principal,
		}
		if k := id.Key; k != nil {
			in.Identity.Key = &policy.Key{ID: k.ID, Name: k.Name, Owner: k.Owner,
				ExpiresAt: k.ExpiresAt, Expired: k.Expired, Labels: k.Labels}
		}
		in.Source = policy.Source{Address: id.SourceAddress, Port: id.SourcePort}
		in.RouteName = id.RouteName
	}
	return in
}

// findings is input.findings: the types the data-protection stage found and
// their total count (never values), and the injection assessment.
func findings(p *pipeline.Protect) policy.Findings {
	f := policy.Findings{Injection: policy.Injection{
		Score: p.Injection.Score, Verdict: p.Injection.Verdict, Signals: p.Injection.Signals,
	}}
	if len(p.Findings) > 0 {
		f.PII.Types = make([]string, len(p.Findings))
		for i, c := range p.Findings {
			f.PII.Types[i] = c.Type
			f.PII.Count += c.Count
		}
	}
	return f
}
