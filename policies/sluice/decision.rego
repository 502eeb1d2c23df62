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
# Otherwise the first stage that denies decides.
decision := _allow if {
	_clear
} else := {
	"allow": false,
	"status": _primary[1],
	"reason": _primary[2],
	"reasons": array.concat([_primary[0]], [id | some id in _other_ids]),
} if {
	_stage_denials
}

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
