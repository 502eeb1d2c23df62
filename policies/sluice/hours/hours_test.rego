package sluice.hours_test

import data.sluice.fixtures
import data.sluice.hours

_at(weekday, hour) := fixtures.with_request({"time": {"weekday": weekday, "hour": hour}})

_restricted_now(request) := models if {
	models := {model | some model, _ in hours.model_deny} with input as request
		with data.sluice.tenants as fixtures.tenants
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
}

test_costly_models_are_open_in_business_hours if {
	_restricted_now(_at("Wednesday", 14)) == set()
	_restricted_now(_at("Monday", 7)) == set()
	_restricted_now(_at("Friday", 18)) == set()
}

test_costly_models_close_outside_business_hours if {
	_restricted_now(_at("Friday", 19)) == {"gpt-4o", "gpt-4o-eu"}
	_restricted_now(_at("Tuesday", 6)) == {"gpt-4o", "gpt-4o-eu"}
	_restricted_now(_at("Saturday", 12)) == {"gpt-4o", "gpt-4o-eu"}
}

test_no_time_counts_as_outside if {
	_restricted_now(json.remove(fixtures.request, ["time"])) == {"gpt-4o", "gpt-4o-eu"}
}

test_admins_may_use_costly_models_any_time if {
	request := object.union(_at("Sunday", 3), {"identity": {"roles": ["admin"]}})
	_restricted_now(request) == set()
}

test_reason_spells_out_the_window if {
	reasons := {denial.reason | some denial in hours.model_deny["gpt-4o"]} with input as _at("Sunday", 3)
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as fixtures.policy
	reasons == {"model gpt-4o is only available Monday, Tuesday, Wednesday, Thursday, Friday, 07:00-19:00 UTC"}
}

test_no_labels_no_restriction if {
	policy := json.remove(fixtures.policy, ["business_hours/model_labels"])
	models := {model | some model, _ in hours.model_deny} with input as _at("Sunday", 3)
		with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
		with data.sluice.policy as policy
	models == set()
}
