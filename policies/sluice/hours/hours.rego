# METADATA
# description: |
#   Business hours: models carrying the labels in business_hours.model_labels
#   (cost: high) may only be used during the configured days and UTC hours,
#   unless a role grants the any_hour capability (admin).
package sluice.hours

import data.sluice.caller
import data.sluice.catalogue
import data.sluice.settings

model_labels := settings.value(["business_hours", "model_labels"], {})

days := [day | some day in settings.list(["business_hours", "days"]); is_string(day)]

start_hour := settings.value(["business_hours", "start_hour"], 0)

end_hour := settings.value(["business_hours", "end_hour"], 24)

# With no labels configured no model is restricted: the rule stays off
# rather than restricting everything.
restricted(model) if {
	is_object(model_labels)
	count(model_labels) > 0
	labels := catalogue.labels(model)
	every name, value in model_labels {
		labels[name] == value
	}
}

# Hours are [start_hour, end_hour) in UTC, as input.time.hour is. An input
# without a time is outside the window: fail closed.
open_now if {
	input.time.weekday in days
	start_hour <= input.time.hour
	input.time.hour < end_hour
}

model_deny[model] contains {
	"id": "business_hours",
	"status": 403,
	"reason": sprintf(
		"model %s is only available %s, %02d:00-%02d:00 UTC",
		[
			model, concat(", ", days),
			start_hour, end_hour,
		],
	),
} if {
	catalogue.models[model]
	restricted(model)
	not open_now
	not "any_hour" in caller.capabilities
}
