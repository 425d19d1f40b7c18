#!/bin/sh
# xy on the unit circle: the four critical points of the textbook picture.
# Known answer: max 1/2 at ±(1/sqrt2, 1/sqrt2), min -1/2 at ±(1/sqrt2, -1/sqrt2); λ = f.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x*y" --subject-to "x**2 + y**2 = 1" --json 2>/dev/null)
check "$out" '(.points | length) == 4' "four critical points"
check "$out" '[.points[] | select(.kind == "max")] | length == 2 and all(.[]; near(.f; 0.5) and near(.multipliers[0]; 0.5))' \
    "two maxima, f = 1/2, λ = 1/2"
check "$out" '[.points[] | select(.kind == "min")] | length == 2 and all(.[]; near(.f; -0.5) and near(.x.x | fabs; 0.7071067811865476))' \
    "two minima, f = -1/2 at |x| = 1/sqrt(2)"
