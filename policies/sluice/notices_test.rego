package sluice_test

import data.sluice
import data.sluice.fixtures

_notices(policy, config) := notices if {
	notices := sluice.notices with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
		with data.sluice.config as config
}

test_consistent_data_needs_no_notice if {
	_notices(fixtures.policy, {}) == set()
}

test_development_flag_is_announced if {
	_notices(fixtures.policy, {"dev_anonymous_mock": true}) == {"development policy: anonymous callers may use the built-in mock model (data.sluice.config.dev_anonymous_mock)"}
}

test_missing_policy_data_is_announced if {
	_notices({}, {}) == {"reference policy: data.sluice.policy is missing, so every knob is at its built-in default"}
}

test_unknown_models_in_policy_data_are_announced if {
	policy := {
		"budget": {"cheaper": {"gpt-4o": "gpt-3"}},
		"fallbacks": {"gpt-4o": ["gpt-2"]},
		"splits": {"gpt-4o": {"targets": [{"model": "gpt-1", "weight": 1}]}},
		"keyword_routes": [{"model": "coder", "from": ["gpt-4o"], "keywords": ["code"]}],
		"residency": {"aliases": {"eu": {"gpt-4o": "gpt-4o-fr"}}},
		"tenants": {"acme": {"pii": {"safe_model": "llama-nowhere"}}},
	}
	_notices(policy, {}) == {
		"policy data data.sluice.policy.budget.cheaper names model \"gpt-3\", which is not configured",
		"policy data data.sluice.policy.fallbacks names model \"gpt-2\", which is not configured",
		"policy data data.sluice.policy.splits names model \"gpt-1\", which is not configured",
		"policy data data.sluice.policy.keyword_routes names model \"coder\", which is not configured",
		"policy data data.sluice.policy.residency.aliases names model \"gpt-4o-fr\", which is not configured",
		"policy data data.sluice.policy.tenants.acme.pii.safe_model names model \"llama-nowhere\", which is not configured",
	}
}

test_unknown_tenants_in_policy_data_are_announced if {
	_notices({"tenants": {"globex": {}}}, {}) == {"policy data data.sluice.policy.tenants names tenant \"globex\", which is not configured"}
}

test_unsafe_pii_model_is_announced if {
	_notices({"pii": {"safe_model": "gpt-4o"}}, {}) == {"policy data data.sluice.policy.pii.safe_model names model \"gpt-4o\", whose backend is not labelled pii_safe: \"true\""}
}

test_invalid_cidrs_are_announced if {
	policy := {
		"network": {"deny_cidrs": ["10.0.0.0/8", "10.0.0.0/33"]},
		"tenants": {"acme": {"network": {"allow_cidrs": [42]}}},
	}
	_notices(policy, {}) == {
		"policy data data.sluice.policy.network.deny_cidrs lists \"10.0.0.0/33\", which is not a CIDR and is ignored",
		"policy data data.sluice.policy.tenants.acme.network.allow_cidrs lists 42, which is not a CIDR and is ignored",
	}
}

test_malformed_lists_are_not_model_references if {
	policy := {
		"fallbacks": {"gpt-4o": null},
		"splits": {"gpt-4o": {"targets": null}},
		"keyword_routes": [{"model": "gpt-4o", "from": null}],
	}
	_notices(policy, {}) == set()
}

test_keywords_that_cannot_match_are_announced if {
	policy := {"keyword_routes": [{"model": "gpt-4o", "keywords": ["golang", "Stack Trace", "stack-trace", 7]}]}
	_notices(policy, {}) == {
		"policy data data.sluice.policy.keyword_routes lists keyword \"Stack Trace\", which can never match: write it in lower case, words separated by one space",
		"policy data data.sluice.policy.keyword_routes lists keyword \"stack-trace\", which can never match: write it in lower case, words separated by one space",
		"policy data data.sluice.policy.keyword_routes lists keyword 7, which can never match: write it in lower case, words separated by one space",
	}
}
