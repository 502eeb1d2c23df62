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

# The request-level denials depend on the caller's tenant, roles and key
# scope, on the API and on whether the caller is authenticated, and on
# nothing else in the request: denials_for works them out once for each
# combination (see settings.overrides_of).
deny contains denial if {
	some denial in denials_for(caller.tenant, caller.roles, scopes, api, authenticated)
}

# scopes is the key's scope label in a list, or [] when it has none.
scopes := [scope] if {
	scope := caller.scope
} else := []

denials_for(tenant, roles, scopes, api, authenticated) := ((_api_denials(tenant, api) | _tenant_denials(tenant, authenticated)) | _role_denials(tenant, roles, api)) | _scope_denials(tenant, scopes, api)

# The APIs this policy knows how to judge, unless the apis knob says
# otherwise. An API added to Sluice later is refused until someone decides
# what the policy should say about it.
_api_denials(tenant, api) := {denial} if {
	not api in settings.value_of(tenant, ["apis"], ["chat_completions", "embeddings", "anthropic_messages", "models", "prompt"])
	denial := {
		"id": "api_not_enabled",
		"status": 403,
		"reason": sprintf("the %s API is not enabled", [api]),
	}
} else := set()

# Once tenants are configured every authenticated caller must belong to
# one; a credential without a tenant would otherwise escape every
# tenant-level rule.
_tenant_denials(tenant, true) := {denial} if {
	count(catalogue.tenants) > 0
	not data.sluice.tenants[tenant]
	denial := {
		"id": "unknown_tenant",
		"status": 403,
		"reason": "the caller belongs to no configured tenant",
	}
} else := set()

_tenant_denials(_, false) := set()

_role_denials(tenant, roles, api) := {denial} if {
	api != "models"
	caller.list_only_of(tenant, roles)
	denial := {
		"id": "role_list_only",
		"status": 403,
		"reason": sprintf("role %s may only list models", [concat(", ", sort(roles))]),
	}
} else := set()

# A key labelled scope: <name> may only call the APIs key_scopes[<name>]
# lists. A scope the policy does not know allows nothing: a typo in a
# label must not widen a key.
_scope_denials(tenant, scopes, api) := {{
	"id": "key_scope",
	"status": 403,
	"reason": sprintf("the API key's scope %q does not allow the %s API", [scope, api]),
} |
	some scope in scopes
	not api in settings.list_of(tenant, ["key_scopes", scope])
}

# The allowlists that bind this caller: undefined when there is none, or
# when it is empty (which allows every model). Eligibility reads the
# tenant's to list only the models it names. Like everything per model
# below, they are functions of the tenant and team (see
# settings.overrides_of), computed once for each.
tenant_allowlist := allowlist if {
	allowlist := tenant_allowlist_of(caller.tenant)
	allowlist != []
}

team_allowlist := allowlist if {
	allowlist := team_allowlist_of(caller.tenant, caller.team)
	allowlist != []
}

# tenant_allowlist_of and team_allowlist_of are [] when no allowlist binds.
tenant_allowlist_of(tenant) := allowlist if {
	record := data.sluice.tenants[tenant]
	is_object(record)
	allowlist := record.models
	is_array(allowlist)
	count(allowlist) > 0
} else := []

team_allowlist_of(tenant, team) := allowlist if {
	record := data.sluice.tenants[tenant]
	is_object(record)
	team_record := record.teams[team]
	is_object(team_record)
	allowlist := team_record.models
	is_array(allowlist)
	count(allowlist) > 0
} else := []

# all_models and authenticated are true or false, never undefined, so
# that they can be passed as arguments.
default all_models := false

all_models if "all_models" in caller.capabilities

default authenticated := false

authenticated if caller.authenticated

# model_deny[model] is every reason this caller may not use a configured
# model; model_denials(model) is the same set for one model, computed for
# that model alone (empty when nothing denies it).
model_deny[model] contains denial if {
	catalogue.models[model]
	some denial in model_denials(model)
}

model_denials(model) := (_tenant_model_denials(model) | _team_model_denials(model)) | _anonymous_model_denials(model)

# The tenant's allowlist is the platform's contract with the tenant, so no
# role lifts it.
_tenant_model_denials(model) := {{
	"id": "tenant_model_allowlist",
	"status": 403,
	"reason": sprintf("model %s is not allowed for tenant %s", [model, caller.tenant]),
}} if {
	allowlist := tenant_allowlist
	not catalogue.listed(model, allowlist)
} else := set()

# A team allowlist narrows the tenant's; a role with the all_models
# capability (admin) works across the tenant's whole allowlist.
_team_model_denials(model) := {{
	"id": "team_model_allowlist",
	"status": 403,
	"reason": sprintf("model %s is not allowed for team %s", [model, caller.team]),
}} if {
	allowlist := team_allowlist
	not catalogue.listed(model, allowlist)
	not all_models
} else := set()

# Anonymous callers (admitted only in development) may use the mock model
# and nothing that reaches a real provider or costs money.
_anonymous_model_denials(model) := {{
	"id": "anonymous_mock_only",
	"status": 401,
	"reason": sprintf("model %s requires authentication", [model]),
}} if {
	not caller.authenticated
	not catalogue.mock(model)
} else := set()

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
# denials. The answer depends on the caller only through its tenant, team,
# the all_models capability and whether it is authenticated, so it is
# worked out once for each combination and model.
model_allowed(_) if allows_every_model

model_allowed(model) if model_allowed_for(caller.tenant, caller.team, all_models, authenticated, model)

model_allowed_for(tenant, team, all_models, authenticated, model) if {
	_tenant_allows(tenant_allowlist_of(tenant), model)
	_team_allows(team_allowlist_of(tenant, team), all_models, model)
	_anonymous_allows(authenticated, model)
} else := false

# An allowlist that binds nothing reaches these as the empty list.
_tenant_allows(allowlist, model) if model in allowlist

_tenant_allows([], _)

_tenant_allows(allowlist, model) if catalogue.listed(model, allowlist)

_team_allows([], _, _)

_team_allows(_, true, _)

_team_allows(allowlist, _, model) if model in allowlist

_team_allows(allowlist, _, model) if catalogue.listed(model, allowlist)

_anonymous_allows(true, _)

_anonymous_allows(_, model) if catalogue.mock(model)

# allowed_among is the subset of models (configured models) this module
# lets the caller use.
allowed_among(models) := models if allows_every_model

else := {model | some model in models; model_allowed(model)}
