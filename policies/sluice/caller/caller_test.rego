package sluice.caller_test

import data.sluice.caller
import data.sluice.fixtures

_facts(identity) := facts if {
	facts := {
		"tenant": caller.tenant,
		"team": caller.team,
		"roles": caller.roles,
		"capabilities": caller.capabilities,
	} with input as fixtures.as_caller(identity)
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
}

test_developer_facts if {
	facts := _facts(fixtures.request.identity)
	facts == {
		"tenant": "acme",
		"team": "research",
		"roles": {"developer"},
		"capabilities": set(),
	}
}

test_missing_fields_read_as_empty if {
	facts := _facts({"authenticated": true, "source": "jwt"})
	facts == {"tenant": "", "team": "", "roles": set(), "capabilities": set()}
}

test_admin_capabilities if {
	facts := _facts(object.union(fixtures.request.identity, {"roles": ["admin"]}))
	facts.capabilities == {"all_models", "any_hour"}
}

test_tenant_ignores_roles_it_does_not_grant if {
	identity := object.union(fixtures.request.identity, {"tenant": "euro", "roles": ["admin", "viewer"]})
	facts := _facts(identity)
	facts.roles == {"viewer"}
	facts.capabilities == {"list_only"}
}

test_list_only_when_every_role_is_list_only if {
	caller.list_only with input as fixtures.with_request({"identity": {"roles": ["viewer"]}})
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
}

test_roles_add_up if {
	not caller.list_only with input as fixtures.with_request({"identity": {"roles": ["viewer", "developer"]}})
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
}

test_no_roles_is_not_list_only if {
	not caller.list_only with input as fixtures.with_request({"identity": {"roles": []}})
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.policy as fixtures.policy
}

test_key_labels_win_over_identity_labels if {
	request := fixtures.with_request({"identity": {
		"labels": {"scope": "all", "env": "prod"},
		"key": {"labels": {"scope": "embeddings-only"}},
	}})
	caller.labels == {"scope": "embeddings-only", "env": "prod"} with input as request
}

test_anonymous_needs_the_anonymous_source if {
	caller.anonymous with input as fixtures.as_caller(fixtures.anonymous)
	not caller.anonymous with input as fixtures.as_caller({"authenticated": false, "source": "header"})
	not caller.anonymous with input as fixtures.request
}

test_unknown_tenant_has_no_record if {
	request := fixtures.with_request({"identity": {"tenant": "nobody"}})
	not caller.known_tenant with input as request with data.sluice.tenants as fixtures.tenants
	caller.tenant_record == {} with input as request with data.sluice.tenants as fixtures.tenants
	caller.team_record == {} with input as request with data.sluice.tenants as fixtures.tenants
}

test_null_fields_read_as_empty if {
	request := fixtures.with_request({"identity": {"labels": null, "roles": null, "key": {"labels": null}}})
	caller.labels == {} with input as request
	caller.roles == set() with input as request with data.sluice.tenants as fixtures.tenants
	tenants := {"acme": {"models": null, "roles": null, "teams": null}}
	caller.team_record == {} with input as request with data.sluice.tenants as tenants
}
