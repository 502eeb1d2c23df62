package sluice_test

import data.sluice

_tenants := {"acme": {"models": ["gpt-4o-mini", "claude"]}, "globex": {"models": []}}

_models := {
	"gpt-4o": {"backend": "openai", "aliases": []},
	"gpt-4o-mini": {"backend": "openai", "aliases": []},
	"claude-sonnet-4-5": {"backend": "anthropic", "aliases": ["claude"]},
}

_decide(identity, request) := decision if {
	decision := sluice.decision with input as {"identity": identity, "request": request}
		with data.sluice.tenants as _tenants
		with data.sluice.models as _models
}

_acme := {"authenticated": true, "tenant": "acme"}

test_allowlisted_model if {
	_decide(_acme, {"api": "chat_completions", "model": "gpt-4o-mini"}) == {"allow": true, "reasons": ["allow"]}
}

test_allowlisted_by_alias if {
	_decide(_acme, {"api": "chat_completions", "model": "claude-sonnet-4-5"}).allow
}

test_model_outside_the_allowlist if {
	decision := _decide(_acme, {"api": "chat_completions", "model": "gpt-4o"})
	decision.allow == false
	decision.reason == "model gpt-4o is not allowed for tenant acme"
}

test_empty_allowlist_allows_every_configured_model if {
	globex := {"authenticated": true, "tenant": "globex"}
	_decide(globex, {"api": "embeddings", "model": "gpt-4o"}).allow
	not _decide(globex, {"api": "embeddings", "model": "gpt-5"}).allow
}

test_models_api_lists_the_allowlist if {
	_decide(_acme, {"api": "models"}).models == ["claude-sonnet-4-5", "gpt-4o-mini"]
}

test_anonymous_is_denied if {
	_decide({"authenticated": false, "source": "anonymous"}, {"api": "models"}).status == 401
}

test_malformed_input_is_denied if {
	decision := sluice.decision with input as {"identity": {"authenticated": true}}
	decision.reasons == ["default_deny"]
}
