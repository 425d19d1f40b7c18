"""Active inequalities that pin each other: `y >= -2` with `y <= -2`, and the like.

Two inequalities whose feasible sides face each other (g <= c and g >= c) hold together
only with equality: the feasible set is lower-dimensional there, and their gradients are
dependent at every point of it — LICQ fails on a whole piece, not at a point. The
multipliers are then not unique (only their sum is), but nothing else is wrong: the pair
is an equality, the point is regular for the problem written with that equality, and
its second-order test runs on the tangent space of the span of the active gradients.

An active inequality i (feasible directions d with sᵢ∇gᵢ·d ≥ 0, sᵢ = ±1 its side) is an
*implicit equality* when the other active constraints force sᵢ∇gᵢ·d = 0: by Farkas'
lemma, when −sᵢ∇gᵢ is a non-negative combination of the other inequalities' sⱼ∇gⱼ plus
any combination of the equalities' gradients (`implicit_equalities`). That is a
first-order fact at one point; `pinned` keeps it only when it holds along the piece too
(x² + y² <= 1 with x >= 1 meet at the single point (1, 0), whose gradients are parallel
there and nowhere else: that is an irregular point, not a pinned pair).
"""

from __future__ import annotations

import numpy as np

from diffcli.extrema.classify import RANK, tangent_basis
from diffcli.extrema.kkt import KKTGraph

PINNED = 1e-8    # relative residual of the Farkas combination: dependent to round-off
STEP = 1e-3      # how far along the piece (relative to |x|) the pinning is checked again


def implicit_equalities(jacobian: np.ndarray, active: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Per λ entry: an active inequality that the other active constraints force to hold with equality.

    >>> J = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])   # x <= 2, y >= -2, y <= -2 at (2, -2)
    >>> implicit_equalities(J, np.array([True, True, True]), np.array([-1, 1, -1])).tolist()
    [False, True, True]
    """
    from scipy.optimize import nnls

    result = np.zeros(len(side), dtype=bool)
    inequalities = np.nonzero(active & (side != 0))[0]
    equalities = np.nonzero(active & (side == 0))[0]
    for i in inequalities:
        normal = side[i] * jacobian[i]
        size = float(np.linalg.norm(normal))
        others = [side[j] * jacobian[j] for j in inequalities if j != i]
        others += [sign * jacobian[j] for j in equalities for sign in (1.0, -1.0)]
        if not others or size == 0:
            continue
        _, residual = nnls(np.array(others).T, -normal)
        result[i] = residual <= PINNED * size
    return result


def regular_when_merged(jacobian: np.ndarray, active: np.ndarray, implicit: np.ndarray) -> bool:
    """LICQ for the problem with the implicit equalities merged into the equalities they amount to:
    the active gradients are independent apart from the dependence among the pinned ones.

    >>> J = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> regular_when_merged(J, np.array([True, True, True]), np.array([False, True, True]))
    True
    """
    rows = jacobian[active]
    if not rows.size:
        return True
    pinned_rows = jacobian[implicit]
    rank = _rank(rows)
    return rank == int(np.count_nonzero(active & ~implicit)) + _rank(pinned_rows)


def _rank(rows: np.ndarray) -> int:
    if not rows.size:
        return 0
    singular = np.linalg.svd(rows, compute_uv=False)
    top = float(singular.max(initial=0.0))
    return int(np.sum(singular > RANK * top)) if top > 0 else 0


def pinned(kkt: KKTGraph, x: np.ndarray, jacobian: np.ndarray, active: np.ndarray, side: np.ndarray,
           bounds: np.ndarray) -> np.ndarray:
    """The implicit equalities at x that stay implicit equalities along the piece through x (and leave
    the merged problem regular there); all False when there are none or they pin x alone."""
    implicit = implicit_equalities(jacobian, active, side)
    if not implicit.any() or not regular_when_merged(jacobian, active, implicit):
        return np.zeros_like(implicit)
    basis, _ = tangent_basis(jacobian[active], kkt.n)
    if basis.shape[1]:
        delta = STEP * max(1.0, float(np.abs(x).max(initial=0.0)))
        moved = np.concatenate([x + delta * basis.T, x - delta * basis.T])
        Z = np.concatenate([moved, np.zeros((len(moved), kkt.m))], axis=1)
        with np.errstate(all="ignore"):
            around = kkt.evaluate(Z, np.tile(bounds, (len(moved), 1)))
        for J in around.jacobian:
            if not np.isfinite(J).all():
                return np.zeros_like(implicit)
            there = implicit_equalities(J, active, side)
            if not np.array_equal(there, implicit) or not regular_when_merged(J, active, implicit):
                return np.zeros_like(implicit)
    return implicit
