"""Forward-mode AD: push tangents from the inputs to the outputs (dual numbers, JVP).

One sweep in node order computes, beside each value vᵢ, its tangent v̇ᵢ = ∂vᵢ/∂x · ẋ
along a chosen direction ẋ. The rule for each op comes from the op table (`ops`); a tangent of
`None` is a structural zero, so nodes that do not depend on the direction cost nothing.
The sweep works on numbers and, unchanged, on graph references (`tape.Ref`).

A gradient or Jacobian needs one direction per input entry. Sweeping once per entry
costs n passes over a graph that often grows with n itself (n = 2,000 scalar variables:
half a minute), so `jacobian_forward` pushes a *block* of k directions per sweep: every
tangent gets a leading axis of length k. An elementwise op's partial derivative has the
value's shape and broadcasts over that axis, so one NumPy call serves all k directions;
a structural op's rule (sum, @, indexing, …) is written for one direction, so it is
called once per direction of the block — still without a sweep per direction.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import zeros_like
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES, broadcast_like, chain, jvp_rule, shape_of
from diffcli.ad.ops.dispatch import add

# Entries of one block tangent (k directions × the node's size): 8 MB each.
BLOCK_ENTRIES = 1 << 20


def jvp_sweep(graph: Graph, values: list[Any], seeds: Mapping[int, Any],
              needed: list[bool] | None = None, *, block: int | None = None,
              keep: list[int] | None = None) -> list[Any]:
    """Tangents of every node, given tangents `seeds` of some nodes (usually variables).

    `block=k`: every tangent (seeds included) carries a leading axis of k directions.
    `keep`: only these nodes' tangents are returned; the others are dropped after their
    last use, so memory stays bounded by the tangents alive at once.
    """
    tangents: list[Any] = [None] * len(graph)
    ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
    last_use = _last_uses(graph, needed, keep) if keep is not None else None
    for node in range(len(ops)):
        if needed is not None and not needed[node]:
            continue
        op = ops[node]
        if op == "var" or op == "const":
            tangents[node] = seeds.get(node)
            continue
        parents = inputs[node]
        incoming = [tangents[j] for j in parents]
        if last_use is not None:
            for j in parents:
                if last_use[j] == node:
                    tangents[j] = None
        if all(t is None for t in incoming):
            continue
        primitive = PRIMITIVES[op]
        if not primitive.differentiable:
            continue
        args = [values[j] for j in parents]
        ans = values[node]
        total = None
        if primitive.tangent is not None:
            # The row's own JVP: exact also where a partial alone would under- or overflow.
            total = primitive.tangent(incoming if block is None else
                                      [None if t is None else _lift(t, ans) for t in incoming], ans, *args)
            if total is not None:
                total = broadcast_like(total, ans) if block is None else _fit(total, ans, block)
        elif primitive.partials is not None:
            for k, t in enumerate(incoming):
                if t is None:
                    continue
                partial = primitive.partials[k](ans, *args)
                if partial is None:
                    continue
                term = chain(t if block is None else _lift(t, ans), partial)
                total = term if total is None else add(total, term)
            if total is not None:
                total = broadcast_like(total, ans) if block is None else _fit(total, ans, block)
        else:
            extra = dict(attrs[node])
            for k, t in enumerate(incoming):
                rule = jvp_rule(primitive, k) if t is not None else None
                if rule is None:
                    continue
                term = rule(t, ans, *args, **extra) if block is None else _per_direction(rule, t, ans, args, extra)
                if term is not None:
                    total = term if total is None else add(total, term)
        tangents[node] = total
    return tangents


def _last_uses(graph: Graph, needed: list[bool] | None, keep: list[int]) -> list[int]:
    """For each node, the last node reading it (len(graph) for a kept node: never dropped)."""
    last = [-1] * len(graph)
    for node in range(len(graph)):
        if needed is None or needed[node]:
            for j in graph.inputs[node]:
                last[j] = node
    for node in keep:
        last[node] = len(graph)
    return last


def _lift(t: np.ndarray, ans: Any) -> np.ndarray:
    """A block tangent (k, *argument shape) with unit axes inserted, so that it broadcasts
    against values of the result's shape the way the argument did."""
    missing = len(shape_of(ans)) - (t.ndim - 1)
    return t.reshape(t.shape[:1] + (1,) * missing + t.shape[1:]) if missing > 0 else t


def _fit(t: Any, ans: Any, block: int) -> np.ndarray:
    """A block tangent of exactly the shape (k, *shape of ans)."""
    target = (block, *shape_of(ans))
    t = np.asarray(t, dtype=np.float64)
    return t if t.shape == target else np.array(np.broadcast_to(t, target))


def _per_direction(rule: Any, t: np.ndarray, ans: Any, args: list[Any], extra: dict[str, Any]) -> np.ndarray | None:
    """A one-direction rule applied to each direction of a block tangent."""
    terms = [rule(t[i], ans, *args, **extra) for i in range(t.shape[0])]
    if all(term is None for term in terms):
        return None
    shape = shape_of(ans)
    return np.stack([np.zeros(shape) if term is None else np.broadcast_to(term, shape) for term in terms])


class _BlockSeeds:
    """Seeds of one block of directions, each a unit vector along one input entry; built
    only when the sweep reaches the variable (and dropped after its last use)."""

    def __init__(self, graph: Graph, point: Point, entries: list[tuple[str, int]]):
        self.graph, self.point = graph, point
        self.rows: dict[int, tuple[str, list[int], list[int]]] = {}
        for row, (name, index) in enumerate(entries):
            node = graph.variables.get(name)
            if node is not None:
                self.rows.setdefault(node, (name, [], []))[1].append(row)
                self.rows[node][2].append(index)
        self.size = len(entries)

    def get(self, node: int) -> np.ndarray | None:
        if node not in self.rows:
            return None
        name, rows, indices = self.rows[node]
        shape = np.shape(self.point[name])
        seed = np.zeros((self.size, int(np.prod(shape))))
        seed[rows, indices] = 1.0
        return seed.reshape((self.size, *shape))


def jacobian_forward(graph: Graph, point: Point, wrt: list[str], outputs: list[int] | None = None,
                     values: list[Any] | None = None) -> np.ndarray:
    """The Jacobian by forward mode: rows are output entries, columns input entries.

    Directions go through the graph in blocks (see the module docstring).

    >>> from diffcli.ad.parse import parse
    >>> jacobian_forward(parse("[x*y, x+y]"), {"x": 1.0, "y": 2.0}, ["x", "y"]).tolist()
    [[2.0, 1.0], [1.0, 1.0]]
    """
    outputs = graph.outputs if outputs is None else outputs
    values = evaluate(graph, point, upto=outputs) if values is None else values
    needed = graph.ancestors(outputs)
    sizes = [int(np.size(values[o])) for o in outputs]
    entries = [(name, k) for name in wrt for k in range(int(np.size(point[name])))]
    widest = max([int(np.size(values[n])) for n in range(len(graph)) if needed[n]], default=1)
    block = max(1, min(len(entries), BLOCK_ENTRIES // max(widest, 1)))
    jacobian = np.zeros((sum(sizes), len(entries)))
    offsets = np.cumsum([0, *sizes])
    with np.errstate(all="ignore"):
        for start in range(0, len(entries), block):
            chunk = entries[start:start + block]
            seeds = _BlockSeeds(graph, point, chunk)
            if not seeds.rows:
                continue
            tangents = jvp_sweep(graph, values, seeds, needed, block=len(chunk), keep=list(outputs))
            for o, begin, end in zip(outputs, offsets[:-1], offsets[1:]):
                if tangents[o] is not None:
                    flat = np.broadcast_to(tangents[o], (len(chunk), *np.shape(values[o]))).reshape(len(chunk), -1)
                    jacobian[begin:end, start:start + len(chunk)] = flat.T
    return jacobian


def jvp(graph: Graph, point: Point, direction: Mapping[str, Any],
        values: list[Any] | None = None) -> tuple[list[Any], list[Any]]:
    """Output values and J·v for the direction `direction` ({variable: tangent}).

    >>> from diffcli.ad.parse import parse
    >>> g = parse("[x*y, x+y]")
    >>> values, tangents = jvp(g, {"x": 1.0, "y": 2.0}, {"x": 1.0})
    >>> [float(t) for t in tangents]
    [2.0, 1.0]
    """
    values = evaluate(graph, point) if values is None else values
    seeds = {graph.variables[name]: np.asarray(t, dtype=np.float64)[()] if np.ndim(t) == 0 else np.asarray(t, dtype=np.float64)
             for name, t in direction.items() if name in graph.variables}
    needed = graph.ancestors(graph.outputs)
    with np.errstate(all="ignore"):
        tangents = jvp_sweep(graph, values, seeds, needed, keep=list(graph.outputs))
    outs = [values[o] for o in graph.outputs]
    return outs, [zeros_like(values[o]) if tangents[o] is None else tangents[o] for o in graph.outputs]


def gradient_forward(graph: Graph, point: Point, wrt: list[str], output: int = 0) -> tuple[Any, dict[str, Any]]:
    """∂f/∂x for each variable in `wrt` by forward mode (directions in blocks).

    >>> from diffcli.ad.parse import parse
    >>> value, grad = gradient_forward(parse("x*y + sin(x)"), {"x": 0.0, "y": 2.0}, ["x", "y"])
    >>> float(grad["x"]), float(grad["y"])
    (3.0, 0.0)
    """
    root = graph.outputs[output]
    values = evaluate(graph, point)
    row = jacobian_forward(graph, point, wrt, outputs=[root], values=values).sum(axis=0)
    result: dict[str, Any] = {}
    offset = 0
    for name in wrt:
        shape = np.shape(point[name])
        size = int(np.prod(shape)) if shape else 1
        entries = row[offset:offset + size]
        offset += size
        result[name] = entries[0] if not shape else entries.reshape(shape)
    return values[root], result
