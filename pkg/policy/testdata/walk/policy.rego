# A policy OPA's planner cannot compile: walk is a relation built-in.
package sluice

default decision := {"allow": false, "status": 403, "reason": "model not found"}

decision := {"allow": true} if {
	some value
	walk(input.request, [_, value])
	value == "allow"
}
