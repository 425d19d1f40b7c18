"""Evaluate a pointwise graph at many points, chunk by chunk, reusing a few buffers.

`batch` evaluates f and ∇f at up to millions of points. Calling `evaluate` on each
chunk would allocate a fresh array for every node of every chunk; on this kind of
workload the allocator and the page faults behind it cost as much as the arithmetic.
So the graph is planned once, as a compiler would:

* nodes that do not depend on the points (constants, `--let` values and what is made
  of them) are computed once, before the first chunk;
* every other node writes its result into a buffer (`out=`) that is handed on to a
  later node as soon as the last node reading it has run — register allocation over
  the topological order — so a chunk touches only a handful of buffers, all in cache;
* an output node writes straight into its slice of the output column.

Only ops whose implementation can write into a given array take part (NumPy ufuncs and
the ops tagged "out" in the op table); any other op allocates its result as `evaluate` would.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.ad.graph import Graph
from diffcli.ad.lost import Watch
from diffcli.ad.ops import PRIMITIVES, reuse_product

CHUNK = 131_072  # 1 MB per buffer: measured best in bench/batch_gradient.py (32k: +2 %)

Progress = Callable[[int, int], None]


class _Step(NamedTuple):
    """Compute `node` from `inputs`; write into target `target` (None: the op allocates)."""

    node: int
    impl: Callable[..., Any]
    inputs: tuple[int, ...]
    attrs: dict[str, Any]
    target: int | None


def point_dependence(graph: Graph, roots: list[int], columns: list[str],
                     constants: Mapping[str, Any]) -> tuple[list[bool], list[bool], list[Any]]:
    """Which nodes `roots` need, which of those vary with the point, and the values of the others.

    Point-independent nodes (constants, `--let` values and what is made of them) are
    computed here, once; the lists are indexed by node.
    """
    needed = graph.ancestors(roots)
    column_nodes = {graph.variables[name] for name in columns if name in graph.variables}
    varies = [False] * len(graph)
    for node in range(len(graph)):
        varies[node] = node in column_nodes or any(varies[j] for j in graph.inputs[node])
    fixed = [node for node in range(len(graph)) if needed[node] and not varies[node]]
    values = evaluate(graph, constants, upto=fixed) if fixed else [None] * len(graph)
    return needed, varies, values


class ChunkedProgram:
    """The plan for evaluating `roots` of a pointwise graph over columns of points.

    `columns` names the variables that hold one value per point; every other variable
    must be in `constants`.

    >>> from diffcli.ad.parse import parse
    >>> g = parse("x*y + 2**a")
    >>> program = ChunkedProgram(g, g.outputs, ["x", "y"], {"a": 3.0})
    >>> program.run({"x": np.arange(5.0), "y": np.full(5, 2.0)}, chunk=2)[0].tolist()
    [8.0, 10.0, 12.0, 14.0, 16.0]
    """

    def __init__(self, graph: Graph, roots: list[int], columns: list[str], constants: Mapping[str, Any]):
        self.graph = graph
        self.roots = list(roots)
        needed, varies, self._fixed = point_dependence(graph, self.roots, columns, constants)
        self._columns = {graph.variables[name]: name for name in columns if name in graph.variables}
        self._output_of = {}  # first output slot each root node fills
        for index, root in enumerate(self.roots):
            self._output_of.setdefault(root, index)
        self.steps: list[_Step] = []
        self.buffers = 0
        self._in_place: set[int] = set()  # outputs their own node's step writes
        self._plan([node for node in range(len(graph)) if needed[node] and varies[node]
                    and graph.ops[node] != "var"])

    def _plan(self, nodes: list[int]) -> None:
        graph = self.graph
        position = {node: index for index, node in enumerate(nodes)}
        # (impl, inputs, writes into a buffer?) per node.
        work = [self._work(node, position) for node in nodes]
        # The step after which each node's value is no longer needed: its last reader, or
        # the end for an output. An op that allocates may hand back one of its inputs as it
        # is (x**1, a product reused), so its inputs must live as long as it does.
        alive_until: dict[int, int] = {}
        for index in range(len(nodes) - 1, -1, -1):
            node = nodes[index]
            until = len(nodes) if node in self._output_of else alive_until.get(node, index)
            alive_until[node] = until
            _, inputs, writes = work[index]
            for parent in inputs:
                if parent in position:
                    alive_until[parent] = max(alive_until.get(parent, -1), index if writes else until)
        released_after: dict[int, list[int]] = {}
        for node, until in alive_until.items():
            released_after.setdefault(until, []).append(node)
        free: list[int] = []
        holder: dict[int, int] = {}  # node -> the buffer holding its value
        for index, node in enumerate(nodes):
            impl, inputs, writes = work[index]
            target: int | None = None
            if writes:
                if node in self._output_of:
                    target = -1 - self._output_of[node]  # straight into the output column
                    self._in_place.add(self._output_of[node])
                else:
                    target = free.pop() if free else self._new_buffer()
                    holder[node] = target
            self.steps.append(_Step(node, impl, inputs, graph.attr_dict(node), target))
            # Only now hand on what is no longer needed, so that no op writes over an
            # input it is still reading.
            for done in released_after.get(index, ()):
                if done in holder:
                    free.append(holder.pop(done))

    def _work(self, node: int, position: dict[int, int]) -> tuple[Callable[..., Any], tuple[int, ...], bool]:
        """How to compute `node`: (function, input nodes, whether it writes into a buffer)."""
        graph = self.graph
        op, inputs = graph.ops[node], graph.inputs[node]
        if op == "smul":
            # The chain rule's product a·b often repeats a product the formula itself
            # computes (the adjoint of exp(u) in sin(x)*exp(u) is sin(x)·exp(u)); where that
            # plain product is finite it is the answer, so only a scan is left to do.
            for order in (inputs, inputs[::-1]):
                product = graph.find("mul", order)
                if product is not None and position.get(product, len(position)) < position[node]:
                    return reuse_product, (product, *inputs), False
        primitive = PRIMITIVES[op]
        return primitive.impl, inputs, "out" in primitive.tags

    @staticmethod
    def _steps(steps: list[_Step], values: list[Any], targets: list[np.ndarray]) -> None:
        for node, impl, inputs, attrs, target in steps:
            args = [values[j] for j in inputs]
            if target is not None:
                values[node] = impl(*args, out=targets[target], **attrs)
            elif attrs:
                values[node] = impl(*args, **attrs)
            else:
                values[node] = impl(*args)

    def _new_buffer(self) -> int:
        self.buffers += 1
        return self.buffers - 1

    def run(self, points: Mapping[str, np.ndarray], *, chunk: int = CHUNK,
            progress: Progress | None = None, watch: Watch | None = None,
            watched_from: int = 0) -> list[np.ndarray]:
        """One column of values per root, evaluated `chunk` points at a time.

        With a `watch` (`ad.lost.Watch`), the nodes from `watched_from` on (a gradient's own,
        after the function's) run with under- and overflow reported to it, and each chunk in
        which that happened is added to `watch.regions` as (begin, end) — free when none does.
        """
        rows = int(next(iter(points.values())).shape[0]) if points else 1
        outputs = [np.empty(rows) for _ in self.roots]
        buffers = [np.empty(min(chunk, rows)) for _ in range(self.buffers)]
        split = len(self.steps) if watch is None else next(
            (index for index, step in enumerate(self.steps) if step.node >= watched_from), len(self.steps))
        with np.errstate(all="ignore"):
            for begin in range(0, rows, chunk):
                end = min(begin + chunk, rows)
                values = list(self._fixed)
                for node, name in self._columns.items():
                    values[node] = points[name][begin:end]
                size = end - begin
                # targets[k] for buffer k, targets[-1 - i] for output i.
                targets = [b[:size] for b in buffers] + [out[begin:end] for out in reversed(outputs)]
                self._steps(self.steps[:split], values, targets)
                if watch is not None:
                    before = watch.events
                    with watch.errstate():
                        self._steps(self.steps[split:], values, targets)
                    if watch.events != before:
                        watch.regions.append((begin, end))
                for index, root in enumerate(self.roots):
                    if index not in self._in_place:
                        outputs[index][begin:end] = values[root]
                if progress is not None:
                    progress(end, rows)
        return outputs

