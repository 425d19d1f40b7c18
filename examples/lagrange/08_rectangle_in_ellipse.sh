#!/bin/sh
# The largest rectangle inscribed in the ellipse x²/4 + y²/9 = 1 (corners at (±x, ±y)):
# maximise the area 4xy.
# Known answer: x = sqrt(2), y = 3/sqrt(2), area 12.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "4*x*y" --subject-to "x**2/4 + y**2/9 = 1" --max --json 2>/dev/null)
check "$out" '.points[0] | near(.f; 12) and near(.x.x | fabs; 1.4142135623730951) and near(.x.y | fabs; 2.1213203435596424)' \
    "area 12 at |x| = sqrt(2), |y| = 3/sqrt(2)"
