"""Taylor coefficients by forward mode applied n times, against SymPy's series."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.ad.parse import parse
from diffcli.views.taylor import symbolic_coefficients, taylor_coefficients


def test_binomial_coefficients_are_exact():
    series = taylor_coefficients(parse("(1 + x)**5"), {"x": 0.0}, "x", 7)
    assert series.coefficients == [1.0, 5.0, 10.0, 10.0, 5.0, 1.0, 0.0, 0.0]


def test_geometric_series_away_from_zero():
    # 1/(1-x) at x = 1/2: cₖ = 2^(k+1).
    series = taylor_coefficients(parse("1/(1 - x)"), {"x": 0.5}, "x", 10)
    assert series.coefficients == [2.0 ** (k + 1) for k in range(11)]


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


