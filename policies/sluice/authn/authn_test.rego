package sluice.authn_test

import data.sluice.authn
import data.sluice.fixtures

test_authenticated_caller_passes if {
	count(authn.deny) == 0 with input as fixtures.request
	authn.admitted with input as fixtures.request
}

test_anonymous_is_denied_401 if {
	denials := authn.deny with input as fixtures.as_caller(fixtures.anonymous)
	denials == {{"id": "unauthenticated", "status": 401, "reason": "authentication required"}}
}

test_anonymous_admitted_in_development if {
	request := fixtures.as_caller(fixtures.anonymous)
	config := {"dev_anonymous_mock": true}
	count(authn.deny) == 0 with input as request with data.sluice.config as config
	authn.anonymous_admitted with input as request with data.sluice.config as config
}

test_development_flag_must_be_true if {
	request := fixtures.as_caller(fixtures.anonymous)
	not authn.dev_anonymous_mock with data.sluice.config as {"dev_anonymous_mock": "true"}
	authn.deny[{"id": "unauthenticated", "status": 401, "reason": "authentication required"}] with input as request
		with data.sluice.config as {"dev_anonymous_mock": "true"}
}

test_development_flag_does_not_admit_other_sources if {
	request := fixtures.as_caller({"authenticated": false, "source": "header"})
	not authn.admitted with input as request with data.sluice.config as {"dev_anonymous_mock": true}
}

test_expired_flag_is_401 if {
	request := fixtures.with_request({"identity": {"key": {"expired": true}}})
	denials := authn.deny with input as request
	denials == {{"id": "key_expired", "status": 401, "reason": "API key expired"}}
}

test_expiry_time_in_the_past if {
	request := fixtures.with_request({"identity": {"key": {"expires_at": "2026-11-18T14:00:00Z"}}})
	authn.key_expired with input as request
}

test_expiry_time_in_the_future if {
	not authn.key_expired with input as fixtures.request
}

test_no_expiry if {
	request := fixtures.with_request({"identity": {"key": {"expires_at": ""}}})
	not authn.key_expired with input as request
}

test_unparseable_expiry_counts_as_expired if {
	request := fixtures.with_request({"identity": {"key": {"expires_at": "next tuesday"}}})
	authn.key_expired with input as request
}

test_clock_stands_in_for_a_missing_time if {
	request := json.remove(fixtures.request, ["time"])
	authn.now_ns == 1000 with input as request with time.now_ns as 1000
}
