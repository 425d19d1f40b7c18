"""Points of the feasible set: project any point onto it by Gauss–Newton steps.

Each step moves x by the least-norm correction x ← x − J_A⁺(e_A − b_A), where A holds
the equalities and the inequalities violated at x (each at the bound it violates). A
row is feasible when every constraint holds to rounding level (`rounding_bound`), and
no constraint there is lost to rounding (`lost`). Used to tell an empty feasible set from a set without critical points, to probe
for unboundedness far away, and to find a witness point for messages.
"""

from __future__ import annotations

import numpy as np

from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import LagrangeProblem, entry_count

FEASIBLE = 1e-9   # the largest violation of a feasible point, relative to the constraint's natural size
# A constraint computed at x is wrong by up to γₖ·(the size of its terms) ≈ k·u·Σⱼ|∂e/∂xⱼ·xⱼ| (Higham's
# bound for k roundings of sums and products; u = eps/2 for x's own rounding, propagated by ∂e/∂x).
# 32u allows ~30 roundings along the formula as typed: round-off, never a loose tolerance — at
# x ≈ −y ≈ 6e13 it is 0.4 for x + y, so a violation of 0.5 is not forgiven as "relative to 1e14".
ROUNDING = 16 * float(np.finfo(np.float64).eps)
# Where that rounding reaches a hundredth of the constraint's natural size, its computed value
# keeps fewer than two correct digits there: whether the point is feasible is decided by
# cancellation, not by the constraint (x + y at |x| ≈ 1e14 is off by ~0.01…0.1).
LOST = 1e-2


def limits(problem: LagrangeProblem) -> tuple[np.ndarray, np.ndarray]:
    """Per λ entry: lower and upper bound (±inf where a side is missing)."""
    lower, upper = [], []
    for c in problem.constraints:
        size = entry_count(c.shape)
        lower += list(np.broadcast_to(-np.inf if c.lower is None else c.lower, (size,)))
        upper += list(np.broadcast_to(np.inf if c.upper is None else c.upper, (size,)))
    return np.array(lower, dtype=np.float64), np.array(upper, dtype=np.float64)


def rounding_bound(jacobian: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per row and constraint (S, m): how far round-off can move its computed value at X.

    >>> float(rounding_bound(np.array([[[1.0, 1.0]]]), np.array([[-6e13, 6e13]]))[0, 0]) > 0.4
    True
    """
    with np.errstate(all="ignore"):
        return ROUNDING * np.einsum("smn,sn->sm", np.abs(jacobian), np.abs(X))


def natural_size(bounds: np.ndarray, jacobian: np.ndarray, length: float) -> np.ndarray:
    """Per row and constraint (S, m): its size where the problem lives — its right-hand side, or
    how much it changes over the problem's length (x − y = 0 over a box of 10: 20)."""
    finite = np.where(np.isfinite(bounds), np.abs(bounds), 0.0)
    with np.errstate(all="ignore"):
        return np.maximum(finite, np.abs(jacobian).sum(axis=2) * length)


def lost(bounds: np.ndarray, jacobian: np.ndarray, X: np.ndarray, length: float) -> np.ndarray:
    """Per row (S,): some constraint is decided only by cancellation there (see LOST)."""
    if not jacobian.shape[1]:
        return np.zeros(len(X), bool)
    with np.errstate(all="ignore"):
        undecided = ~(rounding_bound(jacobian, X) <= LOST * natural_size(bounds, jacobian, length))
    return undecided.any(axis=1)


def violation(problem: LagrangeProblem, e: np.ndarray, jacobian: np.ndarray, X: np.ndarray,
              length: float) -> np.ndarray:
    """Per row (S,): the largest constraint violation beyond round-off, relative to the
    constraint's natural size (`length`: the problem's, e.g. the typical size of a start).
    A point lost to rounding violates by at least 1: it is no feasible point."""
    if not problem.m:
        return np.zeros(len(e))
    lower, upper = limits(problem)
    excess = np.maximum(np.maximum(lower - e, e - upper), 0.0)
    bounds = np.maximum(np.where(np.isfinite(lower), np.abs(lower), 0.0), np.where(np.isfinite(upper), np.abs(upper), 0.0))
    with np.errstate(all="ignore"):
        natural = np.maximum(natural_size(np.broadcast_to(bounds, e.shape), jacobian, length), 1e-300)
        relative = np.where(excess > rounding_bound(jacobian, X), excess / natural, 0.0)
        relative = np.where(np.isfinite(relative), relative, np.inf).max(axis=1)
    return np.where(lost(np.broadcast_to(bounds, e.shape), jacobian, X, length), np.maximum(relative, 1.0), relative)


def typical_length(X: np.ndarray) -> float:
    """The problem's length seen from points X: the median of their largest |xᵢ| (1 if none)."""
    with np.errstate(all="ignore"):
        length = float(np.nanmedian(np.where(np.isfinite(X), np.abs(X), np.nan).max(axis=1))) if X.size else 1.0
    return length if np.isfinite(length) and length > 0 else 1.0


def project(problem: LagrangeProblem, kkt: KKTGraph, X: np.ndarray, iterations: int = 50,
            length: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project each row of X onto the feasible set: (points, relative violation, f there).

    `length`: the problem's (`violation`), by default X's typical size."""
    S, n = X.shape
    length = typical_length(X) if length is None else length
    m = kkt.m
    X = X.copy()
    lower, upper = limits(problem)
    bounds = np.tile(np.where(np.isfinite(upper), upper, lower), (S, 1))
    Z = np.concatenate([X, np.zeros((S, m))], axis=1)
    with np.errstate(all="ignore"):
        batch = kkt.evaluate(Z, bounds)
        for _ in range(iterations):
            bad = violation(problem, batch.e, batch.jacobian, X, length) > FEASIBLE
            if not m or not bad.any():
                break
            e, J = batch.e[bad], batch.jacobian[bad]
            target = np.clip(e, lower, upper)         # the nearest bound for violated entries
            residual = e - target
            mask = residual != 0
            J = J * mask[:, :, None]
            step = -np.einsum("snm,sm->sn", np.linalg.pinv(J, rcond=1e-12), residual)
            moved = X[bad] + step
            ok = np.isfinite(moved).all(axis=1)
            rows = np.nonzero(bad)[0][ok]
            X[rows] = moved[ok]
            Z = np.concatenate([X, np.zeros((S, m))], axis=1)
            batch = kkt.evaluate(Z, bounds)
        return X, violation(problem, batch.e, batch.jacobian, X, length), batch.f
