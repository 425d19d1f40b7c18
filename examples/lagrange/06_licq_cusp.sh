#!/bin/sh
# Irregular points: on the cusp y² = x³ (x = t², y = t³), f = x - y = t² - t³ has a
# local minimum at the cusp (0, 0), but there ∇g = (-3x², 2y) = 0, so ∇f = λ∇g has no
# solution: Lagrange's equations cannot see it. diffcli searches for such points too
# (g = 0 with dependent constraint gradients) and lists them as candidates of their own kind.
# Known answer: the regular critical point is a local max at (4/9, 8/27), f = 4/27; the
# irregular point is (0, 0) with f = 0.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x - y" --subject-to "y**2 = x**3" --json 2>/dev/null)
check "$out" '[.points[] | select(.kind == "max")] | length == 1 and (.[0] | near(.f; 0.14814814814814814) and near(.x.x; 0.4444444444444444) and near(.x.y; 0.2962962962962963))' \
    "the regular critical point: local max 4/27 at (4/9, 8/27)"
check "$out" '[.points[] | select(.kind == "irregular")] | length == 1 and (.[0] | .x.x == 0 and .x.y == 0 and .f == 0 and .multipliers == [null])' \
    "the cusp (0, 0) listed as an irregular point with f = 0 and no multiplier"
check "$out" 'any(.warnings[]; test("irregular point at x=0, y=0"))' "with a warning"
