package sluice.eligibility_test

import data.sluice.eligibility
import data.sluice.fixtures

_models(request) := models if {
	models := eligibility.models with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
}

test_every_model_for_an_unrestricted_caller if {
	_models(fixtures.request) == [
		"claude-sonnet-4-5", "gpt-4o", "gpt-4o-eu", "gpt-4o-mini", "gpt-4o-mini-eu",
		"llama-house", "mock-embed", "mock-gpt", "text-embedding-3-small",
	]
}

test_every_rule_narrows_the_list if {
	# Team allowlist (by alias), tenant region and the business hours all apply.
	search_at_night := fixtures.with_request({"identity": {"team": "search"}, "time": {"weekday": "Sunday"}})
	_models(search_at_night) == ["gpt-4o-mini", "mock-gpt", "text-embedding-3-small"]
	euro := fixtures.with_request({"identity": {"tenant": "euro"}})
	_models(euro) == ["gpt-4o-eu", "gpt-4o-mini-eu", "llama-house"]
}

test_denials_collect_every_reason if {
	request := fixtures.with_request({"identity": {"tenant": "euro"}, "time": {"weekday": "Sunday"}})
	ids := {denial.id | some denial in eligibility.denials_of("gpt-4o")} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	ids == {"business_hours", "data_residency"}
}

test_unknown_model_is_not_usable if {
	not eligibility.usable("gpt-5") with input as fixtures.request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.policy as fixtures.policy
}
