"""Batch gradients: ∇f traced once, then one vectorised reverse pass over every point of a table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.batch.files import read_points
from diffcli.batch.gradient import batch_gradient
from diffcli.errors import UsageError
from diffcli.ad.problem import make_problem
from diffcli.ad.reverse import gradient_reverse


@pytest.fixture
def points(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,3\n2,5\n-1,0.5\n")
    return str(path)


def test_value_and_gradient_at_every_row():
    result = batch_gradient("x*y + x**2", {"x": np.array([1.0, 2.0, -1.0]), "y": np.array([3.0, 5.0, 0.5])})
    assert result.value.tolist() == [4.0, 14.0, 0.5]
    assert result.grad["x"].tolist() == [5.0, 9.0, -1.5]
    assert result.grad["y"].tolist() == [1.0, 2.0, -1.0]


def test_chunks_give_the_same_numbers_as_one_pass():
    x = np.linspace(-3, 3, 1001)
    whole = batch_gradient("3*x**3 - 5*x**2 + sin(x)*exp(-x)", {"x": x}, chunk=10**6)
    chunked = batch_gradient("3*x**3 - 5*x**2 + sin(x)*exp(-x)", {"x": x}, chunk=7)
    assert np.array_equal(whole.grad["x"], chunked.grad["x"]) and np.array_equal(whole.value, chunked.value)
    np.testing.assert_allclose(whole.grad["x"], 9 * x**2 - 10 * x + np.exp(-x) * (np.cos(x) - np.sin(x)),
                               rtol=1e-14, atol=1e-13)


_FORMULAS = ["x*y + sin(x)", "exp(-x*x) * cos(y)", "x if x > y else y*y", "log1p(x*x) / (1 + y*y)",
             "max(x, y) + abs(x - 0.5)", "sqrt(x*x + y*y + 1) - detach(x)*y", "atan2(y, x) + c*x"]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(_FORMULAS), st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_batch_equals_the_gradient_point_by_point(expr, rows, seed):
    rng = np.random.default_rng(seed)
    columns = {"x": rng.uniform(-2, 2, rows), "y": rng.uniform(-2, 2, rows)}
    result = batch_gradient(expr, columns, {"c": 2.5})
    for row in range(rows):
        problem = make_problem(expr, {"x": columns["x"][row], "y": columns["y"][row]}, {"c": 2.5})
        value, grad = gradient_reverse(problem.graph, problem.point, problem.wrt)
        assert result.value[row] == value
        for name in problem.wrt:
            assert result.grad[name][row] == grad[name], (expr, row, name)


def test_rows_where_f_is_undefined_are_nan_with_a_warning_naming_the_op():
    result = batch_gradient("x*y + log(x)", {"x": np.array([1.0, -1.0]), "y": np.array([3.0, 0.5])})
    assert result.value[0] == 3.0 and np.isnan(result.value[1])
    assert np.isnan(result.grad["x"][1]) and result.grad["x"][0] == 4.0
    assert result.warnings == ["f is not finite at 1 of 2 points (first at point 2: log of a negative number: "
                               "log(-1) is undefined (column 7))"]


@pytest.mark.parametrize(("expr", "op"), [("sum(x)*y", "sum"), ("x @ y", "matmul"), ("[x, y][0]", "stack"),
                                          ("x*[1, 2]", "stack")])
def test_formulas_that_mix_points_are_refused(expr, op):
    with pytest.raises(UsageError) as caught:
        batch_gradient(expr, {"x": np.ones(3), "y": np.ones(3)})
    assert "acts on each point separately" in caught.value.message and op in caught.value.message


def test_a_tensor_constant_is_refused():
    from diffcli.ad.graph import Graph

    graph = Graph()
    graph.outputs = [graph.add("mul", (graph.var("x"), graph.const(np.ones(3))))]
    with pytest.raises(UsageError, match="constant tensor"):
        batch_gradient(graph, {"x": np.ones(3)})


def test_reading_points(tmp_path, points):
    assert {k: v.tolist() for k, v in read_points(points).items()} == {"x": [1.0, 2.0, -1.0], "y": [3.0, 5.0, 0.5]}
    single = tmp_path / "one.csv"
    single.write_text("x\n4\n")
    assert read_points(str(single))["x"].tolist() == [4.0]


@pytest.mark.parametrize(("text", "words"), [
    ("", "header"),
    ("x,y\n", "no points"),
    ("x,x\n1,2\n", "twice"),
    ("x,2y\n1,2\n", "'2y'"),
    ("x,y\n1,2\n3\n", "columns"),
    ("x,y\n1,abc\n", "cannot read"),
    ("x,y\n1,nan\n", "line 2"),
    ("x\n1,2\n", "columns"),
])
def test_bad_point_files_are_usage_errors(tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        read_points(str(path))
    assert words in caught.value.message


# -------------------------------------------------------------------------------- CLI


