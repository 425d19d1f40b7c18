"""From converged Newton runs to the rows of the answer: one row per critical point, classified.

* `collect` keeps one entry per distinct x for each active set. Two degenerate roots
  (singular K) are the same point when ∇L is zero, to the tolerance, at points between
  them too — Newton can only locate such a root to ~ε^{1/k}, so a fixed distance
  would either split it into a cluster or merge distinct points.
* `make_points` merges the active sets' finds, tidies each point (round-off entries to
  0, a degenerate root to the simple number it sits at when ∇L is no larger there),
  classifies it on its tangent space (`classify`), tests zero-curvature directions
  (`higher_order`): a curve or surface of critical points becomes one row with sample
  points, an isolated degenerate point gets the higher-order verdict.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from diffcli.extrema.classify import curvature, sign_of_rest
from diffcli.extrema.feasibility import limits
from diffcli.extrema.inequality import classify_kkt, sides
from diffcli.extrema.higher_order import Candidate, centre_manifold_sign, isolated
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.newton import Accuracy, Step, System, initial_multipliers
from diffcli.extrema.pinned import pinned, regular_when_merged
from diffcli.extrema.problem import LagrangeProblem, entry_count

MAX_ACTIVE_SETS = 4096
SAME = 1e-7          # regular roots closer than this (relative) are one point
NEAR = 1e-2          # degenerate roots closer than this may be one point: ∇L is checked between them
SAMPLES = 5


@dataclass
class ActiveSet:
    """Which constraints hold with equality, at which bound: one equality-constrained problem."""

    sides: tuple[str | None, ...]     # per constraint: 'equal', 'lower', 'upper' or None (inactive)
    active: np.ndarray                # per λ entry
    bounds: np.ndarray                # per λ entry: the bound it is held at (0 where inactive)
    side: np.ndarray = field(default_factory=lambda: np.zeros(0, int))   # per λ entry: +1 lower, −1 upper, else 0

    @property
    def inequalities(self) -> int:
        return sum(side in ("lower", "upper") for side in self.sides)


def active_sets(problem: LagrangeProblem) -> list[ActiveSet]:
    """Every choice of active inequality sides, with at most n − (equations) of them active.

    >>> [s.sides for s in active_sets(__import__("diffcli.extrema.problem").extrema.problem.build_problem(
    ...     "x", ["0 <= x <= 1"]))]
    [(None,), ('lower',), ('upper',)]
    """
    equations = sum(entry_count(c.shape) for c in problem.constraints if c.is_equality)
    room = max(problem.n - equations, 0)
    choices = [[None, *c.sides] if not c.is_equality else ["equal"] for c in problem.constraints]
    result = []
    for sides in itertools.product(*choices):
        if sum(side in ("lower", "upper") for side in sides) > room:
            continue
        active, bounds, entry_sides = [], [], []
        for c, side in zip(problem.constraints, sides):
            size = entry_count(c.shape)
            active += [side is not None] * size
            entry_sides += [{"lower": 1, "upper": -1}.get(side or "", 0)] * size
            value = 0.0 if side is None else c.bound("upper" if side == "equal" else side)
            bounds += list(np.broadcast_to(value, (size,)) if c.shape else [value])
        result.append(ActiveSet(tuple(sides), np.array(active, bool), np.array(bounds, dtype=np.float64),
                                np.array(entry_sides, dtype=int)))
        if len(result) > MAX_ACTIVE_SETS:
            from diffcli.errors import UsageError

            raise UsageError(f"too many inequality constraints: more than {MAX_ACTIVE_SETS:,} active sets to try")
    return result


@dataclass
class Raw:
    """A converged run: where, with which multipliers, for which active set."""

    x: np.ndarray
    lam: np.ndarray
    f: float
    set_index: int
    residual: float
    iterations: int
    singular: bool
    log: list[Step]
    found_by: int = 1
    length: float = 1.0
    dimension: int | None = None     # of the set of critical points through x (None: not yet tested)
    samples: list[np.ndarray] = field(default_factory=list)


def collect(found: list[Raw], raw: Raw, kkt: KKTGraph, active_set: ActiveSet, *, accuracy: Accuracy,
            length: float = 1.0) -> bool:
    """Add `raw` to `found` unless it is a point already there; True when it is new.

    `length` is the size of the starts: degenerate roots near 0 are compared on it.
    """
    scale = max(_scale(found), 1e-3 * length)
    if raw.singular:
        # Another point of a known curve of critical points (same f) is no news: keep it as a sample.
        for kept in found:
            if kept.dimension and abs(kept.f - raw.f) <= 1e-9 * max(1.0, abs(raw.f)):
                kept.found_by += 1
                if len(kept.samples) < SAMPLES:
                    kept.samples.append(raw.x)
                return False
    for k, kept in enumerate(found):
        if same_point(kept, raw, kkt, active_set, accuracy=accuracy, scale=scale):
            better = raw if raw.residual < kept.residual else kept
            better.found_by = kept.found_by + 1
            found[k] = better
            return False
    raw.length = max(float(np.abs(raw.x).max(initial=0.0)), scale)
    found.append(raw)
    return True


def _scale(found: list[Raw]) -> float:
    """A length typical of the points found so far (1 before any)."""
    sizes = [float(np.abs(p.x).max(initial=0.0)) for p in found]
    sizes = [s for s in sizes if s > 0]
    return float(np.median(sizes)) if sizes else 1.0


def same_point(a: Raw, b: Raw, kkt: KKTGraph, active_set: ActiveSet, *, accuracy: Accuracy,
               scale: float) -> bool:
    size = max(float(np.abs(a.x).max(initial=0.0)), float(np.abs(b.x).max(initial=0.0)), 1e-9 * scale)
    distance = float(np.abs(a.x - b.x).max(initial=0.0))
    if distance <= SAME * size:
        return True
    if not (a.singular or b.singular) or distance > NEAR * max(size, scale):
        return False
    # Degenerate roots: the same root when ∇L stays zero (to the tolerance) between them.
    t = np.array([0.25, 0.5, 0.75])[:, None]
    Z = np.concatenate([a.x + t * (b.x - a.x), a.lam + t * (b.lam - a.lam)], axis=1)
    system = System(kkt, np.tile(active_set.bounds, (3, 1)), np.tile(active_set.active, (3, 1)),
                    accuracy=accuracy.looser(1e3))
    rows = np.arange(3)
    batch = system.evaluate(Z, rows)
    return bool(np.all(batch.defined & system.converged(batch, Z, rows)))


# --------------------------------------------------------------------------- the rows of the answer


@dataclass
class CriticalPoint:
    """A critical point (or a set of them), classified."""

    x: np.ndarray
    multipliers: np.ndarray      # flat λ, 0 where a constraint is inactive (NaN at an irregular point)
    f: float
    kind: str                    # min | max | saddle | degenerate | irregular
    eigenvalues: np.ndarray      # of the reduced Hessian Zᵀ∇²ₓL Z
    iterations: int
    residual: float
    licq: bool                   # active constraint gradients independent here
    gradient: np.ndarray         # ∇f, for the plot's arrows
    jacobian: np.ndarray         # ∂e/∂x of every constraint (m × n)
    active: np.ndarray           # per λ entry: the constraint holds with equality here
    found_by: int = 1
    log: list[Step] = field(default_factory=list)
    test: str = "second order"   # how the kind was decided
    dimension: int = 0           # 0: isolated; 1: a curve of critical points through x; ...
    samples: list[np.ndarray] = field(default_factory=list)
    side: np.ndarray = field(default_factory=lambda: np.zeros(0, int))   # per λ entry: +1 at lower, −1 at upper
    hessian: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))   # ∇²ₓL there
    where: str = ""              # with inequalities: 'interior', a boundary piece or a corner
    pinned: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))   # per λ entry: in a pinned pair (`pinned`)

    @property
    def location(self) -> int:
        """0 interior, 1 on one boundary piece, 2 at a corner (two or more active inequalities)."""
        return min(int(np.count_nonzero(self.side)), 2)

    @property
    def discriminant(self) -> float | None:
        """D = f_xx·f_yy − f_xy² of the textbook's second-derivative test (two variables, no constraint)."""
        if self.hessian.shape != (2, 2) or self.active.any():
            return None
        return float(self.hessian[0, 0] * self.hessian[1, 1] - self.hessian[0, 1] ** 2) + 0.0

    @property
    def isolated(self) -> bool:
        return self.dimension == 0


def tidy(x: np.ndarray) -> np.ndarray:
    """Entries at round-off level against the largest (|v| ≤ 1e-15·max|x|) become 0; −0 becomes 0."""
    limit = 1e-15 * float(np.abs(x).max(initial=0.0))
    return np.where(np.abs(x) <= limit, 0.0, x) + 0.0


def simple_root(kkt: KKTGraph, raw: Raw, active_set: ActiveSet, *, accuracy: Accuracy) -> Raw:
    """A degenerate root rounded to the simplest nearby numbers at which ∇L is no larger.

    Newton locates a root of multiplicity k only to about ε^{1/k}; when the root is a
    simple number (1, −1, 0.5) the rounded point is exactly it, and a better root.
    """
    candidates = []
    for digits in range(0, 9):
        x = np.round(raw.x, digits)
        if not np.array_equal(x, raw.x) and not any(np.array_equal(x, c) for c in candidates):
            candidates.append(x)
    if not candidates:
        return raw
    X = np.array(candidates)
    S = len(X)
    system = System(kkt, np.tile(active_set.bounds, (S, 1)), np.tile(active_set.active, (S, 1)), accuracy=accuracy)
    rows = np.arange(S)
    # λ at the rounded x: the least-squares multipliers there.
    Z = np.concatenate([X, np.zeros((S, kkt.m))], axis=1)
    batch = system.evaluate(Z, rows)
    if kkt.m:
        Z[:, kkt.n:] = initial_multipliers(batch, np.tile(active_set.active, (S, 1)))
        batch = system.evaluate(Z, rows)
    here = np.abs(system.residual(batch, Z)).max(axis=1)
    good = batch.defined & system.converged(batch, Z, rows) & (here <= raw.residual)
    if not good.any():
        return raw
    k = int(np.argmax(good))  # the coarsest rounding that works
    return Raw(Z[k, :kkt.n], Z[k, kkt.n:], float(batch.f[k]), raw.set_index, float(here[k]), raw.iterations,
               raw.singular, raw.log, raw.found_by, raw.length)


def make_points(problem: LagrangeProblem, kkt: KKTGraph, sets: list[ActiveSet], found: list[list[Raw]], *,
                accuracy: Accuracy, rng: np.random.Generator) -> list[CriticalPoint]:
    """Every distinct converged point, tidied, merged across active sets and classified."""
    raws: list[Raw] = []
    for k, group in enumerate(found):
        for raw in group:
            if raw.singular:
                raw = simple_root(kkt, raw, sets[k], accuracy=accuracy)
            raw.x, raw.lam = tidy(raw.x), tidy(raw.lam)
            raws.append(raw)
    raws = _merge_across_sets(raws, sets)
    if not raws:
        return []
    batch, curvatures = curvatures_at(kkt, raws, sets, accuracy)
    lower, upper = limits(problem)
    equality = np.isfinite(lower) & (lower == upper)
    points, pending = [], []
    for s, (raw, curv) in enumerate(zip(raws, curvatures)):
        active, side = _binding(raw, sets, batch, s, lower, upper, equality, accuracy)
        kind, test = curv.kind, "second order"
        lam = np.where(active, raw.lam, 0.0)
        held_pair = np.zeros_like(active)
        gradient = curvatures.f_gradients[s]
        if side.any():
            hessian = batch.K[s, :kkt.n, :kkt.n]
            f_hessian = curvatures.f_hessians[s]
            bounds = sets[raw.set_index].bounds
            held_pair = pinned(kkt, raw.x, batch.jacobian[s], active, side, bounds)
            if not regular_when_merged(batch.jacobian[s], active, np.zeros_like(active)):
                # Dependent gradients: K is singular and Newton's λ may have drifted along its null
                # space (to ±6e15 for a pinned pair, where ∇²L = ∇²f − Σλ∇²g is then round-off):
                # start from the smallest multipliers instead.
                rows = np.nonzero(active)[0]
                lam = np.zeros_like(lam)
                lam[rows] = np.linalg.lstsq(batch.jacobian[s][rows].T, gradient, rcond=None)[0]
                hessian = _hessian_at(kkt, raw.x, lam, bounds)
            verdict = classify_kkt(hessian, batch.jacobian[s], lam, active, side, gradient,
                                   np.abs(f_hessian) + np.abs(f_hessian - hessian), pinned=held_pair,
                                   hessian_at=lambda multipliers, x=raw.x, b=bounds: _hessian_at(kkt, x, multipliers, b))
            kind, test, curv = verdict.kind, verdict.test, verdict.curvature
            lam = lam if verdict.multipliers is None else verdict.multipliers
        elif kind == "none":
            kind, test = "degenerate", "no tangent space: an isolated feasible point"
        point = CriticalPoint(raw.x, lam + 0.0, float(batch.f[s]) + 0.0, kind,
                              curv.eigenvalues, raw.iterations, raw.residual, curv.licq, gradient,
                              batch.jacobian[s], active, raw.found_by, raw.log, test)
        point.side = side
        point.hessian = batch.K[s, :kkt.n, :kkt.n].copy()
        point.where = _where(problem, side)
        point.samples = list(raw.samples)
        point.pinned = held_pair
        points.append(point)
        if kind == "degenerate" and curv.null.shape[1] and curv.licq and not held_pair.any() \
                and not (side.any() and test != "second order"):
            pending.append((s, _candidate(raw, sets, curv, point.f)))
    if pending:
        _decide_degenerate(kkt, points, pending, accuracy=accuracy, rng=rng)
    points = _group_sets(points)
    # As a textbook lays out the solution: interior points, each boundary piece, corners; by f within.
    points.sort(key=lambda p: (p.location, p.where if p.location == 1 else "", p.f, tuple(p.x)))
    return points


def _hessian_at(kkt: KKTGraph, x: np.ndarray, multipliers: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """∇²ₓL at x with other multipliers (they are not unique where the active gradients are dependent)."""
    batch = kkt.evaluate(np.concatenate([x, multipliers])[None, :], bounds[None, :])
    return batch.K[0, :kkt.n, :kkt.n]


def _where(problem: LagrangeProblem, side: np.ndarray) -> str:
    """'interior', the boundary piece ('x = 3') or the corner ('x = 3, y = 0') of a point."""
    if not problem.has_inequalities:
        return ""
    owner = problem.constraint_of_entry()
    held = [problem.constraints[owner[k]].held("lower" if side[k] > 0 else "upper") for k in np.nonzero(side)[0]]
    return ", ".join(dict.fromkeys(held)) if held else "interior"   # a pinned pair reads 'y = -2' once


def _binding(raw: Raw, sets: list[ActiveSet], batch, s: int, lower: np.ndarray, upper: np.ndarray,
             equality: np.ndarray, accuracy: Accuracy) -> tuple[np.ndarray, np.ndarray]:
    """Which constraints hold with equality at the point (its active set's, and any other at a
    bound there: multiplier 0, weakly active), and the side of each active inequality."""
    e, J = batch.e[s], batch.jacobian[s]
    bounds = np.where(np.isfinite(upper), np.abs(upper), 0.0) + np.where(np.isfinite(lower), np.abs(lower), 0.0)
    size = np.maximum(np.maximum(np.abs(e), bounds), np.abs(J) @ np.abs(raw.x))
    scale = 1e-8 * np.maximum(size, np.maximum(accuracy.e_floor, 1e-300))
    at_bound = (np.isfinite(lower) & (np.abs(e - lower) <= scale)) | (np.isfinite(upper) & (np.abs(e - upper) <= scale))
    active = sets[raw.set_index].active | at_bound
    return active, sides(lower, upper, e, active, equality, scale)


class _Curvatures(list):
    """The reduced-Hessian verdicts, with ∇²f at each point alongside."""

    f_hessians: np.ndarray
    f_gradients: np.ndarray


def curvatures_at(kkt: KKTGraph, raws: list[Raw], sets: list[ActiveSet], accuracy: Accuracy):
    """The evaluation at each raw point and its reduced-Hessian verdict (`classify.curvature`)."""
    n, S = kkt.n, len(raws)
    bounds = np.array([sets[r.set_index].bounds for r in raws])
    active = np.array([sets[r.set_index].active for r in raws])
    Z = np.array([np.concatenate([r.x, r.lam]) for r in raws])
    batch = System(kkt, bounds, active, accuracy=accuracy).evaluate(Z, np.arange(S))
    plain = kkt.evaluate(np.concatenate([Z[:, :n], np.zeros((S, kkt.m))], axis=1), bounds)  # ∇²f alone
    result = _Curvatures()
    for s in range(S):
        hessian, f_hessian = batch.K[s, :n, :n], plain.K[s, :n, :n]
        terms = np.abs(f_hessian) + np.abs(f_hessian - hessian)   # the sizes of what cancels in ∇²L
        result.append(curvature(hessian, batch.jacobian[s][active[s]], terms))
    result.f_hessians = plain.K[:, :n, :n]
    result.f_gradients = plain.gradient    # ∇f itself, not F + Jᵀλ (which cancels when λ is huge)
    return batch, result


def _candidate(raw: Raw, sets: list[ActiveSet], curv, f: float) -> Candidate:
    length = max(raw.length, float(np.abs(raw.x).max(initial=0.0)))
    s = sets[raw.set_index]
    return Candidate(raw.x, raw.lam, f, s.bounds, s.active, curv.null, length)


def mark_sets(kkt: KKTGraph, raws: list[Raw], sets: list[ActiveSet], accuracy: Accuracy) -> None:
    """Find which new degenerate points lie on a curve or surface of critical points (raw.dimension)."""
    todo = [r for r in raws if r.singular and r.dimension is None]
    if not todo:
        return
    _, curvs = curvatures_at(kkt, todo, sets, accuracy)
    tested = [(r, c) for r, c in zip(todo, curvs) if c.null.shape[1] and c.licq]
    for r in todo:
        r.dimension = 0
    if tested:
        dims = isolated(kkt, [_candidate(r, sets, c, r.f) for r, c in tested], accuracy=accuracy)
        for (r, _), d in zip(tested, dims):
            r.dimension = d


def _merge_across_sets(raws: list[Raw], sets: list[ActiveSet]) -> list[Raw]:
    """The same x found for several active sets is one point: keep the most constrained reading."""
    kept: list[Raw] = []
    for raw in sorted(raws, key=lambda r: -int(sets[r.set_index].active.sum())):
        size = max(float(np.abs(raw.x).max(initial=0.0)), 1e-300)
        twin = next((k for k in kept if float(np.abs(k.x - raw.x).max(initial=0.0)) <= SAME * size), None)
        if twin is None:
            kept.append(raw)
        else:
            twin.found_by += raw.found_by
    return kept


def _decide_degenerate(kkt: KKTGraph, points: list[CriticalPoint], pending: list[tuple[int, Candidate]], *,
                       accuracy: Accuracy, rng: np.random.Generator) -> None:
    """Isolation, then the higher-order test, for points with zero-curvature directions."""
    dims = isolated(kkt, [c for _, c in pending], accuracy=accuracy)
    lone = [(s, c) for (s, c), d in zip(pending, dims) if d == 0]
    for (s, c), d in zip(pending, dims):
        if d:
            p = points[s]
            p.dimension = d
            rest = sign_of_rest(p.eigenvalues)
            p.kind = {1: "min", -1: "max"}.get(rest, "degenerate")
            p.test = "a set of critical points" + ("" if rest else ": f is constant on it")
    verdicts = centre_manifold_sign(kkt, [c for _, c in lone], accuracy=accuracy, rng=rng)
    for (s, _), verdict in zip(lone, verdicts):
        p = points[s]
        rest = sign_of_rest(p.eigenvalues)
        if verdict is None:
            p.kind, p.test = "degenerate", "higher order: inconclusive"
            continue
        p.test = "higher order"
        if verdict == 0 or (rest and rest != verdict):
            p.kind = "saddle"
        else:
            p.kind = "min" if verdict > 0 else "max"


def _group_sets(points: list[CriticalPoint]) -> list[CriticalPoint]:
    """Non-isolated points with the same kind and f are one set of critical points: one row, with samples."""
    result: list[CriticalPoint] = []
    groups: list[CriticalPoint] = []
    for p in points:
        if p.isolated:
            result.append(p)
            continue
        for g in groups:
            if g.kind == p.kind and g.dimension == p.dimension and abs(g.f - p.f) <= 1e-9 * max(1.0, abs(p.f)):
                g.found_by += p.found_by
                g.samples = (g.samples + [p.x] + p.samples)[:SAMPLES]
                break
        else:
            p.samples = ([p.x] + p.samples)[:SAMPLES]
            groups.append(p)
            result.append(p)
    return result
