"""`diffcli taylor`: coefficients by forward mode applied n times, against SymPy's series."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli, run_json
from diffcli.ad.parse import parse
from diffcli.views.taylor import symbolic_coefficients, taylor_coefficients


def test_exp_times_sin_at_zero():
    document = run_json("taylor", "exp(x)*sin(x)", "--at", "x=0", "--order", "4")
    assert document["coefficients"] == pytest.approx([0, 1, 1, 1 / 3, 0], abs=1e-15)
    assert document["symbolic"]["coefficients"] == ["0", "1", "1", "1/3", "0"]
    assert document["symbolic"]["max_error"] < 1e-15
    assert document["derivatives"] == pytest.approx([0, 1, 2, 2, 0], abs=1e-14)


def test_binomial_coefficients_are_exact():
    series = taylor_coefficients(parse("(1 + x)**5"), {"x": 0.0}, "x", 7)
    assert series.coefficients == [1.0, 5.0, 10.0, 10.0, 5.0, 1.0, 0.0, 0.0]


def test_geometric_series_away_from_zero():
    # 1/(1-x) at x = 1/2: cₖ = 2^(k+1).
    series = taylor_coefficients(parse("1/(1 - x)"), {"x": 0.5}, "x", 10)
    assert series.coefficients == [2.0 ** (k + 1) for k in range(11)]


def test_other_variables_stay_at_their_values():
    document = run_json("taylor", "x*y**2 + sin(x*y)", "--at", "x=1,y=2", "--wrt", "x", "--order", "3")
    c = document["coefficients"]
    assert c[0] == pytest.approx(4 + math.sin(2)) and c[1] == pytest.approx(4 + 2 * math.cos(2))
    assert c[3] == pytest.approx(-8 * math.cos(2) / 6)
    assert document["symbolic"]["coefficients"][2] == "-2*sin(2)"


def test_kinks_follow_the_branch_taken():
    series = taylor_coefficients(parse("abs(x)*x"), {"x": -2.0}, "x", 3)
    assert series.coefficients == [-4.0, 4.0, -1.0, 0.0]


def test_graph_sizes_are_reported_and_shared():
    series = taylor_coefficients(parse("exp(x)*sin(x)"), {"x": 0.0}, "x", 8)
    assert len(series.graph_sizes) == 9
    # Hash-consing keeps the k-th derivative graph far below the 2^k terms of the product rule.
    assert series.graph_sizes[-1] < 200


FORMULAS = ["exp(x)*sin(x)", "log(1 + x*x)", "sqrt(2 + x)", "atan(x)/(1 + x)", "cosh(x)**3 - x"]


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(FORMULAS), st.sampled_from([-0.5, 0.0, 0.25, 1.0]), st.integers(0, 6))
def test_matches_sympy_series(formula, center, order):
    g = parse(formula)
    ad = taylor_coefficients(g, {"x": center}, "x", order).coefficients
    exact = symbolic_coefficients(g, {"x": center}, "x", order, timeout=None)
    assert exact.status == "ok"
    for k, (a, b) in enumerate(zip(ad, exact.values)):
        assert a == pytest.approx(b, rel=1e-11, abs=1e-12), k


def test_text_table():
    result = run_cli("taylor", "exp(x)*sin(x)", "--at", "x=0")
    assert result.returncode == 0, result.stderr
    assert "1/3" in result.stdout and "0.333333333333333" in result.stdout


def test_rational_text_is_exact():
    assert Fraction(run_json("taylor", "log(x)", "--at", "x=1", "--order", "5")["symbolic"]["coefficients"][5]) == \
        Fraction(1, 5)


@pytest.mark.parametrize("args, message", [
    (["--at", "x=0", "--order", "41"], "--order"),
    (["--at", "x=0", "--order", "-1"], "--order"),
    (["--at", "x=[0,1]"], "scalar variable"),
    (["--at", "x=0,y=1", "--wrt", "x,y"], "--wrt"),
    (["--at", "y=1"], "'x'"),
])
def test_bad_input_exits_2(args, message):
    result = run_cli("taylor", "x*x + x*y" if "y" in " ".join(args) else "x*x", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_lists_are_refused():
    result = run_cli("taylor", "[x, x*x]", "--at", "x=0")
    assert result.returncode == 2 and "single output" in result.stderr


def test_branches_agree_with_sympy():
    # SymPy's series mishandles Piecewise; the comparison uses Taylor's formula there.
    document = run_json("taylor", "x if x > 0 else -x*x", "--at", "x=-1", "--order", "3")
    assert document["coefficients"] == [-1.0, 2.0, -1.0, 0.0]
    assert document["symbolic"]["coefficients"] == ["-1", "2", "-1", "0"]


def test_overflowing_derivatives_are_flagged():
    result = run_cli("taylor", "exp(1000*x)", "--at", "x=0.7", "--order", "2", "--no-symbolic")
    assert result.returncode == 0 and "from k = 2 on are not finite" in result.stderr


def test_an_undefined_value_is_a_math_error():
    result = run_cli("taylor", "log(x)", "--at", "x=-1")
    assert result.returncode == 1 and "log of a negative number" in result.stderr
