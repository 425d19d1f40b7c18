"""Properties over random formulas: forward == reverse == graph mode ≈ central differences."""

from __future__ import annotations

import functools
import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from diffcli.ad.evaluate import evaluate, is_finite
from diffcli.ad.forward import gradient_forward
from diffcli.checks.numeric import gradient_central
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_graph, gradient_reverse

VARIABLES = ["x", "y", "z"]
UNARY = ["sin", "cos", "tanh", "atan", "exp", "sigmoid", "softplus", "asinh"]
# Applied to a positive argument, so they stay in their domain.
POSITIVE = ["log", "sqrt", "log1p"]


@functools.cache  # one strategy per kind: building it for every example would cost more than the test
def formulas(formula_strategy, branches: bool = True) -> st.SearchStrategy[str]:
    return formula_strategy(VARIABLES, UNARY, POSITIVE, square=lambda t: f"({t})**2", powers=True, branches=branches)


points = st.tuples(*[st.floats(-2, 2, allow_nan=False) for _ in VARIABLES])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), points)
def test_forward_equals_reverse_equals_graph_mode(formula_strategy, data, coordinates):
    text = data.draw(formulas(formula_strategy), label="formula")
    graph = parse(text)
    assume(graph.variables)  # a formula of constants only has no derivative to compare
    point = {name: np.float64(v) for name, v in zip(VARIABLES, coordinates)}
    wrt = list(graph.variables)
    value, reverse = gradient_reverse(graph, point, wrt)
    assume(is_finite(value))
    _, forward = gradient_forward(graph, point, wrt)
    built, outputs = gradient_graph(graph, point, wrt)
    from_graph = evaluate(built, point, upto=outputs)
    for k, name in enumerate(wrt):
        r, f, g = float(reverse[name]), float(forward[name]), float(from_graph[outputs[k]])
        if not (math.isfinite(r) and math.isfinite(f)):
            continue
        scale = max(1.0, abs(r))
        assert abs(r - f) <= 1e-12 * scale, (text, name, r, f)
        assert abs(r - g) <= 1e-12 * scale, (text, name, r, g)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), points)
def test_reverse_agrees_with_central_differences(formula_strategy, data, coordinates):
    text = data.draw(formulas(formula_strategy, branches=False), label="formula")
    graph = parse(text)
    assume(graph.variables)
    point = {name: np.float64(v) for name, v in zip(VARIABLES, coordinates)}
    wrt = list(graph.variables)
    value, reverse = gradient_reverse(graph, point, wrt)
    assume(is_finite(value) and all(is_finite(reverse[n]) for n in wrt))
    central, details = gradient_central(graph, point, wrt)
    for name in wrt:
        r, c = float(reverse[name]), float(central[name])
        tolerance = 1e-5 * max(1.0, abs(r)) + 100 * float(details["error_estimate"][name])
        assert abs(r - c) <= tolerance, (text, name, r, c)
