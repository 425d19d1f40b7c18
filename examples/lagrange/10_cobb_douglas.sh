#!/bin/sh
# Economics: maximise the utility sqrt(x*y) on the budget line 2x + 3y = 12.
# Known answer: spend half the budget on each good: x = 3, y = 2, utility sqrt(6);
# λ, the marginal utility of money, is sqrt(6)/12.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "sqrt(x*y)" --subject-to "2*x + 3*y = 12" --box 0.1:6 --max --json 2>/dev/null)
check "$out" '.points[0] | near(.x.x; 3) and near(.x.y; 2) and near(.f; 2.449489742783178) and near(.multipliers[0]; 0.2041241452319315)' \
    "x = 3, y = 2, utility sqrt(6), λ = sqrt(6)/12"
