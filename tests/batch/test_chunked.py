"""The chunked evaluator: the same numbers as `evaluate`, with a few reused buffers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.batch.chunked import ChunkedProgram
from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_graph, gradient_reverse

_FORMULAS = [
    "3*x**3 - 5*x**2 + sin(x)*exp(-x)",
    "x**1 + detach(x)*y + x**4",                     # ops that hand back their input
    "x if x > y else y*y",                           # where, comparisons (allocating ops)
    "a*x + (a + 1)**2 * y",                          # point-independent parts, computed once
    "sqrt(x*x + y*y) + log1p(exp(-abs(x)))",
    "max(x, y) * min(x, 0.5) - relu(y - x)",
    "sin(sin(sin(sin(x)))) * cos(cos(y))",
]


def _columns(rows: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.uniform(-2, 2, rows), "y": rng.uniform(-2, 2, rows)}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_FORMULAS), st.integers(1, 60), st.integers(1, 17), st.integers(0, 2**31 - 1))
def test_every_node_matches_evaluate_bit_for_bit(expr, rows, chunk, seed):
    graph = parse(expr)
    columns = _columns(rows, seed)
    # Every node as a root, some twice: intermediate values must survive buffer reuse.
    roots = list(range(len(graph))) + graph.outputs
    values = evaluate(graph, {**columns, "a": 1.5}, upto=roots)
    outputs = ChunkedProgram(graph, roots, ["x", "y"], {"a": 1.5}).run(columns, chunk=chunk)
    for root, column in zip(roots, outputs):
        expected = np.broadcast_to(values[root], (rows,))
        assert np.array_equal(column, expected, equal_nan=True), (expr, graph.ops[root])


def test_a_deep_chain_needs_two_buffers():
    expr = "x" + "".join(f" * {k}.5" for k in range(1, 60))
    expr = "sin(" * 40 + expr + ")" * 40
    graph = parse(expr)
    program = ChunkedProgram(graph, graph.outputs, ["x"], {})
    assert len(program.steps) == 99 and program.buffers == 2
    x = np.linspace(-1, 1, 1000)
    assert np.array_equal(program.run({"x": x}, chunk=64)[0], evaluate(graph, {"x": x})[graph.outputs[0]])


def test_point_independent_nodes_are_computed_once():
    graph = parse("x * exp(a)**2 + a")
    program = ChunkedProgram(graph, graph.outputs, ["x"], {"a": 0.5})
    assert [graph.ops[step.node] for step in program.steps] == ["mul", "add"]
    result = program.run({"x": np.array([0.0, 1.0, 2.0])})[0]
    assert result.tolist() == [0.5, np.exp(0.5) ** 2 + 0.5, 2 * np.exp(0.5) ** 2 + 0.5]


def test_roots_that_are_a_column_or_a_constant():
    graph = parse("[x, 2.5, x*y]")
    outputs = ChunkedProgram(graph, graph.outputs, ["x", "y"], {}).run(
        {"x": np.array([1.0, 2.0]), "y": np.array([3.0, 4.0])})
    assert [o.tolist() for o in outputs] == [[1.0, 2.0], [2.5, 2.5], [3.0, 8.0]]


def test_a_reused_product_keeps_the_strong_zero():
    # ∂/∂y of sin(x)·exp(y) is the chain rule's sin(x)·exp(y) again, which the program
    # takes from f's own product; at x = 0, y = 1000 that product is 0·∞ = NaN, the
    # derivative is 0 (the strong zero), as in the single-point sweep.
    graph = parse("sin(x)*exp(y)")
    gradient, nodes = gradient_graph(graph, {"x": np.float64(1.0), "y": np.float64(1.0)}, ["x", "y"])
    program = ChunkedProgram(gradient, [graph.outputs[0], *nodes], ["x", "y"], {})
    assert any(step.impl.__name__ == "reuse_product" for step in program.steps)
    x, y = np.array([0.0, 1.0]), np.array([1000.0, 1.0])
    value, dx, dy = program.run({"x": x, "y": y})
    assert np.isnan(value[0]) and dy[0] == 0.0
    for row in range(2):
        _, grad = gradient_reverse(graph, {"x": x[row], "y": y[row]}, ["x", "y"])
        assert dy[row] == grad["y"] and np.array_equal(dx[row], grad["x"], equal_nan=True)


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_progress_is_reported_per_chunk(chunk):
    graph = parse("x + 1")
    seen = []
    ChunkedProgram(graph, graph.outputs, ["x"], {}).run({"x": np.zeros(5)}, chunk=chunk,
                                                        progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5, 5) and len(seen) == -(-5 // chunk)
