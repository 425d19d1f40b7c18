"""Reverse mode says when under- or overflow took a term of the derivative (`ad.lost`).

In u/exp(x) at x = 468.65 the adjoint of exp(x) is ≈ −1e-393, below the smallest double: the
sweep makes it 0 and the gradient 100× too large. No ordering of the arithmetic saves it, so
the sweep is watched (NumPy's under/overflow flags, free when nothing happens) and, when the
watch saw something, a second sweep bounds what was lost. The warnings must appear where the
gradient is wrong and nowhere else: harmless underflows (a Gaussian tail added to x, a
derivative that is itself below the smallest double) are not reported.
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diffcli.ad.evaluate import evaluate
from diffcli.ad.forward import gradient_forward
from diffcli.ad.lost import Watch, losses, term_sizes
from diffcli.ad.parse import parse
from diffcli.ad.reverse import adjoint_sweep, gradient_reverse, variable_adjoints
from diffcli.ad.problem import make_problem
from diffcli.checks.compare import compare_gradient, compare_vjp

ISSUE = "(x**2 + 1)**3 * sin(2*x) / exp(x)"
AT = {"x": 468.6514555938195}


def _reverse_with_losses(formula: str, point: dict[str, float]):
    graph = parse(formula)
    point = {name: np.float64(value) for name, value in point.items()}
    values = evaluate(graph, point)
    seeds = {graph.outputs[0]: np.float64(1.0)}
    watch = Watch()
    wrt = sorted(graph.variables)
    adjoints = adjoint_sweep(graph, values, seeds, wrt, watch)
    gradient = variable_adjoints(graph, point, adjoints, wrt)
    found = losses(graph, values, seeds, wrt, gradient) if watch.events else []
    return graph, gradient, watch, found


def test_the_issue_example_names_the_adjoint_that_underflowed():
    graph, gradient, watch, found = _reverse_with_losses(ISSUE, AT)
    assert watch.events > 0
    assert [(graph.ops[loss.node], graph.columns[loss.node], loss.kind, loss.variables) for loss in found] == [
        ("exp", (1, 28), "underflowed", ["x"])]
    assert float(gradient["x"]) == pytest.approx(2.808e-188, rel=1e-3)  # still wrong: reverse cannot help it


def test_the_comparison_warns_and_takes_forward_mode_as_the_reference():
    comparison = compare_gradient(make_problem(ISSUE, AT), ("forward", "reverse"))
    assert comparison.reference == "forward"  # not the method known to have lost a term
    assert comparison.warnings == ["reverse mode: an intermediate adjoint underflowed at exp at column 28; the "
                                   "gradient may be inaccurate (∂/∂x) — forward mode keeps it here",
                                   "reverse differs from forward by 1.0e+02 relative at this point, far beyond "
                                   "rounding; one of them is wrong here"]  # the second one fails --check


def test_reverse_alone_says_where_and_what_to_do(cli):
    result = cli("grad", ISSUE, "--at", "x=468.6514555938195", "--method", "reverse", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] == [
        "reverse mode: an intermediate adjoint underflowed at exp at column 28; the gradient may be inaccurate "
        "(∂/∂x) — forward mode forms no adjoints and may keep this term (--method forward)"]


def test_an_adjoint_that_overflows_is_named():
    """log(exp(x)) at x = −712: exp(x) is subnormal, log′ there is 1.7e309 (∞), the gradient ∞ for 1."""
    graph, gradient, _, found = _reverse_with_losses("log(exp(x))", {"x": -712.0})
    assert np.isinf(gradient["x"])
    assert [(graph.ops[loss.node], loss.kind) for loss in found] == [("exp", "overflowed")]
    _, forward = gradient_forward(graph, {"x": np.float64(-712.0)}, ["x"])
    assert forward["x"] == 1.0


def test_the_vector_jacobian_product_is_watched_too():
    derivative = compare_vjp(make_problem(f"[{ISSUE}, 2*x]", AT), [1.0, 0.0], ("reverse",))
    assert derivative.comparison.warnings == [
        "reverse mode: an intermediate adjoint underflowed at exp at column 29; the uᵀJ may be inaccurate (∂/∂x) "
        "— forward mode forms no adjoints and may keep this term (--method forward)"]


@pytest.mark.parametrize("formula, point", [
    ("x + exp(-x**2)", {"x": 27.0001}),           # the tail's term (1e-315) underflows, next to 1
    ("1e-200*(1e-200*x)", {"x": 1.0}),            # the derivative itself is 1e-400: 0 is its nearest double
    ("x*y + 1e-300*sin(x)*1e-20", {"x": 3.1, "y": 2.0}),
    ("sigmoid(x) + x", {"x": 740.3}),
])
def test_harmless_underflows_are_not_reported(formula, point):
    _, _, watch, found = _reverse_with_losses(formula, point)
    assert watch.events > 0  # the watch fired, and the second sweep found nothing that matters
    assert found == []


def test_an_ordinary_sweep_raises_no_event():
    _, _, watch, _ = _reverse_with_losses("3*x**3 - 5*x**2 + sin(x)*exp(-x)", {"x": 1.5})
    assert watch.events == 0


@settings(max_examples=60, deadline=None)
@given(degree=st.integers(1, 4), coefficient=st.floats(0.5, 5.0), x=st.floats(1.0, 700.0),
       numerator=st.sampled_from(["sin(2*x)", "cos(x)", "1", "log(x)", "sqrt(x)"]))
def test_a_wrong_reverse_gradient_is_never_silent(degree, coefficient, x, numerator):
    """u/exp(x)-type quotients at large x: wherever reverse mode is off (against forward mode,
    exact here, and a 50-digit reference), a loss is reported — and only then."""
    formula = f"({coefficient}*x**{degree} + 1) * {numerator} / exp(x)"
    graph, gradient, _, found = _reverse_with_losses(formula, {"x": x})
    _, forward = gradient_forward(graph, {"x": np.float64(x)}, ["x"])
    functions = {"sin(2*x)": lambda t: mpmath.sin(2 * t), "cos(x)": mpmath.cos, "1": lambda t: mpmath.mpf(1),
                 "log(x)": mpmath.log, "sqrt(x)": mpmath.sqrt}
    with mpmath.workdps(50):
        t = mpmath.mpf(x)
        exact = mpmath.diff(lambda s: (coefficient * s**degree + 1) * functions[numerator](s) / mpmath.exp(s), t)
    assume(exact != 0 and abs(exact) > 1e-300)
    forward_error = float(abs((forward["x"] - exact) / exact))
    reverse_error = float(abs((gradient["x"] - exact) / exact))
    assert forward_error < 1e-9
    if reverse_error > 1e-6:
        assert found, f"reverse is off by {reverse_error:.2g} and nothing was reported"
    if found:  # and no false alarm: what is reported is really off
        assert reverse_error > 1e-9


@pytest.mark.parametrize("matrix, size", [
    ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], 12.0),  # adj(A) is [[-3, 6, -3], [6, -12, 6], [-3, 6, -3]]
    ([[1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0], [1.0, 1.0, 1.0, -1.0], [-1.0, 1.0, 1.0, 1.0]], 4.0),
])
def test_terms_through_a_factorisation_are_normwise(matrix, size):
    """det(A) is computed through a factorisation: each entry of its gradient adj(A)ᵀ is rounded
    relative to the largest, so every term has the largest size — also for a ±1 matrix, whose |A|
    (all ones, rank 1) has an adjugate of 0 where A's entries are ±4."""
    graph = parse("det(A)")
    values = evaluate(graph, {"A": np.array(matrix)})
    sizes = term_sizes(graph, values, {graph.outputs[0]: 1.0}, ["A"])["A"]
    assert np.shape(sizes) == np.shape(matrix) and np.all(sizes == sizes[0, 0])
    assert sizes[0, 0] == pytest.approx(size, rel=1e-14)  # by an SVD: 12.000000000000018
