"""`diffcli diff`: SymPy's formula, checked against AD, and expression swell made visible."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli, run_json
from diffcli.ad.evaluate import evaluate
from diffcli.views.formula import cse_size, derivative_formulas, tree_size
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_reverse
from diffcli.ad.transforms import hessian


def logistic(n: int) -> str:
    return "; ".join(["x0 = x"] + [f"x{k} = r*x{k - 1}*(1 - x{k - 1})" for k in range(1, n + 1)])


def test_the_slide_polynomial():
    document = run_json("diff", "3*x**3 - 5*x**2")
    assert document["derivatives"] == {"x": "x*(9*x - 10)"}
    assert document["simplified"] == {"x": True}
    assert document["latex"]["x"] == "x \\left(9 x - 10\\right)"
    sizes = document["sizes"]["x"]
    # x, 2, x², 9, 9·x², −10, −10·x and the sum: the tape folds the chain rule's
    # constant towers (−5·(2·x) → −10·x) and turns a + (−b) into a − b.
    assert sizes["ad_graph"] == 8 and sizes["sympy"] == 9 and sizes["simplified"] == 7


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


def test_second_order_matches_the_hessian_diagonal():
    document = run_json("diff", "x**2*y + exp(x*y)", "--order", "2")
    point = {"x": 0.5, "y": 1.0}
    h = hessian(parse("x**2*y + exp(x*y)"), point, ["x", "y"])
    assert value_of(document["derivatives"]["x"], point) == pytest.approx(h[0, 0], rel=1e-12)
    assert value_of(document["derivatives"]["y"], point) == pytest.approx(h[1, 1], rel=1e-12)


def test_let_constants_are_substituted():
    document = run_json("diff", "a*x**2", "--let", "a=3")
    assert document["wrt"] == ["x"] and document["derivatives"] == {"x": "6*x"}


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


def test_timeout_keeps_the_ad_side():
    result = run_cli("diff", logistic(12), "--wrt", "x", "--let", "r=3.7", "--symbolic-timeout", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"]["x"] == "timed out" and document["derivatives"]["x"] is None
    # Seven nodes per step: the AD graph grows linearly while SymPy's tree explodes.
    assert document["sizes"]["x"]["ad_graph"] == 7 * 12
    assert "did not finish" in document["warnings"][0]


def test_text_output_and_ad_program():
    result = run_cli("diff", "sin(x)*exp(x)", "--show-ad")
    assert result.returncode == 0, result.stderr
    assert "∂f/∂x = " in result.stdout and "df_dx = " in result.stdout and "AD graph" in result.stdout
    latex = run_cli("diff", "x**2*y + exp(x*y)", "--order", "2", "--latex").stdout
    assert "e^{x y}" in latex


def test_long_formulas_are_cut_unless_full():
    short = run_cli("diff", logistic(6), "--wrt", "x", "--let", "r=3.7", "--no-simplify")
    assert short.returncode == 0 and "--full shows all" in short.stdout


@pytest.mark.parametrize("args, message", [
    (["x*y", "--order", "0"], "--order"),
    (["x*y", "--order", "11"], "--order"),
    (["x*y", "--wrt", "z"], "--wrt"),
    (["[x, y]"], "single formula"),
    (["x[0]*x[1]", "--at", "x=[1,2]"], "tensor"),
    (["x*y", "--symbolic-timeout", "0"], "--symbolic-timeout"),
    (["x*y", "--at", "x=1"], "'y'"),
])
def test_bad_input_exits_2(args, message):
    result = run_cli("diff", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_constant_formula_has_zero_derivative():
    document = run_json("diff", "x*0 + 2", "--at", "x=1")
    assert document["derivatives"]["x"] == "0"
    assert np.isfinite(document["sizes"]["x"]["ad_graph"])


def test_decimals_and_constants_read_as_typed():
    document = run_json("diff", "0.1*x**2 + 3.7*x + pi*sin(x) + e**x")
    assert document["derivatives"]["x"] == "x/5 + exp(x) + pi*cos(x) + 37/10"
    # SymPy folds 3.7 + π into one float before diffcli sees it: shown to 15 digits.
    assert run_json("diff", "3.7*x + pi*x")["derivatives"]["x"] == "6.84159265358979"
    assert run_json("diff", "r*x*(1 - x)", "--let", "r=3.7")["derivatives"]["x"] == "37/10 - 37*x/5"
