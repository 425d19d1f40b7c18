#!/bin/sh
# Grade a class's answers with `diffcli check --claims-file`, then check the grading itself
# against the verdicts a teacher expects (expected.csv): any difference fails the script.
#
#   question 1: d/dx [x² sin x]              answers.csv           (one claim per student)
#   question 2: ∇(x²y + e^{xy}), as (∂/∂x, ∂/∂y)   gradient_answers.csv  (one column per component)
#
# Equivalent forms (ben's factored answer, fay's x^2) are correct; the mistakes are wrong —
# chloe forgot the product rule, dev has a sign error, eli added a constant, hal is right
# everywhere except at x = 1 (where a checker trying 0, 1, 2 would not look twice); gus's
# "2x" is not a formula, so his row is "invalid" rather than a crash of the whole batch.
#   DIFFCLI   the command to run (default: diffcli; the tests use "python -m diffcli")
set -eu
here=$(dirname "$0")
DIFFCLI=${DIFFCLI:-diffcli}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

grade() {  # grade FORMULA ANSWERS EXPECTED
    $DIFFCLI check "$1" --claims-file "$2" --format csv > "$work/verdicts.csv"
    # Columns: id, verdict, component, at, claimed, actual, symbolic, note (ids hold no commas).
    awk -F, -v question="$1" '
        NR == FNR { if (FNR > 1) expected[$1] = $2; next }
        FNR == 1 { next }
        {
            seen[$1] = 1
            status = ($2 == expected[$1]) ? "ok" : "FAILED"
            printf "%-6s %-5s %-8s %s\n", status, $1, $2, ($2 == "wrong" ? $3 : "")
            if (status != "ok") bad = 1
        }
        END {
            for (id in expected) if (!(id in seen)) { print "FAILED: no verdict for " id; bad = 1 }
            if (bad) { print "FAILED: the grading of " question " differs from expected" > "/dev/stderr"; exit 1 }
        }' "$3" "$work/verdicts.csv"
}

echo "== d/dx [x**2*sin(x)]"
grade "x**2*sin(x)" "$here/answers.csv" "$here/expected.csv"
echo "== gradient of x**2*y + exp(x*y)"
grade "x**2*y + exp(x*y)" "$here/gradient_answers.csv" "$here/gradient_expected.csv"
echo "all verdicts as expected"
