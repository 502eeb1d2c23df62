package sluice.residency_test

import data.sluice.fixtures
import data.sluice.residency

_euro := fixtures.with_request({"identity": {"tenant": "euro"}})

test_eu_tenant_is_held_to_eu_backends if {
	denied := {model | some model, _ in residency.model_deny} with input as _euro
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	denied == {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "claude-sonnet-4-5", "mock-gpt", "mock-embed"}
}

test_reason_names_the_region if {
	reasons := {denial.reason | some denial in residency.model_deny["gpt-4o"]} with input as _euro
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	reasons == {"model gpt-4o is not served in region eu"}
}

test_unlisted_region_is_not_enforced if {
	request := fixtures.with_request({"identity": {"tenant": "lean"}})
	not residency.enforced with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
}

test_tenant_override_cannot_switch_residency_off if {
	policy := object.union(fixtures.policy, {"tenants": {"euro": {"residency": {"regions": []}}}})
	residency.enforced with input as _euro
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as policy
}

test_stand_in if {
	residency.stand_in("gpt-4o") == "gpt-4o-eu" with input as _euro
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
	not residency.stand_in("claude-sonnet-4-5") with input as _euro
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
}
