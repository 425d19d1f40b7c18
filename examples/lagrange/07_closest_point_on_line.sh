#!/bin/sh
# The point of the line 2x + y = 5 closest to the origin: minimise x² + y².
# Known answer: (2, 1), distance² 5, λ = 2.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x**2 + y**2" --subject-to "2*x + y = 5" --min --json 2>/dev/null)
check "$out" '.points[0] | near(.x.x; 2) and near(.x.y; 1) and near(.f; 5) and near(.multipliers[0]; 2) and .kind == "min"' \
    "(2, 1) with f = 5 and λ = 2"
check "$out" '.points[0].iterations == 1' "one Newton step: the KKT system of a quadratic problem is linear"
