#!/bin/sh
# The closest points of the hyperbola xy = 1 to the origin: minimise x² + y².
# Known answer: two minima, (1, 1) and (-1, -1), with f = 2 and λ = 2; f is unbounded above.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x**2 + y**2" --subject-to "x*y = 1" --json 2>/dev/null)
check "$out" '(.points | length) == 2 and all(.points[]; .kind == "min" and near(.f; 2) and near(.multipliers[0]; 2))' \
    "two local minima with f = 2 and λ = 2"
check "$out" '.points | map(.x.x) | sort | near(.[0]; -1) and near(.[1]; 1)' "at x = -1 and x = 1"
check "$out" 'any(.warnings[]; test("unbounded above"))' "warns that f is unbounded above on xy = 1"
