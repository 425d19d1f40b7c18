"""Reverse-mode AD: pull adjoints from the output back to the inputs (adjoint sweep, VJP).

One forward evaluation, then one sweep in reverse node order accumulating
v̄ᵢ = Σⱼ v̄ⱼ · ∂vⱼ/∂vᵢ. Its cost is a small constant times the function's, whatever the
number of inputs. The rules come from the op table (`ops`), as in forward mode; run on graph
references, the sweep builds the gradient *as a graph* (`gradient_graph`), which is
what later transforms differentiate again.
"""

from __future__ import annotations

from typing import Any, Callable, Collection, Mapping, Sequence

import numpy as np

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import as_value, ones_like, zeros_like
from diffcli.ad.graph import Graph
from diffcli.ad.lost import Watch
from diffcli.ad.ops import PRIMITIVES, chain, unbroadcast, vjp_rule
from diffcli.ad.tape import Tape


def vjp_sweep(graph: Graph, values: list[Any], seeds: Mapping[int, Any], wrt: list[int], *,
              relevant: list[bool] | None = None, visit: Sequence[int] | None = None,
              keep: Collection[int] | None = None, observe: Callable[[int, Any, list[Any]], None] | None = None) -> list[Any]:
    """Adjoints of every node that lies between `wrt` and the seeded nodes.

    `relevant` (the nodes that depend on `wrt`) and `visit` (the seeds' ancestors, in
    decreasing order) may be given: a Jacobian sweeps once per output, and each sweep
    then costs what its output's own subgraph costs, not the whole graph's. With `keep`,
    only those nodes' adjoints are kept: each other one is dropped once passed on, so a
    formula of big tensors holds a few adjoints at a time, not one per node; `observe(node,
    adjoint, adjoints)` sees each one once it has been passed on to the parents, before it is dropped.
    """
    ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
    if relevant is None:
        relevant = graph.descendants(wrt, blocked=frozenset({"detach"}))
    adjoints: list[Any] = [None] * len(graph)
    for node, seed in seeds.items():
        adjoints[node] = seed
    last = max(seeds) if seeds else -1
    # Nodes whose adjoint is an array this sweep made by adding, and nobody else holds
    # yet: later contributions are added into it in place (one allocation per node).
    owned: set[int] = set()
    for node in (range(last, -1, -1) if visit is None else visit):
        g = adjoints[node]
        op = ops[node]
        if g is None or op == "var" or op == "const":
            continue
        primitive = PRIMITIVES[op]
        if not primitive.differentiable:
            continue
        parents = inputs[node]
        args = [values[j] for j in parents]
        ans = values[node]
        partials = primitive.partials
        for k, parent in enumerate(parents):
            if not relevant[parent]:
                continue
            if partials is not None:
                rule = partials[k]
                partial = rule(ans, *args) if rule is not None else None
                contribution = None if partial is None else unbroadcast(chain(g, partial), args[k])
            else:
                rule = vjp_rule(primitive, k)
                contribution = None if rule is None else rule(g, ans, *args, **dict(attrs[node]))
            if contribution is None:
                continue
            previous = adjoints[parent]
            if previous is None:
                adjoints[parent] = contribution
            elif parent in owned and _addable_in_place(previous, contribution):
                np.add(previous, contribution, out=previous)
            else:
                # `+` adds NumPy values or builds an `add` node on graph references alike.
                adjoints[parent] = previous + contribution
                if type(adjoints[parent]) is np.ndarray:
                    owned.add(parent)
        if observe is not None:
            observe(node, g, adjoints)
        if keep is not None and node not in keep:
            adjoints[node] = None
    return adjoints


def _addable_in_place(total: np.ndarray, term: Any) -> bool:
    """`total += term` keeps total's shape and float64 type (a real term that fits)."""
    if type(term) is np.float64:
        return total.dtype == np.float64
    return (total.dtype == np.float64 and type(term) is np.ndarray and term.dtype == np.float64
            and term.shape == total.shape)


def adjoint_sweep(graph: Graph, values: list[Any], seeds: Mapping[int, Any], wrt: list[str],
                  watch: Watch | None = None, **options: Any) -> list[Any]:
    """The adjoints of every node, sweeping back from the seeded nodes towards the variables `wrt`.

    A `watch` (`lost.Watch`) counts the under- and overflows of the sweep, at no cost when there
    are none; `lost.losses` then finds whether they took a term of the derivative with them.
    `options` (`keep`, `observe`) are passed on to `vjp_sweep`.
    """
    nodes = [graph.variables[name] for name in wrt if name in graph.variables]
    with np.errstate(all="ignore") if watch is None else watch.errstate():
        return vjp_sweep(graph, values, seeds, nodes, **options)


def variable_adjoints(graph: Graph, point: Point, adjoints: list[Any], wrt: list[str]) -> dict[str, Any]:
    """{variable: adjoint}, with zeros for variables the output does not depend on."""
    result = {}
    for name in wrt:
        node = graph.variables.get(name)
        adjoint = adjoints[node] if node is not None else None
        result[name] = zeros_like(point[name]) if adjoint is None else adjoint
    return result


def cotangent_seeds(graph: Graph, values: list[Any], cotangents: list[Any]) -> dict[int, Any]:
    """The reverse sweep's seeds for cotangents `u` (one per output, broadcast to its shape)."""
    seeds: dict[int, Any] = {}
    for output, u in zip(graph.outputs, cotangents):
        u = as_value(np.array(np.broadcast_to(np.asarray(u, dtype=np.float64), np.shape(values[output]))))
        seeds[output] = u if output not in seeds else seeds[output] + u
    return seeds


def vjp(graph: Graph, point: Point, cotangents: list[Any], wrt: list[str],
        watch: Watch | None = None, values: list[Any] | None = None) -> tuple[list[Any], dict[str, Any]]:
    """Output values and uᵀJ for cotangents `u` (one per output), per variable in `wrt`.

    >>> from diffcli.ad.parse import parse
    >>> g = parse("a*(a+b)")
    >>> _, grads = vjp(g, {"a": 2.0, "b": 3.0}, [1.0], ["a", "b"])
    >>> float(grads["a"]), float(grads["b"])
    (7.0, 2.0)
    """
    values = evaluate(graph, point) if values is None else values
    adjoints = adjoint_sweep(graph, values, cotangent_seeds(graph, values, cotangents), wrt, watch,
                             keep=set(graph.variables.values()))
    return [values[o] for o in graph.outputs], variable_adjoints(graph, point, adjoints, wrt)


def gradient_reverse(graph: Graph, point: Point, wrt: list[str], output: int = 0) -> tuple[Any, dict[str, Any]]:
    """f and ∇f (for output number `output`) by one reverse sweep."""
    root = graph.outputs[output]
    values = evaluate(graph, point, upto=[root])
    adjoints = adjoint_sweep(graph, values, {root: ones_like(values[root])}, wrt)
    return values[root], variable_adjoints(graph, point, adjoints, wrt)


def gradient_graph(graph: Graph, point: Point, wrt: list[str], output: int = 0,
                   max_nodes: int | None = None, seeds: Mapping[int, Any] | None = None) -> tuple[Graph, list[int]]:
    """The gradient of output `output` as a new graph, built by the reverse sweep in graph mode.

    The returned graph extends `graph`; its outputs are the gradient nodes, one per
    variable in `wrt` (a constant zero node where the output does not depend on it).
    `point` fixes shapes and the branch structure is kept symbolic (`where`).
    `max_nodes` bounds the result (`tape.DerivativeTooLarge` beyond it).
    `seeds` ({node: cotangent}, in place of ones on output `output`): the graph of a
    vector-Jacobian product — one row of a Jacobian for a unit seed.
    """
    values = evaluate(graph, point)
    tape = Tape(graph.copy(), values, max_nodes)
    refs = tape.refs()
    if seeds is None:
        root = graph.outputs[output]
        seeds = {root: ones_like(values[root])}
    adjoints = adjoint_sweep(graph, refs, {node: tape.constant(seed) for node, seed in seeds.items()}, wrt)
    result_graph = tape.graph
    outputs = []
    for name in wrt:
        node = graph.variables.get(name)
        adjoint = adjoints[node] if node is not None else None
        if adjoint is None:
            adjoint = tape.constant(zeros_like(point[name]))
        outputs.append(adjoint.node)
    result_graph.outputs = outputs
    return result_graph, outputs
