# METADATA
# description: |
#   Caps a prompt's size per tenant. An authenticated caller may use every
#   configured model with a prompt of at most its tenant's cap in input
#   tokens, as Sluice estimates them before the call
#   (input.request.input_tokens_estimate); a larger prompt is denied before
#   it reaches a provider. Caps are data: data.sluice.prompt_caps.tenants
#   by tenant, else data.sluice.prompt_caps.default. Every allowed answer
#   tells the client its estimate in x-policy-prompt-tokens.
#
#   Sluice counts a prompt's tokens for the policy only when the policy
#   reads input.request.input_tokens_estimate, and admission reuses that
#   count, so this costs one count per request.
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

decision := {"allow": true, "reasons": ["allow"], "models": sort(object.keys(data.sluice.models))} if {
	input.identity.authenticated == true
	input.request.api == "models"
}

decision := {
	"allow": true,
	"reasons": ["allow"],
	"headers": {"downstream": {"x-policy-prompt-tokens": format_int(prompt_tokens, 10)}},
} if {
	input.identity.authenticated == true
	input.request.api != "models"
	prompt_tokens <= prompt_cap
}

decision := {
	"allow": false,
	"status": 403,
	"reason": sprintf("the prompt is about %d tokens; tenant %s may send at most %d", [prompt_tokens, tenant, prompt_cap]),
	"reasons": ["prompt_too_large"],
} if {
	input.identity.authenticated == true
	input.request.api != "models"
	prompt_tokens > prompt_cap
}

tenant := object.get(input, ["identity", "tenant"], "")

prompt_tokens := object.get(input, ["request", "input_tokens_estimate"], 0)

prompt_cap := object.get(data.sluice.prompt_caps.tenants, tenant, data.sluice.prompt_caps.default)
