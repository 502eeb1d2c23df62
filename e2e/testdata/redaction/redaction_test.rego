package sluice_test

import data.sluice

test_email_is_masked if {
	sluice.decision == {"allow": true, "overrides": {"redaction": {"EMAIL_ADDRESS": "mask"}}} with input as {"findings": {"pii": {"types": ["EMAIL_ADDRESS"], "count": 1}}}
}

test_nothing_found_nothing_overridden if {
	sluice.decision == {"allow": true} with input as {"findings": {"pii": {"types": [], "count": 0}}}
}
