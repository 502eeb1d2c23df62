package sluice.settings_test

import data.sluice.fixtures
import data.sluice.settings

test_value_prefers_the_tenant_override if {
	settings.value(["injection", "threshold"], null) == 0.5 with input as fixtures.request
		with data.sluice.policy as fixtures.policy
}

test_value_falls_back_to_the_global_knob if {
	request := fixtures.with_request({"identity": {"tenant": "lean"}})
	settings.value(["injection", "threshold"], null) == 0.8 with input as request
		with data.sluice.policy as fixtures.policy
}

test_value_falls_back_to_the_default if {
	settings.value(["no", "such", "knob"], "fallback") == "fallback" with input as fixtures.request
		with data.sluice.policy as fixtures.policy
}

test_global_ignores_tenant_overrides if {
	settings.global(["injection", "threshold"], null) == 0.8 with input as fixtures.request
		with data.sluice.policy as fixtures.policy
}

test_tenant_reads_only_overrides if {
	settings.tenant(["network", "allow_cidrs"], []) == ["10.0.0.0/8"] with input as fixtures.request
		with data.sluice.policy as fixtures.policy
	settings.tenant(["network", "deny_cidrs"], []) == [] with input as fixtures.request
		with data.sluice.policy as fixtures.policy
}

test_malformed_policy_data_is_ignored if {
	settings.policy == {} with data.sluice.policy as ["not", "an", "object"]
	settings.value(["injection", "threshold"], 1) == 1 with input as fixtures.request
		with data.sluice.policy as "nonsense"
}

test_lists_tolerate_other_types if {
	policy := {"apis": null, "network": {"deny_cidrs": "10.0.0.0/8"}, "tenants": {"acme": {"network": {"allow_cidrs": {}}}}}
	settings.list(["apis"]) == [] with input as fixtures.request with data.sluice.policy as policy
	settings.list(["network", "deny_cidrs"]) == [] with input as fixtures.request with data.sluice.policy as policy
	settings.list(["network", "allow_cidrs"]) == [] with input as fixtures.request with data.sluice.policy as policy
	settings.list(["roles", "admin"]) == ["all_models", "any_hour"] with input as fixtures.request
		with data.sluice.policy as fixtures.policy
}
