"""Second-order classification of a critical point on the tangent space of its active constraints.

Z is an orthonormal basis of ker J (J: the active constraint gradients); the eigenvalues
of the reduced Hessian Zᵀ∇²ₓL Z say local min (all > 0), local max (all < 0) or saddle
(both signs). An eigenvalue counts as zero against the size of the terms that made it,
not against the largest entry of the Hessian: μ with unit eigenvector v is zero when
|μ| ≤ c·vᵀ|A|v, where |A| = |∇²f| + |Σλᵢ∇²gᵢ| holds the magnitudes of the terms that
cancel in ∇²L. So diag(2e6, 2e-6) has two positive eigenvalues, while x² + y² on the
circle (∇²L = 2I − 1·2I, exactly zero up to round-off) has two zero ones.

Directions of zero curvature are left to the higher-order test (`higher_order`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ZERO_CURVATURE = 1e-7   # relative to the terms' size: room for round-off and an x known to ~1e-8
RANK = 1e-8             # singular values of J below RANK·σmax: dependent constraint gradients


@dataclass
class Curvature:
    """The reduced Hessian's verdict: eigenvalues, the zero-curvature directions, LICQ."""

    kind: str                    # min | max | saddle | degenerate | (none: no tangent space)
    eigenvalues: np.ndarray
    null: np.ndarray             # n × k: directions (in x) of zero curvature, orthonormal
    licq: bool
    basis: np.ndarray            # n × d: orthonormal basis of the tangent space


def tangent_basis(jacobian: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """An orthonormal basis Z of ker J (n × (n − rank)), and whether J has full row rank (LICQ).

    >>> tangent_basis(np.array([[1.0, 0.0]]), 2)[0].round(12).tolist(), tangent_basis(np.zeros((1, 2)), 2)[1]
    ([[0.0], [1.0]], False)
    """
    if not jacobian.size:
        return np.eye(n), True
    _, singular, vt = np.linalg.svd(jacobian)
    top = float(singular.max(initial=0.0))
    rank = int(np.sum(singular > RANK * top)) if top > 0 else 0
    return vt[rank:].T, rank == jacobian.shape[0]


def curvature(hessian: np.ndarray, jacobian: np.ndarray, terms: np.ndarray | None = None) -> Curvature:
    """Classify by the reduced Hessian (terms: |A| above; default |∇²L| itself).

    >>> curvature(np.diag([2.0, -2.0]), np.array([[1.0, 0.0]])).kind
    'max'
    >>> curvature(np.diag([2e6, 2e-6, 4.0]), np.array([[0.0, 0.0, 1.0]])).kind
    'min'
    """
    n = hessian.shape[0]
    basis, licq = tangent_basis(jacobian, n)
    if basis.shape[1] == 0:
        return Curvature("none", np.zeros(0), np.zeros((n, 0)), licq, basis)
    reduced = basis.T @ hessian @ basis
    eigenvalues, vectors = np.linalg.eigh((reduced + reduced.T) / 2)
    directions = basis @ vectors
    magnitude = np.abs(hessian) if terms is None else terms
    sizes = np.einsum("ik,ij,jk->k", np.abs(directions), magnitude, np.abs(directions))
    zero = np.abs(eigenvalues) <= ZERO_CURVATURE * sizes + 1e-300
    eigenvalues = np.where(zero, 0.0, eigenvalues)
    positive, negative = bool(np.any(eigenvalues > 0)), bool(np.any(eigenvalues < 0))
    if positive and negative:
        kind = "saddle"
    elif zero.any():
        kind = "degenerate"
    else:
        kind = "min" if positive else "max"
    return Curvature(kind, eigenvalues, directions[:, zero], licq, basis)


def sign_of_rest(eigenvalues: np.ndarray) -> int:
    """+1 if every nonzero eigenvalue is positive, −1 if negative, 0 if there are none."""
    nonzero = eigenvalues[eigenvalues != 0]
    if not nonzero.size:
        return 0
    return 1 if np.all(nonzero > 0) else -1


def bordered_hessian(hessian: np.ndarray, jacobian: np.ndarray) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """The textbook's bordered Hessian [[0, J], [Jᵀ, ∇²ₓL]] and its last n − m leading principal minors.

    With m active constraints, a local min has all of them of sign (−1)^m; a local max
    alternates, the first (order 2m + 1) of sign (−1)^(m+1). (SymPy's `hessian(f, vars,
    constraints)` borders ∇²f, which is wrong for nonlinear constraints; this borders ∇²L.)

    >>> B, minors = bordered_hessian(np.diag([2.0, 2.0]), np.array([[1.0, 1.0]]))
    >>> B.tolist(), minors
    ([[0.0, 1.0, 1.0], [1.0, 2.0, 0.0], [1.0, 0.0, 2.0]], [(3, -4.0)])
    """
    m, n = jacobian.shape
    bordered = np.zeros((m + n, m + n))
    bordered[:m, m:] = jacobian
    bordered[m:, :m] = jacobian.T
    bordered[m:, m:] = hessian
    minors = [(k, float(np.linalg.det(bordered[:k, :k])) + 0.0) for k in range(2 * m + 1, m + n + 1)]
    return bordered, minors
