#!/bin/sh
# Scale: 50 variables and 2 constraints. Minimise x1² + ... + x50² subject to
# x1 + ... + x50 = 50 and x1 - x50 = 2.
# Known answer: x1 = 2, x50 = 0, every other xi = 1; f = 52; λ = (2, 2).
. "$(dirname "$0")/lib.sh"
squares=$(seq -s + 1 50 | sed 's/[0-9][0-9]*/x&**2/g')
total=$(seq -s + 1 50 | sed 's/[0-9][0-9]*/x&/g')
out=$($DIFFCLI lagrange "$squares" -s "$total = 50" -s "x1 - x50 = 2" --starts 3 --json 2>/dev/null)
check "$out" '(.variables | length) == 50' "50 variables"
check "$out" '.points[0] | near(.f; 52) and near(.x.x1; 2) and near(.x.x50; 0) and near(.x.x25; 1) and .kind == "min"' \
    "f = 52 at x1 = 2, x50 = 0, the others 1"
check "$out" '.points[0].multipliers | near(.[0]; 2) and near(.[1]; 2)' "λ = (2, 2)"
