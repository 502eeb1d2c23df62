# METADATA
# description: |
#   Eligibility: the one answer to "may this caller use this model?", which
#   every other decision reuses. The requested model, every routing target,
#   split and fallback go through usable; the GET /v1/models list asks the
#   same per-model rules about sets of models.
package sluice.eligibility

import data.sluice.access
import data.sluice.caller
import data.sluice.catalogue
import data.sluice.hours
import data.sluice.residency

# denials_of(model) is every reason this caller may not use model,
# undefined when nothing denies it or it is not a configured model. Only a
# denied request needs them; usable asks each module's model_allowed,
# which holds exactly when that module has no denial for the model.
denials_of(model) := found if {
	catalogue.models[model]
	found := (access.model_denials(model) | hours.model_denials(model)) | residency.model_denials(model)
	count(found) > 0
}

# usable always has a value (true or false), so that a model asked about
# twice (a keyword target that is also a fallback, say) is judged once,
# even when it is not usable.
# What decides it (the caller's tenant, team, the all_models capability,
# whether it is authenticated, whether business hours bind it now) is
# passed to usable_for, which is computed once per combination and model
# (see settings.overrides_of) and agrees with each module's model_allowed.
usable(model) := usable_for(caller.tenant, caller.team, access.all_models, access.authenticated, hours.lifted, model)

usable_for(tenant, team, all_models, authenticated, hours_lifted, model) if {
	catalogue.models[model]
	access.model_allowed_for(tenant, team, all_models, authenticated, model)
	hours.model_allowed_for(tenant, hours_lifted, model)
	residency.model_allowed_for(tenant, model)
} else := false

# The caller's model list, for GET /v1/models: the models for which usable
# holds, found as sets. Only a model the tenant's allowlist names (by name
# or alias) can be usable, so with an allowlist only those are judged;
# each module then keeps those it allows, without looking at each model
# when it restricts nothing for this caller.
models := sort([model | some model in hours.allowed_among(residency.allowed_among(access.allowed_among(_candidates)))])

# _candidates are the configured models (as usable reads them) the
# tenant's allowlist lets through.
_candidates := {model | some model, record in catalogue.models; record} if {
	not access.tenant_allowlist
} else := {name | some name in access.tenant_allowlist; catalogue.models[name]} | {model |
	some model, _ in catalogue.models
	some alias in object.get(catalogue.models, [model, "aliases"], [])
	alias in access.tenant_allowlist
}
