"""Irregular points: feasible points where the active constraint gradients are dependent.

There an extremum need not satisfy ∇f = Σλᵢ∇gᵢ for any λ — the textbook's "also check
the points where ∇g = 0" (the cusp y² = x³ at the origin). They are the solutions with
μ₀ = 0 of the Fritz John conditions μ₀∇f = Σλᵢ∇gᵢ, g = 0, ‖λ‖ = 1: the same KKT graph
with the weight of f set to 0 and one more equation, solved by Gauss–Newton from the
same kind of starts. Each is a candidate of its own kind ("irregular") with its f.
"""

from __future__ import annotations

import numpy as np

from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.newton import accuracy_at, solve_rows
from diffcli.extrema.pinned import pinned
from diffcli.extrema.points import SAME, ActiveSet

def irregular_points(kkt: KKTGraph, sets: list[ActiveSet], X: np.ndarray, *, tol: float,
                     max_iter: int = 60) -> tuple[list[tuple[np.ndarray, int]], set[tuple[tuple[int, int], ...]]]:
    """Distinct irregular points found from the starts X, each with the active set it belongs to;
    and the pinned groups (λ entry, side) met on the way.

    A pair of inequalities that pin each other (`pinned`: y >= -2 with y <= -2) makes every
    point of the piece they pin a solution here; those are not irregular points of the
    problem written with the pair as one equality, so they are left out (and the group is
    returned, to be said once).
    """
    chosen = [k for k, s in enumerate(sets) if s.active.any()]
    groups: set[tuple[tuple[int, int], ...]] = set()   # of (λ entry, side)
    if not chosen or not len(X):
        return [], groups
    owners = [k for k in chosen for _ in range(len(X))]
    starts = np.concatenate([X] * len(chosen))
    active = np.array([sets[k].active for k in owners])
    bounds = np.array([sets[k].bounds for k in owners])
    accuracy = accuracy_at(kkt, starts, bounds, tol, mu0=0.0)
    runs = solve_rows(kkt, starts, bounds, active, accuracy=accuracy, max_iter=max_iter, mu0=0.0, log=False)
    found: list[tuple[np.ndarray, int]] = []
    for r, k in enumerate(owners):
        if not runs.converged[r]:
            continue
        x = runs.z[r, :kkt.n]
        held = sets[k].active
        if np.any(sets[k].side[held]):
            group = pinned(kkt, x, runs.last.jacobian[r], held, sets[k].side, sets[k].bounds)
            if group.any():
                groups.add(tuple((int(i), int(sets[k].side[i])) for i in np.nonzero(group)[0]))
                continue
        x = _rounded(x)
        size = max(float(np.abs(x).max(initial=0.0)), 1.0)
        # Gauss–Newton reaches these (singular) points only to ~1e-8: nearer than 1e-5 is one point.
        if any(k == j and float(np.abs(x - y).max(initial=0.0)) <= max(SAME, 1e-5) * size for y, j in found):
            continue
        found.append((x, k))
    return found, groups


def _rounded(x: np.ndarray) -> np.ndarray:
    """Entries within 1e-7 of a number with at most 6 decimals become it (the point is known to ~1e-8)."""
    rounded = np.round(x, 6)
    return np.where(np.abs(rounded - x) <= 1e-7 * np.maximum(1.0, np.abs(x)), rounded, x) + 0.0
