# METADATA
# description: |
#   A policy for the end-to-end tests of prompt templates: it allows every
#   request, denies calls to the template named "retired", and decorates
#   the system prompt of tenant "decorated" with the safety and brief
#   decorators.
package sluice

default decision := {"allow": true}

decision := {"allow": false, "reason": "template retired is no longer served"} if {
	input.request.template.name == "retired"
} else := {"allow": true, "prompt": {"decorators": ["safety", "brief"]}} if {
	input.identity.tenant == "decorated"
}
