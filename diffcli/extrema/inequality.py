"""Is a KKT point on the boundary a local min, a local max, or neither? Multiplier signs, then curvature.

The sign convention (the same for `=`, `<=` and `>=`): L = f − Σλᵢ(gᵢ − cᵢ), so ∇f = Σλᵢ∇gᵢ
and λᵢ = ∂f*/∂cᵢ — the rate at which the optimal value moves with the right-hand side (the
shadow price). Hence, at a local minimum, an active `g <= c` has λ ≤ 0 (a larger c frees
the point, f* can only fall) and an active `g >= c` has λ ≥ 0; at a local maximum the
opposite. A multiplier of the wrong sign means f decreases (increases) into the feasible
set: the point is neither.

With the signs right, the second-order test runs on the critical cone: directions that
keep the equalities and the strongly active inequalities (|λ| > 0) to first order. When
weakly active inequalities (λ = 0) make the cone smaller than that subspace, a definite
reduced Hessian on the subspace still decides; one that is not semidefinite on the
smaller subspace (all active constraints held) decides the other way; otherwise the point
stays "degenerate".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from diffcli.extrema.classify import Curvature, curvature

CONVENTION = ("λ = ∂f*/∂c (the shadow price of the right-hand side c): at a local min an active "
              "g <= c has λ ≤ 0 and g >= c has λ ≥ 0; at a local max the opposite")
WEAK = 1e-9   # |λᵢ|·|∇gᵢ| below this share of |∇f| (or of the largest force): a weakly active constraint


@dataclass
class Verdict:
    kind: str            # min | max | saddle | degenerate
    test: str
    curvature: Curvature
    multipliers: np.ndarray | None = None   # the multipliers read (of the right signs when there are such)


def sides(lower: np.ndarray, upper: np.ndarray, e: np.ndarray, active: np.ndarray, equality: np.ndarray,
          scale: np.ndarray) -> np.ndarray:
    """Per λ entry: +1 held at its lower bound, −1 at its upper bound, 0 for an equality or inactive."""
    at_lower = active & ~equality & np.isfinite(lower) & (np.abs(e - lower) <= scale)
    at_upper = active & ~equality & np.isfinite(upper) & (np.abs(e - upper) <= scale)
    return np.where(at_lower, 1, np.where(at_upper, -1, 0))


def classify_kkt(hessian: np.ndarray, jacobian: np.ndarray, multipliers: np.ndarray, active: np.ndarray,
                 side: np.ndarray, gradient: np.ndarray, terms: np.ndarray, *, pinned: np.ndarray | None = None,
                 hessian_at: Callable[[np.ndarray], np.ndarray] | None = None) -> Verdict:
    """The kind of a KKT point with active inequalities (side ≠ 0) and equalities (active, side 0).

    `pinned` (`pinned.pinned`): inequalities that hold together only with equality on a whole
    piece — read as the equality they amount to. When the active gradients are dependent the
    multipliers are not unique: a min is a min if *some* multipliers have a min's signs, so
    when the given ones do not, the nearest that do are sought (`hessian_at` gives ∇²ₓL at them).

    >>> J = np.array([[1.0, 0.0]])             # x <= 1 active at (1, 0) for f = x**2 + y**2
    >>> classify_kkt(np.eye(2) * 2, J, np.array([2.0]), np.array([True]), np.array([-1]),
    ...              np.array([2.0, 0.0]), np.eye(2) * 2).kind    # f falls inward, rises along x = 1
    'saddle'
    >>> J = np.array([[0.0, 1.0], [0.0, 1.0]])  # y >= -2 and y <= -2 at (0, -2) for the same f
    >>> pair = np.array([True, True])
    >>> classify_kkt(np.eye(2) * 2, J, np.array([-2.0, -2.0]), pair, np.array([1, -1]),
    ...              np.array([0.0, -4.0]), np.eye(2) * 2, pinned=pair).kind
    'min'
    """
    from diffcli.extrema.pinned import regular_when_merged

    pinned = np.zeros(len(side), dtype=bool) if pinned is None else pinned
    written = side
    side = np.where(pinned, 0, side)                # a pinned pair is the equality it amounts to
    forces = np.abs(multipliers)[:, None] * np.abs(jacobian)
    size = max(float(np.abs(gradient).max(initial=0.0)), float(forces.max(initial=0.0)), 1e-300)
    inequality = side != 0
    dependent = not regular_when_merged(jacobian, active, pinned)
    readings = []
    for kind, sign in (("min", 1.0), ("max", -1.0)):
        lam, H = multipliers, hessian
        if not _signs_hold(lam, jacobian, inequality, side, sign, size) and dependent and hessian_at is not None:
            lam = _signed_multipliers(jacobian, gradient, active, side, sign, size)
            H = None if lam is None else hessian_at(lam)
        if lam is not None and _signs_hold(lam, jacobian, inequality, side, sign, size):
            readings.append(_second_order(kind, sign, H, jacobian, lam, active, inequality, size, terms))
    if not readings:
        strong = inequality & (np.abs(multipliers) * np.abs(jacobian).max(axis=1, initial=0.0) > WEAK * size)
        wide = curvature(hessian, jacobian[active & (~inequality | strong)], terms)
        return _with_licq(Verdict("saddle", "multiplier signs: f falls into the feasible set one way and rises "
                                  "another", wide, multipliers), pinned, jacobian, active)
    for outcome in ("decided", "degenerate", "refuted"):
        for reading in readings:
            if reading[0] == outcome:
                verdict = reading[1]
                if pinned.any() and verdict.kind in ("min", "max"):
                    # Only the pair's sum is fixed: show the split whose signs read as written.
                    split = _signed_multipliers(jacobian, gradient, active, written, 1.0 if verdict.kind == "min"
                                                else -1.0, size)
                    verdict.multipliers = verdict.multipliers if split is None else split
                return _with_licq(verdict, pinned, jacobian, active)
    raise AssertionError("unreachable")


def _signs_hold(lam: np.ndarray, jacobian: np.ndarray, inequality: np.ndarray, side: np.ndarray, sign: float,
                size: float) -> bool:
    """Every strongly active inequality's multiplier has the sign of a min (sign 1) or a max (−1)."""
    strong = inequality & (np.abs(lam) * np.abs(jacobian).max(axis=1, initial=0.0) > WEAK * size)
    return bool(np.all(sign * lam[strong] * side[strong] > 0))


def _signed_multipliers(jacobian: np.ndarray, gradient: np.ndarray, active: np.ndarray, side: np.ndarray,
                        sign: float, size: float) -> np.ndarray | None:
    """Multipliers with ∇f = Σλᵢ∇gᵢ and a min's (sign 1) or a max's (−1) signs, None if there are none."""
    from scipy.optimize import lsq_linear

    rows = np.nonzero(active)[0]
    if not len(rows):
        return None
    lower = np.where(sign * side[rows] > 0, 0.0, -np.inf)
    upper = np.where(sign * side[rows] < 0, 0.0, np.inf)
    A = jacobian[rows].T
    # A faint pull towards λ = 0 picks, among the many, the smallest multipliers (y >= -2 with
    # y <= -2 for a min: λ = (0, −4), not (2, −6)); its share of the residual is ~1e-16.
    damping = 1e-8 * max(float(np.abs(A).max(initial=0.0)), 1e-300)
    fit = lsq_linear(np.vstack([A, damping * np.eye(len(rows))]), np.concatenate([gradient, np.zeros(len(rows))]),
                     bounds=(lower, upper), method="bvls")
    if float(np.abs(A @ fit.x - gradient).max(initial=0.0)) > 1e-7 * size:
        return None
    lam = np.zeros(len(side))
    lam[rows] = np.where(np.abs(fit.x) <= 1e-12 * size, 0.0, fit.x)
    return lam


def _second_order(kind: str, sign: float, hessian: np.ndarray, jacobian: np.ndarray, lam: np.ndarray,
                  active: np.ndarray, inequality: np.ndarray, size: float, terms: np.ndarray) -> tuple[str, Verdict]:
    """With a min's or a max's multiplier signs: 'decided' (it is that kind), 'degenerate' or 'refuted'."""
    weak = inequality & (np.abs(lam) * np.abs(jacobian).max(axis=1, initial=0.0) <= WEAK * size)
    held = active & (~inequality | ~weak)           # the subspace of the critical cone
    wide = curvature(hessian, jacobian[held], terms)
    # No eigenvalue at all: the held gradients span everything, the critical cone is {0} — a strict
    # extremum by first order, whatever the weakly active constraints add.
    if wide.eigenvalues.size == 0 or np.all(sign * wide.eigenvalues > 0):
        return "decided", Verdict(kind, "multiplier signs and curvature on the critical cone", wide, lam)
    if weak.any():
        narrow = curvature(hessian, jacobian[active], terms)
        if narrow.eigenvalues.size and np.any(sign * narrow.eigenvalues < 0):
            return "refuted", Verdict("saddle", "curvature of the wrong sign along the active constraints", wide, lam)
        return "degenerate", Verdict("degenerate", "weakly active constraints: the critical cone is not a subspace",
                                     wide, lam)
    if np.any(sign * wide.eigenvalues < 0):
        return "refuted", Verdict("saddle", "curvature of both signs on the critical cone", wide, lam)
    return "degenerate", Verdict("degenerate", "second order", wide, lam)


def _with_licq(verdict: Verdict, pinned: np.ndarray, jacobian: np.ndarray, active: np.ndarray) -> Verdict:
    """LICQ as it is for the problem with each pinned pair written as one equality."""
    if pinned.any():
        from diffcli.extrema.pinned import regular_when_merged

        verdict.curvature = replace(verdict.curvature, licq=regular_when_merged(jacobian, active, pinned))
    return verdict
