# METADATA
# description: |
#   What can be served: lookups over the models, backends and tenants that
#   Sluice pushes from its configuration (data.sluice.models, .backends,
#   .tenants). Nothing here depends on the caller.
package sluice.catalogue

default models := {}

models := data.sluice.models if is_object(data.sluice.models)

default backends := {}

backends := data.sluice.backends if is_object(data.sluice.backends)

default tenants := {}

tenants := data.sluice.tenants if is_object(data.sluice.tenants)

exists(model) if models[model]

backend(model) := object.get(models, [model, "backend"], "")

# Security-relevant labels (region, pii_safe) are read from the backend
# only: they describe where the data goes, which the model cannot change.
backend_labels(model) := _object(object.get(backends, [backend(model), "labels"], {}))

# labels are the backend's labels overridden by the model's own, for
# properties of the model itself such as cost.
labels(model) := object.union(backend_labels(model), _object(object.get(models, [model, "labels"], {})))

_object(value) := value if is_object(value)

else := {}

# region and pii_safe are asked about every model routing considers, so
# each is one lookup: a backend that is missing, or whose labels are not
# an object, has no labels, as in backend_labels.
region(model) := value if {
	value := backends[object.get(models, [model, "backend"], "")].labels.region
} else := ""

pii_safe(model) if backends[object.get(models, [model, "backend"], "")].labels.pii_safe == "true"

# The built-in mock model (and whatever else runs as the "mock" backend).
mock(model) if backend(model) == "mock"

# listed holds when names (an allowlist from config) names model by its
# public name or by one of its aliases.
listed(model, names) if model in names

listed(model, names) if {
	some alias in object.get(models, [model, "aliases"], [])
	alias in names
}
