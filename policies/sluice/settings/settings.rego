# METADATA
# description: |
#   The reference policy's own knobs, from data.sluice.policy (data.json).
#   Every threshold and list lives there, so a security team tunes the
#   policy by editing data, not Rego. A tenant entry under
#   data.sluice.policy.tenants overrides global knobs for that tenant's
#   callers only, knob by knob.
package sluice.settings

import data.sluice.caller

# An absent or malformed data file leaves every knob at its fallback, and
# rules that need a knob stay dormant rather than failing the evaluation.
default policy := {}

policy := data.sluice.policy if is_object(data.sluice.policy)

# overrides are the caller's tenant's knobs, {} when it has none.
overrides := overrides_of(caller.tenant)

# The functions named *_of take the tenant as an argument instead of
# reading it from the input. Their value then depends on data alone, so
# Sluice computes each one once per tenant and policy version and reuses
# it across requests (see "Constant rules" in docs/policy-reference.md);
# the caller-facing forms below just pass the caller's tenant.
overrides_of(tenant) := entry if {
	entry := policy.tenants[tenant]
	is_object(entry)
} else := {}

# global returns the knob at path, ignoring tenant overrides. Rules use it
# for knobs a tenant must not relax (for example the residency regions).
global(path, fallback) := object.get(policy, path, fallback)

# tenant returns the caller's tenant override at path, or fallback.
tenant(path, fallback) := object.get(overrides, path, fallback)

# value returns the knob at path for this caller: the tenant's override
# when it sets that path, else the global knob, else fallback. Rules read
# knobs at their full path, so an override replaces exactly one knob.
value(path, fallback) := value_of(caller.tenant, path, fallback)

value_of(tenant, path, fallback) := object.get(overrides_of(tenant), path, object.get(policy, path, fallback))

# list is value for knobs that hold a list: anything else (a null from a
# half-written file, say) reads as the empty list instead of raising a
# type error in the middle of a decision.
list(path) := list_of(caller.tenant, path)

list_of(tenant, path) := knob if {
	knob := value_of(tenant, path, [])
	is_array(knob)
} else := []
