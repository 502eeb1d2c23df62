package sluice_test

import data.sluice

_caps := {"default": 1000, "tenants": {"acme": 100}}

_models := {"gpt-4o": {"backend": "openai", "aliases": []}, "gpt-4o-mini": {"backend": "openai", "aliases": []}}

_decide(identity, request) := decision if {
	decision := sluice.decision with input as {"identity": identity, "request": request}
		with data.sluice.prompt_caps as _caps
		with data.sluice.models as _models
}

_acme := {"authenticated": true, "tenant": "acme"}

_chat(tokens) := {"api": "chat_completions", "model": "gpt-4o", "input_tokens_estimate": tokens}

test_a_prompt_at_the_cap_is_allowed if {
	_decide(_acme, _chat(100)) == {"allow": true, "reasons": ["allow"], "headers": {"downstream": {"x-policy-prompt-tokens": "100"}}}
}

test_a_prompt_over_the_cap_is_denied if {
	decision := _decide(_acme, _chat(101))
	decision.allow == false
	decision.status == 403
	decision.reason == "the prompt is about 101 tokens; tenant acme may send at most 100"
	decision.reasons == ["prompt_too_large"]
}

test_other_tenants_get_the_default_cap if {
	globex := {"authenticated": true, "tenant": "globex"}
	_decide(globex, _chat(1000)).allow
	not _decide(globex, _chat(1001)).allow
}

test_a_request_without_an_estimate_counts_as_empty if {
	_decide(_acme, {"api": "embeddings", "model": "gpt-4o"}).allow
}

test_models_api_lists_every_model if {
	_decide(_acme, {"api": "models"}).models == ["gpt-4o", "gpt-4o-mini"]
}

test_anonymous_is_denied if {
	_decide({"authenticated": false, "source": "anonymous"}, _chat(1)).status == 401
}

test_malformed_input_is_denied if {
	decision := sluice.decision with input as {"identity": {"authenticated": true}}
		with data.sluice.prompt_caps as _caps
	decision.reasons == ["default_deny"]
}
