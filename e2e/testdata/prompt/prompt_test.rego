package sluice_test

import data.sluice

test_retired_template_is_denied if {
	not sluice.decision.allow with input as {"request": {"template": {"name": "retired", "version": "1"}}, "identity": {"tenant": "e2e"}}
}

test_decorated_tenant_gets_decorators if {
	sluice.decision == {"allow": true, "prompt": {"decorators": ["safety", "brief"]}} with input as {"request": {"template": {"name": "", "version": ""}}, "identity": {"tenant": "decorated"}}
}

test_others_are_allowed_undecorated if {
	sluice.decision == {"allow": true} with input as {"request": {"template": {"name": "support", "version": "1"}}, "identity": {"tenant": "e2e"}}
}
