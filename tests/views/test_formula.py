"""SymPy's derivative formula, checked against AD, and expression swell made visible."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_reverse
from diffcli.views.formula import cse_size, derivative_formulas, tree_size


def logistic(n: int) -> str:
    return "; ".join(["x0 = x"] + [f"x{k} = r*x{k - 1}*(1 - x{k - 1})" for k in range(1, n + 1)])


def value_of(formula_text: str, point: dict) -> float:
    """Evaluate SymPy's printed formula with diffcli's own parser (no eval, no sympify)."""
    g = parse(formula_text)
    return float(evaluate(g, {k: v for k, v in point.items() if k in g.variables})[g.outputs[0]])


FORMULAS = ["x*y + sin(x)", "exp(x*y)/(1 + x**2)", "c = x - y; d = c*c*x + sqrt(y*y + 1)", "tanh(x)**2*atan(y)",
            "log(1 + x**2)*cos(y)"]


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(FORMULAS), st.floats(-2, 2), st.floats(-2, 2))
def test_printed_formulas_agree_with_reverse_ad(formula, x, y):
    g = parse(formula)
    point = {"x": x, "y": y}
    formulas = derivative_formulas(g, point, ["x", "y"], timeout=None)
    _, gradient = gradient_reverse(g, point, ["x", "y"])
    for f in formulas:
        assert value_of(f.text, point) == pytest.approx(float(gradient[f.variable]), rel=1e-9, abs=1e-12)


def test_expression_swell_of_the_logistic_map():
    ad, tree, cse = [], [], []
    for n in (2, 3, 4, 5):
        [f] = derivative_formulas(parse(logistic(n)), {"x": 0.3, "r": 3.7}, ["x"], timeout=None, simplify=False)
        ad.append(f.ad_size), tree.append(f.sympy_size), cse.append(f.sympy_cse_size)
    # AD grows by the same few nodes per step; SymPy's tree more than doubles; CSE stays far below it.
    assert len({b - a for a, b in zip(ad, ad[1:])}) == 1
    assert all(b > 2 * a for a, b in zip(tree, tree[1:]))
    assert all(c < t / 2 for c, t in zip(cse[1:], tree[1:]))
    assert ad[-1] < cse[-1] < tree[-1]


def test_sizes_count_nodes():
    import sympy as sp

    x = sp.Symbol("x")
    expr = sp.sin(x) * sp.sin(x) + sp.sin(x)  # sin(x)**2 + sin(x): Add(Pow(sin(x), 2), sin(x))
    assert tree_size(expr) == 7
    assert cse_size(sp.exp(x + 1) * (x + 1)) == (1 + 3) + 4  # x0 = x + 1; x0*exp(x0)


