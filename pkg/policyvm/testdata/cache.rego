package vmtest

# double reads only its argument: shared between evaluations, by argument.
double(x) := x * 2

by_arg := double(input.n)

# limit reads only data: one value per data document.
limit := data.limits.max

# echo reads the input: never shared.
echo := input.n

# now calls a non-deterministic built-in: never shared.
now := time.now_ns()

# Under with, data and input differ; nothing inside may come from, or go
# into, what evaluations share.
limit_with := x if {
	x := limit with data.limits.max as 7
}

echo_with := x if {
	x := echo with input.n as 9
}

# conflict has two values for one complete rule.
conflict := 1 if input.conflict

conflict := 2 if input.conflict

# spin iterates long enough for a cancelled context to be noticed.
spin := count([x | some x in numbers.range(1, 100000); x > 0])

# literal is a constant collection the planner builds on every use; the
# second rule adds to a copy of it, which must not change the first.
literal := ["a", "b"]

extended := array.concat(literal, [input.n])

grown contains x if some x in literal

grown contains input.n

result := {
	"by_arg": by_arg,
	"limit": limit,
	"echo": echo,
	"now": now,
	"limit_with": limit_with,
	"echo_with": echo_with,
	"literal": literal,
	"extended": extended,
	"grown": grown,
}

# with_first asks for the with rules before the plain ones.
with_first := [limit_with, limit, echo_with, echo]

# Functions with arguments that read the input or the time, and a shared
# function called under with: none of their values may be shared.
plus_n(x) := x + input.n

stamp(x) := x + time.now_ns()

# trace acts: a call that traces must run in every evaluation.
traced(x) := x if trace("traced")

args_impure := [plus_n(1), stamp(1), y, traced(3)] if {
	y := double(5) with input.n as 0
}
