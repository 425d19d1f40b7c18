"""Second opinions on a Lagrange problem: SciPy's constrained optimisers and SymPy's exact solve.

`scipy_runs` hands SLSQP and trust-constr the same f, g and AD gradients diffcli uses,
from the same starts, and records what each found, in how many iterations and
evaluations, and how long it took. `exact_solutions` asks SymPy to solve ∇L = 0
exactly when the system is polynomial, under a time limit. SciPy and SymPy are
imported only here, inside the functions.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.extrema.problem import LagrangeProblem, evaluate_residual
from diffcli.ad.transforms import jacobian_reverse
from diffcli.checks.symbolic import SymbolicTimeout, SymbolicUnsupported, detached_in, time_limit, to_sympy

SCIPY_METHODS = ("SLSQP", "trust-constr")


@dataclass
class Functions:
    """f, ∇f, g and J_g as plain callables of the flat x, counting calls."""

    problem: LagrangeProblem
    calls: dict[str, int] = field(default_factory=lambda: {"f": 0, "grad": 0, "g": 0, "jac": 0})

    def _point(self, x: np.ndarray) -> dict[str, Any]:
        return self.problem.x_dict(np.asarray(x, dtype=np.float64))

    def f(self, x: np.ndarray) -> float:
        self.calls["f"] += 1
        point = self._point(x)
        problem = self.problem.on_path(point)
        return float(evaluate(problem.graph, point, upto=[problem.objective_node])[problem.objective_node])

    def grad(self, x: np.ndarray) -> np.ndarray:
        self.calls["grad"] += 1
        z = np.concatenate([np.asarray(x, dtype=np.float64), np.zeros(self.problem.m)])
        return evaluate_residual(self.problem, z, with_kkt=False).residual[:self.problem.n]

    def g(self, x: np.ndarray) -> np.ndarray:
        self.calls["g"] += 1
        point = self._point(x)
        problem = self.problem.on_path(point)
        nodes = problem.constraint_nodes
        values = evaluate(problem.graph, point, upto=nodes)
        return np.concatenate([np.ravel(values[node]) for node in nodes]).astype(np.float64)

    def jac(self, x: np.ndarray) -> np.ndarray:
        self.calls["jac"] += 1
        point = self._point(x)
        problem = self.problem.on_path(point)
        return jacobian_reverse(problem.graph, point, problem.variables, outputs=problem.constraint_nodes)


@dataclass
class ScipyRun:
    """One SciPy solve from one start."""

    method: str
    x: np.ndarray
    f: float
    success: bool
    iterations: int
    evaluations: int      # calls of f (SciPy's nfev)
    seconds: float
    feasibility: float
    message: str = ""


def scipy_run(problem: LagrangeProblem, method: str, x0: np.ndarray, sense: str = "min",
              max_iter: int | None = None, gradients: bool = True) -> ScipyRun:
    """SciPy's `minimize` with `method` from x0 (f negated for sense='max'), defaults otherwise.

    With `gradients` SciPy gets diffcli's AD gradients and Jacobians; without, it
    estimates them by finite differences, as it does when given only functions.
    """
    from scipy.optimize import NonlinearConstraint, minimize

    functions = Functions(problem)
    sign = -1.0 if sense == "max" else 1.0

    def fun(x: np.ndarray) -> float:
        return sign * functions.f(x)

    def jac(x: np.ndarray) -> np.ndarray:
        return sign * functions.grad(x)

    options = {} if max_iter is None else {"maxiter": max_iter}
    if method == "SLSQP":
        constraints: Any = [{"type": "eq", "fun": functions.g, **({"jac": functions.jac} if gradients else {})}]
    else:
        constraints = [NonlinearConstraint(functions.g, 0.0, 0.0, jac=functions.jac if gradients else "2-point")]
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            result = minimize(fun, np.asarray(x0, dtype=np.float64), jac=jac if gradients else None, method=method,
                              constraints=constraints, options=options)
        except (ValueError, np.linalg.LinAlgError, ArithmeticError) as error:
            return ScipyRun(method, np.asarray(x0), math.nan, False, 0, functions.calls["f"],
                            time.perf_counter() - start, math.inf, f"failed: {error}")
    seconds = time.perf_counter() - start
    x = np.asarray(result.x, dtype=np.float64)
    with np.errstate(all="ignore"):
        f_value = functions.f(x)
        feasibility = float(np.abs(functions.g(x)).max(initial=0.0))
    iterations = int(getattr(result, "nit", 0) or getattr(result, "niter", 0) or 0)
    return ScipyRun(method, x, f_value, bool(result.success), iterations, int(getattr(result, "nfev", 0)),
                    seconds, feasibility, str(result.message))


@dataclass
class MethodSummary:
    """A method's results over all starts, for the comparison table."""

    method: str
    starts: int
    succeeded: int
    answers: list[tuple[np.ndarray, float]]    # distinct x with f
    best: float | None
    iterations: int                            # summed over the starts
    evaluations: int
    seconds: float


def summarise(method: str, runs: list[ScipyRun], sense: str) -> MethodSummary:
    answers: list[tuple[np.ndarray, float]] = []
    for run in runs:
        if not (run.success and math.isfinite(run.f)):
            continue
        scale = 1e-3 * max(1.0, float(np.abs(run.x).max(initial=0.0)))  # SLSQP stops at ~1e-6
        if not any(np.abs(run.x - x).max(initial=0.0) <= scale for x, _ in answers):
            answers.append((run.x, run.f))
    values = [f for _, f in answers]
    best = (max(values) if sense == "max" else min(values)) if values else None
    return MethodSummary(method, len(runs), sum(r.success for r in runs), answers, best,
                         sum(r.iterations for r in runs), sum(r.evaluations for r in runs),
                         sum(r.seconds for r in runs))


def scipy_compare(problem: LagrangeProblem, starts: list[np.ndarray], sense: str = "min",
                  progress: Callable[[int, int], None] | None = None) -> dict[str, MethodSummary]:
    """SLSQP and trust-constr from every start, summarised per method."""
    summaries = {}
    total, done = len(starts) * len(SCIPY_METHODS), 0
    for method in SCIPY_METHODS:
        runs = []
        for x0 in starts:
            runs.append(scipy_run(problem, method, x0, sense))
            done += 1
            if progress is not None:
                progress(done, total)
        summaries[method] = summarise(method, runs, sense)
    return summaries


# --------------------------------------------------------------------------- SymPy


@dataclass
class ExactResult:
    """SymPy's real solutions of ∇L = 0, or why there are none to show."""

    status: str                                   # ok | timed out | skipped | failed
    message: str = ""
    solutions: list[dict[str, Any]] = field(default_factory=list)   # {"x": {..}, "text": {..}, "f", "f_text"}
    seconds: float = 0.0


def exact_solutions(problem: LagrangeProblem, timeout: float = 10.0) -> ExactResult:
    """Solve ∇ₓf = J_gᵀλ, g = 0 exactly with SymPy when every equation is a polynomial.

    >>> from diffcli.extrema.problem import build_problem
    >>> r = exact_solutions(build_problem("x + y", ["x**2 + y**2 = 2"]))
    >>> r.status, sorted(s["f"] for s in r.solutions)
    ('ok', [-2.0, 2.0])
    """
    if any(shape for shape in problem.shapes.values()) or any(problem.multiplier_shapes):
        return ExactResult("skipped", "exact solutions are for scalar variables and constraints")
    if problem.graph.decisions:
        return ExactResult("skipped", "a program's path depends on x: one path's equations are not the problem's")
    started = time.perf_counter()
    try:
        with time_limit(timeout):
            import sympy as sp

            roots = [problem.objective_node, *problem.constraint_nodes]
            exprs, symbols = to_sympy(problem.graph, roots, None)
            if detached_in(exprs):
                return ExactResult("skipped", "detach() has no exact counterpart here")
            xs = [symbols[v] for v in problem.variables]
            lams = [sp.Symbol(f"lambda{i + 1}", real=True) for i in range(problem.m)]
            f, gs = exprs[0], exprs[1:]
            lagrangian = f - sum(lam * g for lam, g in zip(lams, gs))
            equations = [sp.expand(sp.diff(lagrangian, s)) for s in xs + lams]
            if not all(eq.is_polynomial(*xs, *lams) for eq in equations):
                return ExactResult("skipped", "∇L = 0 is not a polynomial system")
            found = sp.solve(equations, xs + lams, dict=True)
            solutions = []
            for solution in found:
                if len(solution) < len(xs) + len(lams):
                    continue  # a family of solutions (free parameters): not a list of points
                values = {str(s): complex(sp.N(solution[s], 30)) for s in xs}
                if any(abs(v.imag) > 1e-12 * max(1.0, abs(v.real)) for v in values.values()):
                    continue
                f_exact = sp.simplify(f.subs(solution))
                solutions.append({
                    "x": {name: values[str(s)].real for name, s in zip(problem.variables, xs)},
                    "text": {name: str(solution[s]) for name, s in zip(problem.variables, xs)},
                    "f": float(sp.re(sp.N(f_exact, 30))),
                    "f_text": str(f_exact),
                })
    except SymbolicTimeout:
        return ExactResult("timed out", f"SymPy did not finish in {timeout:g} s", seconds=time.perf_counter() - started)
    except SymbolicUnsupported as error:
        return ExactResult("skipped", str(error))
    except (NotImplementedError, TypeError, ValueError) as error:
        return ExactResult("failed", f"SymPy could not solve the system: {error}",
                           seconds=time.perf_counter() - started)
    solutions.sort(key=lambda s: (s["f"], tuple(s["x"].values())))
    return ExactResult("ok", solutions=solutions, seconds=time.perf_counter() - started)
