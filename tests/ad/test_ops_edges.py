"""Norms, products and determinants at the edges of floating point (issue 11): exact answers
where the old rules divided by a value that is zero or tiny, or squared one that overflows."""

from __future__ import annotations

import numpy as np
import pytest

from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_reverse
from diffcli.ad.transforms import hessian


def _json(cli, *args):
    import json

    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_norm_of_tiny_entries_has_the_unit_gradient(cli):
    document = _json(cli, "grad", "norm(x)", "--at", "x=[1e-200,1e-200]", "--method", "reverse")
    assert document["value"] == pytest.approx(np.sqrt(2) * 1e-200, rel=1e-15)
    assert document["methods"]["reverse"]["grad"]["x"] == pytest.approx([0.5**0.5] * 2, rel=1e-15)


def test_norm_of_huge_entries_does_not_overflow(cli):
    document = _json(cli, "grad", "norm(x)", "--at", "x=[3e200,4e200]", "--method", "reverse,forward")
    assert document["value"] == pytest.approx(5e200, rel=1e-15)
    for method in ("reverse", "forward"):
        assert document["methods"][method]["grad"]["x"] == pytest.approx([0.6, 0.8], rel=1e-15)


def test_hessian_of_norm_at_tiny_scale():
    x = np.array([3e-200, 4e-200])
    h = hessian(parse("norm(x)"), {"x": x}, ["x"])
    # (I − uuᵀ)/‖x‖ with u = x/‖x‖ = (0.6, 0.8), ‖x‖ = 5e-200
    np.testing.assert_allclose(h, np.array([[0.64, -0.48], [-0.48, 0.36]]) / 5e-200, rtol=1e-14)


def test_hessian_of_prod_at_a_zero_is_exact():
    h = hessian(parse("prod(x)"), {"x": np.array([0.0, 2.0, 3.0])}, ["x"])
    assert h.tolist() == [[0.0, 3.0, 2.0], [3.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    h = hessian(parse("prod(x)"), {"x": np.array([0.0, 0.0, 5.0])}, ["x"])
    assert h.tolist() == [[0.0, 5.0, 0.0], [5.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


def test_third_derivative_of_prod_at_zeros_is_exact():
    from diffcli.views.taylor import taylor_coefficients

    # p(x) = x·x·(x + 1)·(x − 2) = x⁴ − x³ − 2x², at x = 0: coefficients 0, 0, −2, −1, 1
    series = taylor_coefficients(parse("prod([x, x, x + 1, x - 2])"), {"x": 0.0}, "x", 4)
    assert series.coefficients == [0.0, 0.0, -2.0, -1.0, 1.0]


def _det_hessian(a: np.ndarray) -> np.ndarray:
    """∂²det/∂A_ij∂A_kl = ± the entry of A left when rows i, k and columns j, l are struck (3×3)."""
    h = np.zeros((9, 9))
    for i, j, k, l in np.ndindex(3, 3, 3, 3):
        if i != k and j != l:
            r, c = 3 - i - k, 3 - j - l
            sign = np.linalg.det(np.eye(3)[[i, k, r]]) * np.linalg.det(np.eye(3)[[j, l, c]])
            h[3 * i + j, 3 * k + l] = sign * a[r, c]
    return h


@pytest.mark.parametrize("last", [9.00000000000001, 9.0])
def test_hessian_of_det_at_a_nearly_singular_and_a_singular_matrix(last):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, last]])
    h = hessian(parse("det(A)"), {"A": a}, ["A"])
    np.testing.assert_allclose(h, _det_hessian(a), rtol=0, atol=1e-13)


def test_gradient_of_det_at_a_singular_matrix_is_the_adjugate():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    _, gradient = gradient_reverse(parse("det(A)"), {"A": a}, ["A"])
    np.testing.assert_allclose(gradient["A"], [[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]], atol=1e-14)


def test_gradient_of_det_takes_a_few_factorisations_not_one_per_cofactor(monkeypatch):
    """O(n³): one SVD and the signs of its factors, not n² determinants of minors (O(n⁵))."""
    a = np.random.default_rng(0).standard_normal((12, 12))
    calls = {"det": 0, "svd": 0}
    for name in calls:
        original = getattr(np.linalg, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(np.linalg, name, counted)
    _, gradient = gradient_reverse(parse("det(A)"), {"A": a}, ["A"])
    monkeypatch.undo()
    np.testing.assert_allclose(gradient["A"], np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)
    assert calls["det"] + calls["svd"] <= 4
