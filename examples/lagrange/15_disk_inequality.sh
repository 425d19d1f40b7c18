#!/bin/sh
# KKT with an inequality: the point of the disk x² + y² <= 1 closest to (2, 1). The unconstrained
# minimum (2, 1) is outside, so the constraint is active: x = (2, 1)/√5, f = (√5 - 1)² = 6 - 2√5.
# λ = ∂f*/∂c = 1 - √5 < 0: enlarging the disk lowers the minimum (an active g <= c at a min has λ <= 0).
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "(x - 2)**2 + (y - 1)**2" --subject-to "x**2 + y**2 <= 1" --json 2>/dev/null)
check "$out" '.points[.min] | .kind == "min" and near(.x.x; 0.8944271909999159) and near(.x.y; 0.4472135954999579) and near(.f; 1.5278640450004206)' \
    "min at (2, 1)/√5, f = 6 - 2√5"
check "$out" '.points[.min] | .active == [true] and near(.multipliers[0]; -1.2360679774997898) and .where == "x**2 + y**2 = 1"' \
    "the constraint is active, λ = 1 - √5 (sign as documented)"
check "$out" '.points[.max] | .kind == "max" and near(.x.x; -0.8944271909999159) and near(.f; 10.47213595499958)' \
    "absolute max on the disk at -(2, 1)/√5, f = 6 + 2√5"
check "$out" '.bounded == true and (.convention | test("λ = ∂f\\*/∂c"))' "a bounded region; the sign convention is stated"
sens=$($DIFFCLI lagrange "(x - 2)**2 + (y - 1)**2" --subject-to "x**2 + y**2 <= 1" --min --sensitivity --json 2>/dev/null)
check "$sens" '.sensitivity.rows[0] | near(.multiplier; -1.2360679774997898) and ((.rate - .multiplier) | fabs) < 1e-6' \
    "--sensitivity: the re-solved rate of change equals λ"
