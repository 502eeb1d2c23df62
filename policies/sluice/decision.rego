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
import data.sluice.content
import data.sluice.eligibility
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
	count(authn.deny) > 0
} else := network.deny if {
	count(network.deny) > 0
} else := access.deny if {
	count(access.deny) > 0
} else := content.deny if {
	count(content.deny) > 0
} else := routing.deny if {
	count(routing.deny) > 0
}

# The denial the client hears: the stage's first by id, for a stable
# answer when several rules of one stage match.
_primary := sort([[denial.id, denial.status, denial.reason] | some denial in _stage_denials])[0]

decision := {
	"allow": false,
	"status": _primary[1],
	"reason": _primary[2],
	"reasons": array.concat([_primary[0]], [id | some id in _other_ids]),
}

_other_ids := {denial.id | some denial in _stage_denials} - {_primary[0]}

# An allow needs positive grounds: an admitted caller, and no stage denied.
_clear if {
	authn.admitted
	not _stage_denials
}

decision := {
	"allow": true,
	"reasons": ["allow"],
	"models": eligibility.models,
} if {
	_clear
	access.api == "models"
}

decision := object.union(
	{
		"allow": true,
		"reasons": array.concat(["allow"], sort(routing.applied)),
	},
	_route_part,
) if {
	_clear
	routing.routed
	routing.target
}

_route_part := {"route": routing.route} if {
	count(routing.route) > 0
} else := {}
