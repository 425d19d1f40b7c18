#!/bin/sh
# --exact: SymPy solves ∇L = 0 exactly beside Newton. For x + y on x² + y² = 2 the
# critical points are (1, 1) (max, f = 2) and (-1, -1) (min, f = -2).
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x + y" --subject-to "x**2 + y**2 = 2" --exact --json 2>/dev/null)
check "$out" '.exact.status == "ok" and (.exact.solutions | length) == 2' "SymPy finds two solutions"
check "$out" '[.points[] | .exact.f] | sort == ["-2", "2"]' "each numeric point matches an exact one: f = -2 and f = 2"
check "$out" '.points[.max] | near(.x.x; 1) and near(.x.y; 1) and near(.multipliers[0]; 0.5)' "max at (1, 1), λ = 1/2"
