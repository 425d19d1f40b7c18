"""Where a formula is defined: its domain, its kinks, and a seeded sample of points inside it.

A point is *inside* F's domain when F and every intermediate value that F's result
actually uses is finite. "Actually uses" matters twice: the branch of `a if c else b`
that is not taken may be undefined (that is what the branch is for), and a reverse
sweep can return a finite gradient where F itself is undefined — `x**3/3 + log(x)` at
x = −2 has a finite AD gradient x² + 1/x, but log(−2) is not a real number, so −2 is
outside the domain.

`sample_domain` looks for points the way a careful grader would: a seeded random sample
across scales and signs, the small special values people try first, then points just
inside the domain's edges (found by bisection between a point inside and one outside)
and on both sides of every kink or branch boundary (bisection on the branch signature,
read from the kink ops' own partial derivatives in the op table).

>>> from diffcli.ad.parse import parse
>>> sample = sample_domain(parse("log(x)"), ["x"], {}, samples=50)
>>> bool((sample.columns["x"] > 0).all()), bool(sample.columns["x"].min() < 1e-5)
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import evaluate, mixing_node
from diffcli.ad.graph import Graph
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES
from diffcli.checks.roundoff import error_scales

DEFAULT_SAMPLES = 400
SPECIAL_VALUES = (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 10.0, -10.0, 0.1, -0.1, math.pi / 4, -math.pi / 4)
_EDGE_OFFSETS = (1e-9, 1e-6, 1e-3)  # how far inside an edge, relative to the segment bisected
_KINK_OFFSETS = (1e-7, 1e-3)        # how far on each side of a kink
MAX_EDGE_SEGMENTS = 24
MAX_KINK_SEGMENTS = 24


def live_nodes(graph: Graph, values: list[Any], roots: list[int], pointwise: bool) -> list[Any]:
    """For each node, where its value is used by `roots` (True, False or a mask over points).

    The branch of `where` not taken, and the right side of `and`/`or` that is not
    evaluated, are not used. A tensor condition (in a formula that is not pointwise)
    keeps both branches.
    """
    live: list[Any] = [False] * len(graph)
    for root in roots:
        live[root] = True
    for node in range(len(graph) - 1, -1, -1):
        mask = live[node]
        if mask is False:
            continue
        op, parents = graph.ops[node], graph.inputs[node]
        selective = op in ("where", "logical_and", "logical_or")
        condition = values[parents[0]] if selective else None
        if selective and (pointwise or np.ndim(condition) == 0):
            truth = np.not_equal(condition, 0.0)
            live[parents[0]] = live[parents[0]] | mask
            if op == "where":
                live[parents[1]] = live[parents[1]] | (mask & truth)
                live[parents[2]] = live[parents[2]] | (mask & ~truth)
            else:
                second = truth if op == "logical_and" else ~truth
                live[parents[1]] = live[parents[1]] | (mask & second)
            continue
        for parent in parents:
            live[parent] = live[parent] | mask
    return live


def _all_entries(mask: Any, pointwise: bool, count: int) -> np.ndarray:
    """A per-node mask as one truth value per point."""
    if pointwise:
        return np.broadcast_to(np.asarray(mask, dtype=bool), (count,))
    return np.full(count, bool(np.all(mask)))


@dataclass
class Measured:
    """A graph evaluated at N points: which are inside the domain, which sit on a kink,
    which branches they take, and the values and rounding-error scales asked for."""

    inside: np.ndarray
    on_kink: np.ndarray
    signature: np.ndarray
    magnitude: np.ndarray  # the largest finite |value| among the live nodes: near overflow or not
    values: dict[int, np.ndarray] = field(default_factory=dict)
    scales: dict[int, np.ndarray] = field(default_factory=dict)
    # Within rounding error of a kink but not on it: which side the point is on depends on
    # how the kink's argument was rounded, so two ways of computing it may disagree there.
    near_kink: np.ndarray | None = None
    scales: dict[int, np.ndarray] = field(default_factory=dict)


def _measure_values(graph: Graph, values: list[Any], domain_roots: list[int], relevant: list[bool],
                    value_roots: list[int], scale_roots: list[int], pointwise: bool, count: int,
                    rounding: bool = False) -> Measured:
    live = live_nodes(graph, values, domain_roots, pointwise)
    inside = np.ones(count, dtype=bool)
    on_kink = np.zeros(count, dtype=bool)
    near_kink = np.zeros(count, dtype=bool)
    with np.errstate(all="ignore"):
        errors = error_scales(graph, values, domain_roots) if rounding else None
    magnitude = np.zeros(count)
    signature: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for node, op in enumerate(graph.ops):
            if op == "var" or op == "const" or values[node] is None:
                continue
            mask = live[node]
            value = values[node]
            if mask is not False:
                finite = np.isfinite(value)
                if mask is True:  # the common case: used at every point, no broadcasting needed
                    inside &= finite if pointwise else bool(np.all(finite))
                    # inf only where the point is outside anyway; fmax skips NaN
                    magnitude = np.fmax(magnitude, np.abs(value) if pointwise else float(np.max(np.abs(value),
                                                                                              initial=0.0)))
                else:
                    used_here = np.asarray(mask, dtype=bool)
                    inside &= _all_entries(finite | ~used_here, pointwise, count)
                    size = np.where(finite & used_here, np.abs(value), 0.0)
                    magnitude = np.maximum(magnitude, np.broadcast_to(size, (count,)) if pointwise
                                           else np.full(count, float(np.max(size, initial=0.0))))
            primitive = PRIMITIVES[op]
            if primitive.kink is None or not relevant[node]:
                continue
            used = _all_entries(mask, pointwise, count)
            args = [values[j] for j in graph.inputs[node]]
            hit = np.asarray(primitive.kink(*args), dtype=bool)
            on_kink |= used & (np.broadcast_to(hit, (count,)) if pointwise else np.full(count, bool(hit.any())))
            if errors is not None and "elementwise" in primitive.tags and len(args) in (1, 2) \
                    and all(errors[j] is not None for j in graph.inputs[node]):
                near = _near_kink(args, [errors[j] for j in graph.inputs[node]])
                near_kink |= used & (np.broadcast_to(near, (count,)) if pointwise else np.full(count, bool(near.any())))
            for piece in _branch_pieces(primitive, value, args):
                column = np.broadcast_to(piece, (count,)) if pointwise else np.full(count, float(np.sum(piece)))
                signature.append(np.where(used, column, np.nan))
        scales = error_scales(graph, values, scale_roots) if scale_roots else []
    shaped = {root: _column(values[root], pointwise, count) for root in value_roots}
    return Measured(inside, on_kink, np.array(signature).T.reshape(count, len(signature)), magnitude, shaped,
                    {root: _column(scales[root], pointwise, count) for root in scale_roots},
                    near_kink if rounding else None)


NEAR_KINK = 64.0  # in units of u·E, as verdict.TOLERANCE_FACTOR


def _near_kink(args: list[Any], errors: list[Any]) -> np.ndarray:
    """The kink's argument is within its rounding error of the kink, without being on it.

    Elementwise kink ops sit at an argument of 0 (abs, sign, relu) or at two equal
    arguments (max, min, comparisons), as their `kink` rules in the op table say.
    """
    distance = np.abs(args[0]) if len(args) == 1 else np.abs(np.subtract(args[0], args[1]))
    error = errors[0] if len(args) == 1 else np.add(errors[0], errors[1])
    from diffcli.checks.roundoff import UNIT_ROUNDOFF

    return np.asarray((distance > 0) & (distance <= NEAR_KINK * UNIT_ROUNDOFF * error), dtype=bool)


def _branch_pieces(primitive: Any, value: Any, args: list[Any]) -> list[Any]:
    """What says which side of a kink a point is on: a comparison's own value, else the
    kink op's partial derivatives (sign(x) for abs, the tie weight for max), which are
    constant on each side — so the op table tells, not a list kept here."""
    if not primitive.differentiable or primitive.partials is None:
        return [np.asarray(value, dtype=np.float64)]
    pieces = []
    for rule in primitive.partials:
        partial = None if rule is None else rule(value, *args)
        if partial is None or partial is ONE or partial is MINUS_ONE:
            continue
        pieces.append(np.asarray(partial, dtype=np.float64))
    return pieces or [np.asarray(value, dtype=np.float64)]


def _column(value: Any, pointwise: bool, count: int) -> np.ndarray:
    if pointwise:
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (count,)).copy()
    return np.asarray(value, dtype=np.float64)


def measure(graph: Graph, columns: Mapping[str, np.ndarray], constants: Mapping[str, Any],
            domain_roots: list[int], wrt: list[str], value_roots: list[int] = (),
            scale_roots: list[int] = (), rounding: bool = False) -> Measured:
    """Evaluate `graph` at every point of `columns` (one array of N values per variable).

    A pointwise graph is evaluated once on the columns; any other, point by point.
    `rounding` also finds the points within rounding error of a kink (`near_kink`).
    """
    count = len(next(iter(columns.values()))) if columns else 1
    roots = list(dict.fromkeys([*domain_roots, *value_roots, *scale_roots]))
    sources = [graph.variables[name] for name in wrt if name in graph.variables]
    relevant = graph.descendants(sources, blocked=frozenset({"detach"}))
    if mixing_node(graph, roots) is None and all(np.ndim(v) == 0 for v in constants.values()):
        point = {**{k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}, **constants}
        values = evaluate(graph, point, upto=roots)
        return _measure_values(graph, values, domain_roots, relevant, list(value_roots), list(scale_roots),
                               True, count, rounding)
    parts = []
    for index in range(count):
        point = {**{k: np.float64(v[index]) for k, v in columns.items()}, **constants}
        values = evaluate(graph, point, upto=roots)
        parts.append(_measure_values(graph, values, domain_roots, relevant, list(value_roots),
                                     list(scale_roots), False, 1, rounding))
    width = max((p.signature.shape[1] for p in parts), default=0)
    return Measured(
        np.concatenate([p.inside for p in parts]) if parts else np.zeros(0, dtype=bool),
        np.concatenate([p.on_kink for p in parts]) if parts else np.zeros(0, dtype=bool),
        np.vstack([np.pad(p.signature, ((0, 0), (0, width - p.signature.shape[1])), constant_values=np.nan)
                   for p in parts]) if parts else np.zeros((0, 0)),
        np.concatenate([p.magnitude for p in parts]) if parts else np.zeros(0),
        {root: np.array([float(np.sum(p.values[root])) if np.size(p.values[root]) == 1 else np.nan for p in parts])
         for root in value_roots},
        {root: np.array([float(np.max(p.scales[root])) for p in parts]) for root in scale_roots},
        np.concatenate([p.near_kink for p in parts]) if rounding and parts else None,
    )


# --------------------------------------------------------------------------- the sample


@dataclass
class Sample:
    """Points inside the domain (columns of equal length), and how each was found."""

    columns: dict[str, np.ndarray]
    origin: list[str]

    def __len__(self) -> int:
        return len(self.origin)

    def point(self, index: int) -> dict[str, float]:
        return {name: float(column[index]) for name, column in self.columns.items()}


def _random_values(rng: np.random.Generator, count: int) -> np.ndarray:
    """Half uniform on [−5, 5] (where coursework lives), the rest ± 10^U(−4, 4) across scales."""
    uniform = rng.uniform(-5.0, 5.0, count)
    scaled = rng.choice([-1.0, 1.0], count) * 10.0 ** rng.uniform(-4.0, 4.0, count)
    return np.where(rng.random(count) < 0.5, uniform, scaled)


def _candidates(wrt: list[str], samples: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], list[str]]:
    specials = len(SPECIAL_VALUES)
    columns: dict[str, np.ndarray] = {}
    for position, name in enumerate(wrt):
        # The special values on the diagonal and, shifted per variable, off it: (0, 0), (1, -1), ...
        special = np.array([SPECIAL_VALUES[(k + position * (k % 3)) % specials] for k in range(specials)])
        columns[name] = np.concatenate([special, _random_values(rng, samples)])
    return columns, ["special"] * specials + ["random"] * samples


def _bisect(graph: Graph, constants: Mapping[str, Any], domain_roots: list[int], wrt: list[str],
            start: dict[str, np.ndarray], end: dict[str, np.ndarray],
            same_side: Any) -> np.ndarray:
    """For each segment start→end, the parameter t where `same_side` (true at t = 0, false at
    t = 1) switches, to within 2⁻⁴⁴ of the segment: the last t found on the starting side.

    A pointwise formula is cut in 16 per round (11 rounds, every segment and cut in one
    evaluation); any other in 2 (44 rounds), as its points are evaluated one by one anyway.
    """
    count = len(next(iter(start.values())))
    ways = 16 if mixing_node(graph, domain_roots) is None else 2
    rounds = {16: 11, 2: 44}[ways]
    low, high = np.zeros(count), np.ones(count)
    fractions = np.arange(1, ways) / ways
    for _ in range(rounds):
        cuts = low[:, None] + (high - low)[:, None] * fractions[None, :]          # (segments, ways − 1)
        columns = {name: (start[name][:, None] + cuts * (end[name] - start[name])[:, None]).ravel() for name in wrt}
        keep = np.asarray(same_side(measure(graph, columns, constants, domain_roots, wrt),
                                    np.repeat(np.arange(count), ways - 1))).reshape(count, ways - 1)
        # The first cut on the far side ends the new bracket; the one before it starts it.
        first_far = np.where(keep.all(axis=1), ways - 1, np.argmin(keep, axis=1))
        rows = np.arange(count)
        padded = np.concatenate([low[:, None], cuts, high[:, None]], axis=1)
        low, high = padded[rows, first_far], padded[rows, first_far + 1]
    return low


def _pairs(first: np.ndarray, second: np.ndarray, points: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to `limit` pairs (i from first, j from second) of nearest points, nearest first."""
    if not len(first) or not len(second):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    a, b = points[first], points[second]
    scale = 1.0 + np.abs(points).max(axis=0)
    distance = np.linalg.norm((a[:, None, :] - b[None, :, :]) / scale, axis=2)
    nearest = distance.argmin(axis=1)
    order = np.argsort(distance[np.arange(len(first)), nearest])[:limit]
    return first[order], second[nearest[order]]


def sample_domain(graph: Graph, wrt: list[str], constants: Mapping[str, Any], samples: int = DEFAULT_SAMPLES,
                  seed: int = 0, output: int | None = None) -> Sample:
    """Points inside the domain of `graph`'s outputs (or of output `output`), seeded.

    Random candidates and special values first; then up to `samples` more drawn near the
    points found inside, when fewer than half of the candidates were; then points just
    inside each edge found and on both sides of each kink found.
    """
    rng = np.random.default_rng(seed)
    roots = graph.outputs if output is None else [graph.outputs[output]]
    columns, origin = _candidates(wrt, samples, rng)
    measured = measure(graph, columns, constants, roots, wrt)
    inside = measured.inside
    if inside.sum() < max(len(inside) // 2, 1) and inside.any():
        # A small domain (asin(x), log(1 - x**2)): look again around the points found inside.
        centres = np.flatnonzero(inside)
        picks = rng.choice(centres, samples)
        extra = {}
        for name in wrt:
            found = columns[name][centres]
            spread = max(float(found.max() - found.min()), 1e-3 * (1.0 + float(np.abs(found).max())))
            extra[name] = columns[name][picks] + rng.normal(0.0, spread / 4, samples)
        more = measure(graph, extra, constants, roots, wrt)
        columns = {name: np.concatenate([columns[name], extra[name]]) for name in wrt}
        origin += ["random"] * samples
        inside = np.concatenate([inside, more.inside])
        measured = Measured(inside, np.concatenate([measured.on_kink, more.on_kink]),
                            _stack_rows(measured.signature, more.signature),
                            np.concatenate([measured.magnitude, more.magnitude]))
    points = np.column_stack([columns[name] for name in wrt]) if wrt else np.zeros((len(origin), 0))
    chosen = {name: [columns[name][inside]] for name in wrt}
    chosen_origin = [o for o, keep in zip(origin, inside) if keep]
    if wrt:
        for name, values, label in _edges(graph, constants, roots, wrt, points, inside):
            chosen[name].append(values)
            if name == wrt[0]:
                chosen_origin += [label] * len(values)
        for name, values, label in _kinks(graph, constants, roots, wrt, points, inside, measured.signature):
            chosen[name].append(values)
            if name == wrt[0]:
                chosen_origin += [label] * len(values)
    result = {name: np.concatenate(parts) for name, parts in chosen.items()}
    if wrt:  # the edge and kink points found must themselves be inside
        keep = measure(graph, result, constants, roots, wrt).inside
        result = {name: column[keep] for name, column in result.items()}
        chosen_origin = [o for o, k in zip(chosen_origin, keep) if k]
        # Bisections of nearby segments find the same edge: keep each point once, first finding first.
        rows = np.column_stack([result[name] for name in wrt])
        _, first = np.unique(rows, axis=0, return_index=True)
        first.sort()
        result = {name: column[first] for name, column in result.items()}
        chosen_origin = [chosen_origin[i] for i in first]
    return Sample(result, chosen_origin)


def _stack_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    width = max(a.shape[1], b.shape[1])
    pad = lambda m: np.pad(m, ((0, 0), (0, width - m.shape[1])), constant_values=np.nan)  # noqa: E731
    return np.vstack([pad(a), pad(b)])


def _edges(graph: Graph, constants: Mapping[str, Any], roots: list[int], wrt: list[str], points: np.ndarray,
           inside: np.ndarray):
    first, second = _pairs(np.flatnonzero(inside), np.flatnonzero(~inside), points, MAX_EDGE_SEGMENTS)
    if not len(first):
        return
    start = {name: points[first, k] for k, name in enumerate(wrt)}
    end = {name: points[second, k] for k, name in enumerate(wrt)}
    t = _bisect(graph, constants, roots, wrt, start, end, lambda m, segment: m.inside)
    for k, name in enumerate(wrt):
        direction = end[name] - start[name]
        # Just inside the edge: the bisection's last inside point, then a little further in.
        offsets = [t] + [np.maximum(t - d, 0.0) for d in _EDGE_OFFSETS]
        yield name, np.concatenate([start[name] + s * direction for s in offsets]), "edge"


def kink_points(graph: Graph, constants: Mapping[str, Any], roots: list[int], wrt: list[str],
                columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Points on and on both sides of the kinks and branch boundaries of `roots` that lie
    between the given points (found by bisection on the branch signature)."""
    if not wrt or not columns:
        return {name: np.zeros(0) for name in wrt}
    measured = measure(graph, columns, constants, roots, wrt)
    points = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in wrt])
    found = {name: [np.zeros(0)] for name in wrt}
    for name, values, _ in _kinks(graph, constants, roots, wrt, points, measured.inside, measured.signature):
        found[name].append(values)
    return {name: np.concatenate(parts) for name, parts in found.items()}


def _kinks(graph: Graph, constants: Mapping[str, Any], roots: list[int], wrt: list[str], points: np.ndarray,
           inside: np.ndarray, signature: np.ndarray):
    if signature.size == 0:
        return
    indices = np.flatnonzero(inside)
    keys = [tuple(np.nan_to_num(row, nan=9.0)) for row in signature[indices]]
    groups: dict[tuple, list[int]] = {}
    for index, key in zip(indices, keys):
        groups.setdefault(key, []).append(index)
    if len(groups) < 2:
        return
    firsts, seconds = [], []
    members = list(groups.values())
    for a in range(len(members)):
        for b in range(a + 1, len(members)):
            i, j = _pairs(np.array(members[a]), np.array(members[b]), points, 2)
            firsts.extend(i.tolist())
            seconds.extend(j.tolist())
    firsts, seconds = firsts[:MAX_KINK_SEGMENTS], seconds[:MAX_KINK_SEGMENTS]
    if not firsts:
        return
    first, second = np.array(firsts), np.array(seconds)
    start = {name: points[first, k] for k, name in enumerate(wrt)}
    end = {name: points[second, k] for k, name in enumerate(wrt)}
    reference = np.nan_to_num(signature[first], nan=9.0)

    def same_branch(m: Measured, segment: np.ndarray) -> np.ndarray:
        row = np.nan_to_num(m.signature, nan=9.0)
        if row.shape[1] != reference.shape[1]:
            return np.zeros(len(segment), dtype=bool)
        return m.inside & (row == reference[segment]).all(axis=1)

    t = _bisect(graph, constants, roots, wrt, start, end, same_branch)
    for k, name in enumerate(wrt):
        direction = end[name] - start[name]
        parts = [start[name] + t * direction]  # on the kink, or the last point before it
        for d in _KINK_OFFSETS:  # on both sides, a relative distance d of the segment away
            for side in (-1.0, 1.0):
                parts.append(start[name] + np.clip(t + side * d, 0.0, 1.0) * direction)
        yield name, np.concatenate(parts), "kink"
