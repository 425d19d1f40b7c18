"""Forward mode pushes blocks of directions per sweep; any block size gives the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from diffcli.ad import forward
from diffcli.ad.problem import make_problem
from diffcli.ad.transforms import hessian, jacobian_reverse

M = np.array([[2.0, 0.5, 0.1], [0.3, 1.5, -0.2], [0.0, 0.4, 3.0]])
POINT = {"a": 0.7, "b": -1.3, "v": np.array([0.5, -1.0, 2.0]), "M": M}

# Scalars and tensors mixed, so blocks span several variables; every structural op of
# the table (and broadcasting of a scalar against a tensor) appears somewhere.
FORMULAS = [
    "a*b + sin(a)*exp(-b*b)",
    "sum(a*v + b) + mean(v*v)",
    "v @ M @ v + a*trace(M)",
    "sum(M.T @ v) + sum(outer(v, v)) * b",
    "det(M) * a + logdet(M) + sum(inv(M) @ v)",
    "norm(v) + prod(v) + max(v) - min(v*b)",
    "sum(v[1:] * v[:-1]) + M[0, 1] * a + sum(M[:, 2])",
    "sum([a, b, a*b] * v) + sum([[a, b], [b, a]])",
    "sum(sum(M, axis=0) * v) + sum(mean(M, axis=1))",
    "sum(where(v > 0, v*a, v*b)) + (a if a > b else b)",
    "sum(abs(v - a) + sqrt(M*M + 1)) + max(a, b)",
]


def _jacobian(expr: str, entries: int | None, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    problem = make_problem(expr, POINT)
    with monkeypatch.context() as patched:
        if entries is not None:
            patched.setattr(forward, "BLOCK_ENTRIES", entries)
        return forward.jacobian_forward(problem.graph, problem.point, problem.wrt)


@pytest.mark.parametrize("expr", FORMULAS)
def test_block_sizes_agree_bit_for_bit_and_with_reverse_mode(expr, monkeypatch):
    whole = _jacobian(expr, None, monkeypatch)        # every direction in one block
    one = _jacobian(expr, 1, monkeypatch)             # one direction per sweep, as before blocks
    some = _jacobian(expr, 27, monkeypatch)           # blocks of 3 across variables (9-entry nodes)
    problem = make_problem(expr, POINT)
    assert whole.shape == (1, sum(np.size(POINT[name]) for name in problem.wrt))
    assert np.array_equal(whole, one) and np.array_equal(whole, some)
    np.testing.assert_allclose(whole, jacobian_reverse(problem.graph, problem.point, problem.wrt),
                               rtol=1e-12, atol=1e-12)


def test_gradient_forward_at_many_scalar_variables_is_exact():
    n = 300
    x = np.random.default_rng(1).uniform(-1, 1, n)
    expr = " + ".join(f"x{i}*x{(i + 1) % n} + sin(x{i})" for i in range(n))
    problem = make_problem(expr, {f"x{i}": v for i, v in enumerate(x)})
    _, grad = forward.gradient_forward(problem.graph, problem.point, problem.wrt)
    got = np.array([grad[f"x{i}"] for i in range(n)])
    np.testing.assert_allclose(got, np.roll(x, -1) + np.roll(x, 1) + np.cos(x), rtol=1e-15, atol=1e-15)


def test_a_vector_output_jacobian_and_a_hessian_through_blocks(monkeypatch):
    problem = make_problem("[a*v, sum(M @ v) + b]", POINT)
    blocked = forward.jacobian_forward(problem.graph, problem.point, problem.wrt)
    monkeypatch.setattr(forward, "BLOCK_ENTRIES", 1)
    assert np.array_equal(blocked, forward.jacobian_forward(problem.graph, problem.point, problem.wrt))
    h = hessian(make_problem("a*a*b + exp(a*b)", POINT).graph, {"a": 0.7, "b": -1.3}, ["a", "b"])
    e = np.exp(0.7 * -1.3)
    np.testing.assert_allclose(h, [[2 * -1.3 + 1.3**2 * e, 2 * 0.7 + e * (1 + 0.7 * -1.3)],
                                   [2 * 0.7 + e * (1 + 0.7 * -1.3), 0.7**2 * e]], rtol=1e-14)


def test_variables_outside_the_graph_get_zero_columns():
    from diffcli.ad.parse import parse

    point = {"a": np.float64(2.0), "b": np.float64(1.0)}
    assert forward.jacobian_forward(parse("a*a"), point, ["a", "b"]).tolist() == [[4.0, 0.0]]
