#!/usr/bin/env sh
# Seeing how AD works: traces, graphs, formulas, step sizes, Taylor coefficients.
# Run from anywhere after `pip install .` (or with PYTHONPATH pointing at the checkout).
set -e
diffcli=${DIFFCLI:-diffcli}

echo "## The evaluation trace of c = a + b; d = a*c at a=2, b=3 (reverse: d̄=1, c̄=2, ā=7, b̄=2)"
$diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --mode reverse
echo "## ... and forward along a (ḋ = 7)"
$diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --mode forward --dir a=1

echo "## The graph, shared node a drawn once, with values and adjoints"
$diffcli graph "c = a + b; d = a*c" --at a=2,b=3
echo "## The gradient is a graph too"
$diffcli graph "x**2*y" --grad --format mermaid

echo "## Expression swell: the logistic map unrolled 6 times"
$diffcli diff "x1 = r*x*(1-x); x2 = r*x1*(1-x1); x3 = r*x2*(1-x2); x4 = r*x3*(1-x3); x5 = r*x4*(1-x4); x6 = r*x5*(1-x5)" \
    --wrt x --let r=3.7 --no-simplify | tail -8

echo "## Truncation against round-off"
$diffcli numeric "3*x**3 - 5*x**2" --at x=1.5 --sweep

echo "## Taylor coefficients by forward mode applied 4 times"
$diffcli taylor "exp(x)*sin(x)" --at x=0 --order 4
