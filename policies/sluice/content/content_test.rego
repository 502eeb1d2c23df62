package sluice.content_test

import data.sluice.content
import data.sluice.fixtures

_deny(request) := denials if {
	denials := content.deny with input as request with data.sluice.policy as fixtures.policy
}

test_clean_request_passes if {
	_deny(fixtures.request) == set()
}

test_blocked_pii_is_refused if {
	request := fixtures.with_request({"findings": {"pii": {"types": ["EMAIL", "US_SSN", "CREDIT_CARD"], "count": 3}}})
	_deny(request) == {{
		"id": "pii_blocked",
		"status": 403,
		"reason": "the request contains personal data that may not be sent: CREDIT_CARD, US_SSN",
	}}
}

test_pii_types_compare_case_insensitively if {
	request := fixtures.with_request({"findings": {"pii": {"types": ["us_ssn"], "count": 1}}})
	content.blocked_pii == {"US_SSN"} with input as request with data.sluice.policy as fixtures.policy
}

test_tenant_can_block_more_types if {
	policy := object.union(fixtures.policy, {"tenants": {"acme": {"pii": {"block_types": ["EMAIL"]}}}})
	request := fixtures.with_request({"findings": {"pii": {"types": ["EMAIL"], "count": 1}}})
	content.blocked_pii == {"EMAIL"} with input as request with data.sluice.policy as policy
}

test_in_house_pii_needs_a_safe_backend if {
	request := fixtures.with_request({"findings": {"pii": {"types": ["MEDICAL_RECORD"], "count": 1}}})
	content.needs_pii_safe with input as request with data.sluice.policy as fixtures.policy
	_deny(request) == set()
	not content.needs_pii_safe with input as fixtures.request with data.sluice.policy as fixtures.policy
}

test_injection_over_the_tenant_threshold_is_refused if {
	request := fixtures.with_request({"findings": {"injection": {"score": 0.5}}})
	_deny(request) == {{
		"id": "prompt_injection",
		"status": 403,
		"reason": "the request looks like a prompt-injection attempt",
	}}
}

test_injection_under_the_threshold_passes if {
	request := fixtures.with_request({"findings": {"injection": {"score": 0.49}}})
	_deny(request) == set()
}

test_global_threshold_for_tenants_without_their_own if {
	lean := fixtures.with_request({"identity": {"tenant": "lean"}, "findings": {"injection": {"score": 0.6}}})
	_deny(lean) == set()
	ids := {denial.id | some denial in _deny(object.union(lean, {"findings": {"injection": {"score": 0.8}}}))}
	ids == {"prompt_injection"}
}

test_no_threshold_no_check if {
	request := fixtures.with_request({"findings": {"injection": {"score": 1}}})
	count(content.deny) == 0 with input as request with data.sluice.policy as {}
}
