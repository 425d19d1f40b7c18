"""Every critical point of an equality-constrained problem: Newton's method on ∇L = 0.

With L(x, λ) = f(x) − Σᵢ λᵢ gᵢ(x), a critical point of f on {g = 0} (where the
constraint gradients are independent, LICQ) is a zero of F = ∇_{x,λ}L; F and the KKT
matrix K = ∂F/∂(x, λ) come from AD (`lagrange_problem`).

Newton steps solve K·d = −F; a backtracking line search on the merit ½‖F‖² makes
them safe far from a solution, and where K is singular or nearly so a
Levenberg–Marquardt step (KᵀK + μI)d = −KᵀF takes over. Multistart from random points
in a box finds the different critical points; converged points are de-duplicated and
classified by the eigenvalues of the reduced Hessian Zᵀ∇²ₓL Z, Z a basis of the
tangent space ker J_g. Starts that do not converge are counted, never dropped.

>>> r = solve("x*y", ["x**2 + y**2 = 1"], starts=8, seed=1)
>>> sorted((round(float(p.f), 12), p.kind) for p in r.points)
[(-0.5, 'min'), (-0.5, 'min'), (0.5, 'max'), (0.5, 'max')]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from diffcli.errors import MathError, UsageError
from diffcli.extrema.problem import (Evaluation, LagrangeProblem, build_problem, entry_count, evaluate_residual,
                               is_defined, kkt_blocks, objective_gradient)
from diffcli.ad.inputs import read_assignments, read_value, split_assignments
from diffcli.ad.text import number_text

DEFAULT_STARTS = 20
DEFAULT_BOX = (-10.0, 10.0)
DEFAULT_TOL = 1e-10
DEFAULT_MAX_ITER = 100
MAX_STARTS = 100_000           # absurd counts are refused before any memory is spent on them
MAX_MAX_ITER = 100_000
MAX_COND = 1e12                 # beyond this the KKT matrix counts as singular
PROBE_MAX_ENTRIES = 30          # the unboundedness probe is skipped on larger problems

Progress = Callable[[int, int], None]

# --------------------------------------------------------------------------- Newton


@dataclass
class Step:
    """One line of the Newton log."""

    iteration: int
    residual: float      # ‖F‖∞ before the step
    step: float          # accepted step length t (0 on the last line)
    f: float
    kind: str = "newton"  # newton | regularised


@dataclass
class Run:
    """Newton from one start: where it ended and why."""

    start: np.ndarray
    z: np.ndarray
    converged: bool
    iterations: int
    residual: float
    f: float
    reason: str = ""
    feasibility: float = math.inf   # ‖g‖∞ at the end
    log: list[Step] = field(default_factory=list)
    evaluations: int = 0
    evaluation: Evaluation | None = None


def initial_multipliers(problem: LagrangeProblem, x: np.ndarray) -> np.ndarray:
    """λ minimising ‖∇f − J_gᵀλ‖ at x (least squares), the usual first guess."""
    z = np.concatenate([x, np.zeros(problem.m)])
    evaluation = evaluate_residual(problem, z)
    if not np.isfinite(evaluation.residual).all() or not np.isfinite(evaluation.kkt).all():
        return np.zeros(problem.m)
    _, jacobian = kkt_blocks(problem, evaluation.kkt)
    multipliers = np.linalg.lstsq(jacobian.T, evaluation.residual[:problem.n], rcond=None)[0]
    return multipliers if np.isfinite(multipliers).all() else np.zeros(problem.m)


def _direction(kkt: np.ndarray, residual: np.ndarray, regularise: bool) -> tuple[np.ndarray, str]:
    """The Newton step, or a Levenberg–Marquardt step where K is (nearly) singular."""
    if not regularise:
        try:
            if np.linalg.cond(kkt) < MAX_COND:
                step = np.linalg.solve(kkt, -residual)
                if np.isfinite(step).all():
                    return step, "newton"
        except np.linalg.LinAlgError:
            pass
    normal = kkt.T @ kkt
    mu = 1e-10 * max(1.0, float(np.trace(normal)) / len(normal)) + 1e-3 * float(residual @ residual)
    step = np.linalg.solve(normal + mu * np.eye(len(normal)), -kkt.T @ residual)
    return step, "regularised"


def newton(problem: LagrangeProblem, x0: np.ndarray, *, tol: float = DEFAULT_TOL,
           max_iter: int = DEFAULT_MAX_ITER, multipliers: np.ndarray | None = None,
           sense: str | None = None) -> Run:
    """Newton's method on F(x, λ) = 0 from x0, λ by least squares unless given.

    With sense=None any critical point is a target (the merit is ½‖F‖²). With
    sense="min" (or "max") Newton is steered towards local minima (maxima): where the
    reduced Hessian has the wrong inertia it is shifted until it has the right one, and
    steps are judged on the exact penalty s·f + ρ‖g‖₁ — SQP's safeguards — so that a
    saddle or a maximum near the start does not capture the iteration.

    >>> p = build_problem("x**2 + y**2", ["x + y = 2"])
    >>> run = newton(p, np.array([3.0, -1.0]))
    >>> run.converged, run.iterations, [round(float(v), 12) for v in run.z]
    (True, 1, [1.0, 1.0, 2.0])
    """
    n = problem.n
    lam = initial_multipliers(problem, x0) if multipliers is None else multipliers
    z = np.concatenate([np.asarray(x0, dtype=np.float64), lam])
    run = Run(start=np.array(x0, dtype=np.float64), z=z, converged=False, iterations=0, residual=math.inf, f=math.nan)
    evaluation = evaluate_residual(problem, z)
    run.evaluations = 1
    if not is_defined(evaluation):
        run.reason = "f or g is undefined at the start"
        return run
    penalty = 0.0  # ρ of the exact penalty, only grows (sense="min"/"max")
    for iteration in range(max_iter + 1):
        residual = evaluation.residual
        norm = float(np.abs(residual).max(initial=0.0))
        scale = max(1.0, float(np.abs(objective_gradient(problem, z, evaluation)).max(initial=0.0)))
        run.z, run.iterations, run.residual, run.f, run.evaluation = z, iteration, norm, evaluation.f, evaluation
        run.feasibility = float(np.abs(residual[n:]).max(initial=0.0))
        if norm <= tol * scale:
            run.converged = True
            run.log.append(Step(iteration, norm, 0.0, evaluation.f))
            _polish(problem, run)
            return run
        if iteration == max_iter:
            run.reason = f"no convergence in {max_iter} iterations"
            run.log.append(Step(iteration, norm, 0.0, evaluation.f))
            return run
        accepted, kind = None, "newton"
        if sense is not None:
            accepted, penalty = _extremum_step(problem, z, evaluation, 1.0 if sense == "min" else -1.0, penalty, run)
            if accepted is not None:
                kind = "newton" if accepted[3] == 0 else "shifted"
                accepted = accepted[:3]
        for regularise in (False, True):
            if accepted is not None and accepted[0] >= 1e-2:
                break
            direction, step_kind = _direction(evaluation.kkt, residual, regularise)
            trial = _line_search(problem, z, residual, evaluation.kkt, direction, run)
            # A Newton step cut to a sliver means the merit is badly modelled here; the
            # regularised step is then often much better, so try it and keep the better.
            if trial is not None and (accepted is None or _merit(trial[2]) < _merit(accepted[2])):
                accepted, kind = trial, step_kind
        if accepted is None:
            run.reason = "stalled: no step reduces ‖∇L‖ (a local minimum of ‖∇L‖ that is not a zero, or round-off)"
            run.log.append(Step(iteration, norm, 0.0, evaluation.f))
            return run
        length, z, evaluation = accepted
        run.log.append(Step(iteration, norm, length, run.f, kind))
        if sense is None and _stalled(run.log):  # with a sense, progress is measured by the penalty
            run.reason = "stalled at a local minimum of ‖∇L‖ that is not a zero"
            run.z, run.evaluation, run.f = z, evaluation, evaluation.f
            run.residual = float(np.abs(evaluation.residual).max(initial=0.0))
            run.feasibility = float(np.abs(evaluation.residual[n:]).max(initial=0.0))
            return run
    return run


STALL_WINDOW = 8


def _stalled(log: list[Step]) -> bool:
    """‖∇L‖ has not fallen by a millionth over the last few steps: Newton is stuck."""
    if len(log) <= STALL_WINDOW:
        return False
    return log[-1].residual > (1 - 1e-6) * log[-1 - STALL_WINDOW].residual


def _extremum_step(problem: LagrangeProblem, z: np.ndarray, evaluation: Evaluation, sign: float, penalty: float,
                   run: Run) -> tuple[tuple[float, np.ndarray, Evaluation, float] | None, float]:
    """An SQP step towards a local minimum (sign=1) or maximum (sign=-1), or None.

    ∇²ₓL is shifted by sign·δ·I so that sign·ZᵀHZ is positive definite (δ = 0 when it
    already is: then this is the plain Newton step). The step is accepted when the exact
    penalty sign·f + ρ‖g‖₁ decreases enough, or — for an unshifted step — when ‖F‖ halves,
    which keeps Newton's quadratic convergence near a solution (no Maratos effect).
    """
    n = problem.n
    kkt, residual = evaluation.kkt, evaluation.residual
    hessian, jacobian = kkt_blocks(problem, kkt)
    basis, licq = tangent_basis(jacobian, n)
    if not licq:
        return None, penalty  # LICQ fails here: leave it to the regularised step
    reduced = sign * basis.T @ hessian @ basis
    lowest = float(np.linalg.eigvalsh(reduced).min(initial=math.inf)) if basis.shape[1] else math.inf
    scale = max(1.0, float(np.abs(hessian).max(initial=0.0)))
    # Mirror a wrong-signed curvature rather than just cancel it: a barely definite
    # reduced Hessian would give a huge step.
    shift = 0.0 if lowest >= 1e-8 * scale else (max(abs(lowest), 1e-4 * scale) - lowest)
    shifted = kkt.copy()
    shifted[:n, :n] += sign * shift * np.eye(n)
    try:
        direction = np.linalg.solve(shifted, -residual)
    except np.linalg.LinAlgError:
        return None, penalty
    if not np.isfinite(direction).all():
        return None, penalty
    g = -residual[n:]
    gradient = objective_gradient(problem, z, evaluation)
    new_multipliers = z[n:] + direction[n:]
    penalty = max(penalty, 1.5 * float(np.abs(new_multipliers).max(initial=0.0)) + 1e-6)
    g_norm = float(np.abs(g).sum())
    slope = sign * float(gradient @ direction[:n]) - penalty * g_norm
    merit = sign * evaluation.f + penalty * g_norm
    norm = float(np.abs(residual).max(initial=0.0))
    length = 1.0
    while length > 1e-10:
        trial_z = z + length * direction
        trial = evaluate_residual(problem, trial_z, with_kkt=False)
        run.evaluations += 1
        if is_defined(trial):
            trial_merit = sign * trial.f + penalty * float(np.abs(trial.residual[n:]).sum())
            descent = slope < 0 and trial_merit <= merit + 1e-4 * length * slope
            newton_like = shift == 0 and float(np.abs(trial.residual).max(initial=0.0)) <= 0.5 * norm
            if descent or newton_like:
                full = evaluate_residual(problem, trial_z)
                if np.isfinite(full.kkt).all():
                    return (length, trial_z, full, shift), penalty
        length *= 0.5
    return None, penalty


def _merit(evaluation: Evaluation) -> float:
    return 0.5 * float(evaluation.residual @ evaluation.residual)


def _polish(problem: LagrangeProblem, run: Run) -> None:
    """One more full Newton step once converged: with quadratic convergence it costs one
    evaluation and takes the residual to round-off, so f is right to the last digits."""
    direction, kind = _direction(run.evaluation.kkt, run.evaluation.residual, False)
    if kind != "newton":
        return
    z = run.z + direction
    evaluation = evaluate_residual(problem, z)
    run.evaluations += 1
    norm = float(np.abs(evaluation.residual).max(initial=0.0))
    if np.isfinite(evaluation.kkt).all() and np.isfinite(norm) and norm < run.residual:
        run.z, run.residual, run.f, run.evaluation = z, norm, evaluation.f, evaluation
        run.feasibility = float(np.abs(evaluation.residual[problem.n:]).max(initial=0.0))


def _line_search(problem: LagrangeProblem, z: np.ndarray, residual: np.ndarray, kkt: np.ndarray,
                 direction: np.ndarray, run: Run) -> tuple[float, np.ndarray, Evaluation] | None:
    """Backtracking (Armijo) on ½‖F‖²; a step to a point where F is undefined counts as too long."""
    merit = 0.5 * float(residual @ residual)
    slope = float(residual @ (kkt @ direction))
    if not slope < 0:
        return None
    length = 1.0
    while length > 1e-12:
        trial = z + length * direction
        evaluation = evaluate_residual(problem, trial, with_kkt=False)
        run.evaluations += 1
        if is_defined(evaluation):
            trial_merit = 0.5 * float(evaluation.residual @ evaluation.residual)
            if trial_merit <= merit + 1e-4 * length * slope:
                full = evaluate_residual(problem, trial)
                if np.isfinite(full.kkt).all():
                    return length, trial, full
        length *= 0.5
    return None


# --------------------------------------------------------------------------- classification


@dataclass
class CriticalPoint:
    """A converged zero of ∇L, classified on the constraint's tangent space."""

    x: np.ndarray
    multipliers: np.ndarray
    f: float
    kind: str                    # min | max | saddle | degenerate
    eigenvalues: np.ndarray      # of the reduced Hessian Zᵀ∇²ₓL Z
    iterations: int
    residual: float
    licq: bool                   # constraint gradients independent here
    gradient: np.ndarray         # ∇f, for the plot's arrows
    jacobian: np.ndarray         # J_g
    found_by: int = 1
    log: list[Step] = field(default_factory=list)


def tangent_basis(jacobian: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """An orthonormal basis Z of ker J (n × (n − rank)), and whether J has full row rank (LICQ)."""
    if not jacobian.size:
        return np.eye(n), True
    _, singular, vt = np.linalg.svd(jacobian)
    rank = int(np.sum(singular > 1e-8 * max(1.0, float(singular.max(initial=0.0)))))
    return vt[rank:].T, rank == jacobian.shape[0]


def classify(hessian: np.ndarray, jacobian: np.ndarray) -> tuple[str, np.ndarray, bool]:
    """(kind, eigenvalues of Zᵀ H Z, LICQ holds) with Z an orthonormal basis of ker J.

    >>> classify(np.diag([2.0, -2.0]), np.array([[1.0, 0.0]]))[:2]
    ('max', array([-2.]))
    """
    basis, licq = tangent_basis(jacobian, hessian.shape[0])
    if basis.shape[1] == 0:
        return "degenerate", np.zeros(0), licq
    reduced = basis.T @ hessian @ basis
    eigenvalues = np.linalg.eigvalsh((reduced + reduced.T) / 2)
    zero = 1e-8 * max(1.0, float(np.abs(hessian).max(initial=0.0)))
    if np.any(np.abs(eigenvalues) <= zero):
        kind = "degenerate"
    elif np.all(eigenvalues > 0):
        kind = "min"
    elif np.all(eigenvalues < 0):
        kind = "max"
    else:
        kind = "saddle"
    return kind, eigenvalues, licq


def critical_point(problem: LagrangeProblem, run: Run) -> CriticalPoint:
    evaluation = run.evaluation
    hessian, jacobian = kkt_blocks(problem, evaluation.kkt)
    kind, eigenvalues, licq = classify(hessian, jacobian)
    n = problem.n
    z = _snap(run.z)
    f = evaluate_residual(problem, z, with_kkt=False).f if not np.array_equal(z, run.z) else evaluation.f
    return CriticalPoint(z[:n], z[n:], f, kind, eigenvalues, run.iterations,
                         run.residual, licq, objective_gradient(problem, run.z, evaluation), jacobian, log=run.log)


def _snap(z: np.ndarray) -> np.ndarray:
    """Entries at round-off level (|v| ≤ 1e-15·max|z|) become exact zeros: 0, not -2.7e-25."""
    limit = 1e-15 * max(1.0, float(np.abs(z).max(initial=0.0)))
    return np.where(np.abs(z) <= limit, 0.0, z)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.abs(a - b).max(initial=0.0) <= 1e-6 * max(1.0, float(np.abs(a).max(initial=0.0))))


def deduplicate(points: list[CriticalPoint]) -> list[CriticalPoint]:
    """One entry per distinct x (λ is not compared: where LICQ fails it is not unique)."""
    distinct: list[CriticalPoint] = []
    for point in points:
        for i, kept in enumerate(distinct):
            if _same(point.x, kept.x):
                better = point if point.residual < kept.residual else kept
                better.found_by = kept.found_by + 1
                distinct[i] = better
                break
        else:
            distinct.append(point)
    return distinct


# --------------------------------------------------------------------------- multistart


@dataclass
class LagrangeResult:
    """All critical points found, which starts failed and why, and what to beware of."""

    problem: LagrangeProblem
    points: list[CriticalPoint]
    max: int | None
    min: int | None
    starts: int
    failed: int
    failures: dict[str, int]
    warnings: list[str]
    runs: list[Run]
    licq_failures: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0


def read_box(text: str | None, variables: list[str]) -> dict[str, tuple[float, float]]:
    """'LO:HI' for every variable, or 'x=LO:HI,y=LO:HI' (others keep the default box).

    >>> read_box("-2:2", ["x", "y"])
    {'x': (-2.0, 2.0), 'y': (-2.0, 2.0)}
    """
    box = {v: DEFAULT_BOX for v in variables}
    if text is None:
        return box
    parts = split_assignments(text)
    if not parts:
        raise UsageError("--box: expected LO:HI or NAME=LO:HI[,NAME=LO:HI]")
    if len(parts) == 1 and "=" not in parts[0]:
        bounds = _bounds(parts[0], "--box")
        return {v: bounds for v in variables}
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise UsageError(f"--box: expected NAME=LO:HI, got {part!r}")
        if name not in box:
            raise UsageError(f"--box: '{name}' is not a variable of the problem (variables: {', '.join(variables)})")
        box[name] = _bounds(value, f"--box {name}")
    return box


def _bounds(text: str, label: str) -> tuple[float, float]:
    low_text, sep, high_text = text.partition(":")
    if not sep or not low_text.strip() or not high_text.strip():
        raise UsageError(f"{label}: expected LO:HI, got {text.strip()!r}")
    low, high = (read_value(t, label, "") for t in (low_text, high_text))
    if np.ndim(low) or np.ndim(high):
        raise UsageError(f"{label}: the bounds must be numbers")
    if not float(low) < float(high):
        raise UsageError(f"{label}: LO must be less than HI, got {text.strip()!r}")
    if not np.isfinite(float(high) - float(low)):  # NumPy cannot draw uniformly from a wider interval
        raise UsageError(f"{label}: the box {text.strip()!r} is too wide (HI - LO must be below 1.8e308)")
    return float(low), float(high)


def read_starts(texts: Sequence[str] | None, variables: list[str]) -> list[dict[str, Any]]:
    """One {name: value} per --start option; unknown names are an error."""
    starts = []
    for text in texts or []:
        values = read_assignments(text, "--start")
        unknown = [name for name in values if name not in variables]
        if unknown:
            raise UsageError(f"--start: '{unknown[0]}' is not a variable of the problem "
                             f"(variables: {', '.join(variables)})")
        starts.append(values)
    return starts


def start_points(problem: LagrangeProblem, given: list[dict[str, Any]], count: int,
                 box: Mapping[str, tuple[float, float]], rng: np.random.Generator) -> list[np.ndarray]:
    """The given starts (missing variables drawn from the box), then `count` random ones."""
    points = []
    for values in [*given, *[{}] * count]:
        parts = []
        for name in problem.variables:
            shape = problem.shapes[name]
            low, high = box.get(name, DEFAULT_BOX)
            if name in values:
                value = np.asarray(values[name], dtype=np.float64)
                if value.shape != shape:
                    raise UsageError(f"--start: '{name}' has shape {value.shape}, expected {shape or 'a number'}")
                parts.append(value.ravel())
            else:
                parts.append(rng.uniform(low, high, entry_count(shape)))
        points.append(np.concatenate(parts))
    return points


@np.errstate(all="ignore")  # overflow in a far-off Newton step is handled (the step is refused), not printed
def solve(objective: str | LagrangeProblem, constraints: Sequence[str] = (), *,
          starts: int = DEFAULT_STARTS, start: Sequence[Mapping[str, Any]] = (), seed: int = 0,
          box: Mapping[str, tuple[float, float]] | None = None, tol: float = DEFAULT_TOL,
          max_iter: int = DEFAULT_MAX_ITER, progress: Progress | None = None,
          probe: bool = True, sense: str | None = None) -> LagrangeResult:
    """Multistart Newton: every critical point found from `start` and `starts` random points.

    `sense` "min" or "max" steers each run towards local minima or maxima (see `newton`);
    None looks for critical points of every kind.

    Raises MathError when no start converges (with the best residual reached).
    """
    problem = objective if isinstance(objective, LagrangeProblem) else build_problem(objective, constraints)
    if starts < 0 or (starts == 0 and not start):
        raise UsageError("--starts: give a positive number of starts (or at least one --start)")
    if not tol > 0:
        raise UsageError("--tol must be a positive number")
    if seed < 0:
        raise UsageError("--seed must be a number >= 0")
    if max_iter < 1:
        raise UsageError("--max-iter must be at least 1")
    if starts > MAX_STARTS:
        raise UsageError(f"--starts: at most {MAX_STARTS:,}, got {starts:,}")
    if max_iter > MAX_MAX_ITER:
        raise UsageError(f"--max-iter: at most {MAX_MAX_ITER:,}, got {max_iter:,}")
    if sense not in (None, "min", "max"):
        raise UsageError(f"sense must be 'min', 'max' or None, not {sense!r}")
    box = dict(box) if box is not None else {v: DEFAULT_BOX for v in problem.variables}
    rng = np.random.default_rng(seed)
    points0 = start_points(problem, [dict(s) for s in start], starts, box, rng)
    began = time.perf_counter()
    runs, found = [], []
    for k, x0 in enumerate(points0):
        run = newton(problem, x0, tol=tol, max_iter=max_iter, sense=sense)
        runs.append(run)
        if run.converged:
            found.append(critical_point(problem, run))
        if progress is not None:
            progress(k + 1, len(points0))
    points = deduplicate(found)
    points.sort(key=lambda p: (p.f, tuple(p.x)))
    failures: dict[str, int] = {}
    for run in runs:
        if not run.converged:
            failures[run.reason] = failures.get(run.reason, 0) + 1
    result = LagrangeResult(problem, points, None, None, len(runs), sum(failures.values()), failures,
                            list(problem.warnings), runs)
    result.licq_failures = _licq_failures(problem, runs, points)
    if not points:
        _raise_no_point(problem, runs, result.licq_failures)
    result.min = 0
    result.max = len(points) - 1
    result.seconds = time.perf_counter() - began
    _collect_warnings(result, box, rng, probe)
    return result


def _licq_failures(problem: LagrangeProblem, runs: list[Run], points: list[CriticalPoint]) -> list[np.ndarray]:
    """Nearly feasible points where failed runs ended with (nearly) dependent constraint gradients.

    At such a point a constrained extremum need not satisfy ∇f = J_gᵀλ for any λ, so
    Newton chases λ → ∞ and creeps towards it without converging: the point is
    reported, not silently lost. Runs ending close together count once.
    """
    spots: list[tuple[float, np.ndarray]] = []
    n = problem.n
    for run in runs:
        if run.converged or run.evaluation is None or run.feasibility > 1e-4:
            continue
        _, jacobian = kkt_blocks(problem, run.evaluation.kkt)
        gradient = objective_gradient(problem, run.z, run.evaluation)
        smallest = float(np.linalg.svd(jacobian, compute_uv=False).min(initial=math.inf)) if jacobian.size else 0.0
        if jacobian.shape[0] > n:
            smallest = 0.0
        if smallest > 1e-2 * max(1.0, float(np.abs(gradient).max(initial=0.0))):
            continue
        x = run.z[:n]
        near = 0.1 * max(1.0, float(np.abs(x).max(initial=0.0)))
        if any(np.abs(x - p.x).max(initial=0.0) <= near for p in points):
            continue
        for i, (kept_sigma, kept) in enumerate(spots):
            if np.abs(x - kept).max(initial=0.0) <= near:
                if smallest < kept_sigma:
                    spots[i] = (smallest, x.copy())
                break
        else:
            spots.append((smallest, x.copy()))
    return [x for _, x in spots]


def _raise_no_point(problem: LagrangeProblem, runs: list[Run], licq: list[np.ndarray]) -> None:
    finished = [r for r in runs if np.isfinite(r.feasibility)]
    if not finished:
        raise MathError(f"no critical point found: f or g is undefined at all {len(runs)} starts "
                        "(choose --start or --box inside the domain)")
    best = min(finished, key=lambda r: r.feasibility)
    where = format_point(problem, best.z[:problem.n])
    if best.feasibility > 1e-6 and not licq:
        raise MathError(f"no feasible point found from {len(runs)} starts: the constraints look contradictory "
                        f"(best residual ‖g‖ = {best.feasibility:.3g} at {where})")
    closest = min(finished, key=lambda r: r.residual)
    note = ""
    if licq:
        note = f"; LICQ fails near {format_point(problem, licq[0], 3)}, where an extremum can have no multipliers"
    raise MathError(f"Newton did not converge from any of {len(runs)} starts (best ‖∇L‖ = {closest.residual:.3g} "
                    f"at {format_point(problem, closest.z[:problem.n])}){note}")


def format_point(problem: LagrangeProblem, x: np.ndarray, digits: int = 6) -> str:
    return ", ".join(f"{label}={number_text(value + 0.0, digits)}" for label, value in zip(problem.labels(), x))


def _collect_warnings(result: LagrangeResult, box: Mapping[str, tuple[float, float]],
                      rng: np.random.Generator, probe: bool) -> None:
    problem, warnings = result.problem, result.warnings
    if result.failed:
        reasons = "; ".join(f"{count}× {reason}" for reason, count in result.failures.items())
        warnings.append(f"{result.failed} of {result.starts} starts did not converge ({reasons})")
    isolated = [p for p in result.points if p.kind == "degenerate" and p.eigenvalues.size == 0 and p.licq]
    if isolated:
        where = "; ".join(format_point(problem, p.x) for p in isolated[:3]) + ("; ..." if len(isolated) > 3 else "")
        warnings.append(f"the constraints leave no freedom at {len(isolated)} point{'s' if len(isolated) > 1 else ''} "
                        f"({where}): isolated feasible points, each both a local min and a local max of f "
                        "(shown as degenerate)")
    for point in result.points:
        if not point.licq:
            warnings.append(f"LICQ fails at {format_point(problem, point.x)}: the constraint gradients are linearly "
                            "dependent there, so the multipliers are not unique and the method can miss extrema")
    for spot in result.licq_failures:
        warnings.append(f"LICQ fails near {format_point(problem, spot, 3)}: the constraint gradients are "
                        "(nearly) linearly dependent there and Newton crept towards it without converging; "
                        "a constrained extremum there has no Lagrange multipliers and is not in the table")
    if probe and problem.n <= PROBE_MAX_ENTRIES:
        warnings.extend(unbounded_warnings(problem, result.points, box, rng))


# --------------------------------------------------------------------------- unboundedness


def project(problem: LagrangeProblem, x: np.ndarray, iterations: int = 40) -> np.ndarray | None:
    """A nearby point of {g = 0} by Gauss–Newton with minimum-norm steps, or None."""
    n = problem.n
    for _ in range(iterations):
        evaluation = evaluate_residual(problem, np.concatenate([x, np.zeros(problem.m)]))
        g = -evaluation.residual[n:]
        if not (np.isfinite(g).all() and np.isfinite(evaluation.kkt).all()):
            return None
        if np.abs(g).max(initial=0.0) <= 1e-10 * max(1.0, float(np.abs(x).max(initial=0.0))):
            return x
        _, jacobian = kkt_blocks(problem, evaluation.kkt)
        x = x - np.linalg.lstsq(jacobian, g, rcond=None)[0]
    return None


def unbounded_warnings(problem: LagrangeProblem, points: list[CriticalPoint],
                       box: Mapping[str, tuple[float, float]], rng: np.random.Generator) -> list[str]:
    """Warn when f keeps growing (or falling) on feasible points ever farther away.

    Random far points at radii 10, 100, 1000 times the box are projected onto g = 0;
    if the largest f found grows with the radius and exceeds every critical value, the
    largest critical f is no maximum (likewise for the minimum).
    """
    scale = max(max(abs(low), abs(high)) for low, high in box.values()) if box else 10.0
    f_values = [p.f for p in points]
    highs, lows, reached = [], [], 0.0
    for radius in (10 * scale, 100 * scale, 1000 * scale):
        found = []
        for _ in range(6):
            direction = rng.normal(size=problem.n)
            x = project(problem, radius * direction / np.linalg.norm(direction))
            if x is not None and np.linalg.norm(x) >= radius / 2:
                value = evaluate_residual(problem, np.concatenate([x, np.zeros(problem.m)]), with_kkt=False).f
                if math.isfinite(value):
                    found.append(value)
        if not found:
            return []
        highs.append(max(found))
        lows.append(min(found))
        reached = radius
    messages = []
    if highs[0] < highs[1] < highs[2] and highs[2] > max(f_values):
        messages.append(f"f looks unbounded above on the constraint set (f = {highs[2]:.3g} at |x| ≈ {reached:.3g}): "
                        "the largest critical value is not a global maximum")
    if lows[0] > lows[1] > lows[2] and lows[2] < min(f_values):
        messages.append(f"f looks unbounded below on the constraint set (f = {lows[2]:.3g} at |x| ≈ {reached:.3g}): "
                        "the smallest critical value is not a global minimum")
    return messages
