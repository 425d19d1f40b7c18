"""Points where calculus breaks: kinks, branch boundaries, infinite or undefined derivatives.

AD returns *a* number at a kink (abs at 0 gives 0, a subgradient); a user checking a
derivative by hand needs to know that the function is not differentiable there, and
what its one-sided derivatives are. One-sided derivatives are measured by
Richardson-extrapolated one-sided differences, which are exact on linear pieces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from diffcli.ad.evaluate import describe_node, evaluate, is_finite
from diffcli.ad.flat import as_value, flat_inputs, input_labels
from diffcli.ad.graph import Graph
from diffcli.checks.numeric import gradient_function, output_function, scalar_function
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES
from diffcli.ad.ops import format_number as _fmt

MAX_ONE_SIDED_ENTRIES = 50


@dataclass
class Kink:
    """A node sitting exactly on a point where its op is not differentiable.

    `left`/`right` are the one-sided derivatives of order `order` that differ there, keyed
    by variable for the first derivative (d/dx) and by entry pair for the second (∂²f/∂x∂y).
    """

    node: int
    where: str
    left: dict[str, Any] = field(default_factory=dict)
    right: dict[str, Any] = field(default_factory=dict)
    order: int = 1

    def message(self) -> str:
        parts = []
        for name in self.left:
            left, right = np.asarray(self.left[name], dtype=float), np.asarray(self.right[name], dtype=float)
            for index in np.ndindex(left.shape):  # a tensor variable: each entry whose sides differ
                if not np.isclose(left[index], right[index], rtol=1e-6, atol=1e-9):
                    key = f"{name}[{', '.join(map(str, index))}]" if index else name
                    parts.append(f"{self._label(key)}: left {_fmt(left[index])}, right {_fmt(right[index])}")
        sides = "; ".join(parts)
        prefix = {1: "not differentiable here", 2: "not twice differentiable here"}.get(
            self.order, f"not {self.order} times differentiable here")
        return f"{prefix}: {self.where}" + (f" ({sides})" if sides else "")

    def _label(self, key: str) -> str:
        if self.order == 1:
            return f"d/d{key}"
        if self.order == 2:
            return f"∂²f/∂{key}"
        return f"d{_superscript(self.order)}f/d{key}{_superscript(self.order)}"


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _one_sided(f: Any, x: float, direction: float) -> Any:
    """lim_{h→0+} (f(x + direction·h) − f(x)) / (direction·h), by Richardson on h, h/2, h/4
    (f may return a number or an array: each entry's one-sided slope)."""
    f0 = f(x)
    h = 1e-3 * max(1.0, abs(x))
    d = [(f(x + direction * s) - f0) / (direction * s) for s in (h, h / 2, h / 4)]
    r1, r2 = 2 * d[1] - d[0], 2 * d[2] - d[1]
    return (4 * r2 - r1) / 3


def _differ(left: Any, right: Any) -> bool:
    """Whether one-sided slopes differ beyond the error of their extrapolation."""
    lo, hi = np.asarray(left, dtype=np.float64), np.asarray(right, dtype=np.float64)
    with np.errstate(all="ignore"):
        scale = np.where(np.isfinite(lo) & np.isfinite(hi), 1.0 + np.maximum(np.abs(lo), np.abs(hi)), 1.0)
        return bool(np.any(~(np.abs(hi - lo) <= 1e-6 * scale)))


def kink_suspects(graph: Graph, point: dict[str, Any], values: list[Any], wrt: list[str],
                  roots: list[int]) -> list[tuple[int, str]]:
    """Nodes on a path from `wrt` to one of `roots` that sit on a kink or a branch boundary,
    given the values at the point: one pass over the graph, whatever the outputs."""
    sources = [graph.variables[name] for name in wrt if name in graph.variables]
    # A program's decisions (if, while) shape the path: their comparisons are branch boundaries too.
    decisions = [d.node for d in graph.decisions]
    if any(values[d] is None for d in decisions):
        values = evaluate(graph, point, upto=[*roots, *decisions])
    up = graph.ancestors([*roots, *decisions])
    down = graph.descendants(sources, blocked=frozenset({"detach"}))
    suspects = []
    for node in range(len(graph)):
        primitive = PRIMITIVES.get(graph.ops[node])
        if not (up[node] and down[node]) or primitive is None or primitive.kink is None:
            continue
        args = [values[j] for j in graph.inputs[node]]
        with np.errstate(all="ignore"):
            on_kink = np.asarray(primitive.kink(*args))
        if on_kink.any():
            entry = tuple(np.argwhere(on_kink)[0]) if on_kink.ndim else ()
            at = [np.broadcast_to(np.asarray(a), on_kink.shape)[entry] if on_kink.ndim else a for a in args]
            shown = ", ".join(_fmt(a) for a in at) + (f"; entry {', '.join(map(str, entry))}" if entry else "")
            kind = "a branch boundary" if "comparison" in primitive.tags else "a kink"
            suspects.append((node, f"{describe_node(graph, node)} is at {kind} ({graph.ops[node]}({shown}))"))
    return suspects


def every_kink(graph: Graph, point: dict[str, Any], wrt: list[str], values: list[Any], order: int = 1) -> list[Kink]:
    """`find_kinks` for every output, from one pass over the graph when nothing is at a kink
    (the usual case: a list of 4,000 outputs costs one pass, not 4,000)."""
    suspects = kink_suspects(graph, point, values, wrt, graph.outputs)
    if not suspects:
        return []
    return [kink for k in range(len(graph.outputs)) for kink in find_kinks(graph, point, wrt, k, order, values)]


def find_kinks(graph: Graph, point: dict[str, Any], wrt: list[str], output: int = 0, order: int = 1,
               values: list[Any] | None = None) -> list[Kink]:
    """Kinks and branch boundaries the output passes through, where one-sided derivatives
    differ: first derivatives, then (with `order=2`, for a Hessian) second derivatives.
    `values` (every node's value at the point) saves an evaluation.

    >>> from diffcli.ad.parse import parse
    >>> find_kinks(parse("relu(x)**2"), {"x": 0.0}, ["x"], order=2)[0].message()
    'not twice differentiable here: relu at column 1 is at a kink (relu(0)) (∂²f/∂x²: left 0, right 2)'
    """
    root = graph.outputs[output]
    if values is None:
        values = evaluate(graph, point, upto=[root])
    suspects = kink_suspects(graph, point, values, wrt, [root])
    if not suspects:
        return []
    entries = sum(int(np.size(point[name])) for name in wrt)
    if entries > MAX_ONE_SIDED_ENTRIES:
        return [Kink(node, where) for node, where in suspects]
    z0 = flat_inputs(point, wrt)
    if np.ndim(values[root]) != 0:
        # A tensor output: one-sided slopes of all its entries at once; the kink is named.
        function = output_function(graph, point, wrt, [root])
        if any(_differ(*_sides_along(function, z0, j)) for j in range(z0.size)):
            return [Kink(node, where) for node, where in suspects]
        return []
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        for name in wrt:
            x = np.asarray(point[name], dtype=np.float64)
            lo, hi = np.zeros(x.shape), np.zeros(x.shape)
            for index in np.ndindex(x.shape):
                f = scalar_function(graph, point, name, index, output)
                hi[index] = _one_sided(f, float(x[index]), 1.0)
                lo[index] = _one_sided(f, float(x[index]), -1.0)
            left[name], right[name] = as_value(lo), as_value(hi)
    if any(_differ(left[name], right[name]) for name in wrt):
        return _kinks(suspects, left, right, 1)
    if order < 2:
        return []
    # Second derivatives: one-sided slopes of the reverse-mode gradient, column by column.
    gradient = gradient_function(graph, point, wrt)
    labels = input_labels(point, wrt)
    left, right = {}, {}
    for j in range(z0.size):
        lo, hi = _sides_along(gradient, z0, j)
        for i in range(z0.size):
            key = f"{labels[i]}²" if i == j else f"{labels[i]}∂{labels[j]}"
            left[key], right[key] = lo[i], hi[i]
    if any(_differ(left[key], right[key]) for key in left):
        return _kinks(suspects, left, right, 2)
    return []


def _sides_along(function: Any, z0: np.ndarray, j: int) -> tuple[Any, Any]:
    """Left and right slopes of a vector function of a flat vector, along entry j."""
    def along(t: float) -> np.ndarray:
        z = z0.copy()
        z[j] = t
        return np.asarray(function(z), dtype=np.float64)

    with np.errstate(all="ignore"):
        return _one_sided(along, float(z0[j]), -1.0), _one_sided(along, float(z0[j]), 1.0)


def kinks_along(graph: Graph, point: dict[str, Any], variable: str, root: int,
                derivatives: list[Any]) -> list[Kink]:
    """For a Taylor series: derivatives[k] is t ↦ f⁽ᵏ⁾ at `variable` = t; the first order whose
    one-sided values differ is reported (Kink.order = that order)."""
    suspects = kink_suspects(graph, point, evaluate(graph, point, upto=[root]), [variable], [root])
    if not suspects:
        return []
    x = float(point[variable])
    with np.errstate(all="ignore"):
        for k, f in enumerate(derivatives):
            lo, hi = _one_sided(f, x, -1.0), _one_sided(f, x, 1.0)
            if _differ(lo, hi):
                key = f"{variable}²" if k + 1 == 2 else variable  # ∂²f/∂x², as for a Hessian
                return _kinks(suspects, {key: lo}, {key: hi}, k + 1)
    return []


def _kinks(suspects: list[tuple[int, str]], left: dict[str, Any], right: dict[str, Any], order: int) -> list[Kink]:
    """The first suspect carries the one-sided derivatives; the others are named."""
    return [Kink(node, where, left, right, order) for node, where in suspects[:1]] + [
        Kink(node, where, order=order) for node, where in suspects[1:]]


def singular_partials(graph: Graph, values: list[Any], nodes: Iterable[int], reaches: Callable[[int], bool],
                      flowing: Callable[[int], Any] | None = None) -> Iterator[tuple[int, int, str, tuple]]:
    """(node, k, "infinite"|"undefined", entry) for each op among `nodes` whose partial derivative
    with respect to its k-th argument is not finite at the point, for arguments that `reaches`
    (the derivative flows through them) and, if `flowing(node)` gives a mask of the node's
    entries, at an entry the derivative flows through (where a tensor `where` sends a zero
    adjoint, the branch not taken, log'(0) = inf is no trouble). `entry` is the first such."""
    with np.errstate(all="ignore"):
        for node in nodes:
            primitive = PRIMITIVES.get(graph.ops[node])
            if primitive is None or primitive.partials is None:
                continue
            args = [values[j] for j in graph.inputs[node]]
            if not all(is_finite(a) for a in args):
                continue
            for k, parent in enumerate(graph.inputs[node]):
                rule = primitive.partials[k]
                if rule is None or not reaches(parent):
                    continue
                partial = rule(values[node], *args)
                if partial is ONE or partial is MINUS_ONE or is_finite(partial):
                    continue
                partial = np.asarray(partial, dtype=float)
                mask = np.asarray(True if flowing is None else flowing(node))
                shape = np.broadcast_shapes(partial.shape, mask.shape)
                bad = ~np.isfinite(np.broadcast_to(partial, shape)) & np.broadcast_to(mask, shape)
                if not bad.any():
                    continue
                entry = tuple(np.argwhere(bad)[0]) if shape else ()
                yield node, k, "infinite" if np.isinf(np.broadcast_to(partial, shape)[entry]) else "undefined", entry


class DerivativeTrouble:
    """Ops on the derivative's path whose own partial derivative is infinite or undefined, at
    an entry the output's derivative flows through: `observe` is shown each node's adjoint
    during the reverse sweep (`reverse.vjp_sweep(observe=...)`), `messages` says what it found.

    Only nodes where that could be are looked at (`_may_be_singular`), so on the usual
    graph of scalars this costs a type and finiteness test per node, a small fraction of
    the reverse sweep even with thousands of variables.
    """

    def __init__(self, graph: Graph, values: list[Any], wrt: list[str]):
        self.graph, self.values = graph, values
        sources = [graph.variables[name] for name in wrt if name in graph.variables]
        self.relevant = graph.descendants(sources, blocked=frozenset({"detach"}))
        self.messages: list[str] = []

    def observe(self, node: int, adjoint: Any, adjoints: list[Any]) -> None:
        """Called once `node` has passed its adjoint on: `adjoints` holds its parents' so far."""
        graph, values = self.graph, self.values
        if not _may_be_singular(graph, values, adjoints, node):
            return
        flowing = np.asarray(adjoint) != 0
        if not flowing.any():
            return
        for _, k, kind, entry in singular_partials(graph, values, [node], lambda parent: self.relevant[parent],
                                                   lambda _: flowing):
            args = [values[j] for j in graph.inputs[node]]
            shape = np.shape(values[node])
            shown = ", ".join(_fmt(np.broadcast_to(np.asarray(a), shape)[entry] if entry else a) for a in args)
            which = f" with respect to argument {k + 1}" if len(args) > 1 else ""
            at = f" (entry {', '.join(map(str, entry))})" if entry else ""
            self.messages.append(f"the derivative of {describe_node(graph, node)}{which} is {kind} "
                                 f"at {graph.ops[node]}({shown}){at}")


def _may_be_singular(graph: Graph, values: list[Any], adjoints: list[Any], node: int) -> bool:
    """Whether a nonzero cotangent flows through `node` and a partial there could be singular.

    A scalar node with scalar arguments needs no look at its partials when its parents'
    adjoints are finite: an infinite or undefined partial times a nonzero cotangent would
    have made them infinite or NaN.
    """
    g = adjoints[node]
    if g is None:
        return False
    if type(g) is not np.float64:
        return bool(np.any(np.asarray(g) != 0))
    if g == 0:
        return False
    parents = graph.inputs[node]
    return not (all(type(values[j]) is np.float64 for j in parents)
                and all(adjoints[j] is None or (type(adjoints[j]) is np.float64 and math.isfinite(adjoints[j]))
                        for j in parents))
