#!/bin/sh
# Maximum entropy: maximise -(p log p + q log q + r log r) subject to p + q + r = 1.
# Known answer: the uniform distribution p = q = r = 1/3, entropy log 3, λ = log 3 - 1.
# Starts are drawn inside the domain of log with --box. The formula starts with '-',
# so it comes after '--' (otherwise it would be read as an option).
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange --subject-to "p + q + r = 1" --box 0.05:0.95 --max --json \
      -- "-(p*log(p) + q*log(q) + r*log(r))" 2>/dev/null)
check "$out" '.points[0] | near(.f; 1.0986122886681098) and near(.x.p; 0.3333333333333333) and near(.x.q; 0.3333333333333333) and near(.x.r; 0.3333333333333333)' \
    "p = q = r = 1/3 with entropy log 3"
check "$out" '.points[0] | near(.multipliers[0]; 0.09861228866810978) and .kind == "max"' "λ = log 3 - 1, a maximum"
