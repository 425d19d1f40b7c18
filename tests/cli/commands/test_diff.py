"""`diffcli diff`: the derivative formulas, their sizes, --latex/--show-ad/--full, time limits, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse
from diffcli.ad.transforms import hessian


def logistic(n: int) -> str:
    return "; ".join(["x0 = x"] + [f"x{k} = r*x{k - 1}*(1 - x{k - 1})" for k in range(1, n + 1)])


def value_of(formula_text: str, point: dict) -> float:
    """Evaluate SymPy's printed formula with diffcli's own parser (no eval, no sympify)."""
    g = parse(formula_text)
    return float(evaluate(g, {k: v for k, v in point.items() if k in g.variables})[g.outputs[0]])


def test_the_slide_polynomial(cli_json):
    document = cli_json("diff", "3*x**3 - 5*x**2")
    assert document["derivatives"] == {"x": "x*(9*x - 10)"}
    assert document["simplified"] == {"x": True}
    assert document["latex"]["x"] == "x \\left(9 x - 10\\right)"
    sizes = document["sizes"]["x"]
    # x, 2, x², 9, 9·x², −10, −10·x and the sum: the tape folds the chain rule's
    # constant towers (−5·(2·x) → −10·x) and turns a + (−b) into a − b.
    assert sizes["ad_graph"] == 8 and sizes["sympy"] == 9 and sizes["simplified"] == 7


def test_second_order_matches_the_hessian_diagonal(cli_json):
    document = cli_json("diff", "x**2*y + exp(x*y)", "--order", "2")
    point = {"x": 0.5, "y": 1.0}
    h = hessian(parse("x**2*y + exp(x*y)"), point, ["x", "y"])
    assert value_of(document["derivatives"]["x"], point) == pytest.approx(h[0, 0], rel=1e-12)
    assert value_of(document["derivatives"]["y"], point) == pytest.approx(h[1, 1], rel=1e-12)


def test_let_constants_are_substituted(cli_json):
    document = cli_json("diff", "a*x**2", "--let", "a=3")
    assert document["wrt"] == ["x"] and document["derivatives"] == {"x": "6*x"}


def test_timeout_keeps_the_ad_side(cli):
    result = cli("diff", logistic(12), "--wrt", "x", "--let", "r=3.7", "--symbolic-timeout", "0.5", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"]["x"] == "timed out" and document["derivatives"]["x"] is None
    # Seven nodes per step: the AD graph grows linearly while SymPy's tree explodes.
    assert document["sizes"]["x"]["ad_graph"] == 7 * 12
    assert "did not finish" in document["warnings"][0]


def test_text_output_and_ad_program(cli):
    result = cli("diff", "sin(x)*exp(x)", "--show-ad")
    assert result.exit_code == 0, result.stderr
    assert "∂f/∂x = " in result.stdout and "df_dx = " in result.stdout and "AD graph" in result.stdout
    latex = cli("diff", "x**2*y + exp(x*y)", "--order", "2", "--latex").stdout
    assert "e^{x y}" in latex


def test_long_formulas_are_cut_unless_full(cli):
    short = cli("diff", logistic(6), "--wrt", "x", "--let", "r=3.7", "--no-simplify")
    assert short.exit_code == 0 and "--full shows all" in short.stdout


@pytest.mark.parametrize("args, message", [
    (["x*y", "--order", "0"], "--order"),
    (["x*y", "--order", "11"], "--order"),
    (["x*y", "--wrt", "z"], "--wrt"),
    (["[x, y]"], "single formula"),
    (["x[0]*x[1]", "--at", "x=[1,2]"], "tensor"),
    (["x*y", "--symbolic-timeout", "0"], "--symbolic-timeout"),
    (["x*y", "--at", "x=1"], "'y'"),
])
def test_bad_input_exits_2(cli, args, message):
    result = cli("diff", *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_constant_formula_has_zero_derivative(cli_json):
    document = cli_json("diff", "x*0 + 2", "--at", "x=1")
    assert document["derivatives"]["x"] == "0"
    assert np.isfinite(document["sizes"]["x"]["ad_graph"])


def test_decimals_and_constants_read_as_typed(cli_json):
    document = cli_json("diff", "0.1*x**2 + 3.7*x + pi*sin(x) + e**x")
    assert document["derivatives"]["x"] == "x/5 + exp(x) + pi*cos(x) + 37/10"
    # SymPy folds 3.7 + π into one float before diffcli sees it: shown to 15 digits.
    assert cli_json("diff", "3.7*x + pi*x")["derivatives"]["x"] == "6.84159265358979"
    assert cli_json("diff", "r*x*(1 - x)", "--let", "r=3.7")["derivatives"]["x"] == "37/10 - 37*x/5"


def test_a_deep_program_fails_in_sympy_as_a_status_not_a_traceback(cli):
    chain = "\n".join(["c0 = x", *(f"c{i} = sin(c{i - 1}) + c{i - 1}*y" for i in range(1, 301)), "c300"])
    result = cli("diff", "-", "--symbolic-timeout", "3", "--json", input=chain)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document["status"].values()) <= {"failed", "timed out", "ok"}
    assert document["sizes"]["function"]["ad_graph"] == 902  # x, y, then sin, mul, add per statement


def test_diff_refuses_an_order_whose_ad_graph_swells_past_the_limit(cli):
    tower = "\n".join(["x0 = x", *(f"x{i} = x**x{i - 1}" for i in range(1, 21)), "x20"])
    result = cli("diff", "-", "--order", "10", "--symbolic-timeout", "1", input=tower)
    assert result.exit_code == 2
    assert result.stderr.startswith("diffcli: error: --order 10 is too high for this formula: the AD graph of "
                                    "derivative ")
    assert "works)" in result.stderr
