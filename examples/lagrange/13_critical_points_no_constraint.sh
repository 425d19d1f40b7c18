#!/bin/sh
# No constraint: "find and classify the critical points of f". ∇f = (4x³ - 4y, 4y³ - 4x) = 0
# gives y = x³ and x⁹ = x: x = 0, ±1. The Hessian test (D = f_xx·f_yy - f_xy²):
# D(0,0) = -16 < 0, a saddle; D(±1,±1) = 128 > 0 with f_xx = 12 > 0, local minima, f = -1.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x**4 + y**4 - 4*x*y + 1" --json 2>/dev/null)
check "$out" '(.points | length) == 3' "three critical points"
check "$out" '[.points[] | select(.kind == "saddle")] | length == 1 and (.[0] | .x.x == 0 and .x.y == 0 and .f == 1 and near(.D; -16))' \
    "(0, 0) is a saddle, f = 1, D = -16"
check "$out" '[.points[] | select(.kind == "min")] | length == 2 and all(.[]; (.x.x | fabs) == 1 and .x.x == .x.y and near(.f; -1) and near(.D; 128))' \
    "(1, 1) and (-1, -1) are local minima, f = -1, D = 128"
check "$out" '.completeness.certified == true and .completeness.count == 3' "SymPy counts exactly 3 real critical points"
