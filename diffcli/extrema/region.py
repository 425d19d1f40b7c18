"""Is the feasible set bounded? A proof where one is easy, evidence otherwise.

The proof bounds every variable over a relaxation of the feasible set that keeps only
what is simple and certain:

* linear constraints (degree ≤ 1 by a walk over the graph), as they are;
* a quadratic constraint e ≤ u (or e = u) with a positive definite Hessian (e ≥ l with a
  negative definite one) confines x to an ellipsoid, hence to a box around its centre.

If the boxes bound every variable, or linear programs (SciPy's linprog) over the linear
constraints and the boxes do, the set is bounded: `True`. If points of the feasible set
turn up a thousand times the box away (`probe`), it is not: `False`. Otherwise `None` —
"could not tell", never a guess.
"""

from __future__ import annotations

import numpy as np

from diffcli.ad.graph import Graph
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import LagrangeProblem


def degree(graph: Graph, node: int, variables: set[str]) -> int | None:
    """The polynomial degree of `node` in `variables`, or None when it is not a polynomial.

    >>> from diffcli.ad.parse import parse
    >>> g = parse("3*x**2 + x*y - 2/5")
    >>> degree(g, g.outputs[0], {"x", "y"}), degree(parse("sin(x)"), 1, {"x"})
    (2, None)
    """
    degrees: list[int | None] = [None] * (node + 1)
    for k in range(node + 1):
        op, inputs = graph.ops[k], graph.inputs[k]
        parts = [degrees[j] for j in inputs]
        if op == "var":
            degrees[k] = 1 if graph.attr(k, "name") in variables else 0
        elif op == "const":
            degrees[k] = 0
        elif any(p is None for p in parts):
            degrees[k] = None
        elif all(p == 0 for p in parts):
            degrees[k] = 0
        elif op in ("add", "sub"):
            degrees[k] = max(parts)
        elif op == "neg":
            degrees[k] = parts[0]
        elif op in ("mul", "smul"):
            degrees[k] = sum(parts)
        elif op == "div":
            degrees[k] = parts[0] if parts[1] == 0 else None
        elif op == "pow" and parts[1] == 0 and graph.ops[inputs[1]] == "const":
            exponent = float(np.asarray(graph.attr(inputs[1], "value")))
            degrees[k] = int(exponent) * parts[0] if exponent.is_integer() and exponent >= 0 else None
        else:
            degrees[k] = None
    return degrees[node]


def proven_bounded(problem: LagrangeProblem, kkt: KKTGraph) -> bool:
    """True when linear constraints and definite quadratic ones confine every variable."""
    if not problem.constraints or not problem.is_scalar:
        return False
    n = problem.n
    names = set(problem.variables)
    zero = np.zeros((1, n + problem.m))
    bounds = np.zeros((1, problem.m))
    with np.errstate(all="ignore"):
        at_zero = kkt.evaluate(zero, bounds)
    rows, limits = [], []          # linear: a·x ≤ b
    low, high = np.full(n, -np.inf), np.full(n, np.inf)
    for k, c in enumerate(problem.constraints):
        d = degree(problem.graph, c.node, names)
        a, e0 = at_zero.jacobian[0, k], at_zero.e[0, k]
        if d is not None and d <= 1:
            if c.upper is not None:
                rows.append(a)
                limits.append(float(c.upper) - e0)
            if c.lower is not None:
                rows.append(-a)
                limits.append(e0 - float(c.lower))
        elif d == 2:
            unit = zero.copy()
            unit[0, n + k] = 1.0
            with np.errstate(all="ignore"):
                hessian = -(kkt.evaluate(unit, bounds).K[0, :n, :n] - at_zero.K[0, :n, :n])   # ∇²e
            for sign, bound in ((1.0, c.upper), (-1.0, c.lower)):
                if bound is None:
                    continue
                box = _ellipsoid_box(sign * hessian, sign * a, sign * e0, sign * float(bound))
                if box is not None:
                    low, high = np.maximum(low, box[0]), np.minimum(high, box[1])
    if np.all(np.isfinite(low) & np.isfinite(high)):
        return True
    if not rows:
        return False
    from scipy.optimize import linprog

    A, b = np.array(rows), np.array(limits)
    box = list(zip(np.where(np.isfinite(low), low, None), np.where(np.isfinite(high), high, None)))
    for i in range(n):
        for sign in (1.0, -1.0):
            objective = np.zeros(n)
            objective[i] = sign
            if linprog(objective, A_ub=A, b_ub=b, bounds=box, method="highs").status != 0:
                return False
    return True


def _ellipsoid_box(H: np.ndarray, g: np.ndarray, e0: float, u: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Bounds from {x : ½xᵀHx + gᵀx + e0 ≤ u} when H is positive definite on the variables the
    constraint involves (x² + y² <= 4 among x, y, z bounds x and y): ±inf for the others, None
    when H is not definite there."""
    n = len(g)
    H = (H + H.T) / 2
    involved = np.nonzero(np.any(H != 0, axis=0) | (g != 0))[0]
    if not involved.size:
        return None
    Hs, gs = H[np.ix_(involved, involved)], g[involved]
    eigenvalues = np.linalg.eigvalsh(Hs)
    if eigenvalues.min(initial=np.inf) <= 1e-12 * max(abs(eigenvalues).max(initial=0.0), 1e-300):
        return None
    inverse = np.linalg.inv(Hs)
    centre = -inverse @ gs
    room = max(u - (e0 + 0.5 * centre @ Hs @ centre + gs @ centre), 0.0)   # < 0: empty (reported elsewhere)
    half = np.sqrt(2.0 * room * np.diag(inverse))
    low, high = np.full(n, -np.inf), np.full(n, np.inf)
    low[involved], high[involved] = centre - half, centre + half
    return low, high
