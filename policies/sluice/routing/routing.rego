# METADATA
# description: |
#   Routing: which model serves the request. Starting from the requested
#   model it applies, in order, the in-region stand-in (residency), keyword
#   routing, the budget downgrade and the PII-safe model, then adds the A/B
#   split and the fallbacks for the chosen model. Every model it picks must
#   be servable: one this caller may use, and PII-safe when the request
#   needs it. A knob naming a model that is not servable is skipped.
package sluice.routing

import data.sluice.catalogue
import data.sluice.content
import data.sluice.eligibility
import data.sluice.residency
import data.sluice.settings

api := object.get(input, ["request", "api"], "")

requested := object.get(input, ["request", "model"], "")

# Listing models names no model, so nothing is routed.
routed if api != "models"

servable(model) if {
	eligibility.usable(model)
	not content.needs_pii_safe
}

servable(model) if {
	eligibility.usable(model)
	catalogue.pii_safe(model)
}

# base is the requested model, or its in-region stand-in when residency is
# the only thing that stands in the way.
base := requested if eligibility.usable(requested)

base := stand_in if {
	not eligibility.usable(requested)
	catalogue.exists(requested)
	every denial in eligibility.denials[requested] {
		denial.id == "data_residency"
	}
	stand_in := residency.stand_in(requested)
	eligibility.usable(stand_in)
}

# Keyword routing compares whole words (and phrases) of the last user
# message, lower-cased and with every run of characters other than a-z,
# 0-9, + and # turned into one space: "go" does not match "good", and
# "C++" stays "c++". Keywords are written in that form already (a notice
# reports any that are not), so only the message is normalised.
_message := concat("", [" ", regex.replace(lower(_text), `[^a-z0-9+#]+`, " "), " "])

_text := text if {
	text := input.request.last_user_message
	is_string(text)
} else := ""

_keyword_hit(rule) if {
	some keyword in object.get(rule, "keywords", [])
	is_string(keyword)
	keyword != ""
	contains(_message, concat("", [" ", keyword, " "]))
}

_applies_to_base(rule) if not rule.from

_applies_to_base(rule) if rule.from == []

_applies_to_base(rule) if base in rule.from

_keyword_rules := [rule |
	some rule in settings.list(["keyword_routes"])
	is_object(rule)
	_applies_to_base(rule)
	_keyword_hit(rule)
	rule.model != base
	servable(rule.model)
]

# The first matching rule in data order wins.
keyword_rule := _keyword_rules[0]

after_keyword := keyword_rule.model if {
	keyword_rule
} else := base

budget_low if {
	below := settings.value(["budget", "downgrade_below"], null)
	is_number(below)
	input.usage.budget.remaining_fraction < below
}

cheaper_model := cheaper if {
	budget_low
	cheaper := settings.value(["budget", "cheaper", after_keyword], "")
	cheaper != after_keyword
	servable(cheaper)
}

# While the budget is low, a model the budget rule would downgrade is no
# split target or fallback either: a failure must not undo the saving.
_affordable(model) if not _downgraded_now(model)

_downgraded_now(model) if {
	budget_low
	settings.value(["budget", "cheaper", model], "") != ""
}

after_budget := cheaper_model if {
	cheaper_model
} else := after_keyword

pii_model := safe if {
	content.needs_pii_safe
	not catalogue.pii_safe(after_budget)
	safe := settings.value(["pii", "safe_model"], "")
	servable(safe)
}

# target is undefined when PII must stay in house and no PII-safe model is
# servable; the request is then refused rather than sent elsewhere.
target := pii_model if {
	pii_model
} else := after_budget if {
	servable(after_budget)
}

_split_config := config if {
	config := settings.value(["splits", target], {})
	is_object(config)
} else := {}

split := [{"model": entry.model, "weight": entry.weight} |
	some entry in object.get(_split_config, "targets", [])
	servable(entry.model)
	_affordable(entry.model)
	is_number(entry.weight)
	entry.weight > 0
	entry.weight == round(entry.weight)
]

# A split needs two targets; with one left after filtering it is no split.
ab_split := split if count(split) > 1

# Sticky by user unless the split says otherwise. Sluice keeps a caller
# without a user on one target by its subject instead.
sticky := value if {
	value := object.get(_split_config, "sticky", "user")
	value in {"user", "key", "tenant", "session", ""}
} else := "user"

fallback := [{"model": model} |
	some model in settings.list(["fallbacks", target])
	model != target
	servable(model)
	_affordable(model)
]

_model_part := {"model": target} if {
	target != requested
	not ab_split
} else := {}

_split_part := {"split": ab_split, "sticky": sticky} if {
	ab_split
} else := {}

_fallback_part := {"fallback": fallback} if {
	count(fallback) > 0
} else := {}

route := object.union_n([_model_part, _split_part, _fallback_part])

# applied names the routing rules that shaped the route, for the decision
# log and the audit trail.
applied contains "residency_route" if base != requested

applied contains sprintf("keyword_route:%s", [object.get(keyword_rule, "name", keyword_rule.model)]) if keyword_rule

applied contains "budget_downgrade" if cheaper_model

applied contains "pii_route" if pii_model

applied contains "ab_split" if ab_split

applied contains "fallback" if count(fallback) > 0

deny contains {
	"id": "model_required",
	"status": 403,
	"reason": "the request names no model",
} if {
	routed
	requested == ""
}

deny contains {
	"id": "unknown_model",
	"status": 403,
	"reason": sprintf("model %s does not exist", [requested]),
} if {
	routed
	requested != ""
	not catalogue.exists(requested)
}

# The requested model is not usable and has no stand-in: the caller hears
# every reason it is not.
deny contains denial if {
	routed
	catalogue.exists(requested)
	not base
	some denial in eligibility.denials[requested]
}

deny contains {
	"id": "pii_no_safe_model",
	"status": 403,
	"reason": "the request contains personal data that must stay in house, and no in-house model is available",
} if {
	routed
	base
	not target
}
