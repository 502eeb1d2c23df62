# METADATA
# description: |
#   A minimal policy: authenticated callers may use the models their
#   tenant's allowlist names (data.sluice.tenants[t].models, where an empty
#   list means every model), and list exactly those. Everything else is
#   denied. Use it as the smallest starting point for your own policy.
package sluice

default decision := {
	"allow": false,
	"status": 403,
	"reason": "the request is not allowed by policy",
	"reasons": ["default_deny"],
}

decision := {
	"allow": false,
	"status": 401,
	"reason": "authentication required",
	"reasons": ["unauthenticated"],
} if {
	not input.identity.authenticated == true
}

decision := {"allow": true, "reasons": ["allow"], "models": usable_models} if {
	input.identity.authenticated == true
	input.request.api == "models"
}

decision := {"allow": true, "reasons": ["allow"]} if {
	input.identity.authenticated == true
	input.request.api != "models"
	may_use(input.request.model)
}

decision := {
	"allow": false,
	"status": 403,
	"reason": sprintf("model %s is not allowed for tenant %s", [input.request.model, input.identity.tenant]),
	"reasons": ["tenant_model_allowlist"],
} if {
	input.identity.authenticated == true
	input.request.api != "models"
	not may_use(input.request.model)
}

allowlist := object.get(data.sluice.tenants, [input.identity.tenant, "models"], [])

may_use(model) if {
	data.sluice.models[model]
	count(allowlist) == 0
}

may_use(model) if {
	data.sluice.models[model]
	model in allowlist
}

# Allowlists in configuration may name a model by one of its aliases.
may_use(model) if {
	some alias in data.sluice.models[model].aliases
	alias in allowlist
}

# Not named "models": in package sluice that name is taken by the catalogue
# Sluice pushes (data.sluice.models), and a rule there would shadow it.
usable_models := sort([model | some model, _ in data.sluice.models; may_use(model)])
