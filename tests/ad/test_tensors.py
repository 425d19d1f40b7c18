"""Tensors: the matrix-calculus identities, broadcasting and reductions, shape errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.errors import MathError, UsageError
from diffcli.ad.evaluate import check_outputs, evaluate
from diffcli.ad.forward import gradient_forward
from diffcli.ad.parse import parse
from diffcli.ad.problem import make_problem
from diffcli.ad.reverse import gradient_reverse
from diffcli.ad.transforms import hessian

A = np.array([[1.0, 2.0], [3.0, 4.0]])
SPD = np.array([[2.0, 1.0], [1.0, 3.0]])


def both_modes(expr: str, at: dict, let: dict | None = None) -> dict:
    """The gradient by reverse mode, after checking forward mode gives the same numbers."""
    problem = make_problem(expr, at, let)
    _, rev = gradient_reverse(problem.graph, problem.point, problem.wrt)
    _, fwd = gradient_forward(problem.graph, problem.point, problem.wrt)
    for name in problem.wrt:
        np.testing.assert_allclose(fwd[name], rev[name], rtol=1e-13, atol=1e-13)
    return rev


# ------------------------------------------------------------------ the seed identities


def test_mean_of_square_at_ones_is_four_and_a_half_everywhere():
    grad = both_modes("mean(3*(x+2)**2)", {"x": np.ones((2, 2))})
    assert grad["x"].tolist() == [[4.5, 4.5], [4.5, 4.5]]


def test_two_xtx_gradient_is_four_x():
    grad = both_modes("2*x.T@x", {"x": [0.0, 1.0, 2.0, 3.0]})
    assert grad["x"].tolist() == [0.0, 4.0, 8.0, 12.0]


def test_quadratic_form_gradient_is_a_plus_a_transpose_times_x():
    x = np.array([1.0, 2.0])
    grad = both_modes("x.T@A@x", {"x": x}, {"A": A})
    assert grad["x"].tolist() == ((A + A.T) @ x).tolist() == [12.0, 21.0]


def test_linear_form_gradient_is_a():
    grad = both_modes("a.T@x", {"x": [5.0, -1.0, 2.0]}, {"a": [1.0, 2.0, 3.0]})
    assert grad["x"].tolist() == [1.0, 2.0, 3.0]


def test_linear_map_gradient_is_a_transpose_ones():
    grad = both_modes("sum(A@x)", {"x": [1.0, 2.0]}, {"A": A})
    assert grad["x"].tolist() == [4.0, 6.0]


def test_logdet_gradient_is_inverse_transpose():
    grad = both_modes("logdet(A)", {"A": SPD})
    np.testing.assert_allclose(grad["A"], np.linalg.inv(SPD).T, rtol=1e-14)
    np.testing.assert_allclose(grad["A"], [[0.6, -0.2], [-0.2, 0.4]], rtol=1e-14)


def test_logdet_gradient_of_a_non_symmetric_matrix_is_inverse_transpose():
    M = np.array([[3.0, 1.0], [-2.0, 4.0]])
    grad = both_modes("logdet(A)", {"A": M})
    np.testing.assert_allclose(grad["A"], np.linalg.inv(M).T, rtol=1e-14)


def test_trace_of_product_gradient_wrt_a_is_b_transpose():
    B = np.array([[5.0, 6.0], [7.0, 8.0]])
    problem = make_problem("trace(A@B)", {"A": A}, {"B": B})
    _, grad = gradient_reverse(problem.graph, problem.point, ["A"])
    assert grad["A"].tolist() == B.T.tolist() == [[5.0, 7.0], [6.0, 8.0]]


def test_vjp_of_scaling_by_1024():
    from diffcli import vjp

    result = vjp("x*1024", {"x": [1.0, 2.0, 3.0]}, [0.1, 1.0, 0.0001], method="reverse")
    assert result.result["x"].tolist() == [102.4, 1024.0, 0.1024]


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    problem = make_problem("x.T@A@x", {"x": [1.0, 2.0]}, {"A": A})
    assert hessian(problem.graph, problem.point, problem.wrt).tolist() == (A + A.T).tolist()


# ---------------------------------------------------------------- the other operators


@pytest.mark.parametrize(("expr", "at", "expected"), [
    ("sum(x)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, np.ones((2, 2))),
    ("sum(sum(x, axis=0)**2)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, [[8.0, 12.0], [8.0, 12.0]]),
    ("sum(sum(x, axis=1)**2)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, [[6.0, 6.0], [14.0, 14.0]]),
    ("sum(mean(x, axis=-1)**2)", {"x": [[1.0, 3.0], [2.0, 4.0]]}, [[2.0, 2.0], [3.0, 3.0]]),
    ("prod(x)", {"x": [2.0, 3.0, 4.0]}, [12.0, 8.0, 6.0]),
    ("prod(x)", {"x": [0.0, 3.0, 4.0]}, [12.0, 0.0, 0.0]),           # no 0/0 at a zero entry
    ("sum(prod(x, axis=0))", {"x": [[1.0, 2.0], [3.0, 4.0]]}, [[3.0, 4.0], [1.0, 2.0]]),
    ("max(x)", {"x": [1.0, 5.0, 2.0]}, [0.0, 1.0, 0.0]),
    ("min(x)", {"x": [1.0, 5.0, 2.0]}, [1.0, 0.0, 0.0]),
    ("max(x)", {"x": [3.0, 3.0, 1.0]}, [0.5, 0.5, 0.0]),              # a tie shares the derivative
    ("sum(max(x, axis=1))", {"x": [[1.0, 5.0], [7.0, 2.0]]}, [[0.0, 1.0], [1.0, 0.0]]),
    ("dot(x, x)", {"x": [1.0, 2.0]}, [2.0, 4.0]),
    ("sum(outer(x, [1, 2, 3]))", {"x": [1.0, 2.0]}, [6.0, 6.0]),
    ("norm(x)", {"x": [3.0, 4.0]}, [0.6, 0.8]),
    ("norm(x)", {"x": [0.0, 0.0]}, [0.0, 0.0]),                       # a subgradient, never NaN
    ("trace(x)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, np.eye(2)),
    ("det(x)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, [[4.0, -3.0], [-2.0, 1.0]]),
    ("det(x)", {"x": [[1.0, 2.0], [2.0, 4.0]]}, [[4.0, -2.0], [-2.0, 1.0]]),  # singular: adj(A)ᵀ
    ("sum(inv(x))", {"x": [[2.0, 0.0], [0.0, 4.0]]}, [[-0.25, -0.125], [-0.125, -0.0625]]),  # −A⁻ᵀ11ᵀA⁻ᵀ
    ("x[0]*x[1]", {"x": [2.0, 3.0]}, [3.0, 2.0]),
    ("sum(x[1:]**2)", {"x": [1.0, 2.0, 3.0]}, [0.0, 4.0, 6.0]),
    ("sum(x[:, 0])", {"x": [[1.0, 2.0], [3.0, 4.0]]}, [[1.0, 0.0], [1.0, 0.0]]),
    ("sum(x.T @ x)", {"x": [[1.0, 2.0], [3.0, 4.0]]}, [[6.0, 6.0], [14.0, 14.0]]),
])
def test_gradients_of_tensor_operators(expr, at, expected):
    assert np.allclose(both_modes(expr, at)["x"], expected, rtol=1e-13, atol=1e-15)


def test_broadcasting_sums_the_cotangent_over_broadcast_axes():
    grad = both_modes("sum(x * y)", {"x": [[1.0, 2.0], [3.0, 4.0]], "y": [10.0, 20.0]})
    assert grad["y"].tolist() == [4.0, 6.0]                       # summed over the broadcast rows
    assert grad["x"].tolist() == [[10.0, 20.0], [10.0, 20.0]]
    grad = both_modes("sum(x + s)", {"x": [1.0, 2.0, 3.0], "s": 5.0})
    assert float(grad["s"]) == 3.0


def test_where_on_arrays_does_not_leak_nan_from_the_branch_not_taken():
    grad = both_modes("sum(where(x > 0, sqrt(x), 0*x))", {"x": [-1.0, 4.0]})
    assert grad["x"].tolist() == [0.0, 0.25]
    grad = both_modes("sum(where(x > 0, log(x), x))", {"x": [-2.0, 1.0]})
    assert grad["x"].tolist() == [1.0, 1.0]


def test_hessians_through_linear_algebra_match_differences_of_the_gradient():
    cases = [("logdet(A)", {"A": SPD}), ("det(A)", {"A": [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]]}),
             ("prod(A)", {"A": [1.0, 2.0, 3.0]}), ("sum(inv(A))", {"A": SPD}), ("norm(A)", {"A": [3.0, 4.0]}),
             ("trace(A@A@A)", {"A": A}), ("max(A*A)", {"A": [1.0, -3.0, 2.0]})]
    for expr, at in cases:
        problem = make_problem(expr, at)
        H = hessian(problem.graph, problem.point, ["A"])
        x = np.asarray(problem.point["A"])
        columns = []
        for k in range(x.size):
            step = np.zeros(x.size)
            step[k] = 1e-5
            plus = gradient_reverse(problem.graph, {"A": x + step.reshape(x.shape)}, ["A"])[1]["A"].ravel()
            minus = gradient_reverse(problem.graph, {"A": x - step.reshape(x.shape)}, ["A"])[1]["A"].ravel()
            columns.append((plus - minus) / 2e-5)
        np.testing.assert_allclose(H, np.array(columns).T, atol=1e-8, err_msg=expr)
        np.testing.assert_allclose(H, H.T, atol=1e-14, err_msg=expr)


def test_hessian_of_logdet_is_minus_kronecker_of_inverses():
    problem = make_problem("logdet(A)", {"A": SPD})
    inverse = np.linalg.inv(SPD)
    # ∂²/∂A_ij∂A_kl log det A = −(A⁻¹)_li (A⁻¹)_jk
    expected = -np.einsum("li,jk->ijkl", inverse, inverse).reshape(4, 4)
    np.testing.assert_allclose(hessian(problem.graph, problem.point, ["A"]), expected, rtol=1e-13)


# --------------------------------------------------------------------- shape errors


@pytest.mark.parametrize(("expr", "at", "words", "column"), [
    ("sum(x @ A)", {"x": [1.0, 2.0], "A": np.ones((3, 3))}, ["(2,)", "(3, 3)"], 7),
    ("sum(x + y)", {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]}, ["(2,)", "(3,)"], 7),
    ("sum(x * A)", {"x": [1.0, 2.0, 3.0], "A": np.ones((2, 2))}, ["(3,)", "(2, 2)"], 7),
    ("x @ y", {"x": 2.0, "y": 3.0}, ["()"], 3),
    ("det(x)", {"x": [1.0, 2.0]}, ["square", "(2,)"], 1),
    ("inv(x)", {"x": np.ones((2, 3))}, ["square", "(2, 3)"], 1),
    ("trace(x)", {"x": [1.0, 2.0]}, ["matrix", "(2,)"], 1),
    ("logdet(x)", {"x": np.ones((3, 2))}, ["square", "(3, 2)"], 1),
    ("sum([x, y])", {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]}, ["(2,)", "(3,)"], 5),
    ("sum(x @ y)", {"x": np.ones((2, 3)), "y": np.ones((2, 3))}, ["(2, 3) @ (2, 3)"], 7),
    ("sum(x.T @ y)", {"x": np.ones((2, 3)), "y": np.ones(3)}, ["(3, 2) @ (3,)"], 9),
    ("dot(x, y)", {"x": np.ones(2), "y": np.ones(3)}, ["(2,) @ (3,)"], 1),
    ("sum(outer(x, y))", {"x": np.ones((2, 2)), "y": [1.0]}, ["(2, 2)", "(1,)"], 5),
    ("sum(x, axis=2)", {"x": [1.0, 2.0]}, ["axis 2"], 1),
    ("x[5]", {"x": [1.0, 2.0]}, ["index 5"], 1),
])
def test_shape_mismatch_is_a_usage_error_naming_the_shapes_and_column(expr, at, words, column):
    graph = parse(expr)
    with pytest.raises(UsageError) as caught:
        evaluate(graph, at)
    for word in words:
        assert word in caught.value.message
    assert caught.value.column == column  # a binary operation is located at its operator


def test_inv_of_a_singular_matrix_is_nan_not_an_exception():
    graph = parse("inv(A)")
    values = evaluate(graph, {"A": np.array([[1.0, 2.0], [2.0, 4.0]])})
    assert np.isnan(values[graph.outputs[0]]).all()
    with pytest.raises(MathError, match="singular"):
        check_outputs(graph, values)


# ------------------------------------------------------------------ against SymPy, randomly


_FORMULAS = ["sum(A@x)", "x.T@A@x", "sum(sin(A)@x)", "norm(A@x)", "sum(outer(x, x)*A)", "trace(A@A)*sum(x)",
             "sum(mean(A, axis=0)*x)", "max(A@x)", "sum(exp(x)/sum(exp(x)))", "det(A + 3*outer(x, x))",
             "logdet(A)", "sum(inv(A)@x)", "prod(x)*sum(A, axis=1)[0]", "sum(A.T@x)", "min(A, axis=0)@x",
             "sum(x[1:]*A[:, 0][:1])", "prod(A, axis=0)@x"]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(_FORMULAS), st.integers(min_value=0, max_value=2**31 - 1))
def test_forward_reverse_and_sympy_agree_on_random_points(expr, seed):
    from diffcli.checks.symbolic import gradient_symbolic

    rng = np.random.default_rng(seed)
    # A diagonally dominant A has a positive determinant, so logdet is defined.
    at = {"x": rng.uniform(-2, 2, 2), "A": rng.uniform(-1, 1, (2, 2)) + 2.5 * np.eye(2)}
    problem = make_problem(expr, at)
    _, rev = gradient_reverse(problem.graph, problem.point, problem.wrt)
    _, fwd = gradient_forward(problem.graph, problem.point, problem.wrt)
    _, exact = gradient_symbolic(problem.graph, problem.point, problem.wrt, timeout=30)
    for name in problem.wrt:
        np.testing.assert_allclose(rev[name], exact[name], rtol=1e-9, atol=1e-9, err_msg=expr)
        np.testing.assert_allclose(fwd[name], exact[name], rtol=1e-9, atol=1e-9, err_msg=expr)


# ------------------------------------------------------------------------- edges: empty slices, overflow


@pytest.mark.parametrize("formula, expected", [
    ("prod(x[1:0])*x[0]", [1.0, 0.0, 0.0]),     # the empty product is 1
    ("sum(x[2:1]) + x[1]", [0.0, 1.0, 0.0]),    # the empty sum is 0
    ("prod(x[1:0]*x[0:0])", [0.0, 0.0, 0.0]),
])
def test_empty_slices_differentiate_in_both_modes(formula, expected):
    from diffcli.ad.problem import make_problem
    from diffcli.checks.compare import compare_gradient

    c = compare_gradient(make_problem(formula, {"x": [1.5, 2.0, 3.0]}), ("forward", "reverse", "central"))
    for m in c.methods.values():
        assert m.status == "ok" and m.result["x"].tolist() == pytest.approx(expected, abs=1e-9), m.method


def test_an_overflowing_matrix_product_is_reported_not_crashed(cli):
    result = cli("grad", "sum(A@w)", "--at", "w=[1e308,1e308],A=[[3,1],[1,1]]")
    assert result.exit_code == 1
    assert result.stderr == ("diffcli: error: matmul(array of shape (2, 2), array of shape (2,)) "
                             "overflowed to infinity (column 6)\n")


def test_the_mean_of_an_empty_slice_is_undefined_without_numpy_warnings(cli):
    result = cli("grad", "mean(x[1:0])", "--at", "x=[1,2]")
    assert result.exit_code == 1
    assert result.stderr == "diffcli: error: mean(array of shape (0,)) is undefined (column 1)\n"
