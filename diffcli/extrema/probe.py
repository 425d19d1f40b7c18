"""Is f bounded on the feasible set? Walk out along fixed directions and watch f.

Along each of a few directions u (random, and ± every coordinate axis), the points
r·u for r = 10, 100, 1000 times the box are projected onto the feasible set. When
f grows at every step along one direction and ends above every critical value, the
largest critical value is no maximum (likewise below). The same projections tell
whether feasible points exist that far out at all: the set looks unbounded when they
do, which `boundedness` reports alongside the proofs it can give.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffcli.extrema.feasibility import FEASIBLE, project
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import LagrangeProblem

RADII = (10.0, 100.0, 1000.0)
RANDOM_DIRECTIONS = 12
MAX_ENTRIES = 60        # the probe is skipped on larger problems
# Growth smaller than this share of |f| is the projections' rounding, not a trend: on the strip
# 1.5 <= x + y <= 2, x + y far out is 2 give or take an ulp, and "still growing" would be false.
MARGIN = 1e-9


@dataclass
class Probe:
    above: float | None = None      # f far out along a direction where it keeps growing
    below: float | None = None
    reach: float = 0.0              # the radius of the farthest feasible point found
    far_feasible: bool = False      # feasible points were found at the largest radius


def probe(problem: LagrangeProblem, kkt: KKTGraph, scale: float, rng: np.random.Generator) -> Probe:
    """f along rays out to 1000× the box, projected onto the feasible set."""
    n = problem.n
    result = Probe()
    if n > MAX_ENTRIES:
        return result
    directions = rng.normal(size=(RANDOM_DIRECTIONS, n))
    directions = np.concatenate([directions / np.linalg.norm(directions, axis=1, keepdims=True),
                                 np.eye(n), -np.eye(n)])
    D = len(directions)
    X = np.concatenate([r * scale * directions for r in RADII])
    points, bad, f = project(problem, kkt, X, length=scale)
    norms = np.linalg.norm(points, axis=1)
    radius = np.repeat(np.array(RADII) * scale, D)
    usable = (bad <= FEASIBLE) & np.isfinite(f) & (norms >= radius / 2)
    f = np.where(usable, f, np.nan).reshape(len(RADII), D)
    if usable.reshape(len(RADII), D)[-1].any():
        result.far_feasible = True
        result.reach = float(RADII[-1] * scale)
    with np.errstate(invalid="ignore"):
        steps, noise = np.diff(f, axis=0), MARGIN * np.fmax(np.abs(f[:-1]), np.abs(f[1:]))
        rising = np.all(steps > noise, axis=0) & np.isfinite(f).all(axis=0)
        falling = np.all(steps < -noise, axis=0) & np.isfinite(f).all(axis=0)
    if rising.any():
        result.above = float(np.max(f[-1][rising]))
    if falling.any():
        result.below = float(np.min(f[-1][falling]))
    return result


def exceeds(a: float, b: float) -> bool:
    """Whether a > b by more than rounding (`MARGIN` of the larger size)."""
    return a - b > MARGIN * max(abs(a), abs(b))
