package sluice_test

import data.sluice
import data.sluice.fixtures

_decide(request) := decision if {
	decision := sluice.decision with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
}

_decide_dev(request) := decision if {
	decision := sluice.decision with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
		with data.sluice.config as {"dev_anonymous_mock": true}
}

_models_api(identity) := object.union(fixtures.as_caller(identity), {"request": {"api": "models", "model": ""}})

test_allowed_call_with_its_route if {
	_decide(fixtures.request) == {
		"allow": true,
		"reasons": ["allow", "fallback"],
		"route": {"fallback": [{"model": "claude-sonnet-4-5"}, {"model": "gpt-4o-mini"}]},
	}
}

test_allowed_call_without_a_route if {
	request := fixtures.with_request({"request": {"model": "llama-house"}})
	_decide(request) == {"allow": true, "reasons": ["allow"]}
}

test_anonymous_is_refused_without_the_development_flag if {
	_decide(fixtures.as_caller(fixtures.anonymous)) == {
		"allow": false,
		"status": 401,
		"reason": "authentication required",
		"reasons": ["unauthenticated"],
	}
}

test_anonymous_may_use_the_mock_in_development if {
	request := object.union(fixtures.as_caller(fixtures.anonymous), {"request": {"model": "mock-gpt"}})
	_decide_dev(request) == {"allow": true, "reasons": ["allow"]}
}

test_anonymous_may_not_use_real_models_in_development if {
	_decide_dev(fixtures.as_caller(fixtures.anonymous)) == {
		"allow": false,
		"status": 401,
		"reason": "model gpt-4o requires authentication",
		"reasons": ["anonymous_mock_only"],
	}
}

test_anonymous_lists_only_mock_models_in_development if {
	_decide_dev(_models_api(fixtures.anonymous)) == {
		"allow": true,
		"reasons": ["allow"],
		"models": ["mock-embed", "mock-gpt"],
	}
}

test_models_api_lists_what_the_caller_may_use if {
	viewer := object.union(fixtures.request.identity, {"team": "search", "roles": ["viewer"]})
	_decide(_models_api(viewer)) == {
		"allow": true,
		"reasons": ["allow"],
		"models": ["gpt-4o-mini", "mock-gpt", "text-embedding-3-small"],
	}
}

test_expired_key if {
	request := fixtures.with_request({"identity": {"key": {"expired": true}}})
	_decide(request) == {"allow": false, "status": 401, "reason": "API key expired", "reasons": ["key_expired"]}
}

test_unauthenticated_caller_learns_nothing_else if {
	request := object.union(fixtures.as_caller(fixtures.anonymous), {
		"source": {"address": "203.0.113.9"},
		"request": {"model": "gpt-5"},
	})
	_decide(request).reasons == ["unauthenticated"]
}

test_the_first_stage_that_denies_decides if {
	request := fixtures.with_request({
		"source": {"address": "192.0.2.1"},
		"findings": {"pii": {"types": ["US_SSN"], "count": 1}},
	})
	_decide(request) == {
		"allow": false,
		"status": 403,
		"reason": "requests from this network address are not allowed",
		"reasons": ["ip_not_allowed"],
	}
}

test_every_reason_of_the_deciding_stage_is_recorded if {
	request := fixtures.with_request({
		"findings": {"pii": {"types": ["US_SSN"], "count": 1}, "injection": {"score": 0.99}},
	})
	_decide(request) == {
		"allow": false,
		"status": 403,
		"reason": "the request contains personal data that may not be sent: US_SSN",
		"reasons": ["pii_blocked", "prompt_injection"],
	}
}

test_access_rules_decide_before_content if {
	request := fixtures.with_request({
		"identity": {"roles": ["viewer"]},
		"findings": {"pii": {"types": ["US_SSN"], "count": 1}},
	})
	_decide(request) == {
		"allow": false,
		"status": 403,
		"reason": "role viewer may only list models",
		"reasons": ["role_list_only"],
	}
}

test_model_rules_decide_last if {
	request := fixtures.with_request({"identity": {"tenant": "lean"}})
	_decide(request) == {
		"allow": false,
		"status": 403,
		"reason": "model gpt-4o is not allowed for tenant lean",
		"reasons": ["tenant_model_allowlist"],
	}
}

test_default_deny_when_no_rule_allows if {
	request := fixtures.with_request({"request": {"model": "gpt-5"}})
	decision := sluice.decision with input as request
		with data.sluice.models as fixtures.models
		with data.sluice.routing.deny as set()
	decision == {
		"allow": false,
		"status": 403,
		"reason": "the request is not allowed by policy",
		"reasons": ["default_deny"],
	}
}

test_empty_input_is_refused if {
	decision := sluice.decision with input as {}
	decision.allow == false
	decision.status == 401
}

# Every knob of the wrong type: the policy must still decide, and deny
# nothing it would not deny without the knob, rather than raise an error.
_garbled := {
	"apis": "chat_completions",
	"roles": {"admin": "all_models", "viewer": null},
	"key_scopes": ["embeddings-only"],
	"network": {"allow_cidrs": "10.0.0.0/8", "deny_cidrs": [1, null, "not a cidr"]},
	"pii": {"block_types": "US_SSN", "in_house_types": [3], "safe_model": 5},
	"injection": {"threshold": "0.5"},
	"business_hours": {"model_labels": ["cost"], "days": "Monday", "start_hour": "7", "end_hour": null},
	"residency": {"regions": "eu", "aliases": ["gpt-4o"]},
	"budget": {"downgrade_below": "0.5", "cheaper": ["gpt-4o-mini"]},
	"keyword_routes": [7, "code", {"model": 1, "keywords": "golang", "from": "gpt-4o"}],
	"splits": {"gpt-4o": ["gpt-4o"], "gpt-4o-mini": {"targets": [null, 3, {"model": null}]}},
	"fallbacks": {"gpt-4o": "claude-sonnet-4-5"},
	"tenants": {"acme": "override", "lean": {"network": null}},
}

test_garbled_knobs_never_raise_an_error if {
	requests := [
		fixtures.request,
		fixtures.with_request({"request": {"model": "gpt-4o-mini", "last_user_message": "golang"}}),
		fixtures.with_request({"identity": {"tenant": "lean"}, "usage": {"budget": {"remaining_fraction": 0}}}),
		fixtures.with_request({"findings": {"pii": {"types": ["US_SSN", 3], "count": 2}}}),
		object.union(fixtures.request, {"request": {"api": "models", "model": ""}}),
	]
	decisions := [decision |
		some request in requests
		decision := sluice.decision with input as request
			with data.sluice.tenants as fixtures.tenants
			with data.sluice.models as fixtures.models
			with data.sluice.backends as fixtures.backends
			with data.sluice.policy as _garbled
	]
	count(decisions) == count(requests)
	notices := sluice.notices with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as _garbled
	count(notices) > 0
}
