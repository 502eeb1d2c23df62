# METADATA
# description: |
#   A representative gateway policy, for the benchmark when the reference
#   library under policies/ is not available: authentication, key expiry,
#   tenant and team model allowlists, a role gate on restricted models, an
#   injection threshold, per-tier token ceilings, and on an allow a limit
#   class, headers, a redaction override and a weighted split.
package sluice

tenant := data.sluice.tenants[input.identity.tenant]

team := object.get(tenant, ["teams", input.identity.team], {})

model := data.sluice.models[input.request.model]

tier := object.get(tenant, ["labels", "tier"], "bronze")

deny contains {"id": "unauthenticated", "status": 401, "reason": "authentication required"} if {
	not input.identity.authenticated
}

deny contains {"id": "key_expired", "status": 401, "reason": "API key expired"} if {
	input.identity.key.expired
}

deny contains {"id": "unknown_tenant", "status": 403, "reason": "unknown tenant"} if {
	not tenant
}

deny contains {"id": "unknown_model", "status": 403, "reason": "unknown model"} if {
	not model
}

deny contains {
	"id": "tenant_model_allowlist",
	"status": 403,
	"reason": sprintf("model %s is not allowed for tenant %s", [input.request.model, input.identity.tenant]),
} if {
	tenant
	not allowed_for(tenant)
}

deny contains {"id": "team_model_allowlist", "status": 403, "reason": "model not allowed for this team"} if {
	not allowed_for(team)
}

deny contains {"id": "restricted_model", "status": 403, "reason": "model requires the ml-admin role"} if {
	model.labels.restricted == "true"
	not "ml-admin" in input.identity.roles
}

deny contains {"id": "prompt_injection", "status": 403, "reason": "prompt rejected"} if {
	input.findings.injection.score > data.limits.injection_threshold
}

deny contains {"id": "max_tokens", "status": 429, "reason": "max_tokens above the tenant's ceiling"} if {
	input.request.max_tokens > data.limits.max_tokens[tier]
}

allowed_for(scope) if count(object.get(scope, "models", [])) == 0

allowed_for(scope) if input.request.model in scope.models

# The most specific status wins: 401 before 403 before 429.
first := sort([[d.status, d.id, d.reason] | some d in deny])[0]

default decision := {"allow": false, "reason": "no decision"}

decision := {
	"allow": false,
	"status": first[0],
	"reason": first[2],
	"reasons": {d.id | some d in deny},
} if {
	count(deny) > 0
}

decision := {
	"allow": true,
	"reasons": ["tenant_model_allowlist"],
	"limit_class": tier,
	"audit": audit,
	"headers": {
		"upstream": {"x-tenant": input.identity.tenant, "x-team": input.identity.team},
		"downstream": {"x-policy": "bench-v1"},
	},
	"overrides": {"redaction": redaction},
	"route": route,
} if {
	count(deny) == 0
}

audit := "full" if input.findings.pii.count > 0

else := "standard"

default redaction := {}

redaction := {t: "mask" | some t in input.findings.pii.types} if tenant.region == "eu"

default route := {}

route := {
	"split": [
		{"model": input.request.model, "weight": 90},
		{"model": model.labels.cheaper, "weight": 10},
	],
	"sticky": "user",
} if {
	tier == "gold"
	model.labels.cheaper
}
