package sluice.routing_test

import data.sluice.fixtures
import data.sluice.routing

# _route returns what routing makes of request: the route, the rule ids
# that shaped it, and the ids of its denials.
_route(request) := result if {
	result := {
		"route": routing.route,
		"applied": routing.applied,
		"deny": {denial.id | some denial in routing.deny},
	} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
}

_ask(model, changes) := object.union(fixtures.with_request({"request": {"model": model}}), changes)

test_requested_model_with_its_fallbacks if {
	_route(_ask("gpt-4o", {})) == {
		"route": {"fallback": [{"model": "claude-sonnet-4-5"}, {"model": "gpt-4o-mini"}]},
		"applied": {"fallback"},
		"deny": set(),
	}
}

test_plain_route if {
	_route(_ask("text-embedding-3-small", {"request": {"api": "embeddings"}})) == {
		"route": {},
		"applied": set(),
		"deny": set(),
	}
}

test_models_api_is_not_routed if {
	result := _route(_ask("", {"request": {"api": "models"}}))
	result.deny == set()
	not routing.routed with input as _ask("", {"request": {"api": "models"}})
}

test_no_model if {
	_route(_ask("", {})).deny == {"model_required"}
}

test_unknown_model if {
	denials := routing.deny with input as _ask("gpt-5", {}) with data.sluice.models as fixtures.models
	denials == {{"id": "unknown_model", "status": 403, "reason": "model gpt-5 does not exist"}}
}

test_requested_model_denied_with_every_reason if {
	request := _ask("gpt-4o", {"identity": {"team": "search"}, "time": {"weekday": "Sunday"}})
	_route(request).deny == {"team_model_allowlist", "business_hours"}
}

test_eu_tenant_gets_the_in_region_stand_in if {
	request := _ask("gpt-4o", {"identity": {"tenant": "euro"}})
	_route(request) == {
		"route": {"model": "gpt-4o-eu", "fallback": [{"model": "gpt-4o-mini-eu"}]},
		"applied": {"residency_route", "fallback"},
		"deny": set(),
	}
}

test_eu_tenant_without_a_stand_in_is_refused if {
	request := _ask("claude-sonnet-4-5", {"identity": {"tenant": "euro"}})
	_route(request).deny == {"tenant_model_allowlist", "data_residency"}
	also_allowed := object.union(fixtures.tenants, {"euro": {"models": []}})
	denials := routing.deny with input as request
		with data.sluice.tenants as also_allowed
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	denials == {{"id": "data_residency", "status": 403, "reason": "model claude-sonnet-4-5 is not served in region eu"}}
}

test_stand_in_must_be_usable_itself if {
	request := _ask("gpt-4o", {"identity": {"tenant": "euro"}, "time": {"weekday": "Sunday"}})
	_route(request).deny == {"business_hours", "data_residency"}
}

test_code_question_goes_to_the_code_model if {
	request := _ask("gpt-4o-mini", {"request": {"last_user_message": "Why does this Golang stack-trace mention a nil map?"}})
	_route(request) == {
		"route": {"model": "claude-sonnet-4-5"},
		"applied": {"keyword_route:code"},
		"deny": set(),
	}
}

test_keywords_match_whole_words if {
	request := _ask("gpt-4o-mini", {"request": {"last_user_message": "Is golangish a word? And c+ or c++?"}})
	_route(request).applied == {"keyword_route:code"}
	prose := _ask("gpt-4o-mini", {"request": {"last_user_message": "A stacked trace of golangs"}})
	_route(prose).route.split
}

test_keyword_rule_only_for_the_models_it_names if {
	request := _ask("gpt-4o", {"request": {"last_user_message": "reverse a linked list"}})
	_route(request).applied == {"fallback"}
}

test_keyword_rule_without_from_applies_to_every_model if {
	policy := json.patch(fixtures.policy, [{"op": "remove", "path": "/keyword_routes/0/from"}])
	request := _ask("gpt-4o", {"request": {"last_user_message": "reverse a linked list"}})
	route := routing.route with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
	route == {"model": "claude-sonnet-4-5"}
}

test_keyword_rule_needs_a_model_the_caller_may_use if {
	request := _ask("gpt-4o-mini", {"identity": {"team": "search"}, "request": {"last_user_message": "linked list in c++"}})
	_route(request).applied == set()
}

test_low_budget_downgrades if {
	request := _ask("gpt-4o", {"usage": {"budget": {"remaining_fraction": 0.05}}})
	_route(request) == {
		"route": {
			"split": [{"model": "gpt-4o-mini", "weight": 90}, {"model": "claude-sonnet-4-5", "weight": 10}],
			"sticky": "user",
		},
		"applied": {"budget_downgrade", "ab_split"},
		"deny": set(),
	}
}

test_enough_budget_no_downgrade if {
	request := _ask("gpt-4o", {"usage": {"budget": {"remaining_fraction": 0.1}}})
	not "budget_downgrade" in _route(request).applied
}

test_downgrade_stays_in_region if {
	request := _ask("gpt-4o", {"identity": {"tenant": "euro"}, "usage": {"budget": {"remaining_fraction": 0}}})
	_route(request).route == {"model": "gpt-4o-mini-eu"}
	_route(request).applied == {"residency_route", "budget_downgrade"}
}

test_in_house_pii_goes_to_the_pii_safe_model if {
	request := _ask("gpt-4o", {"findings": {"pii": {"types": ["MEDICAL_RECORD"], "count": 1}}})
	_route(request) == {
		"route": {"model": "llama-house"},
		"applied": {"pii_route"},
		"deny": set(),
	}
}

test_pii_safe_model_is_kept if {
	request := _ask("llama-house", {"findings": {"pii": {"types": ["MEDICAL_RECORD"], "count": 1}}})
	_route(request) == {"route": {}, "applied": set(), "deny": set()}
}

test_in_house_pii_never_splits_or_falls_back_elsewhere if {
	request := _ask("gpt-4o-mini", {"findings": {"pii": {"types": ["MEDICAL_RECORD"], "count": 1}}})
	_route(request).route == {"model": "llama-house"}
}

test_in_house_pii_without_a_safe_model_is_refused if {
	request := _ask("gpt-4o", {"identity": {"team": "search"}, "request": {"model": "mini"}})
	pii := object.union(request, {"request": {"model": "gpt-4o-mini"}, "findings": {"pii": {"types": ["MEDICAL_RECORD"], "count": 1}}})
	denials := routing.deny with input as pii
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	denials == {{
		"id": "pii_no_safe_model",
		"status": 403,
		"reason": "the request contains personal data that must stay in house, and no in-house model is available",
	}}
}

test_split_drops_targets_the_caller_may_not_use if {
	request := _ask("gpt-4o-mini", {"identity": {"team": "search"}})
	_route(request) == {"route": {}, "applied": set(), "deny": set()}
}

test_split_ignores_bad_weights if {
	policy := object.union(fixtures.policy, {"splits": {"gpt-4o-mini": {"targets": [
		{"model": "gpt-4o-mini", "weight": 1},
		{"model": "claude-sonnet-4-5", "weight": 0},
		{"model": "gpt-4o", "weight": 1.5},
		{"model": "text-embedding-3-small", "weight": "2"},
	]}}})
	route := routing.route with input as _ask("gpt-4o-mini", {})
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
	route == {}
}

test_tenant_can_turn_splits_off if {
	# Tenant lean may use both targets, but its override empties the split.
	tenants := object.union(fixtures.tenants, {"lean": {"models": []}})
	request := _ask("gpt-4o-mini", {"identity": {"tenant": "lean"}})
	route := routing.route with input as request
		with data.sluice.tenants as tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	route == {}
	acme := routing.route with input as _ask("gpt-4o-mini", {})
		with data.sluice.tenants as tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	count(acme.split) == 2
}

_sticky(sticky, changes) := result if {
	policy := object.union(fixtures.policy, {"splits": {"gpt-4o-mini": {"sticky": sticky}}})
	result := routing.sticky with input as _ask("gpt-4o-mini", changes)
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
}

test_sticky_from_the_split if {
	_sticky("session", {}) == "session"
	_sticky("tenant", {}) == "tenant"
	_sticky("", {}) == ""
	_sticky("nonsense", {}) == "user"
}

test_keyword_rule_shapes if {
	policy := object.union(fixtures.policy, {"keyword_routes": [
		{"name": "odd", "from": null, "model": "claude-sonnet-4-5", "keywords": ["linked list"]},
		{"name": "numbers", "from": [], "model": "claude-sonnet-4-5", "keywords": [42, "", "linked list"]},
	]})
	request := _ask("gpt-4o", {"request": {"last_user_message": "a linked list"}})
	applied := routing.applied with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
	applied == {"keyword_route:numbers"}
}

test_message_that_is_not_text if {
	request := _ask("gpt-4o-mini", {"request": {"last_user_message": null}})
	not "keyword_route:code" in _route(request).applied
}

test_low_budget_drops_costly_fallbacks if {
	request := _ask("gpt-4o", {"usage": {"budget": {"remaining_fraction": 0.05}}})
	policy := object.union(fixtures.policy, {"fallbacks": {"gpt-4o-mini": ["gpt-4o", "claude-sonnet-4-5"]}})
	route := routing.route with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
	route.fallback == [{"model": "claude-sonnet-4-5"}]
}

test_malformed_split_is_no_split if {
	policy := object.union(fixtures.policy, {"splits": {"gpt-4o-mini": ["gpt-4o-mini", "claude-sonnet-4-5"]}})
	route := routing.route with input as _ask("gpt-4o-mini", {})
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
	route == {}
}

# plain_model holds for a model that data routes nowhere else.
test_plain_model if {
	policy := fixtures.policy
	routing.plain_model("acme", "claude-sonnet-4-5") with data.sluice.models as fixtures.models
		with data.sluice.policy as policy
	not routing.plain_model("acme", "gpt-4o") with data.sluice.models as fixtures.models # fallbacks
		with data.sluice.policy as policy
	not routing.plain_model("acme", "gpt-4o-mini") with data.sluice.models as fixtures.models # a split and a keyword route
		with data.sluice.policy as policy
	not routing.plain_model("acme", "gpt-5") with data.sluice.models as fixtures.models # unknown
		with data.sluice.policy as policy
}

test_no_downgrade if {
	low := _ask("claude-sonnet-4-5", {"usage": {"budget": {"remaining_fraction": 0.05}}})
	routing.no_downgrade with input as low with data.sluice.policy as fixtures.policy # nothing cheaper
	routing.no_downgrade with input as _ask("gpt-4o", {}) with data.sluice.policy as fixtures.policy # budget not low
	not routing.no_downgrade with input as object.union(low, {"request": {"model": "gpt-4o"}})
		with data.sluice.policy as fixtures.policy
}
