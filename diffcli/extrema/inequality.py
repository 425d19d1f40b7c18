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

from dataclasses import dataclass

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


def sides(lower: np.ndarray, upper: np.ndarray, e: np.ndarray, active: np.ndarray, equality: np.ndarray,
          scale: np.ndarray) -> np.ndarray:
    """Per λ entry: +1 held at its lower bound, −1 at its upper bound, 0 for an equality or inactive."""
    at_lower = active & ~equality & np.isfinite(lower) & (np.abs(e - lower) <= scale)
    at_upper = active & ~equality & np.isfinite(upper) & (np.abs(e - upper) <= scale)
    return np.where(at_lower, 1, np.where(at_upper, -1, 0))


def classify_kkt(hessian: np.ndarray, jacobian: np.ndarray, multipliers: np.ndarray, active: np.ndarray,
                 side: np.ndarray, gradient: np.ndarray, terms: np.ndarray) -> Verdict:
    """The kind of a KKT point with active inequalities (side ≠ 0) and equalities (active, side 0).

    >>> J = np.array([[1.0, 0.0]])             # x <= 1 active at (1, 0) for f = x**2 + y**2
    >>> classify_kkt(np.eye(2) * 2, J, np.array([2.0]), np.array([True]), np.array([-1]),
    ...              np.array([2.0, 0.0]), np.eye(2) * 2).kind    # f falls inward, rises along x = 1
    'saddle'
    """
    forces = np.abs(multipliers)[:, None] * np.abs(jacobian)
    size = max(float(np.abs(gradient).max(initial=0.0)), float(forces.max(initial=0.0)), 1e-300)
    inequality = side != 0
    signed = multipliers * side                     # ≥ 0 for a min, ≤ 0 for a max
    weak = inequality & (np.abs(multipliers) * np.abs(jacobian).max(axis=1, initial=0.0) <= WEAK * size)
    strong = inequality & ~weak
    min_signs = bool(np.all(signed[strong] > 0))
    max_signs = bool(np.all(signed[strong] < 0))
    held = active & (~inequality | strong)          # the subspace of the critical cone
    wide = curvature(hessian, jacobian[held], terms)
    narrow = curvature(hessian, jacobian[active], terms) if weak.any() else wide
    if not (min_signs or max_signs):
        return Verdict("saddle", "multiplier signs: f falls into the feasible set one way and rises another", wide)
    candidates = ["min"] * min_signs + ["max"] * max_signs
    for kind in candidates:
        sign = 1.0 if kind == "min" else -1.0
        if wide.eigenvalues.size == 0 or np.all(sign * wide.eigenvalues > 0):
            if wide.eigenvalues.size == 0 and weak.any():
                continue   # only weakly active constraints left: the cone is not {0}; decided below
            return Verdict(kind, "multiplier signs and curvature on the critical cone", wide)
    if weak.any():
        for kind in candidates:
            sign = 1.0 if kind == "min" else -1.0
            if narrow.eigenvalues.size and np.any(sign * narrow.eigenvalues < 0):
                continue
            return Verdict("degenerate", "weakly active constraints: the critical cone is not a subspace", wide)
        return Verdict("saddle", "curvature of the wrong sign along the active constraints", wide)
    if wide.kind == "saddle" or (len(candidates) == 1 and wide.kind in ("min", "max") and wide.kind != candidates[0]):
        return Verdict("saddle", "curvature of both signs on the critical cone", wide)
    if wide.kind in ("min", "max"):
        return Verdict(wide.kind, "curvature on the critical cone", wide)
    return Verdict("degenerate", "second order", wide)
