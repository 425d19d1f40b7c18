"""Every critical point of f on the constraint set, by multistart Newton until discovery saturates.

With L = f − Σᵢ λᵢ(eᵢ − bᵢ), a regular critical point of f on {e = b} is a zero of
F = ∇_{x,λ}L (`kkt`). The search runs in rounds: the first round starts from `starts`
random points (and any given ones); each later round starts `batch` more, deflated
away from every point already found (`newton`), and the search stops when a round finds
nothing new — or at `max_starts`. Without constraints it solves ∇f = 0; with
inequalities, each active set (`active_sets`) is an equality-constrained problem of its
own, solved in the same batches.

What was found is then de-duplicated, classified (`points`), searched for irregular
points (`irregular`), and checked for unboundedness (`probe`). When SymPy can count the
real solutions of ∇L = 0 in time (`certify`), the summary says "all N found".

>>> r = solve("x*y", ["x**2 + y**2 = 1"], seed=1)
>>> sorted((round(float(p.f), 12), p.kind) for p in r.points)
[(-0.5, 'min'), (-0.5, 'min'), (0.5, 'max'), (0.5, 'max')]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from diffcli.ad.inputs import read_assignments, read_value, split_assignments
from diffcli.ad.text import number_text
from diffcli.errors import MathError, UsageError
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.newton import Accuracy, Step, accuracy_at, solve_rows
from diffcli.extrema.points import ActiveSet, CriticalPoint, Raw, active_sets, collect, make_points, mark_sets
from diffcli.extrema.problem import LagrangeProblem, build_problem, entry_count

DEFAULT_STARTS = 20
DEFAULT_BATCH = 10
DEFAULT_MAX_STARTS = 400
DEFAULT_BOX = (-10.0, 10.0)
DEFAULT_TOL = 1e-10
DEFAULT_MAX_ITER = 100
MAX_STARTS = 100_000           # absurd counts are refused before any memory is spent on them
MAX_MAX_ITER = 100_000
DEFLATION_RADIUS = 0.1        # a found root repels within about this share of its size
ROUND_SCALES = (1.0, 0.2, 10.0)   # later rounds draw starts from the box scaled by these in turn
FADED_WEIGHT = 0.25           # a run that ran off to where f fades counts this much of a start towards saturation
SATURATION = 5                # a set is done when its last max(20, SATURATION·found) starts found nothing new

Progress = Callable[[int, int], None]


@dataclass
class RunInfo:
    """One start's Newton run, for --compare and the failure counts."""

    start: np.ndarray
    converged: bool
    iterations: int
    evaluations: int
    reason: str = ""
    active: int = 0            # index of its active set
    round: int = 0             # 0: the first round (the user's starts); later: deflated rounds


@dataclass
class Completeness:
    """How sure the search is that it found every critical point."""

    new_in_last: int = 0          # starts since the last new point (all of them when none found)
    rounds: int = 0
    saturated: bool = False       # a whole round found nothing new
    certified: bool | None = None  # SymPy counted the real solutions and they match
    count: int | None = None      # SymPy's count of real critical points
    message: str = ""             # why not certified, or how
    seconds: float = 0.0


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
    runs: list[RunInfo]
    licq_failures: list[np.ndarray] = field(default_factory=list)
    seconds: float = 0.0
    completeness: Completeness = field(default_factory=Completeness)
    bounded: bool | None = None
    sets: list[ActiveSet] = field(default_factory=list)
    evaluations: int = 0

    @property
    def first_starts(self) -> list[np.ndarray]:
        """The starts of the first round (given and random) — what --compare hands SciPy."""
        return [run.start for run in self.runs if run.round == 0 and run.active == 0]


class NoCandidate(MathError):
    """No critical and no irregular point. The message tells an empty feasible set from a set on
    which f has none; `result` keeps the runs (so --exact and --compare can still report)."""

    def __init__(self, message: str, result: "LagrangeResult"):
        super().__init__(message)
        self.result = result


def extremes(values: Sequence[float]) -> tuple[list[int], list[int]]:
    """Indices of the largest and of the smallest values, ties included: equal to 1e-12 of the
    extreme value itself, or to 1e-14 of the largest |value| (round-off of a computed 0).

    A tie is not judged against the largest |f| alone: with f = 1e6 at the maxima, the
    saddles' f = 1e-6 is not a tie with the minima's 0.

    >>> extremes([-0.5, -0.5000000000000001, 0.5])
    ([2], [0, 1])
    >>> extremes([1e6, 0.0, 1e-6, 1e-21])
    ([0], [1, 3])
    """
    if not values:
        return [], []
    array = np.asarray(values, dtype=np.float64)
    floor = 1e-14 * max(float(np.abs(array).max(initial=0.0)), 1e-300)
    top, bottom = array.max(), array.min()
    return (list(np.nonzero(array >= top - max(1e-12 * abs(top), floor))[0].tolist()),
            list(np.nonzero(array <= bottom + max(1e-12 * abs(bottom), floor))[0].tolist()))


# --------------------------------------------------------------------------- options


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


def read_starts(texts: Sequence[str] | None, variables: list[str] | None = None) -> list[dict[str, Any]]:
    """One {name: value} per --start option; unknown names are an error when `variables` is given."""
    starts = []
    for text in texts or []:
        values = read_assignments(text, "--start")
        unknown = [name for name in values if variables is not None and name not in variables]
        if unknown:
            raise UsageError(f"--start: '{unknown[0]}' is not a variable of the problem "
                             f"(variables: {', '.join(variables or [])})")
        starts.append(values)
    return starts


def start_points(problem: LagrangeProblem, given: list[Mapping[str, Any]], count: int,
                 box: Mapping[str, tuple[float, float]], rng: np.random.Generator) -> np.ndarray:
    """The given starts (missing variables drawn from the box), then `count` random ones: (S, n)."""
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
    return np.array(points).reshape(len(points), problem.n)


def check_options(starts: int, start: Sequence[Any], tol: float, seed: int, max_iter: int,
                  max_starts: int, sense: str | None) -> None:
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
    if max_starts > MAX_STARTS:
        raise UsageError(f"--max-starts: at most {MAX_STARTS:,}, got {max_starts:,}")
    if max_iter > MAX_MAX_ITER:
        raise UsageError(f"--max-iter: at most {MAX_MAX_ITER:,}, got {max_iter:,}")
    if sense not in (None, "min", "max"):
        raise UsageError(f"sense must be 'min', 'max' or None, not {sense!r}")


# --------------------------------------------------------------------------- the search


@np.errstate(all="ignore")  # overflow in a far-off Newton step is handled (the step is refused), not printed
def solve(objective: str | LagrangeProblem, constraints: Sequence[str] = (), *,
          starts: int = DEFAULT_STARTS, start: Sequence[Mapping[str, Any]] = (), seed: int = 0,
          box: Mapping[str, tuple[float, float]] | None = None, tol: float = DEFAULT_TOL,
          max_iter: int = DEFAULT_MAX_ITER, progress: Progress | None = None,
          probe: bool = True, sense: str | None = None, max_starts: int = DEFAULT_MAX_STARTS,
          batch: int = DEFAULT_BATCH, saturate: bool = True, certify: bool = True,
          certify_timeout: float = 2.0) -> LagrangeResult:
    """Multistart Newton until no new point appears; every critical point found, classified.

    `sense` "min" or "max" only sets which point `result.min`/`result.max` stress; every
    critical point is searched for. `saturate=False` runs the first round only.

    Raises MathError when there is no candidate at all: with a message that tells an
    empty feasible set from a set on which f has no critical point.
    """
    problem = objective if isinstance(objective, LagrangeProblem) else build_problem(objective, constraints)
    check_options(starts, start, tol, seed, max_iter, max_starts, sense)
    began = time.perf_counter()
    kkt = KKTGraph(problem)
    box = dict(box) if box is not None else {v: DEFAULT_BOX for v in problem.variables}
    rng = np.random.default_rng(seed)
    sets = active_sets(problem)
    first = start_points(problem, [dict(s) for s in start], starts, box, rng)
    first[len(start):] = _onto_constraints(problem, kkt, first[len(start):])
    accuracy = accuracy_at(kkt, first, np.tile(sets[0].bounds, (len(first), 1)), tol)
    search = _Search(problem, kkt, sets, accuracy=accuracy, max_iter=max_iter)
    total_cap = max(max_starts, len(first))
    search.round([first] * len(sets), deflate=False)
    if progress is not None:
        progress(search.started, total_cap)
    round_number = 1
    while saturate and search.started < total_cap:
        # A set is done when the last max(20, 2·found) of its starts found nothing new.
        open_sets = [k for k in range(len(sets)) if search.quiet[k] < max(2 * batch, SATURATION * len(search.found[k]))
                     or round_number < len(ROUND_SCALES)]
        if not open_sets:
            break
        scale = _round_scale(round_number, search.landed)
        X = _next_starts(problem, kkt, batch, box, rng, ROUND_SCALES[scale])
        search.round([X if k in open_sets else X[:0] for k in range(len(sets))], deflate=True, scale=scale)
        round_number += 1
        if progress is not None:
            progress(search.started, total_cap)
    else:
        open_sets = [k for k in range(len(sets)) if search.quiet[k] < max(2 * batch, SATURATION * len(search.found[k]))]
    result = finish(problem, kkt, search, sense=sense, rng=rng, box=box, probe=probe,
                    certify=certify, certify_timeout=certify_timeout)
    result.completeness.saturated = saturate and not open_sets
    result.seconds = time.perf_counter() - began
    return result


def _faded(kkt: KKTGraph, runs: Any, accuracy: Accuracy, known: list[list[Raw]]) -> np.ndarray:
    """Runs that failed where ∇L and the constraints are met only because f faded: |∂L/∂xᵢ|
    below the floor (a hundred-millionth of ∇f's typical size at the starts), the constraints
    met, yet Newton's steps do not shrink — far out on exp(−x²)·…, not at a critical point.
    A run held off a known point by deflation (`known`, per row) ends near it: not faded."""
    n, m = kkt.n, kkt.m
    with np.errstate(all="ignore"):
        F = np.abs(runs.last.F)
        stationary = F[:, :n].max(axis=1, initial=0.0) <= accuracy.floor
        feasible = runs.feasibility <= accuracy.tol if m else np.ones(len(F), bool)
    faded = ~runs.converged & stationary & feasible & (accuracy.floor > 0)
    for r in np.nonzero(faded)[0]:
        x = runs.z[r, :n]
        faded[r] = all(float(np.abs(x - p.x).max(initial=0.0)) > p.length for p in known[r])
    return faded


def _flat(kkt: KKTGraph, runs: Any, bounds: np.ndarray) -> list[int]:
    """Converged rows that only solve the equations by underflow: f (or a constraint's e − b)
    is exactly 0 (or subnormal) with such a gradient there, and stays so nearby — far out,
    exp(-x²) or exp(x) = 0 hold in floating point, not in mathematics. (x⁴ at 0 is kept:
    it is not 0 beside 0; nor is x·y = 0 at the origin, which is not 0 along the diagonal.)"""
    n, m = kkt.n, kkt.m
    last = runs.last
    suspects = []
    for r in np.nonzero(runs.converged)[0]:
        f_flat = _underflow(last.f[r]) and _underflow(last.gradient[r]) and _underflow(last.K[r, :n, :n])
        e_flat = [k for k in range(m) if last.e[r, k] == bounds[r, k] and _underflow(last.jacobian[r, k])]
        if f_flat or e_flat:
            suspects.append((r, f_flat, e_flat))
    if not suspects:
        return []
    directions = np.concatenate([np.eye(n), -np.eye(n), np.ones((1, n)) / np.sqrt(n),
                                 np.where(np.arange(n) % 2, -1.0, 1.0)[None, :] / np.sqrt(n)])
    probes, owners = [], []
    for r, _, _ in suspects:
        delta = 1e-2 * max(1.0, float(np.abs(runs.z[r, :n]).max(initial=0.0)))
        for u in directions:
            moved = runs.z[r].copy()
            moved[:n] += delta * u
            probes.append(moved)
            owners.append(r)
    with np.errstate(all="ignore"):
        around = kkt.evaluate(np.array(probes), bounds[owners])
    owners_array = np.array(owners)
    flat = []
    for r, f_flat, e_flat in suspects:
        here = owners_array == r
        if (f_flat and _underflow(around.f[here])) or any(np.all(around.e[here, k] == bounds[r, k]) for k in e_flat):
            flat.append(r)
    return flat


def _round_scale(round_number: int, landed: list[int]) -> int:
    """Which of ROUND_SCALES a round draws from: each in turn, except that once every scale was
    tried, one whose runs all faded away is skipped while runs from another scale land somewhere
    (on x·y·exp(−(x² + y²)/2) every start at ±10 or ±100 runs off to where f vanishes)."""
    turn = round_number % len(ROUND_SCALES)
    if round_number < len(ROUND_SCALES) or not any(landed):
        return turn
    return next(k % len(ROUND_SCALES) for k in range(turn, turn + len(ROUND_SCALES)) if landed[k % len(ROUND_SCALES)])


def _underflow(values: Any) -> bool:
    """Every value 0 or subnormal (below 2.2e-308): exp(−746)·38·7 is 1.3e-321, not a number to trust."""
    return bool(np.all(np.abs(values) < np.finfo(np.float64).tiny))


def _next_starts(problem: LagrangeProblem, kkt: KKTGraph, count: int, box: Mapping[str, tuple[float, float]],
                 rng: np.random.Generator, scale: float) -> np.ndarray:
    """Random starts in the box shrunk or stretched by `scale` about its centre, moved onto the
    constraints: rounds cycle through scales 1, 0.2 and 10, so critical points far outside the
    box (the ends of a long ellipse) or packed near its centre (where exp(-x²) lives) are found too."""
    X = start_points(problem, [], count, box, rng)
    if scale != 1.0:
        centre = np.array([(low + high) / 2 for name in problem.variables for low, high in
                           [box.get(name, DEFAULT_BOX)] * entry_count(problem.shapes[name])])
        X = centre + scale * (X - centre)
    return _onto_constraints(problem, kkt, X)


def _onto_constraints(problem: LagrangeProblem, kkt: KKTGraph, X: np.ndarray) -> np.ndarray:
    """Random starts moved onto the constraint set (where that works): Newton does better from
    feasible points — exp(x*y) at x = y = 10 is 2.7e43, on the circle x² + y² = 10 at most e⁵."""
    if not problem.m or not len(X):
        return X
    from diffcli.extrema.feasibility import project

    projected, _, f = project(problem, kkt, X)
    good = np.isfinite(projected).all(axis=1) & np.isfinite(f)
    return np.where(good[:, None], projected, X)


class _Search:
    """The rounds of Newton runs: every converged point per active set, every run's outcome."""

    def __init__(self, problem: LagrangeProblem, kkt: KKTGraph, sets: list[ActiveSet], *, accuracy: Accuracy,
                 max_iter: int):
        self.problem, self.kkt, self.sets = problem, kkt, sets
        self.accuracy, self.max_iter = accuracy, max_iter
        self.found: list[list[Any]] = [[] for _ in sets]     # raw converged runs per set (distinct x)
        self.runs: list[RunInfo] = []
        self.length = 1.0   # typical size of a start, set by the first round
        self.started = 0
        self.converged = 0  # runs that reached a critical point (new or not)
        self.landed = [0] * len(ROUND_SCALES)   # per scale of the box: runs that did not fade away
        self.since_new = 0
        self.quiet = [0.0] * len(sets)    # per set: starts since its last new point (faded runs weigh less)
        self.rounds = 0
        self.evaluations = 0

    def round(self, starts: list[np.ndarray], *, deflate: bool, scale: int = 0) -> None:
        """One batch: the given starts for each active set, in one Newton call."""
        owners = [k for k, X in enumerate(starts) for _ in range(len(X))]
        if not owners:
            return
        X = np.concatenate([X for X in starts if len(X)])
        if not self.runs:
            sizes = np.abs(X).max(axis=1, initial=0.0)
            self.length = float(np.median(sizes)) if len(sizes) and np.median(sizes) > 0 else 1.0
        active = np.array([self.sets[k].active for k in owners])
        bounds = np.array([self.sets[k].bounds for k in owners])
        roots = lengths = None
        if deflate:
            roots = [np.array([p.x for p in self.found[k]]).reshape(-1, self.kkt.n) for k in owners]
            lengths = [DEFLATION_RADIUS * np.array([p.length for p in self.found[k]]) for k in owners]
        runs = solve_rows(self.kkt, X, bounds, active, accuracy=self.accuracy, max_iter=self.max_iter, roots=roots,
                          lengths=lengths)
        self.rounds += 1
        self.evaluations += runs.point_evaluations
        per_row = max(1, runs.point_evaluations // max(len(X), 1))
        for r in _flat(self.kkt, runs, bounds):
            runs.converged[r] = False
            runs.reasons[r] = ("the equations hold there only by underflow (f or a constraint is exactly 0 "
                               "there and around, as exp(-x²) far out): no solution of the formula")
        if self.problem.has_inequalities:
            from diffcli.extrema.feasibility import FEASIBLE, violation

            outside = runs.converged & (violation(self.problem, runs.last.e, runs.last.jacobian,
                                                  runs.z[:, :self.kkt.n], self.accuracy.length) > 10 * FEASIBLE)
            for r in np.nonzero(outside)[0]:
                runs.converged[r] = False
                runs.reasons[r] = "a critical point of this active set, outside the feasible set"
        new_any = False
        faded = _faded(self.kkt, runs, self.accuracy, [self.found[k] for k in owners])
        self.landed[scale] += int(np.sum(~faded))
        for r, k in enumerate(owners):
            self.runs.append(RunInfo(X[r], bool(runs.converged[r]), int(runs.iterations[r]), per_row,
                                     runs.reasons[r], k, self.rounds - 1))
            self.started += 1
            if runs.converged[r]:
                self.converged += 1
                n = self.kkt.n
                raw = Raw(runs.z[r, :n].copy(), runs.z[r, n:n + self.kkt.m].copy(), float(runs.last.f[r]), k,
                          float(runs.residual[r]), int(runs.iterations[r]), bool(runs.singular[r]), runs.logs[r])
                if collect(self.found[k], raw, self.kkt, self.sets[k], accuracy=self.accuracy, length=self.length):
                    new_any = True
                    self.since_new = 0
                    self.quiet[k] = 0
                    continue
            self.since_new += 1
            # Once a critical point was found, a run that only ran off to where f fades (the
            # tails of exp(−x²)) is weak evidence that nothing is left: from x·y·exp(−(x² + y²)/2)
            # nearly every start at ±10 or ±100 does, while starts at ±2 still find new points.
            self.quiet[k] += FADED_WEIGHT if faded[r] and self.converged else 1
        self.last_new = new_any
        mark_sets(self.kkt, [r for group in self.found for r in group], self.sets, self.accuracy)


# --------------------------------------------------------------------------- the answer


def finish(problem: LagrangeProblem, kkt: KKTGraph, search: _Search, *, sense: str | None,
           rng: np.random.Generator, box: Mapping[str, tuple[float, float]], probe: bool, certify: bool,
           certify_timeout: float) -> LagrangeResult:
    """Classify what the rounds found, add irregular points, and say how complete the answer is."""
    from diffcli.extrema.irregular import irregular_points

    tol = search.accuracy.tol
    points = make_points(problem, kkt, search.sets, search.found, accuracy=search.accuracy, rng=rng)
    first = np.array([run.start for run in search.runs[:DEFAULT_STARTS]])
    irregular, pinned_groups = irregular_points(kkt, search.sets, first, tol=tol)
    for x, k in irregular:
        size = max(float(np.abs(x).max(initial=0.0)), 1.0)
        if any(float(np.abs(p.x - x).max(initial=0.0)) <= 1e-5 * size for p in points):
            continue
        points.append(_irregular_point(problem, kkt, x, search.sets[k]))
    points.sort(key=lambda p: (p.location, p.where if p.location == 1 else "", p.kind == "irregular", p.f,
                               tuple(p.x)))
    failures: dict[str, int] = {}
    for run in search.runs:
        if not run.converged:
            failures[run.reason] = failures.get(run.reason, 0) + 1
    result = LagrangeResult(problem, points, None, None, search.started, sum(failures.values()), failures,
                            list(problem.warnings), search.runs, sets=search.sets, evaluations=search.evaluations)
    for p in points:
        if p.pinned.any():
            pinned_groups.add(tuple((int(i), int(p.side[i])) for i in np.nonzero(p.pinned)[0]))
    result.warnings += [_pinned_warning(problem, group) for group in sorted(pinned_groups)]
    result.completeness.new_in_last = search.since_new
    result.completeness.rounds = search.rounds
    if certify:
        _certify(result, certify_timeout)
    if not points:
        _raise_no_candidate(problem, kkt, search, result)
    values = [p.f for p in points]
    result.min = int(np.argmin(values))
    result.max = int(np.argmax(values))
    far = _collect_warnings(result, kkt, box, rng, probe)
    result.bounded = _bounded(problem, kkt, far)
    return result


def _pinned_warning(problem: LagrangeProblem, group: tuple[tuple[int, int], ...]) -> str:
    """One line for inequalities that pin each other (`pinned`), said once for the whole piece."""
    owner = problem.constraint_of_entry()
    names = list(dict.fromkeys(f"'{problem.constraints[owner[i]].text}'" for i, _ in group))
    i, side = group[0]
    held = problem.constraints[owner[i]].held("lower" if side > 0 else "upper")
    return (f"{' and '.join(names)} hold together only with {held}: their gradients are dependent on that whole "
            "piece of the feasible set (LICQ fails there, not at single points), so they are read as one equality; "
            "only the sum of their multipliers is determined (the table shows a split with the signs of the kind)")


def _bounded(problem: LagrangeProblem, kkt: KKTGraph, far: Any) -> bool | None:
    """True when proved (`region`), False when feasible points turned up far away, else None."""
    from diffcli.extrema.region import proven_bounded

    if not problem.m:
        return False
    if proven_bounded(problem, kkt):
        return True
    return False if far is not None and far.far_feasible else None


def _irregular_point(problem: LagrangeProblem, kkt: KKTGraph, x: np.ndarray, active_set: ActiveSet) -> CriticalPoint:
    batch = kkt.evaluate(np.concatenate([x, np.zeros(kkt.m)])[None, :], active_set.bounds[None, :])
    return CriticalPoint(x, np.full(kkt.m, np.nan), float(batch.f[0]) + 0.0, "irregular", np.zeros(0), 0, 0.0, False,
                         batch.gradient[0], batch.jacobian[0], active_set.active.copy(), test="irregular point")


def _certify(result: LagrangeResult, timeout: float) -> None:
    """Compare the number of regular isolated points with SymPy's exact count, when it can give one."""
    from diffcli.extrema.certify import count_real_solutions

    problem = result.problem
    completeness = result.completeness
    if not problem.is_scalar or problem.has_inequalities or problem.n + problem.m > 4:
        return
    count = count_real_solutions(problem, timeout)
    completeness.seconds = count.seconds
    completeness.message = count.message
    completeness.count = count.count
    if count.count is None:
        return
    regular = [p for p in result.points if p.kind != "irregular"]
    if any(not p.isolated for p in regular):
        completeness.certified = False
        completeness.message = "SymPy found isolated solutions only, Newton a set of them"
        return
    completeness.certified = count.count == len(regular)


def _raise_no_candidate(problem: LagrangeProblem, kkt: KKTGraph, search: _Search, result: LagrangeResult) -> None:
    """No critical and no irregular point: tell an empty feasible set from one without critical points."""
    from diffcli.extrema.feasibility import FEASIBLE, project

    X = np.array([run.start for run in search.runs])
    points, violation, f = project(problem, kkt, X)
    ok = (violation <= FEASIBLE) & np.isfinite(f)
    starts = len(search.runs)
    if not ok.any():
        finite = np.isfinite(violation)
        if not finite.any() or (violation[finite] <= FEASIBLE).any():
            raise NoCandidate(f"no critical point found: f or a constraint is not finite at all {starts} starts "
                              "(outside the domain, or overflow; choose --start or --box inside the domain)", result)
        best = int(np.argmin(np.where(finite, violation, np.inf)))
        raise NoCandidate(_empty_message(problem, kkt, starts, points[best], violation[best]), result)
    where = "" if not problem.m else \
        f" on the constraint set, which is not empty (e.g. {format_point(problem, points[int(np.argmax(ok))])})"
    if result.completeness.count == 0:
        raise NoCandidate(f"f has no critical point{where}: SymPy finds no real solution of ∇L = 0", result)
    raise NoCandidate(f"no critical point found from {starts} starts{where}; f may have none there", result)


def _empty_message(problem: LagrangeProblem, kkt: KKTGraph, starts: int, x: np.ndarray, violation: float) -> str:
    """No start reached the feasible set: "empty" only with a proof (`emptiness`), else what it looks like."""
    from diffcli.extrema.emptiness import prove_empty

    found = f"no feasible point found from {starts} starts"
    where = f"smallest relative violation {violation:.3g} at {format_point(problem, x)}"
    emptiness = prove_empty(problem, kkt, x)
    if emptiness.proved:
        return (f"{found}: the feasible set is empty (proved: the constraints are convex and a positive "
                f"combination of them is violated everywhere; {where})")
    what = "the feasible set looks empty" if problem.has_inequalities else "the constraints look contradictory"
    return f"{found}: {what} ({where}); not proved, since {emptiness.reason}"


def format_point(problem: LagrangeProblem, x: np.ndarray, digits: int = 6) -> str:
    return ", ".join(f"{label}={number_text(value + 0.0, digits)}" for label, value in zip(problem.labels(), x))


def _collect_warnings(result: LagrangeResult, kkt: KKTGraph, box: Mapping[str, tuple[float, float]],
                      rng: np.random.Generator, probe: bool) -> Any:
    from diffcli.extrema.probe import exceeds
    from diffcli.extrema.probe import probe as walk

    problem, warnings = result.problem, result.warnings
    if result.failed and not result.points:
        reasons = "; ".join(f"{count}× {reason}" for reason, count in result.failures.items())
        warnings.append(f"{result.failed} of {result.starts} starts did not converge ({reasons})")
    lone = [p for p in result.points if p.kind == "degenerate" and p.eigenvalues.size == 0 and p.licq]
    if lone:
        where = "; ".join(format_point(problem, p.x) for p in lone[:3]) + ("; ..." if len(lone) > 3 else "")
        warnings.append(f"the constraints leave no freedom at {len(lone)} point{'s' if len(lone) > 1 else ''} "
                        f"({where}): isolated feasible points, each both a local min and a local max of f "
                        "(shown as degenerate)")
    for point in result.points:
        if point.kind == "irregular":
            warnings.append(f"irregular point at {format_point(problem, point.x)}: the constraint gradients are "
                            "linearly dependent there, so an extremum there need not satisfy ∇f = Σλ∇g; it is "
                            "listed as a candidate with its f")
        elif not point.licq:
            warnings.append(f"LICQ fails at {format_point(problem, point.x)}: the constraint gradients are linearly "
                            "dependent there, so the multipliers are not unique")
    if probe and result.points:
        scale = max(max(abs(low), abs(high)) for low, high in box.values()) if box else 10.0
        far = walk(problem, kkt, scale, rng)
        values = [p.f for p in result.points]
        where = " on the constraint set" if problem.m else ""
        if far.above is not None and exceeds(far.above, max(values)):
            warnings.append(f"f looks unbounded above{where} (f = {far.above:.3g} at |x| ≈ "
                            f"{1000 * scale:.3g}, still growing): the largest critical value is not a global maximum")
        if far.below is not None and exceeds(min(values), far.below):
            warnings.append(f"f looks unbounded below{where} (f = {far.below:.3g} at |x| ≈ "
                            f"{1000 * scale:.3g}, still falling): the smallest critical value is not a global minimum")
        return far
    return None


__all__ = ["LagrangeResult", "RunInfo", "Completeness", "CriticalPoint", "Step", "solve", "read_box",
           "read_starts", "start_points", "build_problem", "format_point", "math"]
