package policy

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// state is everything an evaluation needs, swapped as one pointer: a
// request evaluates against exactly one policy, catalogue and data, even
// while a reload builds the next state.
type state struct {
	query   rego.PreparedEvalQuery
	vm      *policyvm.Instance // nil: evaluate query with the interpreter
	ids     *identities
	policy  *compiled
	names   names
	strings map[string]*ast.Term // see builder
	consts  *constCache
	notices []string
	// noticesErr is why data.sluice.notices could not be read.
	noticesErr error
}

// config is the configuration-derived part of data.sluice, already in AST
// form so a policy reload does not convert it again.
type config struct {
	catalogue catalogueAST
	data      *ast.Term
	names     names
}

func newConfig(c Catalogue, data map[string]any) (*config, error) {
	d, err := dataTerm(data)
	if err != nil {
		return nil, err
	}
	return &config{catalogue: c.toAST(), data: d, names: c.names()}, nil
}

func dataTerm(data map[string]any) (*ast.Term, error) {
	d, err := (&builder{}).anyMap(data)
	if err != nil {
		return nil, fmt.Errorf("policy: data.sluice.config: %w", err)
	}
	return d, nil
}

// withCatalogue returns a copy of cfg with c in place of its catalogue.
func (cfg config) withCatalogue(c Catalogue) *config {
	cfg.catalogue = c.toAST()
	cfg.names = c.names()
	return &cfg
}

// build makes a store holding the policy's data and the configuration, and
// prepares the decision and notices queries against it. The store is read
// as AST values, so evaluations never convert data.
func build(ctx context.Context, query string, p *compiled, cfg *config, plan func(*compiled) *policyvm.Program, memo int) (*state, error) {
	root := ast.NewObject()
	sluice := ast.NewObject()
	p.data.Foreach(func(k, v *ast.Term) {
		if obj, ok := v.Value.(ast.Object); ok && k.Equal(kSluice) {
			obj.Foreach(sluice.Insert)
			return
		}
		root.Insert(k, v)
	})
	sluice.Insert(kTenants, cfg.catalogue.tenants)
	sluice.Insert(kModels, cfg.catalogue.models)
	sluice.Insert(kBackends, cfg.catalogue.backends)
	sluice.Insert(kConfig, cfg.data)
	root.Insert(kSluice, ast.NewTerm(sluice))
	store := inmem.NewFromASTObject(root)

	pq, err := prepare(ctx, query, p, store)
	if err != nil {
		return nil, err
	}
	st := &state{query: pq, policy: p, names: cfg.names, strings: cfg.catalogue.strings, consts: newConstCache(p.consts), ids: &identities{}}
	if prog := plan(p); prog != nil {
		st.vm = prog.Instance(ast.NewTerm(root))
		st.vm.RememberResults(memo)
	}
	notices, err := prepare(ctx, noticesQuery, p, store)
	if err != nil {
		return nil, err
	}
	// A broken notice is reported, but does not stop the policy serving.
	st.notices, st.noticesErr = evalNotices(ctx, notices)
	return st, nil
}

func prepare(ctx context.Context, query string, p *compiled, store storage.Store) (rego.PreparedEvalQuery, error) {
	body, err := ast.ParseBody(query)
	if err != nil {
		return rego.PreparedEvalQuery{}, fmt.Errorf("query %s: %w", query, err)
	}
	r := rego.New(
		rego.ParsedQuery(body),
		rego.Compiler(p.compiler),
		rego.Store(store),
	)
	return r.PrepareForEval(ctx)
}

// evalNotices reads data.sluice.notices: undefined, or a set or array of
// strings the operator should see (the development policy uses it to say
// that anonymous callers may use the mock model).
func evalNotices(ctx context.Context, pq rego.PreparedEvalQuery) ([]string, error) {
	rs, err := pq.Eval(ctx, rego.EvalMetrics(metrics.NoOp()), rego.EvalGenerateJSON(asTerm))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", noticesQuery, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	t, _ := rs[0].Expressions[0].Value.(*ast.Term)
	if t == nil {
		return nil, nil
	}
	notices, err := stringList(t, "notices")
	if err != nil {
		return nil, fmt.Errorf("%s: want a set or array of strings, got %s", noticesQuery, ast.ValueName(t.Value))
	}
	return notices, nil
}

// asTerm keeps a result as the AST term it is: the decision is read from
// the term directly, without OPA first converting it to Go maps.
func asTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }
