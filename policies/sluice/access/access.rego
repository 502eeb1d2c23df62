# METADATA
# description: |
#   Access: which APIs and which models a caller may use, from its tenant,
#   team, roles and key labels. Request-level denials are in deny;
#   per-model denials are in model_deny[model], which the eligibility
#   module combines with the other per-model rules.
package sluice.access

import data.sluice.caller
import data.sluice.catalogue
import data.sluice.settings

api := object.get(input, ["request", "api"], "")

# The APIs this policy knows how to judge. An API added to Sluice later is
# refused until someone decides what the policy should say about it.
default_apis := ["chat_completions", "embeddings", "anthropic_messages", "models", "prompt"]

_enabled_apis := settings.value(["apis"], default_apis)

deny contains {
	"id": "api_not_enabled",
	"status": 403,
	"reason": sprintf("the %s API is not enabled", [api]),
} if {
	not api in _enabled_apis
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
	scope := caller.labels.scope
	not api in settings.list(["key_scopes", scope])
}

# The tenant's allowlist is the platform's contract with the tenant, so no
# role lifts it.
model_deny[model] contains {
	"id": "tenant_model_allowlist",
	"status": 403,
	"reason": sprintf("model %s is not allowed for tenant %s", [model, caller.tenant]),
} if {
	catalogue.models[model]
	allowlist := object.get(caller.tenant_record, "models", [])
	is_array(allowlist)
	count(allowlist) > 0
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
	allowlist := object.get(caller.team_record, "models", [])
	is_array(allowlist)
	count(allowlist) > 0
	not catalogue.listed(model, allowlist)
	not "all_models" in caller.capabilities
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
