#!/bin/sh
# Two constraints: extremes of x + y + z on the ellipse where the plane x + z = 1
# cuts the cylinder x² + y² = 2.
# Known answer: max 1 + sqrt(2) at (0, sqrt(2), 1), min 1 - sqrt(2) at (0, -sqrt(2), 1).
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x + y + z" -s "x**2 + y**2 = 2" -s "x + z = 1" --json 2>/dev/null)
check "$out" '(.points | length) == 2' "two critical points"
check "$out" '.points[.max] | near(.f; 2.414213562373095) and .kind == "max" and near(.x.y; 1.4142135623730951) and near(.x.z; 1)' \
    "max 1 + sqrt(2) at (0, sqrt(2), 1)"
check "$out" '.points[.min] | near(.f; -0.41421356237309515) and .kind == "min" and near(.x.y; -1.4142135623730951)' \
    "min 1 - sqrt(2) at (0, -sqrt(2), 1)"
