# Each test case names, in input.request.model, the decision it expects the
# policy to return; the decisions themselves are in data.json.
package sluice

decision := data.cases[input.request.model]

# Two definitions that disagree: evaluating this case is a runtime error.
decision := {"allow": true} if input.request.model == "conflict"

decision := {"allow": false} if input.request.model == "conflict"

# Reasons built by a partial rule arrive as a set.
decision := {"allow": false, "status": 429, "reasons": set_reasons} if input.request.model == "set-reasons"

set_reasons contains "rate" if input.request.model == "set-reasons"

set_reasons contains "budget" if input.request.model == "set-reasons"
