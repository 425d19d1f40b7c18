"""Each variable's natural length on the constraint set, from the curvature of the constraints.

Newton's step does not care about the units of x, but two things around it do: the
least-squares multipliers λ₀ at a start (min ‖∇f − Jᵀλ‖ weighs every component of the
gradient alike) and the least-norm projection of a start onto the constraints (every
component of the move alike). On 1e6·x² + 1e-6·y² = 1, x lives within 1e-3 of 0 and y
within 1e3: unscaled, λ₀ comes out 1e6 times too small (the huge ∂g/∂x decides it) and
Newton stalls at every start; in the variables u = x/1e-3, v = y/1e3 it is a circle.

A variable's length is how far it can move before a constraint changes by its own size:
for the term aᵢxᵢ² of a constraint of size E it is √(E/aᵢ), in general
sᵢ = √(2 / Σₖ |∂²eₖ/∂xᵢ²| / Eₖ) — one evaluation of the KKT graph, whose ∇²ₓL with
μ₀ = 0 and λₖ = −1/Eₖ is exactly Σₖ ∇²eₖ/Eₖ. A variable no constraint curves (linear
constraints, no constraint) gets the geometric mean of the others: a neutral length,
since only the ratios between lengths matter.

>>> from diffcli.extrema.problem import build_problem
>>> kkt = KKTGraph(build_problem("x + y", ["1e6*x**2 + 1e-6*y**2 = 1"]))
>>> np.round(np.log10(variable_scales(kkt, np.array([[1e-3, 5.0]]), np.ones((1, 1)))), 4)
array([[-3.,  3.]])
"""

from __future__ import annotations

import numpy as np

from diffcli.extrema.kkt import Batch, KKTGraph


def variable_scales(kkt: KKTGraph, X: np.ndarray, bounds: np.ndarray, active: np.ndarray | None = None,
                    batch: Batch | None = None) -> np.ndarray:
    """Per row of X (S, n), each variable's length sᵢ on the (active) constraints: (S, n), all > 0.

    `batch` is the graph already evaluated at (X, λ = 0), when the caller has it.
    """
    S, n = X.shape
    m = kkt.m
    if not m or not S:
        return np.ones((S, n))
    with np.errstate(all="ignore"):
        if batch is None:
            batch = kkt.evaluate(np.concatenate([X, np.zeros((S, m))], axis=1), bounds)
        # Each constraint's size at the row: its bound, its value, or half its terms Σⱼ|∂e/∂xⱼ·xⱼ|
        # (which is 2E for a quadratic form of size E).
        size = np.maximum(np.maximum(np.abs(bounds), np.abs(batch.e)),
                          0.5 * np.einsum("smn,sn->sm", np.abs(batch.jacobian), np.abs(X)))
        weight = np.where(np.isfinite(size) & (size > 0), 1.0 / size, 0.0)
        if active is not None:
            weight = weight * active
        curved = kkt.evaluate(np.concatenate([X, -weight], axis=1), bounds, mu0=0.0)
        curvature = np.abs(np.diagonal(curved.K[:, :n, :n], axis1=1, axis2=2))
        known = np.isfinite(curvature) & (curvature > 0)
        lengths = np.where(known, np.sqrt(2.0 / np.where(known, curvature, 1.0)), np.nan)
        known &= np.isfinite(lengths) & (lengths > 0)
        logs = np.where(known, np.log(np.where(known, lengths, 1.0)), 0.0)
        count = known.sum(axis=1, keepdims=True)
        neutral = np.exp(logs.sum(axis=1, keepdims=True) / np.maximum(count, 1))
    return np.where(known, lengths, neutral)


__all__ = ["variable_scales"]
