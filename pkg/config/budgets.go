package config

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/pricing"
)

// BudgetWebhook is where budget crossings are POSTed.
type BudgetWebhook struct {
	URL string
	// BearerTokenEnv names the variable holding the token, or "".
	BearerTokenEnv string
	// BearerToken is read from BearerTokenEnv when secrets are resolved. It
	// is a secret: never log it.
	BearerToken string
	Headers     map[string]string
}

func validateBudgets(cfg *configv1.Config, tenants tenantTeams, p *problems) {
	first := map[string]string{}
	for i, b := range cfg.GetBudgets() {
		path := index("budgets", i)
		switch name := b.GetName(); {
		case name == "":
			p.add(join(path, "name"), "is required")
		case !tenantName.MatchString(name):
			p.add(join(path, "name"), "invalid budget name %q: letters, digits, '_', '.' and '-', at most 63", name)
		case first[name] != "":
			p.add(join(path, "name"), "duplicate budget name %q (first defined at %s)", name, first[name])
		default:
			first[name] = path
		}
		validateBudgetScope(b, path, tenants, p)
		validateBudgetPeriod(b, path, p)
		if lim, err := pricing.ParseMicros(b.GetLimit()); b.GetLimit() == "" {
			p.add(join(path, "limit"), `is required: decimal US dollars such as "500.00"`)
		} else if err != nil {
			p.add(join(path, "limit"), "%v", err)
		} else if lim <= 0 {
			p.add(join(path, "limit"), "must be more than 0")
		}
		switch a := budget.Action(b.GetOnExceed()); a {
		case "", budget.Block, budget.Downgrade, budget.Alert:
		default:
			p.add(join(path, "on_exceed"), "want block, downgrade or alert, got %q", a)
		}
	}
	validateWebhook(cfg.GetBudgetWebhook(), len(cfg.GetBudgets()) > 0, p)
}

func validateBudgetScope(b *configv1.Budget, path string, tenants tenantTeams, p *problems) {
	kind := budget.Kind(b.GetScope())
	switch kind {
	case budget.Tenant, budget.Team, budget.Key, budget.User:
	default:
		p.add(join(path, "scope"), "want tenant, team, key or user, got %q", b.GetScope())
		return
	}
	id := b.GetId()
	switch {
	case id == "":
		p.add(join(path, "id"), `is required: the %s, or "*" for each %s separately`, kind, kind)
	case id == budget.Each:
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		p.add(join(path, "id"), "invalid id %q: spaces and control characters are not allowed", id)
	case kind == budget.Tenant && tenants != nil && tenants[id] == nil:
		p.add(join(path, "id"), "unknown tenant %q", id)
	case kind == budget.Team && tenants != nil:
		tenant, team, ok := strings.Cut(id, "/")
		switch {
		case !ok:
			p.add(join(path, "id"), `want "<tenant>/<team>", got %q`, id)
		case tenants[tenant] == nil:
			p.add(join(path, "id"), "unknown tenant %q", tenant)
		case !tenants[tenant][team]:
			p.add(join(path, "id"), "unknown team %q of tenant %q", team, tenant)
		}
	}
}

func validateBudgetPeriod(b *configv1.Budget, path string, p *problems) {
	switch budget.PeriodKind(b.GetPeriod()) {
	case budget.Daily, budget.Monthly:
		if b.GetEvery() != nil {
			p.add(join(path, "every"), "is used only with period: window")
		}
		if b.GetAnchor() != nil {
			p.add(join(path, "anchor"), "is used only with period: window")
		}
	case budget.Window:
		every := checkPositive(b.GetEvery(), join(path, "every"), p)
		switch {
		case b.GetEvery() == nil:
			p.add(join(path, "every"), `is required with period: window, such as "168h"`)
		case every > 0 && every < time.Second:
			p.add(join(path, "every"), "must be at least 1s, got %s", every)
		}
	case "":
		p.add(join(path, "period"), "is required: daily, monthly or window")
	default:
		p.add(join(path, "period"), "want daily, monthly or window, got %q", b.GetPeriod())
	}
}

// validateWebhook never echoes the URL: it might carry credentials.
func validateWebhook(w *configv1.BudgetWebhook, budgets bool, p *problems) {
	if w == nil {
		return
	}
	if !budgets {
		p.add("budget_webhook", "has no effect without budgets")
	}
	u, err := url.Parse(w.GetUrl())
	switch {
	case w.GetUrl() == "":
		p.add("budget_webhook.url", "is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("budget_webhook.url", `want an http or https URL such as "https://ops.example/hooks/budget"`)
	case u.User != nil:
		p.add("budget_webhook.url", "must not carry credentials; name the token's environment variable in bearer_token_env")
	}
	checkEnvName(w.GetBearerTokenEnv(), "budget_webhook.bearer_token_env", p)
	names := slices.Sorted(maps.Keys(w.GetHeaders()))
	for _, k := range names {
		v, path := w.GetHeaders()[k], join("budget_webhook.headers", k)
		switch {
		case !headerName.MatchString(k):
			p.add(path, "invalid header name: want a lower-case HTTP header name")
		case k == "authorization" || k == "proxy-authorization" || k == "cookie":
			p.add(path, "carries a secret: name the token's environment variable in bearer_token_env instead")
		case strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			p.add(path, "header value must be printable")
		}
	}
}

// buildBudgets converts validated budgets; amounts were checked, so the
// parse cannot fail.
func buildBudgets(cfg *configv1.Config) []budget.Budget {
	out := make([]budget.Budget, 0, len(cfg.GetBudgets()))
	for _, b := range cfg.GetBudgets() {
		lim, _ := pricing.ParseMicros(b.GetLimit())
		bb := budget.Budget{
			Name:        b.GetName(),
			Scope:       budget.Scope{Kind: budget.Kind(b.GetScope()), ID: b.GetId()},
			Period:      budget.Period{Kind: budget.PeriodKind(b.GetPeriod())},
			LimitMicros: lim,
			OnExceed:    budget.Action(b.GetOnExceed()),
		}
		if bb.OnExceed == "" {
			bb.OnExceed = budget.Block
		}
		if e := b.GetEvery(); e != nil {
			bb.Period.Every = e.AsDuration()
		}
		if a := b.GetAnchor(); a != nil {
			bb.Period.Anchor = a.AsTime()
		}
		out = append(out, bb)
	}
	return out
}

func buildWebhook(w *configv1.BudgetWebhook) *BudgetWebhook {
	if w == nil {
		return nil
	}
	return &BudgetWebhook{URL: w.GetUrl(), BearerTokenEnv: w.GetBearerTokenEnv(), Headers: w.GetHeaders()}
}
