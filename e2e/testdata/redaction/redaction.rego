# METADATA
# description: |
#   A policy for the end-to-end tests of redaction overrides: it allows
#   every request, and when the request carries an email address it has it
#   masked, whatever action the config gives email addresses.
package sluice

default decision := {"allow": true}

decision := {
	"allow": true,
	"overrides": {"redaction": {"EMAIL_ADDRESS": "mask"}},
} if {
	"EMAIL_ADDRESS" in input.findings.pii.types
}
