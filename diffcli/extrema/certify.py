"""Count the real critical points exactly, when ∇L = 0 is a small polynomial system.

A lexicographic Gröbner basis of the ideal of ∇L = 0, with a new last variable
t = Σ cⱼzⱼ (random small integers cⱼ), is in "shape position" for almost every choice of c:
c₁z₁ − q₁(t), …, c_N z_N − q_N(t), p(t). Then the solutions are exactly {(q(t), t) : p(t) = 0}
and the real ones are the real roots of p — counted exactly by Sturm sequences over the
rationals, whatever the multiplicities. When the basis is not of that shape (a curve of
solutions, or an unlucky c twice) or SymPy runs out of time, there is no count: the
summary then says what the multistart saw instead.

SymPy is imported only here, inside the function.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from diffcli.extrema.problem import LagrangeProblem

MAX_UNKNOWNS = 4
ATTEMPTS = 2


@dataclass
class Count:
    """SymPy's count of real solutions of ∇L = 0, or why there is none."""

    count: int | None
    message: str
    seconds: float


def count_real_solutions(problem: LagrangeProblem, timeout: float, seed: int = 0) -> Count:
    """The number of distinct real (x, λ) with ∇L = 0, all constraints as equalities.

    >>> from diffcli.extrema.problem import build_problem
    >>> count_real_solutions(build_problem("x*y", ["x**2 + y**2 = 1"]), 10).count
    4
    """
    from diffcli.checks.symbolic import SymbolicTimeout, SymbolicUnsupported, detached_in, time_limit, to_sympy

    started = time.perf_counter()

    def done(count: int | None, message: str) -> Count:
        return Count(count, message, time.perf_counter() - started)

    if not problem.is_scalar or problem.has_inequalities:
        return done(None, "counts are for scalar equality-constrained problems")
    if problem.graph.decisions:
        return done(None, "a program's path depends on x: one path's equations are not the problem's")
    if problem.n + problem.m > MAX_UNKNOWNS:
        return done(None, f"more than {MAX_UNKNOWNS} unknowns (x and λ) for an exact count")
    import sympy as sp  # before the alarm: an import cut short would leave a broken module behind

    try:
        with time_limit(timeout):
            exprs, symbols = to_sympy(problem.graph, [problem.objective_node, *problem.constraint_nodes], None)
            if detached_in(exprs):
                return done(None, "detach() has no exact counterpart")
            xs = [symbols[v] for v in problem.variables]
            lams = [sp.Symbol(f"lambda{i + 1}") for i in range(problem.m)]
            f, es = exprs[0], exprs[1:]
            bounds = [sp.nsimplify(c.upper, rational=True) for c in problem.constraints]
            lagrangian = f - sum(lam * (e - b) for lam, e, b in zip(lams, es, bounds))
            unknowns = xs + lams
            equations = [sp.expand(sp.diff(lagrangian, u)) for u in unknowns]
            if not all(eq.is_polynomial(*unknowns) for eq in equations):
                return done(None, "∇L = 0 is not a polynomial system")
            equations = [sp.nsimplify(eq, rational=True) for eq in equations]
            if any(not all(c.is_Rational for c in sp.Poly(eq, *unknowns).coeffs()) for eq in equations if eq != 0):
                return done(None, "the system has irrational coefficients")
            rng = np.random.default_rng(seed)
            t = sp.Symbol("t_")
            for _ in range(ATTEMPTS):
                weights = [int(w) for w in rng.integers(-9, 10, size=len(unknowns))]
                basis = sp.groebner([*equations, t - sum(w * u for w, u in zip(weights, unknowns))],
                                    *unknowns, t, order="lex")
                if list(basis.exprs) == [1]:
                    return done(0, "∇L = 0 has no solution at all (Gröbner basis {1})")
                if not basis.is_zero_dimensional:
                    return done(None, "the critical points are not isolated (a curve or surface of them)")
                if _shape_position(basis.exprs, unknowns, t):
                    eliminant = sp.Poly(basis.exprs[-1], t)
                    square_free = sp.Poly(sp.quo(eliminant, sp.gcd(eliminant, eliminant.diff(t))), t)
                    return done(int(square_free.count_roots()), "Gröbner basis, Sturm count")
            return done(None, "no Gröbner basis in shape position")
    except SymbolicTimeout:
        return done(None, f"SymPy did not finish in {timeout:g} s")
    except SymbolicUnsupported as error:
        return done(None, str(error))
    except (NotImplementedError, TypeError, ValueError, ZeroDivisionError) as error:
        return done(None, f"SymPy could not count: {error}")


def _shape_position(exprs: list, unknowns: list, t) -> bool:
    """The basis reads z₁ − q₁(t), …, z_N − q_N(t), p(t)."""
    import sympy as sp

    if len(exprs) != len(unknowns) + 1:
        return False
    for expr, u in zip(exprs, unknowns):
        poly = sp.Poly(expr, *unknowns, t)
        if poly.degree(u) != 1 or any(poly.degree(other) for other in unknowns if other != u):
            return False
        if not sp.Poly(expr, u).LC().is_number:   # c·u − q(t) with a constant c ≠ 0
            return False
    return sp.Poly(exprs[-1], *unknowns, t).free_symbols <= {t}
