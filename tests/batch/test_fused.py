"""The fused (Numba) batch backend gives the NumPy path's numbers, op by op, awkward points included."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from diffcli.ad.problem import make_problem
from diffcli.ad.reverse import gradient_graph
from diffcli.batch import fused
from diffcli.batch.gradient import batch_gradient
from diffcli.errors import UsageError

pytest.importorskip("numba")

# Every op of fused.TEMPLATES appears in the value or gradient graph of one of these
# (checked below), at points that reach domain edges, zeros, infinities and ties.
FORMULAS = [
    "x + y - x*y + x/y - (-x)", "x**y + x**2 + x**3 + x**4 + x**1 + y**2.5",
    "sin(x) + cos(y) + tan(x)", "asin(x) + acos(y) + atan(x)", "sinh(x) + cosh(y) + tanh(x)",
    "asinh(x) + acosh(y) + atanh(x)", "exp(x) + expm1(y) + log(x) + log2(y) + log10(x) + log1p(y)",
    "sqrt(x) + cbrt(y) + abs(x) + sign(y)", "sigmoid(x) + softplus(y) + relu(x)",
    "atan2(y, x) + max(x, y) + min(x, y)", "detach(x)*y",
    "(x < y) + (x <= y) + (x > y) + (x >= y) + (x == y) + (x != y)",
    "x*y if x > 0 and y > 0 else (x - y if x < 0 or not y else x)", "where(x - y, x*x, y*y)",
    "c*x + exp(-c*y)*sin(x)",
]
VALUES = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 1e-300, 1e300, -1e300, 0.9999, np.pi]
X, Y = (np.array(column) for column in zip(*itertools.product(VALUES, VALUES)))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFCLI_CACHE_DIR", str(tmp_path / "cache"))


def _assert_same_to_rounding(a: np.ndarray, b: np.ndarray) -> None:
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(np.isposinf(a), np.isposinf(b)) and np.array_equal(np.isneginf(a), np.isneginf(b))
    finite = np.isfinite(a)
    np.testing.assert_allclose(a[finite], b[finite], rtol=4e-15, atol=1e-300)


@pytest.mark.parametrize("expr", FORMULAS)
def test_the_compiled_loop_gives_the_numpy_numbers(expr):
    numpy_result = batch_gradient(expr, {"x": X, "y": Y}, {"c": 2.5}, backend="numpy")
    jit_result = batch_gradient(expr, {"x": X, "y": Y}, {"c": 2.5}, backend="jit")
    assert (numpy_result.backend, jit_result.backend) == ("numpy", "jit")
    _assert_same_to_rounding(jit_result.value, numpy_result.value)
    for name in numpy_result.wrt:
        _assert_same_to_rounding(jit_result.grad[name], numpy_result.grad[name])
    # The compiled loop is not watched for under- and overflow in the gradient (ad.lost):
    # only the NumPy path reports a term lost there.
    assert jit_result.warnings == [w for w in numpy_result.warnings if not w.startswith("reverse mode:")]


def test_every_elementwise_op_of_the_table_has_a_template():
    from diffcli.ad.ops import PRIMITIVES

    elementwise = {name for name, p in PRIMITIVES.items() if "elementwise" in p.tags} - {"var", "const"}
    assert elementwise <= set(fused.TEMPLATES)


def test_every_template_is_exercised():
    seen = set()
    for expr in FORMULAS:
        problem = make_problem(expr, {"x": 0.5, "y": 0.5}, {"c": 2.5})
        graph, _ = gradient_graph(problem.graph, problem.point, problem.wrt)
        seen.update(graph.ops)
    assert set(fused.TEMPLATES) <= seen


def _program(expr: str, name: str) -> fused.FusedProgram:
    """The value-and-gradient loop of a formula of one variable, as batch_gradient builds it."""
    problem = make_problem(expr, {name: 1.0})
    root = problem.graph.outputs[0]
    graph, nodes = gradient_graph(problem.graph, problem.point, problem.wrt)
    return fused.fused_program(graph, [root, *nodes], [name], {})


def test_no_user_text_reaches_the_generated_source():
    program = _program("velocity*123.456789 + exp(-velocity)", "velocity")
    assert "velocity" not in program.source and "123" not in program.source
    assert 123.456789 in program.constants.tolist()


def test_formulas_differing_only_in_constants_share_one_kernel():
    sources = []
    for expr in ("2*x + sin(3*x)", "7*x + sin(0.5*x)"):
        sources.append(_program(expr, "x").source)
    assert sources[0] == sources[1]


def test_a_kernel_compiled_in_chunks_gives_the_same_columns():
    x = np.linspace(-3, 3, 1001)
    whole = batch_gradient("3*x**3 - 5*x**2 + sin(x)*exp(-x)", {"x": x}, backend="jit")
    program = _program("3*x**3 - 5*x**2 + sin(x)*exp(-x)", "x")
    value, gradient = program.run({"x": x}, chunk=7)
    assert np.array_equal(value, whole.value) and np.array_equal(gradient, whole.grad["x"])


def test_a_constant_gradient_and_an_unused_variable():
    result = batch_gradient("3*x + y*y", {"x": np.array([1.0, 2.0]), "y": np.array([0.5, -1.0])}, backend="jit")
    assert result.grad["x"].tolist() == [3.0, 3.0] and result.grad["y"].tolist() == [1.0, -2.0]


def test_auto_compiles_only_for_large_batches(monkeypatch):
    x = np.linspace(0, 1, 10)
    assert batch_gradient("x*x", {"x": x}).backend == "numpy"
    monkeypatch.setattr(fused, "AUTO_FROM_ROWS", 10)
    assert batch_gradient("x*x", {"x": x}).backend == "jit"


def test_an_unknown_backend_is_a_usage_error():
    with pytest.raises(UsageError, match="--backend"):
        batch_gradient("x", {"x": np.ones(2)}, backend="gpu")


def test_backend_through_the_cli(cli, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x,y\n1,3\n2,5\n-1,0.5\n")
    result = cli("grad", "x*y + x**2", "--at-file", str(points), "--backend", "jit", "--json")
    assert result.exit_code == 0, result.output
    assert '"backend": "jit"' in result.stdout
    assert cli("grad", "x", "--at", "x=1", "--backend", "jit").exit_code == 2


@pytest.mark.parametrize(("expr", "points", "finite"), [
    ("sin(x)*exp(-x)", [0.5, 1.0, 2.0], True),
    ("log(x)", [1.0, 0.0, 2.0], False),  # the value is -inf at x = 0
    ("sqrt(x)", [4.0, 0.0, 1.0], False),  # the value is finite (0), the derivative inf
    ("x*x", [1e200, 1.0, 2.0], False),  # overflow of the value; its derivative 2e200 is finite
    ("exp(x)", [1.0, 2.0, 1000.0], False),
])
def test_the_loop_reports_whether_every_value_and_partial_is_finite(expr, points, finite):
    program = _program(expr, "x")
    columns, reported = program.run_checked({"x": np.array(points)})
    assert reported is finite
    assert reported == all(bool(np.isfinite(column).all()) for column in columns)


def test_a_non_finite_value_in_a_later_chunk_is_reported():
    x = np.linspace(1.0, 2.0, 50)
    x[-1] = 0.0
    _, finite = _program("log(x)", "x").run_checked({"x": x}, chunk=7)
    assert finite is False
    result = batch_gradient("log(x)", {"x": x}, backend="jit")
    assert np.isneginf(result.value[-1]) and np.isnan(result.grad["x"][-1])  # no derivative where f is undefined
    assert len(result.warnings) == 1 and result.warnings[0].startswith("f is not finite at 1 of 50 points (first at point 50: ")
    assert result.warnings == batch_gradient("log(x)", {"x": x}, backend="numpy").warnings


def test_an_infinite_partial_where_f_is_finite_is_warned_about():
    result = batch_gradient("sqrt(x)", {"x": np.array([4.0, 0.0, 1.0])}, backend="jit")
    assert result.grad["x"].tolist() == [0.25, np.inf, 0.5]
    assert result.warnings == ["the gradient is not finite at 1 points where f is (first at point 2)"]
