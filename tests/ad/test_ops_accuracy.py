"""Every elementwise derivative rule is accurate to a few ulps wherever the derivative is a
normal float64, from 1e-300 to 1e300 and near the edges of each domain — checked against
50-digit references (SymPy's derivative of the row's own `to_sympy`, evaluated by mpmath).

A rule written in an unstable form fails here: 1 − tanh(x)² is 0 at x = 40 (true 7.2e-35),
1/√(1 − x²) loses ten digits near x = 1, √(x² + 1) overflows beyond 1e154.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffcli.ad.evaluate import evaluate
from diffcli.ad.forward import gradient_forward
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.reverse import gradient_graph, gradient_reverse

ULP = 2.0**-52
TINY, HUGE = 2.2250738585072014e-308, 1.7976931348623157e308
BOUND = 4 * ULP  # a few roundings in the rule, none amplified

MAGNITUDES = [10.0**k for k in range(-300, 301, 20)] + [0.5, 1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 40.0, 100.0, 700.0]
SIGNED = sorted(s * m for m in MAGNITUDES for s in (1.0, -1.0))
NEAR_ONE = [1.0 - 2.0**-k for k in (1, 3, 10, 20, 30, 40, 50, 53)]
INSIDE_ONE = [0.0, 1e-300, 1e-10, 0.5] + NEAR_ONE + [-x for x in NEAR_ONE]
PAIRS = [10.0**k for k in range(-300, 301, 100)] + [0.5, 3.0]
SIGNED_PAIRS = [(s * a, t * b) for a in PAIRS for b in PAIRS for s in (1.0, -1.0) for t in (1.0, -1.0)]
POSITIVE_PAIRS = [(a, b) for a in PAIRS for b in PAIRS]

POINTS: dict[str, list[tuple[float, ...]]] = {
    **{op: [(x,) for x in SIGNED] for op in ("neg", "sin", "cos", "atan", "sinh", "cosh", "tanh", "asinh", "exp",
                                            "expm1", "cbrt", "sigmoid", "softplus", "abs", "sign", "relu")},
    "tan": [(x,) for x in SIGNED if abs(x) < 1e15],  # beyond, the argument's own ulp exceeds π
    **{op: [(x,) for x in INSIDE_ONE] for op in ("asin", "acos", "atanh")},
    "acosh": [(1.0 + 2.0**-k,) for k in (1, 3, 10, 20, 30, 40, 50, 52)] + [(x,) for x in MAGNITUDES if x > 1],
    **{op: [(x,) for x in MAGNITUDES + [3e-308]] for op in ("log", "log2", "log10", "sqrt")},
    "log1p": [(x,) for x in MAGNITUDES] + [(-x,) for x in NEAR_ONE],
    **{op: SIGNED_PAIRS for op in ("div", "atan2", "hypot")},
    **{op: [(0.3, -1.2), (-2.0, 5.0), (1e300, -1e-300)] for op in ("add", "sub", "mul", "smul", "maximum", "minimum")},
    "pow": [(a, y) for a in PAIRS for y in (-3.0, -0.5, 0.3, 0.5, 2.0, 3.0, 7.5)],
}
# x**y's ∂/∂x is y·x**(y − 1), and y − 1 is rounded when y has bits below the ulp of y − 1
# (y = 0.3): an error of up to 2⁻⁵⁴ in the exponent, times |ln x| ≤ 709, in the result.
BOUNDS = {"pow": 256 * ULP}
ELEMENTWISE = sorted(op for op, p in PRIMITIVES.items() if p.partials is not None)


def test_every_elementwise_rule_has_points():
    assert sorted(POINTS) == ELEMENTWISE


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_derivative_is_accurate_to_a_few_ulps_across_magnitudes(op, reference_partials):
    import mpmath

    names = ["x", "y"][:len(POINTS[op][0])]
    graph = Graph()
    graph.outputs = [graph.add(op, tuple(graph.var(n) for n in names))]
    references = reference_partials(graph, names)
    bound = BOUNDS.get(op, BOUND)
    checked, failures = 0, []
    with mpmath.workdps(50):
        for values in POINTS[op]:
            point = {n: np.float64(v) for n, v in zip(names, values)}
            if not np.isfinite(evaluate(graph, point)[graph.outputs[0]]):
                continue  # outside the domain, or the value itself overflows
            built, outputs = gradient_graph(graph, point, names)
            from_graph = evaluate(built, point, upto=outputs)
            computed = [gradient_reverse(graph, point, names)[1], gradient_forward(graph, point, names)[1],
                        {n: from_graph[o] for n, o in zip(names, outputs)}]
            for k, name in enumerate(names):
                exact = references[k](*[mpmath.mpf(v) for v in values])
                if exact != 0 and not TINY <= abs(exact) <= HUGE:
                    continue  # not a normal float64: nothing to be accurate to
                checked += 1
                for gradient in computed:
                    got = float(gradient[name])
                    error = abs(got) if exact == 0 else (
                        float(abs((mpmath.mpf(got) - exact) / exact)) if math.isfinite(got) else math.inf)
                    if not error <= bound:
                        failures.append(f"d/d{name} at {values}: {got!r}, exact {mpmath.nstr(exact, 17)}")
    assert checked >= 5
    assert not failures, f"{op}: {len(failures)} inaccurate derivatives, e.g. " + "; ".join(failures[:3])


def test_the_issue_example_is_accurate():
    """forward d/dy of sin(sigmoid(expm1(pi) − sqrt(y))) at y = 0.36 was off by 2e-7 relative."""
    import mpmath

    from diffcli.ad.parse import parse

    _, gradient = gradient_forward(parse("sin(sigmoid(expm1(pi) - sqrt(y)))"), {"y": np.float64(0.36)}, ["y"])
    with mpmath.workdps(50):
        y = mpmath.mpf(0.36)
        exact = mpmath.diff(lambda t: mpmath.sin(1 / (1 + mpmath.exp(-(mpmath.expm1(mpmath.pi) - mpmath.sqrt(t))))), y)
        assert abs((gradient["y"] - exact) / exact) < 1e-14
