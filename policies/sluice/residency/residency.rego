# METADATA
# description: |
#   Data residency: a tenant whose region is listed in residency.regions may
#   only be served by backends labelled with that region. The routing module
#   swaps a requested model for its in-region stand-in from
#   residency.aliases when there is one.
package sluice.residency

import data.sluice.caller
import data.sluice.catalogue
import data.sluice.settings

region := object.get(caller.tenant_record, "region", "")

# Which regions are enforced is a platform decision (a legal one, usually),
# so a tenant override cannot switch it off.
enforced if {
	region != ""
	region in settings.global(["residency", "regions"], [])
}

model_deny[model] contains denial if {
	catalogue.models[model]
	some denial in model_denials(model)
}

# model_denials(model) is model_deny[model] for one model, computed for it
# alone (empty when the model may serve the caller's region).
model_denials(model) := {{
	"id": "data_residency",
	"status": 403,
	"reason": sprintf("model %s is not served in region %s", [model, region]),
}} if {
	enforced
	catalogue.region(model) != region
} else := set()

# allows_every_model holds when no region is enforced for this caller.
allows_every_model if not enforced

# model_allowed holds when model_deny[model] is empty, for a configured
# model.
model_allowed(_) if allows_every_model

model_allowed(model) if catalogue.region(model) == region

# model_allowed_for is model_allowed for a caller of tenant.
model_allowed_for(tenant, _) if not _enforced_for(tenant)

model_allowed_for(tenant, model) if catalogue.region(model) == _region_of(tenant)

_region_of(tenant) := object.get(data.sluice.tenants, [tenant, "region"], "") if {
	is_object(data.sluice.tenants[tenant])
} else := ""

_enforced_for(tenant) if {
	region := _region_of(tenant)
	region != ""
	region in settings.global(["residency", "regions"], [])
}

# allowed_among is the subset of models (configured models) this module
# lets the caller use.
allowed_among(models) := models if allows_every_model

else := {model | some model in models; catalogue.region(model) == region}

# stand_in is the in-region model that serves requests for model, or
# undefined when data names none.
stand_in(model) := alias if {
	alias := settings.value(["residency", "aliases", region, model], "")
	alias != ""
}
