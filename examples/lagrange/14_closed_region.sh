#!/bin/sh
# Absolute extrema on a closed region (Stewart 14.7): f = x² - 2xy + 2y on the rectangle
# 0 <= x <= 3, 0 <= y <= 2. Interior: ∇f = 0 at (1, 1), f = 1. Edges: y = 0 gives x² (min at
# the corner); x = 3 gives 9 - 4y (no critical point); y = 2 gives (x - 2)², x = 2, f = 0; x = 0
# gives 2y. Corners: f(0,0) = 0, f(3,0) = 9, f(3,2) = 1, f(0,2) = 4.
# Known answer: absolute max 9 at (3, 0), absolute min 0 at (0, 0) and at (2, 2).
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x**2 - 2*x*y + 2*y" --subject-to "0 <= x <= 3" --subject-to "0 <= y <= 2" --json 2>/dev/null)
check "$out" '.bounded == true and .absolute == true' "the rectangle is bounded: absolute extrema exist"
check "$out" '.points[.max] | .x.x == 3 and .x.y == 0 and .f == 9' "absolute max 9 at (3, 0)"
check "$out" '[.ties.min[] as $i | .points[$i] | [.x.x, .x.y, .f]] | sort == [[0, 0, 0], [2, 2, 0]]' \
    "absolute min 0 at (0, 0) and (2, 2)"
check "$out" '[.points[] | .where] == ["interior", "y = 2", "x = 0, y = 0", "x = 3, y = 2", "x = 0, y = 2", "x = 3, y = 0"]' \
    "laid out as the textbook does: interior, boundary, corners"
check "$out" '[.points[] | select(.where == "x = 3, y = 0")][0] | .active == [true, true] and .multipliers == [6, -4] and .kind == "max"' \
    "the corner (3, 0): both constraints active, λ = (6, -4), a local max"
