"""The pieces `check` stands on: the domain sampler and the rounding-error scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_graph
from diffcli.checks.domain import live_nodes, measure, sample_domain
from diffcli.checks.roundoff import UNIT_ROUNDOFF, error_scale


def inside(expr: str, **point: float) -> bool:
    graph = parse(expr)
    columns = {name: np.array([value]) for name, value in point.items()}
    return bool(measure(graph, columns, {}, graph.outputs, list(graph.variables)).inside[0])


def test_a_point_is_inside_when_every_used_intermediate_is_finite():
    assert inside("x**3/3 + log(x)", x=2.0)
    assert not inside("x**3/3 + log(x)", x=-2.0)      # AD's gradient is finite there; log(-2) is not
    assert not inside("1/x", x=0.0)
    assert inside("sqrt(x) if x > 0 else -x", x=-4.0)  # the branch not taken may be undefined
    assert not inside("sqrt(x) if x < 0 else -x", x=-4.0)
    assert inside("x > 0 and log(x) > 1", x=-1.0)      # `and` does not evaluate its right side
    assert inside("x < 0 or log(x) > 1", x=-1.0)       # ... nor `or` when its left side is true


def test_liveness_follows_the_branch_at_each_point():
    graph = parse("where(x > 0, log(x), x)")
    values = evaluate(graph, {"x": np.array([-1.0, 2.0])})
    live = live_nodes(graph, values, graph.outputs, pointwise=True)
    log_node = next(n for n, op in enumerate(graph.ops) if op == "log")
    assert live[log_node].tolist() == [False, True]


SAMPLED = [
    ("log(x)", lambda x: x > 0),
    ("asin(x) + acos(x)", lambda x: abs(x) <= 1),
    ("sqrt(1 - x**2)", lambda x: abs(x) <= 1),
    ("log(x - 3) + sqrt(10 - x)", lambda x: 3 < x <= 10),
    ("1/(x**2 - 4)", lambda x: abs(x) != 2),
]


@pytest.mark.parametrize("expr, domain", SAMPLED)
def test_every_sampled_point_is_in_the_domain_and_the_sample_is_rich(expr, domain):
    sample = sample_domain(parse(expr), ["x"], {}, samples=400)
    xs = sample.columns["x"]
    assert all(domain(x) for x in xs)
    assert len(xs) >= 150
    assert len({round(x, 6) for x in xs}) >= 100        # spread, not one point repeated


def test_edges_are_approached_from_inside():
    xs = sample_domain(parse("log(x - 3) + sqrt(10 - x)"), ["x"], {}).columns["x"]
    assert (xs - 3).min() < 1e-9 and (10 - xs).min() < 1e-9


def test_kinks_are_found_and_bracketed():
    xs = sample_domain(parse("abs(x - 0.7) + relu(2.5 - x)"), ["x"], {}).columns["x"]
    for kink in (0.7, 2.5):
        assert (xs == kink).any() or ((abs(xs - kink) < 1e-9).any())
        assert ((xs > kink) & (xs < kink + 1e-5)).any() and ((xs < kink) & (xs > kink - 1e-5)).any()


def test_two_variable_domain():
    sample = sample_domain(parse("log(x - y) + sqrt(4 - x**2 - y**2)"), ["x", "y"], {})
    x, y = sample.columns["x"], sample.columns["y"]
    assert ((x > y) & (x**2 + y**2 <= 4)).all() and len(x) > 100


def test_an_empty_domain_gives_no_points():
    assert len(sample_domain(parse("log(-1 - x**2)"), ["x"], {})) == 0


# ------------------------------------------------------------------ the rounding-error scale

FORMULAS = ["(x + 1) - x", "sin(x)**2 + cos(x)**2 - 1", "exp(x)*log(1 + x**2)/(x - 3)", "tan(x) - sin(x)/cos(x)",
            "sqrt(x**2 + 1) - abs(x)", "(x**3 - 3*x**2 + 3*x - 1) - (x - 1)**3", "atan(x)*x**4 - x**4*atan(x)",
            "sigmoid(x)*(1 - sigmoid(x))", "cosh(x)**2 - sinh(x)**2"]


@pytest.mark.parametrize("expr", FORMULAS)
@settings(max_examples=25, deadline=None)
@given(x=st.floats(-30, 30, allow_nan=False))
def test_the_scale_bounds_the_real_rounding_error(expr, x):
    """|float value − exact value| ≤ 4·u·E, the exact value from SymPy at 40 digits; for the
    formula and for its reverse-mode derivative graph. E counts one rounding per op; an op
    that NumPy computes in several (sigmoid is 1/(1 + exp(−x))) may be off by a few, hence 4
    here (and TOLERANCE_FACTOR = 64 in `check`)."""
    import sympy as sp

    from diffcli.checks.symbolic import to_sympy

    graph = parse(expr)
    derivative, (node,) = gradient_graph(graph, {"x": 1.0}, ["x"])
    for g, root in ((graph, graph.outputs[0]), (derivative, node)):
        values = evaluate(g, {"x": np.float64(x)}, upto=[root])
        assume(np.isfinite(values[root]))
        scale = error_scale(g, values, root)
        (exact,), symbols = to_sympy(g, [root])
        truth = float(sp.N(exact.subs(symbols["x"], sp.Rational(x)), 40)) if "x" in symbols else float(exact)
        assert abs(values[root] - truth) <= 4 * UNIT_ROUNDOFF * scale + 1e-300, (expr, x, values[root], truth, scale)


@pytest.mark.parametrize("expr", ["log(1 + x*x)**2", "log(1 + x*x)*log(1 + x*x)", "log(1 + x*x)**3"])
def test_a_value_rounded_to_zero_keeps_its_second_order_error(expr):
    """log(1 + x²) is 0 at x = 1e-12 (1 + 1e-24 rounds to 1) with an error bound of u; to first order
    its square is exact (2·0·u), but it is off by (1e-24)², and the derivative of its cube is 0 for
    SymPy's 6e-60. E holds the second-order term: for the square 2u (u², twice, in units of u)."""
    import sympy as sp

    from diffcli.checks.symbolic import to_sympy

    graph = parse(expr)
    derivative, (node,) = gradient_graph(graph, {"x": 1.0}, ["x"])
    scales = []
    for g, root in ((graph, graph.outputs[0]), (derivative, node)):
        values = evaluate(g, {"x": np.float64(1e-12)}, upto=[root])
        (exact,), symbols = to_sympy(g, [root])
        truth = float(sp.N(exact.subs(symbols["x"], sp.Rational(1e-12)), 40))
        scales.append(error_scale(g, values, root))
        assert abs(values[root] - truth) <= UNIT_ROUNDOFF * scales[-1], (expr, values[root], truth, scales[-1])
    if "**3" not in expr:
        assert math.isclose(scales[0], 2 * UNIT_ROUNDOFF, rel_tol=1e-14)


def test_the_second_order_term_is_negligible_away_from_zeros():
    """(x² + 1)³ at x = 0.5: the first-order bound is 575/64 = 8.984375; the partials taken at the
    ends of their arguments' error intervals add a relative 4e-16 to it."""
    graph = parse("(x*x + 1)**3")
    scale = error_scale(graph, evaluate(graph, {"x": np.float64(0.5)}), graph.outputs[0])
    assert 8.984375 < scale <= 8.984375 * (1 + 1e-15)


def test_the_scale_is_the_size_of_the_terms_not_of_the_result():
    graph = parse("(x + 1) - x")
    big = evaluate(graph, {"x": np.float64(1e8)})
    assert error_scale(graph, big, graph.outputs[0]) == 1e8 + 2
    small = evaluate(graph, {"x": np.float64(1.0)})
    assert error_scale(graph, small, graph.outputs[0]) == 3.0  # |x + 1| + |result|
    assert math.isclose(error_scale(parse("3*x"), evaluate(parse("3*x"), {"x": np.float64(2.0)}),
                                    parse("3*x").outputs[0]), 6.0)
