// Package policies is Sluice's library of Rego policies: the reference
// policy set in sluice/ (what `make run` loads) and smaller standalone
// examples in examples/. Each policy set is a directory Sluice loads as
// policy.dir; docs/policy-reference.md is the contract they implement.
//
// The package holds no Go code, only tests: they run every _test.rego with
// OPA's test runner, hold rule coverage at 90% or more, check that every
// file is formatted as `opa fmt` would and compiles in strict mode, and
// evaluate the reference policy end to end on realistic inputs.
package policies
