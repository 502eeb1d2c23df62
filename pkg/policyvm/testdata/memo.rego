# Rules for the remembered-results tests (readmemo_test.go): each reads
# the input in a way the memo must key on, or must refuse to remember.
package vmtest.memo

tenant := input.identity.tenant

model := object.get(input, ["request", "model"], "none")

labels := input.identity.labels

# The clock: an evaluation that calls it is never remembered.
clock := time.now_ns() if input.identity.tenant == "clock"

# The request used whole: every member of it is read.
size := count(input.request) if input.identity.tenant == "whole"

# Iterating the identity reads all of it too.
fields contains k if {
	input.identity.tenant == "iterate"
	some k, _ in input.identity
}
