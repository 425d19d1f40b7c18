#!/bin/sh
# An inequality that binds: min x² + y² subject to x >= 1. The unconstrained minimum (0, 0)
# violates the constraint, so the answer is on the line x = 1: (1, 0), f = 1, λ = 2 >= 0
# (an active g >= c at a min has λ >= 0). The half-plane is unbounded, and so is f on it.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x**2 + y**2" --subject-to "x >= 1" --json 2>/dev/null)
check "$out" '(.points | length) == 1 and (.points[0] | .x.x == 1 and .x.y == 0 and .f == 1 and .kind == "min" and .multipliers == [2])' \
    "min at (1, 0), f = 1, λ = 2"
check "$out" '.bounded == false and any(.warnings[]; test("unbounded above"))' "the half-plane is unbounded, f too"
