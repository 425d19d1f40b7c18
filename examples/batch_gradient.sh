#!/usr/bin/env bash
# Value and gradient at many points in one vectorised pass: `grad --at-file`.
# Writes a table of 1001 points in [-2, 2], differentiates the slide's polynomial at
# every one, and checks the row x = 1.5: f = -1.125, f' = 5.25. Needs jq.
#     bash examples/batch_gradient.sh      (DIFFCLI="python -m diffcli" for a checkout)
set -euo pipefail

dc() { ${DIFFCLI:-diffcli} "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk 'BEGIN { print "x"; for (i = 0; i <= 1000; i++) printf "%.3f\n", -2 + i * 0.004 }' > "$work/points.csv"

dc grad "3*x**3 - 5*x**2" --at-file "$work/points.csv" --format csv > "$work/out.csv"
head -n 3 "$work/out.csv"
echo "..."
# x = 1.5 is point 876 (line 877 with the header): f = -1.125, f' = 5.25 exactly.
line=$(sed -n 877p "$work/out.csv")
echo "$line"
[ "$line" = "1.5,-1.125,5.25" ] || { echo "FAILED: expected 1.5,-1.125,5.25" >&2; exit 1; }

dc grad "3*x**3 - 5*x**2" --at-file "$work/points.csv" --json \
    | jq -c '{points, method, "max |df/dx|": (.grad.x | map(fabs) | max)}'
