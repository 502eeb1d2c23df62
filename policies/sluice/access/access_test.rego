package sluice.access_test

import data.sluice.access
import data.sluice.fixtures

_deny_ids(request) := ids if {
	ids := {denial.id | some denial in access.deny} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.policy as fixtures.policy
}

# _model_deny_ids maps each model this request's caller may not use to the
# ids of the rules that say so.
_model_deny_ids(request) := result if {
	result := {model: {denial.id | some denial in denials} | some model, denials in access.model_deny} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
}

test_ordinary_call_passes if {
	_deny_ids(fixtures.request) == set()
}

test_unknown_api_is_refused if {
	request := fixtures.with_request({"request": {"api": "images"}})
	_deny_ids(request) == {"api_not_enabled"}
}

test_apis_knob_replaces_the_default if {
	policy := object.union(fixtures.policy, {"apis": ["embeddings"]})
	ids := {denial.id | some denial in access.deny} with input as fixtures.request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as policy
	ids == {"api_not_enabled"}
}

test_caller_outside_every_tenant_is_refused if {
	_deny_ids(fixtures.with_request({"identity": {"tenant": "nobody"}})) == {"unknown_tenant"}
}

test_no_tenants_configured_no_tenant_needed if {
	request := fixtures.with_request({"identity": {"tenant": ""}})
	ids := {denial.id | some denial in access.deny} with input as request
		with data.sluice.tenants as {}
		with data.sluice.policy as fixtures.policy
	ids == set()
}

test_viewer_may_only_list_models if {
	viewer := fixtures.with_request({"identity": {"roles": ["viewer"]}})
	denials := access.deny with input as viewer
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
	denials == {{"id": "role_list_only", "status": 403, "reason": "role viewer may only list models"}}
	_deny_ids(json.patch(viewer, [{"op": "replace", "path": "/request/api", "value": "models"}])) == set()
}

test_embeddings_only_key if {
	key := fixtures.with_request({"identity": {"key": {"labels": {"scope": "embeddings-only"}}}})
	denials := access.deny with input as key
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
	denials == {{
		"id": "key_scope",
		"status": 403,
		"reason": "the API key's scope \"embeddings-only\" does not allow the chat_completions API",
	}}
	_deny_ids(object.union(key, {"request": {"api": "embeddings"}})) == set()
	_deny_ids(object.union(key, {"request": {"api": "models"}})) == set()
}

test_unknown_scope_allows_nothing if {
	request := fixtures.with_request({"identity": {"key": {"labels": {"scope": "embedings-only"}}}})
	_deny_ids(request) == {"key_scope"}
	_deny_ids(object.union(request, {"request": {"api": "models"}})) == {"key_scope"}
}

test_unrestricted_caller_may_use_every_model if {
	_model_deny_ids(fixtures.request) == {}
}

test_team_allowlist if {
	request := fixtures.with_request({"identity": {"team": "search"}})
	denied := _model_deny_ids(request)
	object.keys(denied) == {"gpt-4o", "gpt-4o-eu", "gpt-4o-mini-eu", "claude-sonnet-4-5", "llama-house", "mock-embed"}
	denied["gpt-4o"] == {"team_model_allowlist"}
}

test_team_allowlist_reason if {
	request := fixtures.with_request({"identity": {"team": "search"}})
	reasons := {denial.reason | some denial in access.model_deny["gpt-4o"]} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.policy as fixtures.policy
	reasons == {"model gpt-4o is not allowed for team search"}
}

test_admin_is_not_held_to_the_team_allowlist if {
	request := fixtures.with_request({"identity": {"team": "search", "roles": ["admin"]}})
	_model_deny_ids(request) == {}
}

test_tenant_allowlist_binds_admins_too if {
	request := fixtures.with_request({"identity": {"tenant": "lean", "roles": ["admin"]}})
	denied := _model_deny_ids(request)
	denied["gpt-4o"] == {"tenant_model_allowlist"}
	not denied["gpt-4o-mini"]
	not denied["text-embedding-3-small"]
}

test_tenant_allowlist_reason if {
	request := fixtures.with_request({"identity": {"tenant": "lean"}})
	reasons := {denial.reason | some denial in access.model_deny["gpt-4o"]} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.policy as fixtures.policy
	reasons == {"model gpt-4o is not allowed for tenant lean"}
}

test_anonymous_callers_get_mock_models_only if {
	denied := _model_deny_ids(fixtures.as_caller(fixtures.anonymous))
	not denied["mock-gpt"]
	not denied["mock-embed"]
	denied["gpt-4o"] == {"anonymous_mock_only"}
	count(denied) == count(fixtures.models) - 2
}
