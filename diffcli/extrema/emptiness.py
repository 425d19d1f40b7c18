"""Prove a feasible set empty, where that is cheap: convex constraints and a multiplier certificate.

A multistart that finds no feasible point is evidence, not proof: a tiny region can be
missed. For convex constraints there is a proof. Write every side of every constraint as
hᵢ(x) ≤ 0 (e ≤ u as e − u, e ≥ l as l − e). If weights λᵢ ≥ 0 make

    q(x) = Σ λᵢ hᵢ(x) > 0 for every x,

no x satisfies all hᵢ ≤ 0 (there q ≤ 0). At the point x* of least violation
½Σ max(hᵢ, 0)² the weights λᵢ = max(hᵢ(x*), 0) do it whenever the hᵢ are convex (then
Σλᵢ∇hᵢ(x*) = 0 makes x* the minimum of q, where q = Σλᵢ² > 0).

Convexity is decided exactly, by structure, for what is common and cheap: a side is
accepted when e is affine (polynomial degree ≤ 1 by a walk over the graph), or quadratic
(degree 2) with a constant Hessian that is positive semidefinite for e ≤ u (negative
semidefinite for e ≥ l); an equality needs an affine e. The certificate is then checked
in exact rational arithmetic on the floating-point coefficients (the λᵢ rounded to
simple fractions first, so that cancellations such as λ₁∇h₁ + λ₂∇h₂ = 0 are exact): the
infimum of the convex quadratic q is computed, not estimated. Anything else — a non-convex
or non-polynomial constraint, a program, vector constraints, a certificate that does not
check — is "not proved", with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import LagrangeProblem
from diffcli.extrema.region import degree

MAX_VARIABLES = 20       # exact rational elimination beyond this is not "cheap"
DENOMINATORS = (10, 1000, 10**6, 10**9, None)   # roundings of λ tried in turn (None: as computed)


@dataclass
class Side:
    """One side h(x) = ½xᵀHx + aᵀx + c ≤ 0 of a constraint, with exact float coefficients."""

    H: np.ndarray
    a: np.ndarray
    c: float


@dataclass
class Emptiness:
    """Whether the feasible set is proved empty; if not, why not (a phrase after "since")."""

    proved: bool
    reason: str = ""


def prove_empty(problem: LagrangeProblem, kkt: KKTGraph, x: np.ndarray) -> Emptiness:
    """Try to prove that no point satisfies the constraints, from a point `x` of least violation.

    >>> from diffcli.extrema.problem import build_problem
    >>> p = build_problem("x", ["x + y <= -1", "x**2 + y**2 <= 0.1"])
    >>> prove_empty(p, KKTGraph(p), np.array([-0.5, -0.5])).proved
    True
    >>> p = build_problem("x", ["x**2 - y**2 >= 1", "x**2 + y**2 <= 0.5"])
    >>> prove_empty(p, KKTGraph(p), np.array([0.7, 0.0])).reason
    "'x**2 - y**2 >= 1' is not an affine or convex quadratic constraint"
    """
    sides = convex_sides(problem, kkt)
    if isinstance(sides, str):
        return Emptiness(False, sides)
    x = least_violation(sides, x)
    weights = np.array([max(_value(s, x), 0.0) for s in sides])
    if not np.all(np.isfinite(weights)) or not weights.any():
        return Emptiness(False, "the least violation of the convex constraints is 0 (the set may be a point or a sliver)")
    weights /= weights.max()
    candidates = [[Fraction(w) if limit is None else Fraction(w).limit_denominator(limit) for w in weights]
                  for limit in DENOMINATORS]
    candidates.append(_affine_cancellation(sides, candidates[-1]))
    if any(lam is not None and _infimum_positive(sides, lam) for lam in candidates):
        return Emptiness(True)
    return Emptiness(False, "no exact certificate checked out (the constraints are convex)")


def convex_sides(problem: LagrangeProblem, kkt: KKTGraph) -> list[Side] | str:
    """Every constraint side as h(x) ≤ 0 with h convex, or the reason it cannot be shown."""
    if not problem.is_scalar:
        return "the convexity check covers scalar constraints only"
    if problem.graph.decisions:
        return "a constraint is a program (its formula depends on the path taken)"
    n, m = problem.n, problem.m
    if n > MAX_VARIABLES:
        return f"the exact convexity check stops at {MAX_VARIABLES} variables"
    # One row per constraint: λ = its unit vector and f's weight 0, so ∇²ₓL = −∇²e there.
    Z = np.concatenate([np.zeros((m, n)), np.eye(m)], axis=1)
    with np.errstate(all="ignore"):
        batch = kkt.evaluate(Z, np.zeros((m, m)), mu0=0.0)
    names = set(problem.variables)
    sides: list[Side] = []
    for k, constraint in enumerate(problem.constraints):
        d = degree(problem.graph, constraint.node, names)
        hessian = -batch.K[k, :n, :n] if d == 2 else np.zeros((n, n))
        a, e0 = batch.jacobian[k, k], batch.e[k, k]
        not_convex = f"'{constraint.text}' is not an affine or convex quadratic constraint"
        if d is None or d > 2:
            return not_convex
        if not (np.isfinite(hessian).all() and np.isfinite(a).all() and np.isfinite(e0)):
            return f"the coefficients of '{constraint.text}' are not finite at 0"
        for sign, bound in ((1.0, constraint.upper), (-1.0, constraint.lower)):
            if bound is None:
                continue
            H = sign * (hessian + hessian.T) / 2
            if d == 2 and not positive_semidefinite(H):
                return not_convex
            sides.append(Side(H, sign * a, sign * (e0 - float(bound))))
    return sides


def least_violation(sides: list[Side], x: np.ndarray) -> np.ndarray:
    """A minimum of the convex merit ½Σ max(hᵢ, 0)², from x (SciPy's BFGS; any local minimum is global)."""
    from scipy.optimize import minimize

    def merit(y: np.ndarray) -> tuple[float, np.ndarray]:
        excess = [max(_value(s, y), 0.0) for s in sides]
        gradient = sum((e * (s.H @ y + s.a) for e, s in zip(excess, sides) if e), np.zeros_like(y))
        return 0.5 * sum(e * e for e in excess), gradient

    with np.errstate(all="ignore"):
        found = minimize(merit, x, jac=True, method="BFGS", options={"gtol": 1e-13, "maxiter": 500})
    return found.x if np.all(np.isfinite(found.x)) else x


def _value(side: Side, x: np.ndarray) -> float:
    return float(0.5 * x @ side.H @ x + side.a @ x + side.c)


def positive_semidefinite(H: np.ndarray) -> bool:
    """Exactly, in rational arithmetic on the entries (a zero eigenvalue is not rounded either way).

    >>> positive_semidefinite(np.array([[2.0, 2.0], [2.0, 2.0]])), positive_semidefinite(np.diag([1.0, -1e-300]))
    (True, False)
    """
    A = [[Fraction(v) for v in row] for row in H]
    n = len(A)
    for k in range(n):
        pivot = A[k][k]
        if pivot < 0:
            return False
        if pivot == 0:
            if any(A[k][j] != 0 for j in range(k + 1, n)):   # a 2×2 minor [[0, b], [b, ·]] < 0
                return False
            continue
        for i in range(k + 1, n):
            factor = A[i][k] / pivot
            for j in range(k + 1, n):
                A[i][j] -= factor * A[k][j]
    return True


def _infimum_positive(sides: list[Side], lam: list[Fraction]) -> bool:
    """inf over x of q = Σλᵢhᵢ > 0, exactly: solve Hx = −a; no solution means q is unbounded below."""
    n = len(sides[0].a)
    H = [[sum((l * Fraction(s.H[i, j]) for l, s in zip(lam, sides) if l), Fraction(0)) for j in range(n)]
         for i in range(n)]
    a = [sum((l * Fraction(s.a[i]) for l, s in zip(lam, sides) if l), Fraction(0)) for i in range(n)]
    c = sum((l * Fraction(s.c) for l, s in zip(lam, sides) if l), Fraction(0))
    x = _solve(H, [-v for v in a])
    if x is None:
        return False
    return c + sum(ai * xi for ai, xi in zip(a, x)) / 2 > 0   # q at a minimum: c + aᵀx + ½xᵀHx, Hx = −a


def _affine_cancellation(sides: list[Side], lam: list[Fraction]) -> list[Fraction] | None:
    """λ projected exactly onto {λ : Σλᵢaᵢ = 0} when the weighted sides are all affine.

    Then q = Σλᵢhᵢ is affine and bounded below only if its gradient is exactly 0, which
    rounding λ to simple fractions misses when the aᵢ are proportional by an awkward float
    ratio (0.1x + 0.2y against 0.3x + 0.6y). None when that does not apply or λ leaves the cone λ ≥ 0.
    """
    used = [i for i, l in enumerate(lam) if l]
    if not used or any(sides[i].H.any() for i in used):
        return None
    n = len(sides[0].a)
    columns = [[Fraction(v) for v in sides[i].a] for i in used]
    basis = _null_space([[columns[j][r] for j in range(len(used))] for r in range(n)], len(used))
    if not basis:
        return None
    # least squares in the basis: (BᵀB) t = Bᵀλ, then λ' = B t
    gram = [[sum(u * v for u, v in zip(b1, b2)) for b2 in basis] for b1 in basis]
    rhs = [sum(u * lam[i] for u, i in zip(b, used)) for b in basis]
    t = _solve(gram, rhs)
    if t is None:
        return None
    projected = [sum(tk * b[j] for tk, b in zip(t, basis)) for j in range(len(used))]
    if any(v < 0 for v in projected):
        return None
    result = [Fraction(0)] * len(lam)
    for j, i in enumerate(used):
        result[i] = projected[j]
    return result


def _null_space(A: list[list[Fraction]], columns: int) -> list[list[Fraction]]:
    """A basis of {v : Av = 0}, exactly (reduced row echelon form)."""
    rows = [row[:] for row in A]
    pivots: list[int] = []
    r = 0
    for col in range(columns):
        found = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if found is None:
            continue
        rows[r], rows[found] = rows[found], rows[r]
        rows[r] = [v / rows[r][col] for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                factor = rows[i][col]
                rows[i] = [u - factor * v for u, v in zip(rows[i], rows[r])]
        pivots.append(col)
        r += 1
    basis = []
    for free in (c for c in range(columns) if c not in pivots):
        v = [Fraction(0)] * columns
        v[free] = Fraction(1)
        for i, col in enumerate(pivots):
            v[col] = -rows[i][free]
        basis.append(v)
    return basis


def _solve(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """Some x with Ax = b (free unknowns 0), or None when there is none."""
    rows = [row[:] + [v] for row, v in zip(A, b)]
    n = len(b)
    pivots: list[int] = []
    r = 0
    for col in range(n):
        found = next((i for i in range(r, n) if rows[i][col] != 0), None)
        if found is None:
            continue
        rows[r], rows[found] = rows[found], rows[r]
        for i in range(n):
            if i != r and rows[i][col] != 0:
                factor = rows[i][col] / rows[r][col]
                rows[i] = [u - factor * v for u, v in zip(rows[i], rows[r])]
        pivots.append(col)
        r += 1
    if any(rows[i][n] != 0 for i in range(r, n)):
        return None
    x = [Fraction(0)] * n
    for i, col in enumerate(pivots):
        x[col] = rows[i][n] / rows[i][col]
    return x
