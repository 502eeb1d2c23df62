# METADATA
# description: |
#   Access: which APIs and which models a caller may use, from its tenant,
#   team, roles and key labels. Request-level denials are in deny;
#   per-model denials are in model_deny[model]. model_allowed(model) and
#   allowed_among(models) answer the same per-model question without
#   building the denials, for the eligibility module.
package sluice.access

import data.sluice.caller
import data.sluice.catalogue
import data.sluice.settings

api := object.get(input, ["request", "api"], "")

# The APIs this policy knows how to judge, unless the apis knob says
# otherwise. An API added to Sluice later is refused until someone decides
# what the policy should say about it.
deny contains {
	"id": "api_not_enabled",
	"status": 403,
	"reason": sprintf("the %s API is not enabled", [api]),
} if {
	not api in settings.value(["apis"], ["chat_completions", "embeddings", "anthropic_messages", "models", "prompt"])
}

# Once tenants are configured every authenticated caller must belong to
# one; a credential without a tenant would otherwise escape every
# tenant-level rule.
deny contains {
	"id": "unknown_tenant",
	"status": 403,
	"reason": "the caller belongs to no configured tenant",
} if {
	caller.authenticated
	count(catalogue.tenants) > 0
	not caller.known_tenant
}

deny contains {
	"id": "role_list_only",
	"status": 403,
	"reason": sprintf("role %s may only list models", [concat(", ", sort(caller.roles))]),
} if {
	api != "models"
	caller.list_only
}

# A key labelled scope: <name> may only call the APIs key_scopes[<name>]
# lists. A scope the policy does not know allows nothing: a typo in a
# label must not widen a key.
deny contains {
	"id": "key_scope",
	"status": 403,
	"reason": sprintf("the API key's scope %q does not allow the %s API", [scope, api]),
} if {
	scope := caller.scope
	not api in settings.list(["key_scopes", scope])
}

# The allowlists that bind this caller: undefined when there is none, or
# when it is empty (which allows every model). Eligibility reads the
# tenant's to list only the models it names.
tenant_allowlist := allowlist if {
	allowlist := caller.tenant_record.models
	is_array(allowlist)
	count(allowlist) > 0
}

team_allowlist := allowlist if {
	allowlist := caller.team_record.models
	is_array(allowlist)
	count(allowlist) > 0
}

_all_models if "all_models" in caller.capabilities

# The tenant's allowlist is the platform's contract with the tenant, so no
# role lifts it.
model_deny[model] contains {
	"id": "tenant_model_allowlist",
	"status": 403,
	"reason": sprintf("model %s is not allowed for tenant %s", [model, caller.tenant]),
} if {
	catalogue.models[model]
	allowlist := tenant_allowlist
	not catalogue.listed(model, allowlist)
}

# A team allowlist narrows the tenant's; a role with the all_models
# capability (admin) works across the tenant's whole allowlist.
model_deny[model] contains {
	"id": "team_model_allowlist",
	"status": 403,
	"reason": sprintf("model %s is not allowed for team %s", [model, caller.team]),
} if {
	catalogue.models[model]
	allowlist := team_allowlist
	not catalogue.listed(model, allowlist)
	not _all_models
}

# Anonymous callers (admitted only in development) may use the mock model
# and nothing that reaches a real provider or costs money.
model_deny[model] contains {
	"id": "anonymous_mock_only",
	"status": 401,
	"reason": sprintf("model %s requires authentication", [model]),
} if {
	catalogue.models[model]
	not caller.authenticated
	not catalogue.mock(model)
}

# allows_every_model holds when nothing above can deny this caller a
# model: no allowlist binds it and it is authenticated.
allows_every_model if {
	not tenant_allowlist
	not team_allowlist
	caller.authenticated
}

# model_allowed holds when no rule above denies model to this caller, for
# a configured model. It is what eligibility asks on every routing step,
# so it checks the caller's own restrictions first and never builds the
# denials.
model_allowed(_) if allows_every_model

model_allowed(model) if {
	_tenant_allows(model)
	_team_allows(model)
	_anonymous_allows(model)
}

_tenant_allows(model) if model in tenant_allowlist

_tenant_allows(_) if not tenant_allowlist

_tenant_allows(model) if catalogue.listed(model, tenant_allowlist)

_team_allows(_) if not team_allowlist

_team_allows(_) if _all_models

_team_allows(model) if model in team_allowlist

_team_allows(model) if catalogue.listed(model, team_allowlist)

_anonymous_allows(_) if caller.authenticated

_anonymous_allows(model) if catalogue.mock(model)

# allowed_among is the subset of models (configured models) this module
# lets the caller use.
allowed_among(models) := models if allows_every_model

else := {model | some model in models; model_allowed(model)}
