#!/bin/sh
# xyz on the sphere x² + y² + z² = 3: besides 4 maxima (f = 1) and 4 minima (f = -1)
# there are 6 saddle points on the axes, e.g. (sqrt(3), 0, 0), where f = 0 and λ = 0:
# on the tangent plane f ≈ sqrt(3)·y·z, which rises one way and falls the other.
. "$(dirname "$0")/lib.sh"
out=$($DIFFCLI lagrange "x*y*z" --subject-to "x**2 + y**2 + z**2 = 3" --starts 80 --json 2>/dev/null)
check "$out" '[.points[] | select(.kind == "saddle")] | length == 6 and all(.[]; near(.f; 0) and near(.multipliers[0]; 0))' \
    "six saddle points with f = 0, λ = 0"
check "$out" '[.points[] | select(.kind == "saddle") | .eigenvalues | sort | .[0] < 0 and .[1] > 0] | all' \
    "the reduced Hessian has one negative and one positive eigenvalue there"
check "$out" '[.points[] | select(.kind == "max")] | length == 4 and all(.[]; near(.f; 1))' "four maxima with f = 1"
check "$out" '[.points[] | select(.kind == "min")] | length == 4 and all(.[]; near(.f; -1))' "four minima with f = -1"
