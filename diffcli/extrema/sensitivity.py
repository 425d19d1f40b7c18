"""Shadow prices: λᵢ beside the change of the optimal value when the right-hand side cᵢ moves.

With L = f − Σλᵢ(gᵢ − cᵢ), λᵢ = ∂f*/∂cᵢ at a regular point. Here that is checked the way a
course states it: the point is re-solved by Newton (same active constraints) with cᵢ
moved to cᵢ ± δ, and (f*(cᵢ + δ) − f*(cᵢ − δ)) / 2δ is set beside λᵢ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.newton import accuracy_at, solve_rows
from diffcli.extrema.points import CriticalPoint
from diffcli.extrema.problem import LagrangeProblem

STEP = 1e-4


@dataclass
class ShadowPrice:
    constraint: str          # the active constraint as held: 'x**2 + y**2 = 1'
    multiplier: float        # λ
    rate: float              # (f*(c + δ) − f*(c − δ)) / 2δ, NaN if a re-solve failed
    delta: float
    f_plus: float
    f_minus: float


def shadow_prices(problem: LagrangeProblem, point: CriticalPoint, kkt: KKTGraph | None = None,
                  tol: float = 1e-10) -> list[ShadowPrice]:
    """One row per active constraint entry of `point` (irregular points have no multipliers)."""
    kkt = kkt or KKTGraph(problem)
    owner = problem.constraint_of_entry()
    lower, upper = [], []
    for c in problem.constraints:
        size = int(np.prod(c.shape)) if c.shape else 1
        lower += list(np.broadcast_to(np.nan if c.lower is None else c.lower, (size,)))
        upper += list(np.broadcast_to(np.nan if c.upper is None else c.upper, (size,)))
    bounds = np.where(point.side > 0, lower, upper).astype(np.float64)
    bounds = np.where(np.isfinite(bounds), bounds, 0.0)
    entries = [k for k in range(problem.m) if point.active[k]]
    if not entries or point.kind == "irregular":
        return []
    rows = []
    for k in entries:
        delta = STEP * max(1.0, abs(bounds[k]))
        moved = np.array([bounds, bounds])
        moved[0, k] += delta
        moved[1, k] -= delta
        X = np.array([point.x, point.x])
        runs = solve_rows(kkt, X, moved, np.tile(point.active, (2, 1)), accuracy=accuracy_at(kkt, X, moved, tol),
                          max_iter=50, multipliers=np.tile(point.multipliers, (2, 1)), log=False)
        f_plus, f_minus = (float(runs.last.f[i]) if runs.converged[i] else float("nan") for i in (0, 1))
        side = "lower" if point.side[k] > 0 else "upper" if point.side[k] < 0 else "equal"
        rows.append(ShadowPrice(problem.constraints[owner[k]].held(side), float(point.multipliers[k]),
                                (f_plus - f_minus) / (2 * delta), delta, f_plus, f_minus))
    return rows
