"""`diffcli trace` and the naming of nodes: the Wengert list with tangents and adjoints."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli, run_json
from diffcli.views.naming import node_names, program_text
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_graph
from diffcli.checks.symbolic import gradient_symbolic
from diffcli.views.trace import trace

PROGRAM = "c = a + b; d = a*c"


def by_name(document: dict, key: str) -> dict:
    return {step["name"]: step[key] for step in document["steps"]}


def test_reverse_trace_of_the_slide_example():
    document = run_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "reverse")
    assert [s["name"] for s in document["steps"]] == ["d", "c", "b", "a"]  # the sweep's order
    assert by_name(document, "adjoint") == {"d": 1.0, "c": 2.0, "b": 2.0, "a": 7.0}
    assert by_name(document, "value") == {"d": 10.0, "c": 5.0, "b": 3.0, "a": 2.0}
    step = document["steps"][0]
    assert step["op"] == "mul" and step["inputs"] == ["a", "c"] and step["expr"] == "a * c"


def test_forward_trace_defaults_to_the_first_variable():
    document = run_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward")
    assert [s["name"] for s in document["steps"]] == ["a", "b", "c", "d"]
    assert by_name(document, "tangent") == {"a": 1.0, "b": 0.0, "c": 1.0, "d": 7.0}
    assert document["direction"] == {"a": 1.0}


def test_forward_trace_along_a_given_direction():
    document = run_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward", "--dir", "b=1")
    assert by_name(document, "tangent")["d"] == 2.0  # ∂d/∂b = a
    mixed = run_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward", "--dir", "a=1,b=-1")
    assert by_name(mixed, "tangent")["d"] == 5.0  # 7 - 2


def test_unnamed_nodes_are_v1_v2_and_constants_are_inline():
    document = run_json("trace", "3*sin(x) + x", "--at", "x=0", "--mode", "forward")
    steps = document["steps"]
    assert [s["name"] for s in steps] == ["x", "v1", "v2", "v3"]
    assert steps[2]["inputs"] == ["3", "v1"] and steps[2]["expr"] == "3 * v1"
    assert steps[-1]["tangent"] == 4.0  # 3cos(0) + 1


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


def test_text_table_shows_the_rows():
    result = run_cli("trace", PROGRAM, "--at", "a=2,b=3")
    assert result.returncode == 0, result.stderr
    assert "d = a * c" in result.stdout and "adjoint" in result.stdout
    assert result.stdout.index("d = a * c") < result.stdout.index("c = a + b")


def test_tensor_variables_trace_entrywise():
    document = run_json("trace", "x[0]*x[1]", "--at", "x=[2,5]")
    assert by_name(document, "adjoint")["x"] == [5.0, 2.0]


def test_a_non_finite_value_is_traced_and_explained():
    result = run_cli("trace", "y = log(x); z = 2*y", "--at", "x=-1", "--json")
    assert result.returncode == 0
    assert "log of a negative number" in result.stderr
    import json

    document = json.loads(result.stdout)
    assert by_name(document, "value")["y"] is None


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


@pytest.mark.parametrize("args, message", [
    (["--mode", "sideways"], "--mode"),
    (["--dir", "a=1"], "--dir"),                       # a direction in reverse mode
    (["--mode", "forward", "--dir", "z=1"], "'z'"),
    (["--mode", "forward", "--dir", "a=[1,2]"], "shape"),
    (["--mode", "forward", "--dir", "a"], "NAME=VALUE"),
])
def test_bad_options_exit_2(args, message):
    result = run_cli("trace", PROGRAM, "--at", "a=2,b=3", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_bad_formulas_exit_2():
    for args in (["[x, y]", "--at", "x=1,y=2"], ["x +* y", "--at", "x=1,y=2"], ["x*y", "--at", "x=1"]):
        result = run_cli("trace", *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("diffcli: error:") and "Traceback" not in result.stderr
    assert "column" in run_cli("trace", "x +* y", "--at", "x=1,y=2").stderr


def test_constant_formulas():
    assert run_cli("trace", "2").returncode == 2
    document = run_json("trace", "y = x; 2", "--at", "x=1")
    assert document["output"] == "f" and document["steps"] == []  # the output depends on nothing


def test_each_step_shows_the_rule_applied():
    import unicodedata

    def nfc(text: str) -> str:
        return unicodedata.normalize("NFC", text)

    reverse = by_name(run_json("trace", PROGRAM, "--at", "a=2,b=3"), "rule")
    assert reverse == {"d": nfc("ā += d̄·c; c̄ += d̄·a"), "c": nfc("ā += c̄; b̄ += c̄"), "b": None, "a": None}
    forward = by_name(run_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward"), "rule")
    assert forward["d"] == nfc("ḋ = c·ȧ + a·ċ") and forward["c"] == nfc("ċ = ȧ + ḃ")
    rules = by_name(run_json("trace", "y = x**3/z; w = detach(y)*y", "--at", "x=2,z=4", "--mode", "forward"), "rule")
    assert rules["v1"] == nfc("v̇1 = (3 * x ** 2)·ẋ")
    assert rules["y"] == nfc("ẏ = (1 / z)·v̇1 - (y / z)·ż")
    assert rules["v2"] == nfc("v̇2 = 0")  # detach


def test_a_relabelled_variable_gets_a_prime():
    document = run_json("trace", "u = x*2; u = u*3; y = u + 1", "--at", "x=1", "--mode", "forward")
    assert [s["name"] for s in document["steps"]] == ["x", "u", "u′", "y"]
    assert by_name(document, "tangent") == {"x": 1.0, "u": 2.0, "u′": 6.0, "y": 6.0}
