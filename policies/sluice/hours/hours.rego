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
_restricting if {
	is_object(model_labels)
	count(model_labels) > 0
}

# Which models are restricted depends on the tenant's knobs and the
# catalogue alone, so it is worked out once per tenant and model.
restricted(model) if restricted_for(caller.tenant, model)

restricted_for(tenant, model) if {
	model_labels := settings.value_of(tenant, ["business_hours", "model_labels"], {})
	is_object(model_labels)
	count(model_labels) > 0
	labels := catalogue.labels(model)
	every name, value in model_labels {
		labels[name] == value
	}
} else := false

# Hours are [start_hour, end_hour) in UTC, as input.time.hour is. An input
# without a time is outside the window: fail closed. Only a day written as
# a string counts, as in days.
open_now if open_at(caller.tenant, input.time.weekday, input.time.hour)

# open_at depends on data alone, so it is worked out once per tenant and
# hour of the week (see settings.overrides_of).
open_at(tenant, weekday, hour) if {
	is_string(weekday)
	window := window_of(tenant)
	weekday in window.days
	window.start_hour <= hour
	hour < window.end_hour
} else := false

# window_of is the tenant's window, read from data once per tenant.
window_of(tenant) := {
	"days": settings.list_of(tenant, ["business_hours", "days"]),
	"start_hour": settings.value_of(tenant, ["business_hours", "start_hour"], 0),
	"end_hour": settings.value_of(tenant, ["business_hours", "end_hour"], 24),
}

# allows_every_model holds when nothing is closed to this caller right
# now: the window is open, or a role lifts it, or no model is restricted.
allows_every_model if open_now

allows_every_model if not _restricting

allows_every_model if "any_hour" in caller.capabilities

# model_deny[model] is why this caller may not use a configured model now;
# model_denials(model) is the same set for one model (empty when open).
model_deny[model] contains denial if {
	catalogue.models[model]
	some denial in model_denials(model)
}

model_denials(model) := {{
	"id": "business_hours",
	"status": 403,
	"reason": sprintf(
		"model %s is only available %s, %02d:00-%02d:00 UTC",
		[
			model, concat(", ", days),
			start_hour, end_hour,
		],
	),
}} if {
	restricted(model)
	not open_now
	not "any_hour" in caller.capabilities
} else := set()

# model_allowed holds when model_deny[model] is empty, for a configured
# model. In business hours it costs one cached lookup per model.
model_allowed(_) if allows_every_model

model_allowed(model) if not restricted(model)

# lifted is allows_every_model as true or false, and model_allowed_for is
# model_allowed with it and the tenant as arguments.
default lifted := false

lifted if allows_every_model

model_allowed_for(_, true, _)

model_allowed_for(tenant, false, model) if not restricted_for(tenant, model)

# allowed_among is the subset of models (configured models) this module
# lets the caller use now.
allowed_among(models) := models if allows_every_model

else := {model | some model in models; not restricted(model)}
