"""The evaluation trace and the naming of nodes: the Wengert list with tangents and adjoints."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.views.naming import node_names, program_text
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_graph
from diffcli.checks.symbolic import gradient_symbolic
from diffcli.views.trace import trace


def test_generated_names_skip_names_the_program_uses():
    g = parse("v1 = x*x; y = v1 + sin(x)")
    names = node_names(g, g.outputs)
    assert sorted(names.values()) == ["v1", "v2", "x", "y"]


def test_derivative_graphs_show_the_chain_rule_product_as_a_plain_product():
    g = parse("sin(x)*y")
    grad_graph, outputs = gradient_graph(g, {"x": 1.0, "y": 2.0}, ["x"])
    assert "smul" in {grad_graph.ops[n] for n in range(len(grad_graph)) if grad_graph.ancestors(outputs)[n]}
    text = program_text(grad_graph, outputs, ["dx"])
    assert "smul" not in text and "*" in text


FORMULAS = ["x*y + sin(x)", "exp(x*y)/(1 + x**2)", "c = x - y; d = c*c*x + sqrt(y*y + 1)", "tanh(x)**2 * atan(y)"]


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(FORMULAS), st.floats(-2, 2), st.floats(-2, 2))
def test_forward_tangents_match_reverse_adjoints(formula, x, y):
    g = parse(formula)
    point = {"x": x, "y": y}
    reverse = {s.name: s.derivative for s in trace(g, point, "reverse", ["x", "y"]).steps}
    for name in ("x", "y"):
        forward = trace(g, point, "forward", ["x", "y"], {name: 1.0})
        assert forward.steps[-1].derivative == pytest.approx(reverse[name], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("formula", FORMULAS)
def test_adjoints_of_the_inputs_match_sympy(formula):
    g = parse(formula)
    point = {"x": 0.7, "y": -1.3}
    reverse = {s.name: s.derivative for s in trace(g, point, "reverse", ["x", "y"]).steps}
    _, exact = gradient_symbolic(g, point, ["x", "y"])
    for name in ("x", "y"):
        assert math.isclose(float(reverse[name]), exact[name], rel_tol=1e-13, abs_tol=1e-13)


