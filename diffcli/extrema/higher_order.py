"""Where the reduced Hessian has zero curvature: is the point isolated, and what is it?

Two numerical tests along the constraint set, both by Newton's method from near the point:

* **isolation** — step a little along a zero-curvature direction v and let Newton
  return to ∇L = 0. Near an isolated (degenerate) critical point it comes back; on a
  curve or surface of critical points it stops a step's length away, on the set.
* **higher order** — for an isolated point p whose zero-curvature directions span N,
  fix the component along N at t·u and let Newton find the critical point of f on the
  rest of the constraint set: ψ(t) = f(x(t)) − f(p) is f on the "centre manifold",
  where the quadratic test said nothing. ψ > 0 for every sampled u (both signs) is
  the higher-order term of a minimum (as 2t⁴ for x⁴ + y⁴ on x + y = 0), ψ < 0 of a
  maximum, both signs a saddle (t³ for x³ on y = 0); at two step sizes, to be sure
  the sign is not round-off. Inconclusive stays "degenerate".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.newton import Accuracy, solve_rows

ISOLATION_STEP = 1e-3
ORDER_STEPS = (3e-2, 1e-2)
NOISE = 1e-11


@dataclass
class Candidate:
    """What the tests need of a critical point."""

    x: np.ndarray
    multipliers: np.ndarray
    f: float
    bounds: np.ndarray
    active: np.ndarray
    null: np.ndarray        # n × k zero-curvature directions
    length: float           # the length scale of steps near it


def isolated(kkt: KKTGraph, points: list[Candidate], *, accuracy: Accuracy) -> list[int]:
    """For each point, the dimension of the set of critical points through it (0: isolated)."""
    rows, owner = [], []
    for k, p in enumerate(points):
        for j in range(p.null.shape[1]):
            for sign in (1.0, -1.0):
                rows.append((p.x + sign * ISOLATION_STEP * p.length * p.null[:, j], p))
                owner.append((k, j))
    if not rows:
        return [0] * len(points)
    X = np.array([x for x, _ in rows])
    runs = solve_rows(kkt, X, np.array([p.bounds for _, p in rows]), np.array([p.active for _, p in rows]),
                      accuracy=accuracy, max_iter=30, multipliers=np.array([p.multipliers for _, p in rows]),
                      log=False, polish=10)
    moving: dict[int, set[int]] = {}
    n = kkt.n
    for r, ((k, j), (_, p)) in enumerate(zip(owner, rows)):
        distance = float(np.linalg.norm(runs.z[r, :n] - p.x))
        if runs.converged[r] and distance >= 0.3 * ISOLATION_STEP * p.length:
            moving.setdefault(k, set()).add(j)
    return [len(moving.get(k, ())) for k in range(len(points))]


def centre_manifold_sign(kkt: KKTGraph, points: list[Candidate], *, accuracy: Accuracy,
                         rng: np.random.Generator) -> list[int | None]:
    """For each point: +1 (f rises along every zero-curvature direction), −1 (falls), 0 (both), None (unsure)."""
    n = kkt.n
    jobs = []   # (point index, step, x0, C, d)
    for k, p in enumerate(points):
        null = p.null
        dims = null.shape[1]
        directions = [np.eye(dims)[j] * s for j in range(dims) for s in (1.0, -1.0)]
        if dims > 1:
            extra = rng.normal(size=(4 * dims + 4, dims))
            directions += list(extra / np.linalg.norm(extra, axis=1, keepdims=True))
        for step in ORDER_STEPS:
            for u in directions:
                t = step * p.length
                jobs.append((k, step, p.x + t * (null @ u), null.T, null.T @ p.x + t * u))
    if not jobs:
        return [None] * len(points)
    results: dict[int, dict[float, list[float]]] = {}
    by_dims: dict[int, list[int]] = {}
    for index, job in enumerate(jobs):
        by_dims.setdefault(job[3].shape[0], []).append(index)
    for _, indices in by_dims.items():
        group = [jobs[i] for i in indices]
        owners = [points[j[0]] for j in group]
        runs = solve_rows(kkt, np.array([j[2] for j in group]), np.array([p.bounds for p in owners]),
                          np.array([p.active for p in owners]), accuracy=accuracy, max_iter=40,
                          multipliers=np.array([p.multipliers for p in owners]),
                          linear=(np.array([j[3] for j in group]), np.array([j[4] for j in group])),
                          log=False, polish=0)
        f_values = runs.last.f
        for r, (k, step, *_rest) in enumerate(group):
            p = points[k]
            value = float(f_values[r]) - p.f if runs.converged[r] else float("nan")
            noise = NOISE * max(abs(p.f), abs(float(f_values[r])), 1e-300)
            sign = float("nan") if not np.isfinite(value) else (0.0 if abs(value) <= noise else np.sign(value))
            results.setdefault(k, {}).setdefault(step, []).append(sign)
    verdicts: list[int | None] = []
    for k in range(len(points)):
        per_step = []
        for step in ORDER_STEPS:
            signs = np.array(results.get(k, {}).get(step, [np.nan]))
            if np.isnan(signs).any() or (signs == 0).any():
                per_step.append(None if not ((signs > 0).any() and (signs < 0).any()) else 0)
            elif (signs > 0).all():
                per_step.append(1)
            elif (signs < 0).all():
                per_step.append(-1)
            else:
                per_step.append(0)
        verdicts.append(per_step[0] if per_step[0] == per_step[1] else None)
    return verdicts
