package sluice

import data.sluice.authn
import data.sluice.catalogue
import data.sluice.network
import data.sluice.settings

# notices are messages Sluice logs when it loads the policy: a mode an
# operator must know is on, or policy data that does not match the
# configuration. They never depend on a request.
notices contains "development policy: anonymous callers may use the built-in mock model (data.sluice.config.dev_anonymous_mock)" if {
	authn.dev_anonymous_mock
}

notices contains "reference policy: data.sluice.policy is missing, so every knob is at its built-in default" if {
	count(settings.policy) == 0
}

notices contains sprintf("policy data %s names model %q, which is not configured", [where, model]) if {
	some [where, model] in _model_references
	not catalogue.exists(model)
}

notices contains sprintf("policy data %s names tenant %q, which is not configured", [where, tenant]) if {
	some tenant, _ in object.get(settings.policy, "tenants", {})
	where := "data.sluice.policy.tenants"
	not catalogue.tenants[tenant]
}

notices contains sprintf("policy data %s.pii.safe_model names model %q, whose backend is not labelled pii_safe: \"true\"", [where, model]) if {
	some where, scope in _scopes
	model := object.get(scope, ["pii", "safe_model"], "")
	catalogue.exists(model)
	not catalogue.pii_safe(model)
}

notices contains sprintf("policy data %s.network.%s lists %s, which is not a CIDR and is ignored", [where, list, json.marshal(cidr)]) if {
	some where, scope in _scopes
	some list in ["allow_cidrs", "deny_cidrs"]
	some cidr in _list(object.get(scope, ["network", list], []))
	not network.valid_cidr(cidr)
}

notices contains sprintf("policy data %s.keyword_routes lists keyword %s, which can never match: write it in lower case, words separated by one space", [where, json.marshal(keyword)]) if {
	some where, scope in _scopes
	some rule in _list(object.get(scope, "keyword_routes", []))
	is_object(rule)
	some keyword in _list(object.get(rule, "keywords", []))
	not _normal_keyword(keyword)
}

_normal_keyword(keyword) if {
	is_string(keyword)
	regex.match(`^[a-z0-9+#]+( [a-z0-9+#]+)*$`, keyword)
}

_list(value) := value if is_array(value)

else := []

# _scopes are the global knobs and each tenant's overrides, by their path.
_scopes["data.sluice.policy"] := settings.policy

_scopes[sprintf("data.sluice.policy.tenants.%s", [tenant])] := overrides if {
	some tenant, overrides in object.get(settings.policy, "tenants", {})
	is_object(overrides)
}

_model_references contains [sprintf("%s.budget.cheaper", [where]), model] if {
	some where, scope in _scopes
	some from, to in object.get(scope, ["budget", "cheaper"], {})
	some model in [from, to]
}

_model_references contains [sprintf("%s.fallbacks", [where]), model] if {
	some where, scope in _scopes
	some from, models in object.get(scope, "fallbacks", {})
	some model in array.concat([from], _list(models))
}

_model_references contains [sprintf("%s.splits", [where]), model] if {
	some where, scope in _scopes
	some from, split in object.get(scope, "splits", {})
	is_object(split)
	some model in array.concat([from], [entry.model | some entry in _list(object.get(split, "targets", []))])
}

_model_references contains [sprintf("%s.keyword_routes", [where]), model] if {
	some where, scope in _scopes
	some rule in _list(object.get(scope, "keyword_routes", []))
	is_object(rule)
	some model in array.concat([rule.model], _list(object.get(rule, "from", [])))
}

_model_references contains [sprintf("%s.residency.aliases", [where]), model] if {
	some where, scope in _scopes
	some aliases in object.get(scope, ["residency", "aliases"], {})
	some from, to in aliases
	some model in [from, to]
}

_model_references contains [sprintf("%s.pii.safe_model", [where]), model] if {
	some where, scope in _scopes
	model := object.get(scope, ["pii", "safe_model"], "")
	model != ""
}
