#!/bin/sh
# Stewart's classic: maximise xyz on the ellipsoid x² + 2y² + 3z² = 6.
# Known answer: max 2/sqrt(3) at x = sqrt(2), y = 1, z = sqrt(2/3) (and sign changes).
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x*y*z" --subject-to "x**2 + 2*y**2 + 3*z**2 = 6" --max --json 2>/dev/null)
check "$out" '.points[0] | near(.f; 1.1547005383792515) and .kind == "max"' "the maximum is 2/sqrt(3)"
check "$out" '.points[0].x | near(.x | fabs; 1.4142135623730951) and near(.y | fabs; 1) and near(.z | fabs; 0.816496580927726)' \
    "at |x| = sqrt(2), |y| = 1, |z| = sqrt(2/3)"
