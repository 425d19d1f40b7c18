"""Every differentiable primitive, by both AD modes and in graph mode, against SymPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.ad.evaluate import evaluate
from diffcli.ad.forward import gradient_forward
from diffcli.ad.parse import parse
from diffcli.ad.ops import all_finite
from diffcli.ad.ops.kernels import power as _power
from diffcli.ad.ops.kernels import strong_multiply as _strong_multiply
from diffcli.ad.reverse import gradient_graph, gradient_reverse
from diffcli.checks.symbolic import gradient_symbolic
from diffcli.ad.transforms import hessian

# formula, points inside its domain (one dict per point)
CASES = [
    ("x + y", [(0.3, -1.2)]), ("x - y", [(0.3, -1.2)]), ("x * y", [(0.3, -1.2), (2.0, 5.0)]),
    ("x / y", [(0.3, -1.2), (2.0, 5.0)]), ("x ** y", [(0.7, 1.3), (2.0, 3.0)]), ("-x", [(0.3,)]),
    ("sin(x)", [(0.3,), (2.5,)]), ("cos(x)", [(0.3,), (-2.5,)]), ("tan(x)", [(0.3,), (-1.2,)]),
    ("asin(x)", [(0.3,), (-0.9,)]), ("acos(x)", [(0.3,), (-0.9,)]), ("atan(x)", [(0.3,), (-4.0,)]),
    ("sinh(x)", [(0.3,), (-2.0,)]), ("cosh(x)", [(0.3,), (-2.0,)]), ("tanh(x)", [(0.3,), (-2.0,)]),
    ("asinh(x)", [(0.3,), (-2.0,)]), ("acosh(x)", [(1.3,), (4.0,)]), ("atanh(x)", [(0.3,), (-0.8,)]),
    ("exp(x)", [(0.3,), (-2.0,)]), ("expm1(x)", [(0.3,), (-2.0,)]), ("log(x)", [(0.3,), (7.0,)]),
    ("log2(x)", [(0.3,), (7.0,)]), ("log10(x)", [(0.3,), (7.0,)]), ("log1p(x)", [(0.3,), (-0.5,)]),
    ("log(x, y)", [(3.0, 2.0)]), ("sqrt(x)", [(0.3,), (9.0,)]), ("cbrt(x)", [(0.3,), (-8.0,)]),
    ("abs(x)", [(0.3,), (-2.0,)]), ("sign(x) * x**2", [(0.3,), (-2.0,)]), ("sigmoid(x)", [(0.3,), (-2.0,)]),
    ("relu(x)", [(0.3,), (-2.0,)]), ("softplus(x)", [(0.3,), (-2.0,)]), ("atan2(y, x)", [(0.3, -1.2), (-1.0, 2.0)]),
    ("min(x, y)", [(0.3, -1.2), (-1.0, 2.0)]), ("max(x, y)", [(0.3, -1.2), (-1.0, 2.0)]),
    ("where(x > y, x*y, x + y)", [(0.3, -1.2), (-1.0, 2.0)]), ("x*y if x > 0 else x - y", [(0.3, -1.2), (-1.0, 2.0)]),
    ("x * detach(y) + y", [(0.3, -1.2)]),
]


def _points(formula: str, raw: list[tuple[float, ...]]):
    names = list(parse(formula).variables)
    for values in raw:
        yield {name: np.float64(v) for name, v in zip(names, values)}


@pytest.mark.parametrize("formula, raw", CASES, ids=[c[0] for c in CASES])
def test_forward_reverse_graph_mode_and_sympy_agree(formula, raw):
    graph = parse(formula)
    wrt = list(graph.variables)
    for point in _points(formula, raw):
        value_r, reverse = gradient_reverse(graph, point, wrt)
        value_f, forward = gradient_forward(graph, point, wrt)
        value_s, exact = gradient_symbolic(graph, point, wrt)
        built, outputs = gradient_graph(graph, point, wrt)
        from_graph = evaluate(built, point, upto=outputs)
        assert float(value_r) == float(value_f) == pytest.approx(value_s, rel=1e-14, abs=1e-15)
        for k, name in enumerate(wrt):
            assert float(forward[name]) == pytest.approx(float(reverse[name]), rel=1e-14, abs=1e-15)
            assert float(reverse[name]) == pytest.approx(exact[name], rel=1e-12, abs=1e-14), name
            assert float(from_graph[outputs[k]]) == pytest.approx(exact[name], rel=1e-12, abs=1e-14)


SMOOTH = ["x * y", "x / y", "x ** y", "sin(x) * cos(y)", "exp(x*y)", "log(x) * sqrt(y)", "atan2(y, x)",
          "tanh(x) * sigmoid(y)", "softplus(x*y)", "x**2*y + exp(x*y)"]


@pytest.mark.parametrize("formula", SMOOTH)
def test_hessian_forward_over_reverse_matches_sympy(formula):
    import sympy as sp

    from diffcli.checks.symbolic import to_sympy

    graph = parse(formula)
    wrt = list(graph.variables)
    point = {name: np.float64(v) for name, v in zip(wrt, (0.7, 1.3))}
    computed = hessian(graph, point, wrt)
    (expr,), symbols = to_sympy(graph, graph.outputs, point)
    subs = {symbols[n]: sp.Float(float(point[n]), 30) for n in wrt}
    exact = [[float(sp.diff(expr, symbols[a], symbols[b]).subs(subs).evalf(30)) for b in wrt] for a in wrt]
    np.testing.assert_allclose(computed, exact, rtol=1e-12, atol=1e-13)


def test_reverse_on_the_slide_example_is_exact():
    graph = parse("3*x**3 - 5*x**2")
    value, gradient = gradient_reverse(graph, {"x": np.float64(1.5)}, ["x"])
    assert float(value) == -1.125
    assert float(gradient["x"]) == 5.25
    assert float(gradient_forward(graph, {"x": np.float64(1.5)}, ["x"])[1]["x"]) == 5.25


def test_a_times_a_plus_b():
    graph = parse("a*(a+b)")
    for a, b in [(2.0, 3.0), (-1.5, 0.25)]:
        _, g = gradient_reverse(graph, {"a": np.float64(a), "b": np.float64(b)}, ["a", "b"])
        assert (float(g["a"]), float(g["b"])) == (2 * a + b, a)


def test_untaken_branch_does_not_leak_nan():
    graph = parse("x if x >= 0 else sqrt(-x)")
    point = {"x": np.float64(1.0)}
    assert float(gradient_reverse(graph, point, ["x"])[1]["x"]) == 1.0
    assert float(gradient_forward(graph, point, ["x"])[1]["x"]) == 1.0
    built, outputs = gradient_graph(graph, point, ["x"])
    assert float(evaluate(built, point, upto=outputs)[outputs[0]]) == 1.0
    # where() on arrays: masked entries must not poison the selected ones either
    array_graph = parse("where(x >= 0, x, sqrt(-x))")
    _, grad = gradient_reverse(array_graph, {"x": np.array([1.0, -4.0])}, ["x"])
    np.testing.assert_array_equal(grad["x"], [1.0, -0.25])


def test_zero_to_a_power_has_zero_partials():
    _, g = gradient_reverse(parse("x**y"), {"x": np.float64(0.0), "y": np.float64(2.0)}, ["x", "y"])
    assert (float(g["x"]), float(g["y"])) == (0.0, 0.0)
    _, g = gradient_forward(parse("x**y"), {"x": np.float64(0.0), "y": np.float64(2.0)}, ["x", "y"])
    assert (float(g["x"]), float(g["y"])) == (0.0, 0.0)


def test_negative_base_integer_power():
    _, g = gradient_reverse(parse("x**y"), {"x": np.float64(-2.0), "y": np.float64(3.0)}, ["x", "y"])
    assert float(g["x"]) == 12.0
    assert np.isnan(g["y"])


def test_detach_blocks_the_gradient():
    _, g = gradient_reverse(parse("x * detach(x)"), {"x": np.float64(3.0)}, ["x"])
    assert float(g["x"]) == 3.0
    _, g = gradient_forward(parse("stop_gradient(x**2) + x"), {"x": np.float64(3.0)}, ["x"])
    assert float(g["x"]) == 1.0


def test_graph_mode_folds_constant_towers_and_negations():
    # d/dx (3x³ − 5x² + sin(x)·e^(−x)) = 9·x² + (−10)·x + (e^(−x)·cos(x) − sin(x)·e^(−x)):
    # the chain rule's −5·(2·x) and 3·(3·x²) arrive as single products, and the adjoint
    # of −x is subtracted rather than negated and added.
    graph = parse("3*x**3 - 5*x**2 + sin(x)*exp(-x)")
    point = {"x": np.float64(0.75)}
    built, (output,) = gradient_graph(graph, point, ["x"])
    needed = built.ancestors([output])
    used = [built.ops[n] for n in range(len(built)) if needed[n] and n >= len(graph)]
    assert sorted(used) == ["add", "add", "const", "const", "cos", "smul", "smul", "smul", "smul", "sub"]
    scales = sorted(float(built.attr(n, "value")) for n in range(len(graph), len(built))
                    if needed[n] and built.ops[n] == "const")
    assert scales == [-10.0, 9.0]
    x = 0.75
    exact = 9 * x**2 - 10 * x + np.exp(-x) * (np.cos(x) - np.sin(x))
    assert float(evaluate(built, point, upto=[output])[output]) == pytest.approx(exact, rel=1e-15)


# ------------------------------------------------------ fast paths (bench/) against the slow ones

SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-200, 1e200, -1e200, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("k", [1.0, 2.0])
def test_power_by_multiplication_is_bitwise_np_power_for_1_and_2(k):
    x = np.array(SPECIAL + list(np.random.default_rng(1).uniform(-50, 50, 200)))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(_power(x, np.float64(k)), np.power(x, k))


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e60, max_value=1e60),
       st.sampled_from([3.0, 4.0]))
def test_power_by_multiplication_within_two_ulps_for_3_and_4(x, k):
    fast, slow = _power(np.float64(x), np.float64(k)), np.power(np.float64(x), k)
    if slow == 0 or not np.isfinite(slow):
        assert fast == slow
    else:
        assert abs(fast - slow) <= 2 * np.spacing(abs(slow))


def test_power_keeps_special_values_and_other_exponents():
    x = np.array(SPECIAL)
    with np.errstate(all="ignore"):
        for k in (3.0, 4.0):
            np.testing.assert_array_equal(_power(x, np.float64(k)), np.power(x, k))
        assert _power(np.float64(2.0), np.float64(0.5)) == np.sqrt(2.0)
        assert _power(np.array([8.0]), np.float64(-1.0))[0] == 0.125


def test_strong_multiply_scalar_shortcut_keeps_the_strong_zero_rule():
    g = np.array([1.0, np.inf, np.nan, 0.0])
    with np.errstate(all="ignore"):
        # A finite nonzero scalar: no 0·∞ is possible, the product is plain.
        np.testing.assert_array_equal(_strong_multiply(np.float64(2.0), g), [2.0, np.inf, np.nan, 0.0])
        # A zero scalar still zeroes the non-finite entries: 0·∞ = 0 on a branch not taken.
        np.testing.assert_array_equal(_strong_multiply(g, np.float64(0.0)), [0.0, 0.0, 0.0, 0.0])
        # An infinite scalar against zeros: 0·∞ = 0 as before.
        np.testing.assert_array_equal(_strong_multiply(np.float64(np.inf), np.array([0.0, 1.0])), [0.0, np.inf])


def test_finiteness_check_is_exact_and_silent_for_huge_entries():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sum overflows here; no warning may escape
        assert all_finite(np.array([1e200, -1e300, 2.0]))
        assert all_finite(np.array([1.7e308, 1.7e308]))
        assert not all_finite(np.array([np.inf, -np.inf]))  # the sum is NaN (an invalid operation)
        assert not all_finite(np.array([np.nan, 1.0, 2.0, 3.0])[::2]) and all_finite(np.array([np.nan, 1.0, 2.0])[1::1])
        assert not all_finite(np.array([1e200, np.inf]))
        assert not all_finite(np.array([[0.0, np.nan]]))
        assert all_finite(np.array([], dtype=np.float64))
