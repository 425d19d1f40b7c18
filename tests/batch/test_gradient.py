"""Batches: `grad --at-file points.csv`, one vectorised reverse pass over every point."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli, run_json
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


def test_csv_output(points):
    result = run_cli("grad", "x*y + x**2", "--at-file", points, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["x,y,f,df/dx,df/dy", "1,3,4,5,1", "2,5,14,9,2", "-1,0.5,0.5,-1.5,-1"]


def test_json_output(points):
    document = run_json("grad", "x*y + log(x)", "--at-file", points)
    assert document["points"] == 3 and document["method"] == "reverse"
    assert document["value"][:2] == [3.0, 2 * 5 + np.log(2)] and document["value"][2] is None
    assert document["grad"] == {"x": [4.0, 5.5, None], "y": [1.0, 2.0, None]}
    assert len(document["warnings"]) == 1


def test_table_output_and_warning_on_stderr(points):
    result = run_cli("grad", "x*y + log(x)", "--at-file", points)
    assert result.returncode == 0
    assert result.stdout.startswith("3 points, f and ∇f by reverse mode (∇f traced once, evaluated in vectorised chunks)")
    assert "undefined" in result.stdout
    assert result.stderr.startswith("warning: f is not finite at 1 of 3 points")


def test_let_constants_and_wrt(points):
    document = run_json("grad", "c*x*y", "--at-file", points, "--let", "c=2", "--wrt", "y")
    assert document["wrt"] == ["y"] and document["grad"] == {"y": [2.0, 4.0, -2.0]}


def test_large_batch_through_the_cli_in_one_pass(tmp_path):
    x = np.linspace(-1, 1, 200_001)
    path = tmp_path / "many.csv"
    np.savetxt(path, x, header="x", comments="", fmt="%.17g")
    result = run_cli("grad", "x**2", "--at-file", str(path), "--format", "csv")
    assert result.returncode == 0, result.stderr
    data = np.loadtxt(result.stdout.splitlines()[1:], delimiter=",")
    assert data.shape == (200_001, 3)
    assert np.array_equal(data[:, 2], 2 * x)
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


@pytest.mark.parametrize("extra", [
    ("--at", "x=1"),
    ("--format", "xml"),
    ("--format", "csv", "--json"),
    ("--method", "symbolic"),
    ("--let", "c=[1,2]"),
])
def test_batch_usage_errors(points, extra):
    expr = "c*x*y" if "c=[1,2]" in extra else "x*y"
    result = run_cli("grad", expr, "--at-file", points, *extra)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("diffcli: error: ") and result.stderr.count("\n") == 1


def test_format_csv_without_a_file_is_a_usage_error():
    result = run_cli("grad", "x", "--at", "x=1", "--format", "csv")
    assert result.returncode == 2 and "--at-file" in result.stderr


def test_missing_variable_in_the_file(points):
    result = run_cli("grad", "x*z", "--at-file", points)
    assert result.returncode == 2 and "'z'" in result.stderr


def test_refused_formula_through_the_cli(points):
    result = run_cli("grad", "sum(x)*y", "--at-file", points)
    assert result.returncode == 2
    assert "sum at column 1 combines entries" in result.stderr


def test_progress_bar_appears_only_on_a_terminal_after_a_moment(monkeypatch):
    from diffcli.cli import batch_view as cli_batch

    monkeypatch.setattr(cli_batch.sys.stderr, "isatty", lambda: False, raising=False)
    quiet = cli_batch._LazyProgress()
    quiet.start -= 10
    quiet(1, 10)
    assert quiet.bar is None
    monkeypatch.setattr(cli_batch.sys.stderr, "isatty", lambda: True, raising=False)
    fresh = cli_batch._LazyProgress()
    fresh(1, 10)                                   # too soon: nothing shown yet
    assert fresh.bar is None
    fresh.start -= 10
    fresh(5, 10)
    assert fresh.bar is not None and fresh.bar.tasks[0].completed == 5
    fresh.close()
