"""Points of the feasible set: project any point onto it by Gauss–Newton steps.

Each step moves x by the least-norm correction x ← x − J_A⁺(e_A − b_A), where A holds
the equalities and the inequalities violated at x (each at the bound it violates). A
row is feasible when every constraint holds to a tolerance relative to the size of its
terms. Used to tell an empty feasible set from a set without critical points, to probe
for unboundedness far away, and to find a witness point for messages.
"""

from __future__ import annotations

import numpy as np

from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import LagrangeProblem, entry_count

FEASIBLE = 1e-9


def limits(problem: LagrangeProblem) -> tuple[np.ndarray, np.ndarray]:
    """Per λ entry: lower and upper bound (±inf where a side is missing)."""
    lower, upper = [], []
    for c in problem.constraints:
        size = entry_count(c.shape)
        lower += list(np.broadcast_to(-np.inf if c.lower is None else c.lower, (size,)))
        upper += list(np.broadcast_to(np.inf if c.upper is None else c.upper, (size,)))
    return np.array(lower, dtype=np.float64), np.array(upper, dtype=np.float64)


def violation(problem: LagrangeProblem, e: np.ndarray, jacobian: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per row: the largest constraint violation, each relative to the size of its terms (S,)."""
    if not problem.m:
        return np.zeros(len(e))
    lower, upper = limits(problem)
    excess = np.maximum(np.maximum(lower - e, e - upper), 0.0)
    finite_bound = np.where(np.isfinite(lower), np.abs(lower), 0.0) + np.where(np.isfinite(upper), np.abs(upper), 0.0)
    terms = np.einsum("smn,sn->sm", np.abs(jacobian), np.abs(X))
    scale = np.maximum(np.maximum(np.abs(e), finite_bound), np.maximum(terms, 1e-300))
    with np.errstate(all="ignore"):
        relative = np.where(excess > 0, excess / scale, 0.0)
    return np.where(np.isfinite(relative), relative, np.inf).max(axis=1)


def project(problem: LagrangeProblem, kkt: KKTGraph, X: np.ndarray, iterations: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project each row of X onto the feasible set: (points, relative violation, f there)."""
    S, n = X.shape
    m = kkt.m
    X = X.copy()
    lower, upper = limits(problem)
    bounds = np.tile(np.where(np.isfinite(upper), upper, lower), (S, 1))
    Z = np.concatenate([X, np.zeros((S, m))], axis=1)
    with np.errstate(all="ignore"):
        batch = kkt.evaluate(Z, bounds)
        for _ in range(iterations):
            bad = violation(problem, batch.e, batch.jacobian, X) > FEASIBLE
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
        return X, violation(problem, batch.e, batch.jacobian, X), batch.f
