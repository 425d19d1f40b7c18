"""Forward mode is exact wherever the tangent it pushes is a normal float64 — also where a
partial derivative alone is not.

The quotient rule's partial ∂(x/y)/∂y = −(x/y)/y underflows for f = u/exp(x) at x ≈ 470
(ans/y ≈ 1e-390), although its product with the incoming tangent ẏ ≈ 1e203 is an ordinary
number; multiplying the two loses that term (the issue: 2.81e-188 printed for 2.76e-190).
Rows of the op table whose partial can leave the range of doubles where the product would
not declare a tangent rule (`Primitive.tangent`) that forward mode uses instead. Checked
here for every elementwise op against 50-digit references, with realistic tangents: each
argument's tangent is its own value times a rate (a value that grew out of exp(t) has
tangent ≈ value), so tangents span the same magnitudes as values.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from diffcli.ad.evaluate import evaluate
from diffcli.ad.forward import gradient_forward, jacobian_forward, jvp_sweep
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.parse import parse
from diffcli.views.taylor import taylor_coefficients

ULP = 2.0**-52
TINY, HUGE = 2.2250738585072014e-308, 1.7976931348623157e308
BOUND = 8 * ULP
# x**y: y − 1 is rounded when y has bits below its ulp (y = 0.3), an error times |ln x| ≤ 709.
BOUNDS = {"pow": 256 * ULP}

ISSUE = "(x**2 + 1)**3 * sin(2*x) / exp(x)"
ISSUE_X = 468.6514555938195


def _issue_reference(x: float) -> mpmath.mpf:
    with mpmath.workdps(50):
        return mpmath.diff(lambda t: (t**2 + 1)**3 * mpmath.sin(2 * t) / mpmath.exp(t), mpmath.mpf(x))


def _relative(got: float, exact: mpmath.mpf) -> float:
    with mpmath.workdps(50):
        return float(abs((mpmath.mpf(got) - exact) / exact)) if math.isfinite(got) else math.inf


def test_the_issue_example_is_exact_in_forward_mode():
    exact = _issue_reference(ISSUE_X)
    assert mpmath.nstr(exact, 3) == "2.76e-190"
    _, gradient = gradient_forward(parse(ISSUE), {"x": np.float64(ISSUE_X)}, ["x"])
    # The derivative is a difference of two terms 100× its size: two digits go to cancellation.
    assert _relative(float(gradient["x"]), exact) < 1e-13


def test_blocks_of_directions_keep_it_too():
    """jacobian_forward pushes several directions at once (a leading axis on every tangent)."""
    graph = parse("(x**2 + 1)**3 * sin(2*x) / exp(y) + 0*x*y")
    point = {"x": np.float64(ISSUE_X), "y": np.float64(ISSUE_X)}
    row = jacobian_forward(graph, point, ["x", "y"])[0]
    with mpmath.workdps(50):
        t = mpmath.mpf(ISSUE_X)
        d_x = mpmath.diff(lambda s: (s**2 + 1)**3 * mpmath.sin(2 * s), t) / mpmath.exp(t)
        d_y = -(t**2 + 1)**3 * mpmath.sin(2 * t) / mpmath.exp(t)
    assert _relative(row[0], d_x) < 1e-14
    assert _relative(row[1], d_y) < 1e-14


def test_graph_mode_forward_keeps_it_for_taylor():
    """taylor runs forward mode on graph references (forward over forward): same rules."""
    series = taylor_coefficients(parse(ISSUE), {"x": np.float64(ISSUE_X)}, "x", 2)
    assert _relative(series.derivatives[1], _issue_reference(ISSUE_X)) < 1e-13
    with mpmath.workdps(50):
        second = mpmath.diff(lambda t: (t**2 + 1)**3 * mpmath.sin(2 * t) / mpmath.exp(t), mpmath.mpf(ISSUE_X), 2)
    assert _relative(series.derivatives[2], second) < 1e-10


@pytest.mark.parametrize("formula, x, derivative", [
    # x**(y−1) = e^-800 underflows; y·ans·ẋ/x = −e^-400 does not
    ("exp(x)**-1", 400.0, lambda t: -mpmath.exp(-t)),
    ("exp(x)**-0.5", 700.0, lambda t: -0.5 * mpmath.exp(-0.5 * t)),
    # x**(y−1) overflows (e^736); the tangent is e^276
    ("exp(-x)**-0.6", 460.0, lambda t: 0.6 * mpmath.exp(0.6 * t)),
    # 1 + x² overflows; ẋ/(1 + x²) ≈ e^-400
    ("atan(exp(x))", 400.0, lambda t: mpmath.exp(t) / (1 + mpmath.exp(2 * t))),
    # 1/x overflows at the subnormal exp(−712); ẋ/x = 1
    ("log(exp(x))", -712.0, lambda t: mpmath.mpf(1)),
    # 1/cosh² overflows beyond 355.4 (here 100e^x = 356.1); ẋ/cosh/cosh does not
    ("tanh(100*exp(x))", 1.27, lambda t: 100 * mpmath.exp(t) / mpmath.cosh(100 * mpmath.exp(t))**2),
    # exp(−715) is subnormal: 24 bits short; ṫ·e^(x/2)·e^(x/2) is not
    ("sigmoid(100000*x)", 0.00715, lambda t: 100000 / (4 * mpmath.cosh(50000 * t)**2)),
])
def test_a_partial_out_of_range_no_longer_loses_the_tangent(formula, x, derivative):
    _, gradient = gradient_forward(parse(formula), {"x": np.float64(x)}, ["x"])
    with mpmath.workdps(60):
        exact = derivative(mpmath.mpf(x))
    assert TINY <= abs(exact) <= HUGE
    assert _relative(float(gradient["x"]), exact) < 1e-13


# -------------------------------------------------------------- every op, every magnitude

MAGNITUDES = [10.0**k for k in range(-300, 301, 25)] + [0.5, 3.0, 40.0, 355.5, 400.0, 700.0, 715.0]
SIGNED = sorted(s * m for m in MAGNITUDES for s in (1.0, -1.0))
NEAR_ONE = [1.0 - 2.0**-k for k in (1, 10, 30, 53)]
PAIRS = [10.0**k for k in range(-300, 301, 75)] + [0.5, 3.0]
SIGNED_PAIRS = [(s * a, t * b) for a in PAIRS for b in PAIRS for s in (1.0, -1.0) for t in (1.0, -1.0)]
POINTS: dict[str, list[tuple[float, ...]]] = {
    **{op: [(x,) for x in SIGNED] for op in ("neg", "sin", "cos", "atan", "sinh", "cosh", "tanh", "asinh", "exp",
                                            "expm1", "cbrt", "sigmoid", "softplus", "abs", "sign", "relu")},
    "tan": [(x,) for x in SIGNED if abs(x) < 1e15],
    **{op: [(x,) for x in [0.5, 1e-300] + NEAR_ONE + [-x for x in NEAR_ONE]] for op in ("asin", "acos", "atanh")},
    "acosh": [(1.0 + 2.0**-k,) for k in (1, 20, 52)] + [(x,) for x in MAGNITUDES if x > 1],
    **{op: [(x,) for x in MAGNITUDES] for op in ("log", "log2", "log10", "sqrt")},
    "log1p": [(x,) for x in MAGNITUDES] + [(-x,) for x in NEAR_ONE],
    **{op: SIGNED_PAIRS for op in ("div", "atan2", "hypot", "add", "sub", "mul", "smul", "maximum", "minimum")},
    "pow": [(a, y) for a in PAIRS for y in (-3.0, -1.0, -0.5, 0.3, 2.0, 7.5)],
}
# The rate of each argument: its tangent is rate·value (rate itself at a zero value).
RATES = [(1.0, 0.0), (0.0, 1.0), (-100.0, 0.01), (0.01, 100.0)]
ELEMENTWISE = sorted(op for op, p in PRIMITIVES.items() if p.partials is not None)


def test_every_elementwise_op_has_points():
    assert sorted(POINTS) == ELEMENTWISE


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_forward_tangent_is_accurate_for_tangents_of_every_magnitude(op, reference_partials):
    names = ["x", "y"][:len(POINTS[op][0])]
    graph = Graph()
    variables = [graph.var(n) for n in names]
    graph.outputs = [graph.add(op, tuple(variables))]
    partials = reference_partials(graph, names)
    bound = BOUNDS.get(op, BOUND)
    checked, failures = 0, []
    # 800 digits: SymPy writes tanh′ as 1 − tanh², which needs 600 of them at x = 700.
    with mpmath.workdps(800), np.errstate(all="ignore"):
        for values in POINTS[op]:
            point = {n: np.float64(v) for n, v in zip(names, values)}
            computed = evaluate(graph, point)
            if not TINY <= abs(computed[graph.outputs[0]]) <= HUGE:
                continue  # the value itself is not a normal number: nothing to be accurate to
            for rates in RATES:
                tangents = [np.float64(r * v if v else r) for r, v in zip(rates, values)]
                exact = sum((p(*[mpmath.mpf(v) for v in values]) * mpmath.mpf(t)
                             for p, t in zip(partials, tangents)), mpmath.mpf(0))
                if exact != 0 and not TINY <= abs(exact) <= HUGE:
                    continue
                checked += 1
                seeds = {node: t for node, t in zip(variables, tangents) if t != 0}
                tangent = jvp_sweep(graph, computed, seeds)[graph.outputs[0]]
                got = 0.0 if tangent is None else float(tangent)
                if not (abs(got) < TINY if exact == 0 else _relative(got, exact) <= bound):
                    failures.append(f"at {values} with tangents {[float(t) for t in tangents]}: {got!r}, "
                                    f"exact {mpmath.nstr(exact, 17)}")
    assert checked >= 5
    assert not failures, f"{op}: {len(failures)} inaccurate tangents, e.g. " + "; ".join(failures[:3])
