#!/bin/sh
# '==' is read as '=': Python's equality is not a 0/1 comparison here. x·y on the unit circle
# has the same four critical points either way: maxima at ±(1, 1)/√2, minima at ±(1, -1)/√2.
. "$(dirname "$0")/lib.sh"
one=$($DIFFCLI lagrange "x*y" --subject-to "x**2 + y**2 = 1" --json 2>/dev/null)
two=$($DIFFCLI lagrange "x*y" --subject-to "x**2 + y**2 == 1" --json 2>/dev/null)
check "$two" '(.points | length) == 4 and ([.points[] | .kind] | sort) == ["max", "max", "min", "min"]' "four points, two max, two min"
check "$one" "[.points[] | [.x.x, .x.y, .f, .kind]] == $(printf '%s' "$two" | jq -c '[.points[] | [.x.x, .x.y, .f, .kind]]')" \
    "the same points and kinds as with ="
