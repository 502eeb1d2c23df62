# Reads the configuration Sluice places under data.sluice, the policy's own
# data files, and a helper package from a subdirectory.
package sluice

import data.lib

default decision := {"allow": false, "reason": "model not allowed for tenant"}

decision := {
	"allow": true,
	"limit_class": tenant.labels.tier,
	"headers": {"upstream": {"x-region": tenant.region}},
	"route": {"backend": lib.backend_for(input.request.model)},
} if {
	tenant := data.sluice.tenants[input.identity.tenant]
	input.request.model in tenant.models
}

notices contains "anonymous callers may use the mock model" if data.sluice.config.dev == true

notices contains data.greeting
