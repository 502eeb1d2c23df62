# METADATA
# description: |
#   Routing: which model serves the request. Starting from the requested
#   model it applies, in order, the in-region stand-in (residency), keyword
#   routing, the budget downgrade and the PII-safe model, then adds the A/B
#   split and the fallbacks for the chosen model. Every model it picks must
#   be servable: one this caller may use, and PII-safe when the request
#   needs it. A knob naming a model that is not servable is skipped.
package sluice.routing

import data.sluice.access
import data.sluice.caller
import data.sluice.catalogue
import data.sluice.content
import data.sluice.eligibility
import data.sluice.residency
import data.sluice.settings

requested := object.get(input, ["request", "model"], "")

# Listing models names no model, so nothing is routed.
routed if access.api != "models"

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
base := requested if {
	eligibility.usable(requested)
} else := stand_in if {
	catalogue.exists(requested)
	every denial in eligibility.denials_of(requested) {
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

# A keyword matches when it occurs in the message between spaces. A list
# of keywords that are all plain text is matched in one go, with one
# regular expression in which each keyword is a literal (\Q...\E); OPA
# compiles it once and keeps it.
_keyword_hit(rule) if {
	keywords := object.get(rule, "keywords", [])
	_literal_keywords(keywords)
	regex.match(concat("", [`\Q `, concat(` \E|\Q `, keywords), ` \E`]), _message)
}

_keyword_hit(rule) if {
	keywords := object.get(rule, "keywords", [])
	not _literal_keywords(keywords)
	some keyword in keywords
	is_string(keyword)
	keyword != ""
	contains(_message, concat("", [" ", keyword, " "]))
}

# _literal_keywords holds for a non-empty array of non-empty strings none
# of which contains \E, which would end its literal early. Its JSON form
# tells, without a loop over the list.
_literal_keywords(keywords) if {
	regex.match(`^\["([^"\\]|\\.)+"(,"([^"\\]|\\.)+")*\]$`, json.marshal(keywords))
	not contains(concat("\n", keywords), `\E`)
}

# A rule without from (or with an empty one) applies to every model.
_applies_to(rule, model) if model in rule.from

_applies_to(rule, _) if object.get(rule, "from", false) in {false, []}

# The first matching rule in data order wins. The message is only scanned
# for a rule that applies to the model and whose target the caller may
# use. Which rules apply to a model depends on data alone, so that list is
# worked out once per tenant and model (see settings.overrides_of).
keyword_rule := [rule |
	some rule in keyword_candidates(caller.tenant, base)
	servable(rule.model)
	_keyword_hit(rule)
][0]

keyword_candidates(tenant, model) := [rule |
	some rule in settings.list_of(tenant, ["keyword_routes"])
	is_object(rule)
	_applies_to(rule, model)
	rule.model != model
]

after_keyword := keyword_rule.model if {
	keyword_rule
} else := base

# The budget's remaining fraction changes with every request a tenant
# makes, so it is read last, and only for a model with a cheaper stand-in:
# the decisions of every other request stay the same from one request to
# the next, and Sluice can remember them (see "Remembered decisions" in
# docs/policy-reference.md).
budget_low if {
	below := settings.value(["budget", "downgrade_below"], null)
	is_number(below)
	input.usage.budget.remaining_fraction < below
}

# cheaper_of is the model the budget rule would send model to for callers
# of tenant, or "". It depends on data alone, so Sluice computes it once
# per tenant and model.
cheaper_of(tenant, model) := settings.value_of(tenant, ["budget", "cheaper", model], "")

cheaper_model := cheaper if {
	cheaper := cheaper_of(caller.tenant, after_keyword)
	cheaper != after_keyword
	servable(cheaper)
	budget_low
}

# While the budget is low, a model the budget rule would downgrade is no
# split target or fallback either: a failure must not undo the saving.
_affordable(model) if cheaper_of(caller.tenant, model) == ""

_affordable(model) if {
	cheaper_of(caller.tenant, model) != ""
	not budget_low
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

# target is the last of those steps that applies, and usually the base.
# Each step's model is servable, so only the base needs checking (for PII
# safety). target is undefined when PII must stay in house and no PII-safe
# model is servable; the request is then refused rather than sent
# elsewhere.
target := base if {
	not pii_model
	not cheaper_model
	not keyword_rule
	servable(base)
} else := pii_model if {
	pii_model
} else := cheaper_model if {
	cheaper_model
} else := keyword_rule.model if {
	keyword_rule
}

_split_config := split_config(caller.tenant, target)

split_config(tenant, model) := config if {
	config := settings.value_of(tenant, ["splits", model], {})
	is_object(config)
} else := {}

# A target's weight is checked (once per tenant and model) before the
# caller's right to its model.
split := [entry |
	some entry in split_entries(caller.tenant, target)
	servable(entry.model)
	_affordable(entry.model)
]

split_entries(tenant, model) := [{"model": entry.model, "weight": entry.weight} |
	some entry in object.get(split_config(tenant, model), "targets", [])
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
	some model in fallback_candidates(caller.tenant, target)
	servable(model)
	_affordable(model)
]

fallback_candidates(tenant, model) := [candidate |
	some candidate in settings.list_of(tenant, ["fallbacks", model])
	candidate != model
]

# untouched holds when no routing rule applies to the request: it goes to
# the model it asked for, with no split and no fallback, so route and
# applied are empty.
untouched if {
	base == requested
	not keyword_rule
	not cheaper_model
	not pii_model
	not ab_split
	fallback == []
}

# plain_model holds when data gives model no keyword route, no split and
# no fallback for callers of tenant, and no_downgrade when the budget rule
# leaves the requested model alone: for a request to a usable model that
# needs no PII-safe model, base and target are then the requested model,
# routing denies nothing, and untouched holds (see _plain in
# decision.rego). plain_model depends on data alone, so it is computed once
# per tenant and model.
plain_model(tenant, model) if {
	catalogue.exists(model)
	keyword_candidates(tenant, model) == []
	count(split_entries(tenant, model)) < 2
	fallback_candidates(tenant, model) == []
} else := false

no_downgrade if cheaper_of(caller.tenant, requested) == ""

no_downgrade if {
	cheaper_of(caller.tenant, requested) != ""
	not budget_low
}

# route holds the fields of decision.route that apply: the serving model
# when it is not the requested one and there is no split, the split, and
# the fallbacks.
route["model"] := target if {
	target != requested
	not ab_split
}

route["split"] := ab_split

route["sticky"] := sticky if ab_split

route["fallback"] := fallback if count(fallback) > 0

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
	some denial in eligibility.denials_of(requested)
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
