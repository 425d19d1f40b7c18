"""Proving a feasible set empty (`emptiness`): only convex constraints, only with an exact certificate."""

from __future__ import annotations

import numpy as np
import pytest

from diffcli.extrema.emptiness import positive_semidefinite, prove_empty
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import build_problem

NOT_CONVEX = "is not an affine or convex quadratic constraint"


def verdict(constraints: list[str], near: tuple[float, ...] = (0.0, 0.0)) -> tuple[bool, str]:
    problem = build_problem("x + y", constraints)
    emptiness = prove_empty(problem, KKTGraph(problem), np.array(near))
    return emptiness.proved, emptiness.reason


@pytest.mark.parametrize("constraints", [
    ["x + y <= -1", "x**2 + y**2 <= 0.1"],                      # the line and disk
    ["x + y <= -1", "x**2 + y**2 <= 0.4999999"],                # misses the tangent point by 1e-7 of r²
    ["x + y = 1", "x + y = 2"],                                 # parallel equalities
    ["x >= 2", "x <= 1"],
    ["0.1*x + 0.2*y <= -0.3", "0.3*x + 0.6*y >= 1"],            # proportional by fl(0.3)/fl(0.1), not 3
    ["x**2 <= -1"],
    ["-x**2 - y**2 >= 1"],                                      # g >= c with g concave
    ["(x - 3)**2 + (y - 3)**2 <= 1", "x + y <= 1", "0 <= x <= 10"],
])
def test_empty_convex_sets_are_proved(constraints):
    assert verdict(constraints) == (True, "")


@pytest.mark.parametrize("constraints, reason", [
    (["x**2 - y**2 >= 1", "x**2 + y**2 <= 0.5"], f"'x**2 - y**2 >= 1' {NOT_CONVEX}"),     # indefinite
    (["x**2 + y**2 >= 4", "x**2 + y**2 <= 1"], f"'x**2 + y**2 >= 4' {NOT_CONVEX}"),       # convex g, wrong side
    (["x**2 + y**2 = 4", "x >= 3"], f"'x**2 + y**2 = 4' {NOT_CONVEX}"),                  # a quadratic equality
    (["sin(x) >= 2"], f"'sin(x) >= 2' {NOT_CONVEX}"),
    (["exp(x) <= -1"], f"'exp(x) <= -1' {NOT_CONVEX}"),                                  # convex, but not shown
    (["x*y**2 <= -1", "x >= 0"], f"'x*y**2 <= -1' {NOT_CONVEX}"),                        # degree 3
])
def test_without_convexity_nothing_is_proved(constraints, reason):
    assert verdict(constraints) == (False, reason)


@pytest.mark.parametrize("constraints", [
    ["x + y <= -1", "x**2 + y**2 <= 0.5"],                      # one point, (−½, −½)
    ["(x - 3)**2 + (y - 3)**2 <= 1e-6", "x + y >= 6"],          # a half disk of radius 1e-3
    ["x + y = 1", "x - y = 0"],
])
def test_a_non_empty_set_is_never_proved_empty(constraints):
    # the least violation is 0 up to rounding: no weighting of the sides is positive everywhere
    proved, reason = verdict(constraints, near=(5.0, -7.0))
    assert not proved and reason in ("no exact certificate checked out (the constraints are convex)",
                                     "the least violation of the convex constraints is 0 (the set may be a point or a sliver)")


@pytest.mark.parametrize("H, expected", [
    ([[2, 2], [2, 2]], True),                  # (x + y)²: singular, exactly
    ([[2, 0], [0, 2]], True),
    ([[0, 0], [0, 0]], True),
    ([[1, 0], [0, -1e-300]], False),           # a tiny negative eigenvalue is not rounded away
    ([[0, 1], [1, 5]], False),                 # zero pivot with a non-zero row
    ([[1, 2], [2, 4 - 2**-50]], False),        # determinant −2⁻⁵⁰
    ([[2, -1, 0], [-1, 2, -1], [0, -1, 2]], True),
])
def test_semidefiniteness_is_decided_exactly(H, expected):
    assert positive_semidefinite(np.array(H, dtype=float)) is expected
