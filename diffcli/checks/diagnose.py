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
from diffcli.ad.flat import as_value
from diffcli.ad.graph import Graph
from diffcli.checks.numeric import scalar_function
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES
from diffcli.ad.ops import format_number as _fmt

MAX_ONE_SIDED_ENTRIES = 50


@dataclass
class Kink:
    """A node sitting exactly on a point where its op is not differentiable."""

    node: int
    where: str
    left: dict[str, Any] = field(default_factory=dict)
    right: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        differing = [name for name in self.left
                     if not np.allclose(self.left[name], self.right[name], rtol=1e-6, atol=1e-9)]
        sides = "; ".join(
            f"d/d{name}: left {_fmt(self.left[name])}, right {_fmt(self.right[name])}"
            for name in differing
        )
        return f"not differentiable here: {self.where}" + (f" ({sides})" if sides else "")


def _one_sided(f: Any, x: float, direction: float) -> float:
    """lim_{h→0+} (f(x + direction·h) − f(x)) / (direction·h), by Richardson on h, h/2, h/4."""
    f0 = f(x)
    h = 1e-3 * max(1.0, abs(x))
    d = [(f(x + direction * s) - f0) / (direction * s) for s in (h, h / 2, h / 4)]
    r1, r2 = 2 * d[1] - d[0], 2 * d[2] - d[1]
    return (4 * r2 - r1) / 3


def _relevant(graph: Graph, root: int, wrt: list[str]) -> list[bool]:
    sources = [graph.variables[name] for name in wrt if name in graph.variables]
    # A program's decisions (if, while) shape the path: their comparisons are branch boundaries too.
    up = graph.ancestors([root, *(d.node for d in graph.decisions)])
    down = graph.descendants(sources, blocked=frozenset({"detach"}))
    return [a and b for a, b in zip(up, down)]


def find_kinks(graph: Graph, point: dict[str, Any], wrt: list[str], output: int = 0) -> list[Kink]:
    """Kinks and branch boundaries the output passes through, where one-sided slopes differ."""
    root = graph.outputs[output]
    values = evaluate(graph, point, upto=[root, *(d.node for d in graph.decisions)])
    relevant = _relevant(graph, root, wrt)
    suspects = []
    for node in range(len(graph)):
        primitive = PRIMITIVES.get(graph.ops[node])
        if not relevant[node] or primitive is None or primitive.kink is None:
            continue
        args = [values[j] for j in graph.inputs[node]]
        with np.errstate(all="ignore"):
            on_kink = np.asarray(primitive.kink(*args))
        if on_kink.any():
            shown = ", ".join(_fmt(a) for a in args)
            kind = "a branch boundary" if "comparison" in primitive.tags else "a kink"
            suspects.append((node, f"{describe_node(graph, node)} is at {kind} ({graph.ops[node]}({shown}))"))
    if not suspects:
        return []
    entries = sum(int(np.size(point[name])) for name in wrt)
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    differs = False
    if entries <= MAX_ONE_SIDED_ENTRIES:
        with np.errstate(all="ignore"):
            for name in wrt:
                x = np.asarray(point[name], dtype=np.float64)
                lo, hi = np.zeros(x.shape), np.zeros(x.shape)
                for index in np.ndindex(x.shape):
                    f = scalar_function(graph, point, name, index, output)
                    hi[index] = _one_sided(f, float(x[index]), 1.0)
                    lo[index] = _one_sided(f, float(x[index]), -1.0)
                    scale = 1.0 + max(abs(lo[index]), abs(hi[index])) if is_finite(lo[index]) and is_finite(hi[index]) else 1.0
                    if not (abs(hi[index] - lo[index]) <= 1e-6 * scale):
                        differs = True
                left[name], right[name] = as_value(lo), as_value(hi)
    else:
        differs = True
    if not differs:
        return []
    return [Kink(node, where, left, right) for node, where in suspects[:1]] + [
        Kink(node, where) for node, where in suspects[1:]]


def singular_partials(graph: Graph, values: list[Any], nodes: Iterable[int],
                      reaches: Callable[[int], bool]) -> Iterator[tuple[int, int, str]]:
    """(node, k, "infinite"|"undefined") for each op among `nodes` whose partial derivative
    with respect to its k-th argument is not finite at the point, for arguments that
    `reaches` (the derivative flows through them)."""
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
                yield node, k, "infinite" if np.isinf(np.asarray(partial, dtype=float)).any() else "undefined"


def derivative_trouble(graph: Graph, values: list[Any], adjoints: list[Any], root: int) -> list[str]:
    """Ops on the derivative's path whose own partial derivative is infinite or undefined.

    Only nodes where that could be are looked at (`_may_be_singular`), so on the usual
    graph of scalars this costs a type and finiteness test per node, a small fraction of
    the reverse sweep even with thousands of variables.
    """
    flowing = [node for node in range(root, -1, -1) if _may_be_singular(graph, values, adjoints, node)]
    messages = []
    for node, k, kind in singular_partials(graph, values, flowing, lambda parent: adjoints[parent] is not None):
        args = [values[j] for j in graph.inputs[node]]
        which = f" with respect to argument {k + 1}" if len(args) > 1 else ""
        messages.append(f"the derivative of {describe_node(graph, node)}{which} is {kind} "
                        f"at {graph.ops[node]}({', '.join(_fmt(a) for a in args)})")
    return messages


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
