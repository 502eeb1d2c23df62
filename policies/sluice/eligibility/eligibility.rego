# METADATA
# description: |
#   Eligibility: the one answer to "may this caller use this model?", which
#   every other decision reuses. The requested model, every routing target,
#   split and fallback, and the GET /v1/models list all go through usable.
package sluice.eligibility

import data.sluice.access
import data.sluice.catalogue
import data.sluice.hours
import data.sluice.residency

# denials[model] is every reason this caller may not use model.
denials[model] contains denial if some denial in access.model_deny[model]

denials[model] contains denial if some denial in hours.model_deny[model]

denials[model] contains denial if some denial in residency.model_deny[model]

usable(model) if {
	catalogue.exists(model)
	not denials[model]
}

# The caller's model list, for GET /v1/models.
models := sort([model | some model, _ in catalogue.models; usable(model)])
