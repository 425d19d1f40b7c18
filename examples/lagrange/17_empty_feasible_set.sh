#!/bin/sh
# An empty feasible set: the line x + y = -1 is 1/√2 ≈ 0.71 from the origin, the disk
# x² + y² <= 0.1 has radius 0.32, so no point satisfies both. Both constraints are convex,
# so this is proved, not just seen from failed starts. Exit 1 with one line.
. "$(dirname "$0")/lib.sh"
if err=$($DIFFCLI lagrange "x**2 + y**2" --subject-to "x + y <= -1" --subject-to "x**2 + y**2 <= 0.1" 2>&1 >/dev/null); then
    echo "FAILED: exit 0 on an empty feasible set" >&2; exit 1
fi
lines=$(printf '%s\n' "$err" | wc -l)
case "$err" in
    *"the feasible set is empty (proved: the constraints are convex"*)
        [ "$lines" -eq 1 ] && echo "ok: exit 1 with one line: the feasible set is empty (proved)" ;;
    *) echo "FAILED: $err" >&2; exit 1 ;;
esac
