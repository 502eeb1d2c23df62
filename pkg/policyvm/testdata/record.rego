# Every way a policy can use an input document, for TestRecordEvaluatesLikeItsObject:
# the same evaluation with the input as records and as OPA objects must agree.
package vmtest.record

dot := input.request.model

deep := input.identity.roles[0]

missing := input.request.nope

get_path := object.get(input, ["request", "params", "t"], "none")

get_missing := object.get(input, ["request", "nope", "x"], "none")

get_key := object.get(input.request, "model", "none")

get_whole := object.get(input, "request", {})

get_array := object.get(input, ["identity", "roles", 1], "none")

get_set := object.get(input, ["identity", "groups", "ops"], "none")

get_empty_path := object.get(input.identity, [], "none")

get_not_object := object.get(input.request.model, "x", "none")

get_bad_key := object.get(input, 7, "none")

whole := input.request

top := input

keys := object.keys(input.request)

count_request := count(input.request)

pairs contains [k, v] if some k, v in input.request

iterate contains k if input.request[k]

is_obj if is_object(input.request)

not_array if not is_array(input.request)

same_as_literal if input.identity == {"tenant": "acme", "roles": ["dev", "ops"], "groups": {"ops"}}

unified := m if {"model": m, "id": _, "params": _} = input.request

marshal := json.marshal(input)

with_model := x if x := dot with input.request.model as "other"

with_whole := x if x := dot with input as {"request": {"model": "w"}}

with_identity := x if x := deep with input.identity as {"roles": ["swapped"]}

passed := model_of(input.request)

passed_twice := model_of(input.request) if model_of(input.request) == dot

model_of(r) := r.model

via_var := x if {
	r := input.request
	x := r.model
}

union := object.union(input.request, {"extra": 1})

in_set := {input.request, input.identity}

in_array := [input.request, input.identity.roles]

compare if input.request == input.request

ordered := sort([input.request.model, input.request.id])

walked := [k | some k in object.keys(input)]

comprehension := {k: v | some k, v in input.identity}

member_of if input.request in {input.request}

nested_object := {"wrapped": input.request}

# Rules that read only data are shared between evaluations; one that is
# given the input must not keep it.
shared_fn(x) := x

shared := shared_fn(input.request)
