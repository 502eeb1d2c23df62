# METADATA
# description: |
#   The reference policy's decision: data.sluice.decision, the document
#   Sluice obeys (see docs/policy-reference.md). It denies by default and
#   only allows a request that an admitted caller makes with no denial from
#   any module. The modules are consulted in a fixed order of stages; the
#   first stage that denies decides the status, the reason and the rule ids.
package sluice

import data.sluice.access
import data.sluice.authn
import data.sluice.caller
import data.sluice.content
import data.sluice.eligibility
import data.sluice.hours
import data.sluice.network
import data.sluice.routing

# Anything the rules below do not cover is refused.
default decision := {
	"allow": false,
	"status": 403,
	"reason": "the request is not allowed by policy",
	"reasons": ["default_deny"],
}

# Stages run from who is calling, to where from, to what they may do, to
# what the request contains, to where it can go. Authentication comes
# first so that an unauthenticated caller learns nothing else, and a later
# stage is not evaluated once an earlier one has denied.
_stage_denials := authn.deny if {
	authn.deny != set()
} else := network.deny if {
	network.deny != set()
} else := access.deny if {
	access.deny != set()
} else := content.deny if {
	content.deny != set()
} else := routing.deny if {
	routing.deny != set()
}

# The denial the client hears: the stage's first by id, for a stable
# answer when several rules of one stage match.
_primary := sort([[denial.id, denial.status, denial.reason] | some denial in _stage_denials])[0]

_other_ids := {denial.id | some denial in _stage_denials} - {_primary[0]}

# No stage denies. The stages are looked at in the same order, and none
# after the first that denies.
_clear if {
	authn.deny == set()
	network.deny == set()
	access.deny == set()
	content.deny == set()
	routing.deny == set()
}

# An allow needs positive grounds: an admitted caller, and no stage denied.
# Otherwise the first stage that denies decides. The common request is
# settled first, by _plain, without assembling the route.
decision := {"allow": true, "reasons": ["allow"]} if {
	_plain
} else := _allow if {
	_clear
} else := {
	"allow": false,
	"status": _primary[1],
	"reason": _primary[2],
	"reasons": array.concat([_primary[0]], [id | some id in _other_ids]),
} if {
	_stage_denials
}

# _plain is the common request: an authenticated caller, nothing found in
# the request, and a model it may use that no routing rule applies to. It
# implies _clear and the second branch of _allow (for such a request
# routing.untouched holds), so it decides exactly as they would, but
# checks less: what depends only on the caller's tenant, team, roles and
# key scope, the API and the model is one call of _plain_for, which Sluice
# computes once per combination (see settings.overrides_of).
_plain if {
	caller.authenticated
	not authn.key_expired
	content.deny == set()
	not content.needs_pii_safe
	routing.no_downgrade
	_plain_for(caller.tenant, caller.team, caller.roles, access.scopes, access.api, routing.requested, hours.lifted)
}

# _plain_for holds when, for such a caller, no network list is in force,
# access denies nothing, and the request names a model it may use that
# data routes nowhere else.
_plain_for(tenant, team, roles, scopes, api, model, hours_lifted) if {
	not network.lists_in_force_for(tenant)
	access.denials_for(tenant, roles, scopes, api, true) == set()
	api != "models"
	model != ""
	routing.plain_model(tenant, model)
	eligibility.usable_for(tenant, team, "all_models" in caller.capabilities_of(tenant, roles), true, hours_lifted, model)
} else := false

# The allow is the models list for GET /v1/models, else the route. Its
# reasons are allow followed by the routing rules that shaped the route,
# and route is left out when the request goes where it asked; a request no
# routing rule touched, the common case, is settled first.
_allow := {
	"allow": true,
	"reasons": ["allow"],
	"models": eligibility.models,
} if {
	authn.admitted
	access.api == "models"
} else := {
	"allow": true,
	"reasons": ["allow"],
} if {
	authn.admitted
	routing.routed
	routing.target
	routing.untouched
} else := {
	"allow": true,
	"reasons": array.concat(["allow"], sort(routing.applied)),
} if {
	authn.admitted
	routing.routed
	routing.target
	routing.route == {}
} else := {
	"allow": true,
	"reasons": array.concat(["allow"], sort(routing.applied)),
	"route": routing.route,
} if {
	authn.admitted
	routing.routed
	routing.target
}
