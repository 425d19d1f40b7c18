#!/bin/sh
# When LICQ fails the method can miss an extremum. On the cusp y² = x³
# (x = t², y = t³), f = x - y = t² - t³ has a local minimum at the cusp (0, 0), but
# there ∇g = (-3x², 2y) = 0, so ∇f = λ∇g has no solution: Lagrange cannot see it.
# Known answer: the one regular critical point is a local max at (4/9, 8/27), f = 4/27;
# diffcli warns that LICQ fails near the origin.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x - y" --subject-to "y**2 = x**3" --json 2>/dev/null)
check "$out" '(.points | length) == 1 and (.points[0] | .kind == "max" and near(.f; 0.14814814814814814) and near(.x.x; 0.4444444444444444) and near(.x.y; 0.2962962962962963))' \
    "the regular critical point: local max 4/27 at (4/9, 8/27)"
check "$out" '(.licq_failures | length) >= 1 and all(.licq_failures[]; (.x.x | fabs) < 0.05 and (.x.y | fabs) < 0.05)' \
    "LICQ failure reported near the cusp (0, 0)"
check "$out" 'any(.warnings[]; test("LICQ fails"))' "with a warning"
