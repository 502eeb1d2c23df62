# METADATA
# description: |
#   Authentication: every caller must present a valid credential, with one
#   opt-in exception for local development. These denials come first, so an
#   unauthenticated caller learns nothing about models, tenants or lists.
package sluice.authn

import data.sluice.caller

# Sluice sets this under `sluice dev`; it is never set by the policy's own
# data, so a production deployment cannot turn it on by accident.
dev_anonymous_mock if data.sluice.config.dev_anonymous_mock == true

# An admitted anonymous caller may still only use mock models; the access
# module enforces that per model.
anonymous_admitted if {
	caller.anonymous
	dev_anonymous_mock
}

admitted if caller.authenticated

admitted if anonymous_admitted

deny contains {
	"id": "unauthenticated",
	"status": 401,
	"reason": "authentication required",
} if {
	not admitted
}

deny contains {
	"id": "key_expired",
	"status": 401,
	"reason": "API key expired",
} if {
	key_expired
}

# Sluice computes the expired flag; the policy also checks expires_at
# itself so that a key expiring between config reloads stops at once.
key_expired if input.identity.key.expired == true

key_expired if {
	expires_at := object.get(input, ["identity", "key", "expires_at"], "")
	expires_at != ""
	not _before_expiry(expires_at)
}

# An expiry that does not parse counts as expired: fail closed. The shape
# is checked first because time.parse_rfc3339_ns raises an error, not
# undefined, on text that is not a time.
_before_expiry(expires_at) if {
	expiry := rfc3339_ns(expires_at)
	is_number(expiry)
	expiry > now_ns
}

# rfc3339_ns is a timestamp in nanoseconds, or false when it does not
# parse. It depends on its argument alone, so each distinct timestamp (a
# key's expiry, the request's second) is parsed once (see
# settings.overrides_of).
rfc3339_ns(text) := ns if {
	is_string(text)
	regex.match(_rfc3339, text)
	ns := time.parse_rfc3339_ns(text)
} else := false

_rfc3339 := `^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$`

# The request's own timestamp keeps decisions reproducible in tests and
# replays; the clock is only a stand-in when the input has none.
now_ns := ns if {
	ns := rfc3339_ns(input.time.now)
	is_number(ns)
} else := time.now_ns()
