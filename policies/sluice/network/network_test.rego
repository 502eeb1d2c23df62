package sluice.network_test

import data.sluice.fixtures
import data.sluice.network

test_address_in_the_tenant_allow_list_passes if {
	denials := network.deny with input as fixtures.request with data.sluice.policy as fixtures.policy
	count(denials) == 0
}

test_address_outside_the_tenant_allow_list_is_denied if {
	request := fixtures.with_request({"source": {"address": "192.0.2.7"}})
	denials := network.deny with input as request with data.sluice.policy as fixtures.policy
	denials == {{
		"id": "ip_not_allowed",
		"status": 403,
		"reason": "requests from this network address are not allowed",
	}}
}

test_global_deny_list_applies_to_every_tenant if {
	request := fixtures.with_request({"identity": {"tenant": "lean"}, "source": {"address": "203.0.113.9"}})
	ids := {denial.id | some denial in network.deny} with input as request with data.sluice.policy as fixtures.policy
	ids == {"ip_denied"}
}

test_tenant_deny_list_adds_to_the_global_one if {
	policy := object.union(fixtures.policy, {"tenants": {"lean": {"network": {"deny_cidrs": ["198.51.100.0/24"]}}}})
	request := fixtures.with_request({"identity": {"tenant": "lean"}, "source": {"address": "198.51.100.1"}})
	network.deny_cidrs == {"203.0.113.0/24", "198.51.100.0/24"} with input as request with data.sluice.policy as policy
	ids := {denial.id | some denial in network.deny} with input as request with data.sluice.policy as policy
	ids == {"ip_denied"}
}

test_global_allow_list_and_tenant_allow_list_both_apply if {
	policy := object.union(fixtures.policy, {"network": {"allow_cidrs": ["10.1.0.0/16"]}})
	inside_both := fixtures.with_request({"source": {"address": "10.1.2.3"}})
	inside_tenant_only := fixtures.with_request({"source": {"address": "10.2.0.1"}})
	count(network.deny) == 0 with input as inside_both with data.sluice.policy as policy
	ids := {denial.id | some denial in network.deny} with input as inside_tenant_only with data.sluice.policy as policy
	ids == {"ip_not_allowed"}
}

test_ipv6_addresses if {
	policy := {"network": {"allow_cidrs": ["2001:db8::/32"]}}
	allowed := fixtures.with_request({"source": {"address": "2001:db8::1"}})
	denied := fixtures.with_request({"source": {"address": "2001:db9::1"}})
	count(network.deny) == 0 with input as allowed with data.sluice.policy as policy
	count(network.deny) == 1 with input as denied with data.sluice.policy as policy
}

test_unknown_address_is_denied_when_lists_apply if {
	request := json.remove(fixtures.request, ["source"])
	ids := {denial.id | some denial in network.deny} with input as request with data.sluice.policy as fixtures.policy
	ids == {"ip_unknown", "ip_not_allowed"}
}

test_no_lists_no_checks if {
	request := fixtures.with_request({"source": {"address": "not-an-ip"}})
	count(network.deny) == 0 with input as request with data.sluice.policy as {}
}
