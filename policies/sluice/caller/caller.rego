# METADATA
# description: |
#   Who is calling: the identity Sluice verified, normalised into the facts
#   the other modules reason about. Nothing here denies.
package sluice.caller

import data.sluice.settings

# Missing identity fields read as empty, so a partial input can never make
# a rule error out; it can only fail to match.
tenant := object.get(input, ["identity", "tenant"], "")

team := object.get(input, ["identity", "team"], "")

authenticated if input.identity.authenticated == true

# Only the explicit anonymous source counts: an unauthenticated input with
# any other source is malformed and gets no development allowance.
anonymous if {
	not authenticated
	input.identity.source == "anonymous"
}

# Go encodes an empty map or slice as null, so every object read here
# tolerates null (and any other stray type) as empty.
_object(value) := value if is_object(value)

else := {}

default tenant_record := {}

tenant_record := record if {
	record := data.sluice.tenants[tenant]
	is_object(record)
}

known_tenant if data.sluice.tenants[tenant]

default team_record := {}

team_record := record if {
	record := tenant_record.teams[team]
	is_object(record)
}

# The key's labels win over the identity's, because they were set by
# whoever issued the key and describe what it was issued for.
labels := object.union(
	_object(object.get(input, ["identity", "labels"], {})),
	_object(object.get(input, ["identity", "key", "labels"], {})),
)

# scope is labels.scope, read without building labels: the key's scope
# label, else the identity's. Only when the key's scope is an object could
# the two merge, and then it is read from labels.
scope := labels.scope if {
	is_object(input.identity.key.labels.scope)
} else := value if {
	value := input.identity.key.labels.scope
} else := input.identity.labels.scope

# Roles can come from a tenant's own identity provider (a JWT claim), so a
# tenant that lists its roles only gets those honoured: its IdP cannot
# mint a role the platform never granted it. What roles grant depends on
# the tenant and the roles alone, so these are functions of both, which
# Sluice computes once per combination (see settings.overrides_of).
roles := roles_of(tenant, object.get(input, ["identity", "roles"], []))

roles_of(tenant, given) := {role |
	some role in given
	is_string(role)
	role in object.get(data.sluice.tenants, [tenant, "roles"], [])
} if {
	_lists_roles(tenant)
} else := {role |
	some role in given
	is_string(role)
}

_lists_roles(tenant) if {
	record := data.sluice.tenants[tenant]
	is_object(record)
	some role in object.get(record, "roles", [])
	is_string(role)
} else := false

# capabilities are what the caller's roles grant, from the roles knob
# (for example admin: all_models, any_hour; viewer: list_only).
capabilities := capabilities_of(tenant, roles)

capabilities_of(tenant, roles) := {cap | some role in roles; some cap in settings.list_of(tenant, ["roles", role])}

# Roles add up: a caller is list-only when it holds roles and every one of
# them is a list-only role. A caller with no roles is an ordinary caller.
list_only if list_only_of(tenant, roles)

list_only_of(tenant, roles) if {
	count(roles) > 0
	every role in roles {
		"list_only" in settings.list_of(tenant, ["roles", role])
	}
} else := false
