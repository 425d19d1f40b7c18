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
from diffcli.ad.transforms import jacobian_reverse
from diffcli.checks.symbolic import SymbolicTimeout, SymbolicUnsupported, detached_in, time_limit, to_sympy
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import OBJECTIVE_WEIGHT, LagrangeProblem

SCIPY_METHODS = ("SLSQP", "trust-constr")


@dataclass
class Functions:
    """f, ∇f, the constraints e and their Jacobian as plain callables of the flat x, counting calls.

    ∇f is the objective's part of the gradient graph (one evaluation, no sweep); the
    constraint Jacobian one reverse sweep per constraint — what a user hands SciPy.
    """

    problem: LagrangeProblem
    kkt: KKTGraph | None = None
    calls: dict[str, int] = field(default_factory=lambda: {"f": 0, "grad": 0, "g": 0, "jac": 0})

    def __post_init__(self) -> None:
        if self.kkt is None:
            self.kkt = KKTGraph(self.problem)

    def _point(self, x: np.ndarray, weight: float = 1.0) -> dict[str, Any]:
        problem = self.problem
        point: dict[str, Any] = dict(problem.x_dict(np.asarray(x, dtype=np.float64)))
        point[OBJECTIVE_WEIGHT] = np.float64(weight)
        for name, bound, c in zip(problem.multipliers, problem.bounds, problem.constraints):
            point[name] = np.zeros(c.shape) if c.shape else np.float64(0.0)
            point[bound] = point[name]
        return point

    def _on_path(self, x: np.ndarray) -> LagrangeProblem:
        """The problem on the path a program takes at x (the problem itself for formulas)."""
        return self.problem.on_path(self.problem.x_dict(np.asarray(x, dtype=np.float64)))

    def f(self, x: np.ndarray) -> float:
        self.calls["f"] += 1
        problem = self._on_path(x)
        node = problem.objective_node
        return float(evaluate(problem.graph, self._point(x), upto=[node])[node])

    def grad(self, x: np.ndarray) -> np.ndarray:
        self.calls["grad"] += 1
        kkt = self.kkt if not self.problem.graph.decisions else KKTGraph(self._on_path(x), follow_paths=False)
        nodes = kkt.residual_nodes[:len(self.problem.variables)]
        values = evaluate(kkt.graph, self._point(x), upto=nodes)
        return np.concatenate([np.broadcast_to(values[node], self.problem.shapes[name]).ravel()
                               for node, name in zip(nodes, self.problem.variables)]).astype(np.float64)

    def e(self, x: np.ndarray) -> np.ndarray:
        """The constraint expressions e(x) (not minus their bounds)."""
        self.calls["g"] += 1
        problem = self._on_path(x)
        nodes = problem.constraint_nodes
        if not nodes:
            return np.zeros(0)
        values = evaluate(problem.graph, self._point(x), upto=nodes)
        return np.concatenate([np.ravel(values[node]) for node in nodes]).astype(np.float64)

    def jac(self, x: np.ndarray) -> np.ndarray:
        self.calls["jac"] += 1
        problem = self._on_path(x)
        return jacobian_reverse(problem.graph, self._point(x), problem.variables, outputs=problem.constraint_nodes)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound of every constraint entry (±inf where a side is missing)."""
        from diffcli.extrema.feasibility import limits

        return limits(self.problem)


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
              max_iter: int | None = None, gradients: bool = True, kkt: KKTGraph | None = None) -> ScipyRun:
    """SciPy's `minimize` with `method` from x0 (f negated for sense='max'), defaults otherwise.

    With `gradients` SciPy gets diffcli's AD gradients and Jacobians; without, it
    estimates them by finite differences, as it does when given only functions.
    """
    from scipy.optimize import NonlinearConstraint, minimize

    functions = Functions(problem, kkt)
    sign = -1.0 if sense == "max" else 1.0

    def fun(x: np.ndarray) -> float:
        return sign * functions.f(x)

    def jac(x: np.ndarray) -> np.ndarray:
        return sign * functions.grad(x)

    options = {} if max_iter is None else {"maxiter": max_iter}
    constraints = _scipy_constraints(functions, method, gradients, NonlinearConstraint)
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
        low, high = functions.bounds()
        e = functions.e(x)
        feasibility = float(np.maximum(np.maximum(low - e, e - high), 0.0).max(initial=0.0))
    iterations = int(getattr(result, "nit", 0) or getattr(result, "niter", 0) or 0)
    return ScipyRun(method, x, f_value, bool(result.success), iterations, int(getattr(result, "nfev", 0)),
                    seconds, feasibility, str(result.message))


def _scipy_constraints(functions: Functions, method: str, gradients: bool, nonlinear: Any) -> list[Any]:
    """The constraints as SciPy takes them: SLSQP's eq/ineq dicts (ineq means ≥ 0), or one NonlinearConstraint."""
    if not functions.problem.m:
        return []
    low, high = functions.bounds()
    if method != "SLSQP":
        return [nonlinear(functions.e, low, high, jac=functions.jac if gradients else "2-point")]
    equal = np.isfinite(low) & (low == high)
    result: list[Any] = []

    def rows(mask: np.ndarray, sign: float, offset: np.ndarray) -> dict[str, Any]:
        kind = "eq" if mask is equal else "ineq"
        spec: dict[str, Any] = {"type": kind, "fun": lambda x: sign * (functions.e(x)[mask] - offset[mask])}
        if gradients:
            spec["jac"] = lambda x: sign * functions.jac(x)[mask]
        return spec

    if equal.any():
        result.append(rows(equal, 1.0, low))
    lower = np.isfinite(low) & ~equal
    upper = np.isfinite(high) & ~equal
    if lower.any():
        result.append(rows(lower, 1.0, low))
    if upper.any():
        result.append(rows(upper, -1.0, high))
    return result


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
    kkt = KKTGraph(problem)
    summaries = {}
    total, done = len(starts) * len(SCIPY_METHODS), 0
    for method in SCIPY_METHODS:
        runs = []
        for x0 in starts:
            runs.append(scipy_run(problem, method, x0, sense, kkt=kkt))
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
    """Solve ∇ₓf = Σλᵢ∇eᵢ, e = b exactly with SymPy when every equation is a polynomial.

    Status "ok" means SymPy returned isolated solutions only; "partial" that it also
    returned families with free parameters (curves of critical points), which are not
    listed as points.

    >>> from diffcli.extrema.problem import build_problem
    >>> r = exact_solutions(build_problem("x + y", ["x**2 + y**2 = 2"]))
    >>> r.status, sorted(s["f"] for s in r.solutions)
    ('ok', [-2.0, 2.0])
    """
    if not problem.is_scalar:
        return ExactResult("skipped", "exact solutions are for scalar variables and constraints")
    if problem.has_inequalities:
        return ExactResult("skipped", "exact solutions are for equality constraints")
    if problem.graph.decisions:
        return ExactResult("skipped", "a program's path depends on x: one path's equations are not the problem's")
    started = time.perf_counter()
    families = 0
    import sympy as sp  # before the alarm: an import cut short would leave a broken module behind

    try:
        with time_limit(timeout):
            roots = [problem.objective_node, *problem.constraint_nodes]
            exprs, symbols = to_sympy(problem.graph, roots, None)
            if detached_in(exprs):
                return ExactResult("skipped", "detach() has no exact counterpart here")
            xs = [symbols[v] for v in problem.variables]
            lams = [sp.Symbol(f"lambda{i + 1}", real=True) for i in range(problem.m)]
            f, es = exprs[0], exprs[1:]
            bounds = [sp.nsimplify(c.upper, rational=True) for c in problem.constraints]
            lagrangian = f - sum(lam * (e - b) for lam, e, b in zip(lams, es, bounds))
            equations = [sp.expand(sp.diff(lagrangian, s)) for s in xs + lams]
            if not all(eq.is_polynomial(*xs, *lams) for eq in equations):
                return ExactResult("skipped", "∇L = 0 is not a polynomial system")
            found = sp.solve(equations, xs + lams, dict=True)
            solutions = []
            for solution in found:
                if len(solution) < len(xs) + len(lams):
                    families += 1   # free parameters: a curve or surface of solutions, not a list of points
                    continue
                values = {str(s): complex(sp.N(solution[s], 30)) for s in xs}
                if any(abs(v.imag) > 1e-12 * max(1.0, abs(v.real)) for v in values.values()):
                    continue
                f_exact = sp.simplify(f.subs(solution))
                solutions.append({
                    "x": {name: values[str(s)].real + 0.0 for name, s in zip(problem.variables, xs)},
                    "text": {name: str(solution[s]) for name, s in zip(problem.variables, xs)},
                    "f": float(sp.re(sp.N(f_exact, 30))) + 0.0,
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
    if families:
        return ExactResult("partial", f"SymPy also returned {families} famil{'ies' if families > 1 else 'y'} of "
                           "solutions with free parameters (not isolated points), not listed",
                           solutions=solutions, seconds=time.perf_counter() - started)
    return ExactResult("ok", solutions=solutions, seconds=time.perf_counter() - started)


def matches(x: dict[str, float], point_x: np.ndarray, variables: list[str], labels: list[str]) -> bool:
    """SymPy's solution x (by variable) is the numeric point (relative 1e-6)."""
    values = np.array([x[name] for name in variables], dtype=np.float64)
    scale = 1e-6 * max(1.0, float(np.abs(values).max(initial=0.0)))
    return bool(np.abs(values - point_x).max(initial=0.0) <= scale)


def compare_exact(problem: LagrangeProblem, points: list[Any], exact: ExactResult) -> tuple[list[str], bool]:
    """Warnings where SymPy's set of solutions and Newton's differ, and whether they agree."""
    if exact.status not in ("ok", "partial"):
        return [f"--exact: {exact.status}" + (f": {exact.message}" if exact.message else "")], False
    from diffcli.extrema.solver import format_point

    warnings = [] if exact.status == "ok" else [f"--exact: {exact.message}"]
    labels = problem.labels()
    regular = [p for p in points if p.kind != "irregular"]
    missed = [s for s in exact.solutions
              if not any(matches(s["x"], p.x, problem.variables, labels) for p in regular)]
    extra = [p for p in regular if p.isolated and
             not any(matches(s["x"], p.x, problem.variables, labels) for s in exact.solutions)]
    for s in missed:
        warnings.append(f"--exact: SymPy finds a critical point Newton did not: "
                        f"{format_point(problem, np.array([s['x'][v] for v in problem.variables]))} "
                        f"(f = {s['f_text']})")
    if extra:
        warnings.append(f"--exact: SymPy's solutions lack {len(extra)} of the {len(regular)} points found "
                        f"(e.g. {format_point(problem, extra[0].x)}): SymPy's solve is not complete here")
    return warnings, not missed and not extra and exact.status == "ok"
