"""The driver on the Jacobian family: jvp, vjp, jacobian, hessian — every method compared, and the Python API."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.errors import UsageError
from diffcli.checks.compare import compare_hessian, compare_jacobian, compare_jvp, compare_vjp
from diffcli.ad.problem import make_problem
from diffcli.ad.transforms import jacobian_forward, jacobian_reverse


# ------------------------------------------------------------------------------- core


def test_jacobian_of_a_list_by_every_method():
    d = compare_jacobian(make_problem("[x*y, x+y, sin(x)]", {"x": 1.0, "y": 2.0}))
    c = d.comparison
    assert c.reference == "symbolic"
    expected = [[2.0, 1.0], [1.0, 1.0], [np.cos(1.0), 0.0]]
    for name in ("forward", "reverse", "symbolic"):
        np.testing.assert_allclose(c.methods[name].result, expected, rtol=1e-15)
    assert c.methods["central"].error < 1e-9
    assert c.methods["forward"].extra["passes"] == 2 and c.methods["reverse"].extra["passes"] == 3
    assert d.inputs == ["x", "y"] and d.outputs == ["f1", "f2", "f3"]


def test_jacobian_of_a_linear_map_is_the_matrix():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    d = compare_jacobian(make_problem("A @ x", {"x": [1.0, -1.0]}, {"A": A}), ("forward", "reverse"))
    assert d.comparison.methods["forward"].result.tolist() == A.tolist()
    assert d.comparison.methods["reverse"].result.tolist() == A.tolist()
    assert d.outputs == ["f[0]", "f[1]", "f[2]"] and d.inputs == ["x[0]", "x[1]"]


def test_passes_show_the_cost_argument():
    # n = 6 inputs, m = 1 output: forward needs 6 sweeps, reverse 1.
    d = compare_jacobian(make_problem("sum(x**2)", {"x": np.arange(6.0)}), ("forward", "reverse"))
    assert d.comparison.methods["forward"].extra["passes"] == 6
    assert d.comparison.methods["reverse"].extra["passes"] == 1
    assert d.comparison.methods["reverse"].result.tolist() == [[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]]


def test_jvp_is_one_forward_pass():
    d = compare_jvp(make_problem("[x*y, x+y, sin(x)]", {"x": 1.0, "y": 2.0}), {"x": 1.0, "y": 0.0})
    c = d.comparison
    assert [float(t) for t in c.methods["forward"].result] == [2.0, 1.0, np.cos(1.0)]
    assert c.methods["forward"].extra["passes"] == 1
    assert c.methods["reverse"].extra["passes"] == 3
    assert c.methods["central"].error < 1e-9 and c.methods["symbolic"].error == 0.0


def test_jvp_of_a_tensor_output_along_a_tensor_direction():
    d = compare_jvp(make_problem("A @ x", {"x": [1.0, 2.0]}, {"A": [[1.0, 2.0], [3.0, 4.0]]}), {"x": [1.0, 0.0]},
                    ("forward", "reverse", "central"))
    assert d.comparison.methods["forward"].result[0].tolist() == [1.0, 3.0]   # the first column of A
    assert d.comparison.methods["reverse"].result[0].tolist() == [1.0, 3.0]


def test_vjp_of_x_times_1024():
    d = compare_vjp(make_problem("x*1024", {"x": [1.0, 2.0, 3.0]}), [0.1, 1.0, 0.0001])
    c = d.comparison
    for name in ("forward", "reverse", "symbolic"):
        assert c.methods[name].result["x"].tolist() == [102.4, 1024.0, 0.1024]
    assert c.methods["reverse"].extra["passes"] == 1 and c.methods["forward"].extra["passes"] == 3
    assert c.methods["central"].rel_error < 1e-9


def test_vjp_of_a_list_picks_out_a_row_of_the_jacobian():
    d = compare_vjp(make_problem("[x*y, x+y]", {"x": 1.0, "y": 2.0}), [1.0, 0.0], ("reverse", "forward"))
    grad = d.comparison.methods["reverse"].result
    assert (float(grad["x"]), float(grad["y"])) == (2.0, 1.0)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose_by_every_method():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    d = compare_hessian(make_problem("x.T @ A @ x", {"x": [1.0, 2.0]}, {"A": A}))
    c = d.comparison
    assert c.methods["forward-over-reverse"].result.tolist() == (A + A.T).tolist()
    assert c.methods["symbolic"].result.tolist() == (A + A.T).tolist()
    assert c.methods["central"].error < 1e-8
    assert c.check(1e-6) is None


def test_hessian_of_a_scalar_formula():
    d = compare_hessian(make_problem("x**2*y + exp(x*y)", {"x": 0.5, "y": 1.0}))
    e = np.exp(0.5)
    expected = [[2 * 1.0 + 1.0 * e, 2 * 0.5 + e + 0.5 * 1.0 * e], [2 * 0.5 + e + 0.5 * e, 0.25 * e]]
    np.testing.assert_allclose(d.comparison.methods["forward-over-reverse"].result, expected, rtol=1e-14)
    assert d.comparison.reference == "symbolic"


def test_when_sympy_is_not_asked_ad_is_the_hessian_reference():
    d = compare_hessian(make_problem("x**3", {"x": 2.0}), ("central", "reverse"))
    assert d.comparison.reference == "forward-over-reverse"
    assert d.comparison.methods["forward-over-reverse"].result.tolist() == [[12.0]]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: compare_hessian(make_problem("[x, y]", {"x": 1, "y": 2})), "scalar"),
    (lambda: compare_hessian(make_problem("x*2", {"x": [1.0, 2.0]})), "shape (2,)"),
    (lambda: compare_jvp(make_problem("x*y", {"x": 1, "y": 2}), {"z": 1.0}), "'z'"),
    (lambda: compare_jvp(make_problem("x@x", {"x": [1.0, 2.0]}), {"x": [1.0, 2.0, 3.0]}), "(3,)"),
    (lambda: compare_vjp(make_problem("x*2", {"x": [1.0, 2.0]}), [1.0, 2.0, 3.0]), "(3,)"),
    (lambda: compare_vjp(make_problem("[x, 2*x]", {"x": 1.0}), [1.0, 2.0, 3.0]), "2 entries"),
    (lambda: compare_jacobian(make_problem("x", {"x": 1.0}), ("backward",)), "unknown method"),
])
def test_bad_input_is_a_usage_error(call, message):
    with pytest.raises(UsageError) as caught:
        call()
    assert message in caught.value.message


# ----------------------------------------- forward == reverse == central on random problems

_EXPRESSIONS = ["x * y", "sin(x) * y + x", "exp(x - y) / (1 + x*x)", "A @ x", "x.T @ A", "A @ (x * y)",
                "sum(A * y, axis=0)", "outer(x, y) @ x", "tanh(A) @ sin(x)", "x / (2 + cos(y))", "mean(A, axis=1) * x"]


def _random_problem(expr: str, n: int, seed: int):
    """`expr` at seeded random x, y (length n) and A (n × n), each given only if it appears;
    and the generator, for further draws."""
    rng = np.random.default_rng(seed)
    at = {"x": rng.uniform(-1, 1, n), "y": rng.uniform(-1, 1, n), "A": rng.uniform(-1, 1, (n, n))}
    return make_problem(expr, {k: v for k, v in at.items() if k in expr}), rng


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(_EXPRESSIONS), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_jacobian_forward_equals_reverse_equals_central(expr, n, seed):
    problem, _ = _random_problem(expr, n, seed)
    d = compare_jacobian(problem, ("forward", "reverse", "central"))
    forward = d.comparison.methods["forward"].result
    reverse = d.comparison.methods["reverse"].result
    central = d.comparison.methods["central"].result
    assert forward.shape == (len(d.outputs), len(d.inputs))
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(central, reverse, rtol=1e-6, atol=1e-7)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(_EXPRESSIONS), st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_jvp_and_vjp_are_the_jacobian_applied(expr, n, seed):
    problem, rng = _random_problem(expr, n, seed)
    J = jacobian_reverse(problem.graph, problem.point, problem.wrt)
    np.testing.assert_allclose(J, jacobian_forward(problem.graph, problem.point, problem.wrt), atol=1e-12)
    v = {name: rng.uniform(-1, 1, np.shape(problem.point[name])) for name in problem.wrt}
    flat_v = np.concatenate([np.ravel(v[name]) for name in problem.wrt])
    jv = compare_jvp(problem, v, ("forward",)).comparison.methods["forward"].result
    np.testing.assert_allclose(np.concatenate([np.ravel(t) for t in jv]), J @ flat_v, atol=1e-12)
    u = rng.uniform(-1, 1, J.shape[0])
    uj = compare_vjp(problem, u, ("reverse",))
    got = uj.comparison.methods["reverse"].result
    np.testing.assert_allclose(np.concatenate([np.ravel(got[name]) for name in problem.wrt]), u @ J, atol=1e-12)


# -------------------------------------------------------------------------------- CLI


def test_python_api_jacobian_and_hessian():
    import diffcli

    assert diffcli.jacobian("[x*y, x+y]", {"x": 1.0, "y": 2.0}).result.tolist() == [[2.0, 1.0], [1.0, 1.0]]
    assert diffcli.hessian("x.T@A@x", {"x": [1.0, 2.0]}, let={"A": [[1.0, 2.0], [3.0, 4.0]]}).result.tolist() == [
        [2.0, 5.0], [5.0, 8.0]]
