# METADATA
# description: |
#   Content: what earlier stages found in the request. PII of a blocked type
#   is refused; PII that may only be processed in house makes the routing
#   module keep the request on a PII-safe backend; a high prompt-injection
#   score is refused.
package sluice.content

import data.sluice.caller
import data.sluice.settings

# Types are compared in upper case so that data written as "email" still
# matches the EMAIL that the PII stage reports.
pii_types := {upper(name) |
	some name in object.get(input, ["findings", "pii", "types"], [])
	is_string(name)
}

# The loops run over what was found (usually nothing), not over the lists
# in data, so a long list costs nothing on a clean request. A list is
# upper-cased once, and only when something was found.
blocked_pii := {name | some name in pii_types; name in _block_types}

in_house_pii := {name | some name in pii_types; name in _in_house_types}

_block_types := types_of(caller.tenant, "block_types")

_in_house_types := types_of(caller.tenant, "in_house_types")

# types_of is a tenant's list of PII types, upper-cased once per tenant
# (see settings.overrides_of).
types_of(tenant, list) := {upper(entry) | some entry in settings.list_of(tenant, ["pii", list]); is_string(entry)}

needs_pii_safe if {
	some name in pii_types
	name in _in_house_types
}

# The reason names the types found, never the values, which Sluice does
# not pass to the policy anyway.
deny contains {
	"id": "pii_blocked",
	"status": 403,
	"reason": sprintf("the request contains personal data that may not be sent: %s", [concat(", ", sort(blocked_pii))]),
} if {
	some name in pii_types
	name in _block_types
}

# A tenant may have its own threshold; without one anywhere in data the
# check is off. The score itself is never echoed: it would help an
# attacker tune a prompt until it slips under the threshold.
deny contains {
	"id": "prompt_injection",
	"status": 403,
	"reason": "the request looks like a prompt-injection attempt",
} if {
	threshold := settings.value(["injection", "threshold"], null)
	is_number(threshold)
	input.findings.injection.score >= threshold
}
