package policyvm

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/compile"
	"github.com/open-policy-agent/opa/v1/ir"
)

// Plan compiles modules with OPA's planner for one entrypoint, a data path
// such as "sluice/decision", and returns the Program for it.
func Plan(ctx context.Context, modules map[string]*ast.Module, entrypoint string) (*Program, error) {
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	b := &bundle.Bundle{Data: map[string]any{}}
	for _, name := range names {
		// The build may rewrite what it is given; the caller's modules
		// stay as they are.
		m := modules[name].Copy()
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: name, Path: name, Parsed: m, Raw: []byte(m.String())})
	}
	c := compile.New().
		WithTarget(compile.TargetPlan).
		WithEntrypoints(entrypoint).
		WithPruneUnused(true).
		WithBundle(b)
	if err := c.Build(ctx); err != nil {
		return nil, fmt.Errorf("%w: planning %s: %w", ErrUnsupported, entrypoint, err)
	}
	out := c.Bundle()
	if len(out.PlanModules) != 1 {
		return nil, fmt.Errorf("%w: planning %s gave %d plans", ErrUnsupported, entrypoint, len(out.PlanModules))
	}
	var p ir.Policy
	if err := json.Unmarshal(out.PlanModules[0].Raw, &p); err != nil {
		return nil, fmt.Errorf("%w: reading the plan: %w", ErrUnsupported, err)
	}
	return Compile(&p, entrypoint)
}
