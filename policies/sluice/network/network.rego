# METADATA
# description: |
#   Network: IP allow and deny lists (CIDRs) from data.sluice.policy.network,
#   globally and per tenant. A tenant's lists only narrow access: a tenant
#   deny list adds to the global one, and a tenant allow list must match in
#   addition to the global one.
package sluice.network

import data.sluice.caller
import data.sluice.settings

address := object.get(input, ["source", "address"], "")

_global := settings.global(["network"], {})

_tenant := settings.tenant(["network"], {})

_global_deny := _list(_global, "deny_cidrs")

_tenant_deny := _list(_tenant, "deny_cidrs")

_global_allow := _list(_global, "allow_cidrs")

_tenant_allow := _list(_tenant, "allow_cidrs")

_list(knobs, name) := list if {
	list := knobs[name]
	is_array(list)
} else := []

# Most deployments set no list at all; then nothing below is evaluated.
# Whether a tenant has a list in force depends on data alone, so Sluice
# works it out once per tenant, and a request with no list in force costs
# one lookup.
_lists_in_force if lists_in_force_for(caller.tenant)

lists_in_force_for(tenant) if {
	some knobs in [object.get(settings.policy, "network", {}), object.get(settings.overrides_of(tenant), "network", {})]
	some name in ["deny_cidrs", "allow_cidrs"]
	list := knobs[name]
	is_array(list)
	count(list) > 0
} else := false

# An entry that is not a valid CIDR is skipped (and reported as a notice
# at load time) rather than failing every request.
_cidrs(list) := {cidr | some cidr in list; valid_cidr(cidr)}

valid_cidr(cidr) if {
	is_string(cidr)
	net.cidr_is_valid(cidr)
}

deny_cidrs := _cidrs(_global_deny) | _cidrs(_tenant_deny)

_allow_lists contains cidrs if {
	some list in [_global_allow, _tenant_allow]
	cidrs := _cidrs(list)
	count(cidrs) > 0
}

# An address is checked against a list only once it is known to be one:
# net.cidr_contains raises an error on anything else. Any IPv4 or IPv6
# address followed by /32 is a valid CIDR; nothing else is.
valid_address if net.cidr_is_valid(sprintf("%v/32", [address]))

_in_any(cidrs) if {
	valid_address
	some cidr in cidrs
	net.cidr_contains(cidr, address)
}

deny contains denial if {
	_lists_in_force
	some denial in _denials
}

# The reasons do not echo the lists: which ranges are trusted is nobody's
# business outside the platform team.
_denials contains {
	"id": "ip_denied",
	"status": 403,
	"reason": "requests from this network address are not allowed",
} if {
	_in_any(deny_cidrs)
}

_denials contains {
	"id": "ip_not_allowed",
	"status": 403,
	"reason": "requests from this network address are not allowed",
} if {
	some cidrs in _allow_lists
	not _in_any(cidrs)
}

# With any list in force, an address that is missing or does not parse
# cannot be checked against it, so it is refused.
_denials contains {
	"id": "ip_unknown",
	"status": 403,
	"reason": "the client network address is unknown",
} if {
	not valid_address
}
