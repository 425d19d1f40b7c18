#!/usr/bin/env bash
# Differentiating programs, not just formulas: the course's two autograd examples with a
# while loop and a branch, run at a point (define-by-run) and checked with jq. Needs jq.
#     bash examples/programs.sh      (DIFFCLI="python -m diffcli" for a checkout)
set -euo pipefail

dc() { ${DIFFCLI:-diffcli} "$@"; }
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "## y = x*2; while y.norm() < 1000: y = y*2 — then y.backward(v) with v = [0.1, 1.0, 0.0001]"
cat "$here/programs/doubling.py"
vjp=$(dc vjp - --at "x=[0.0475,-0.6505,-1.0864]" --cotangent "[0.1,1.0,0.0001]" --json \
      < "$here/programs/doubling.py" | jq -c '.methods.reverse.vjp.x')
echo "x.grad = $vjp"
[ "$vjp" = "[102.4,1024,0.1024]" ] || fail "expected [102.4,1024,0.1024], got $vjp"

echo "## a loop and a branch: a.grad == d / a at every a"
cat "$here/programs/loop_and_branch.py"
for a in 0.3 -0.3; do
    dc grad - --at "a=$a" --json < "$here/programs/loop_and_branch.py" \
        | jq -e --argjson a "$a" '(.value / $a) as $ratio
              | [.methods.forward, .methods.reverse, .methods.symbolic] | all(.grad.a == $ratio)' > /dev/null \
        || fail "a.grad != d/a at a = $a"
    dc grad - --at "a=$a" --json < "$here/programs/loop_and_branch.py" \
        | jq -c --argjson a "$a" '{a: $a, d: .value, "a.grad": .methods.reverse.grad.a, "d/a": (.value / $a)}'
done
# A vector a: d.backward(ones) gives a.grad = d / a entry by entry.
a="[0.1,-0.2,0.3]"
dc vjp - --at "a=$a" --cotangent "[1,1,1]" --json < "$here/programs/loop_and_branch.py" \
    | jq -e '(.at.a) as $a | .value as $d | .methods.reverse.vjp.a as $g
             | [range(0; $a | length)] | all($g[.] == $d[.] / $a[.])' > /dev/null \
    || fail "a.grad != d/a for a = $a"
echo "vector a = $a: a.grad == d/a entry by entry"

echo "## the trace labels each step by its iteration, and shows the path taken"
dc trace - --at "a=-0.3" < "$here/programs/loop_and_branch.py" | tail -n 4

echo "## retain_grad: y = x + 2; z = y*y*3; out = mean(z) at the 2×2 ones"
dc grad "y = x + 2; z = y*y*3; out = mean(z)" --at "x=[[1,1],[1,1]]" --retain --json \
    | jq -e -c '.retained | (.y == [[4.5,4.5],[4.5,4.5]] and .z == [[0.25,0.25],[0.25,0.25]])' > /dev/null \
    || fail "retained gradients"
echo "∂out/∂y = 4.5, ∂out/∂z = 0.25 everywhere"
echo "all program checks passed"
