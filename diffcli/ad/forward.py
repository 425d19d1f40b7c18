"""Forward-mode AD: push tangents from the inputs to the outputs (dual numbers, JVP).

One sweep in node order computes, beside each value vᵢ, its tangent v̇ᵢ = ∂vᵢ/∂x · ẋ
along a chosen direction ẋ. The rule for each op comes from the op table (`ops`); a tangent of
`None` is a structural zero, so nodes that do not depend on the direction cost nothing.
The sweep works on numbers and, unchanged, on graph references (`tape.Ref`).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import as_value, unit, zeros_like
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES, broadcast_like, chain, jvp_rule
from diffcli.ad.ops.dispatch import add


def jvp_sweep(graph: Graph, values: list[Any], seeds: Mapping[int, Any],
              needed: list[bool] | None = None) -> list[Any]:
    """Tangents of every node, given tangents `seeds` of some nodes (usually variables)."""
    tangents: list[Any] = [None] * len(graph)
    ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
    for node in range(len(ops)):
        if needed is not None and not needed[node]:
            continue
        op = ops[node]
        if op == "var" or op == "const":
            tangents[node] = seeds.get(node)
            continue
        parents = inputs[node]
        incoming = [tangents[j] for j in parents]
        if all(t is None for t in incoming):
            continue
        primitive = PRIMITIVES[op]
        if not primitive.differentiable:
            continue
        args = [values[j] for j in parents]
        ans = values[node]
        total = None
        if primitive.partials is not None:
            for k, t in enumerate(incoming):
                if t is None:
                    continue
                partial = primitive.partials[k](ans, *args)
                if partial is None:
                    continue
                term = chain(t, partial)
                total = term if total is None else add(total, term)
            if total is not None:
                total = broadcast_like(total, ans)
        else:
            extra = dict(attrs[node])
            for k, t in enumerate(incoming):
                rule = jvp_rule(primitive, k) if t is not None else None
                if rule is None:
                    continue
                term = rule(t, ans, *args, **extra)
                if term is not None:
                    total = term if total is None else add(total, term)
        tangents[node] = total
    return tangents


def jvp(graph: Graph, point: Point, direction: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """Output values and J·v for the direction `direction` ({variable: tangent}).

    >>> from diffcli.ad.parse import parse
    >>> g = parse("[x*y, x+y]")
    >>> values, tangents = jvp(g, {"x": 1.0, "y": 2.0}, {"x": 1.0})
    >>> [float(t) for t in tangents]
    [2.0, 1.0]
    """
    values = evaluate(graph, point)
    seeds = {graph.variables[name]: as_value(t) for name, t in direction.items() if name in graph.variables}
    needed = graph.ancestors(graph.outputs)
    with np.errstate(all="ignore"):
        tangents = jvp_sweep(graph, values, seeds, needed)
    outs = [values[o] for o in graph.outputs]
    return outs, [zeros_like(values[o]) if tangents[o] is None else tangents[o] for o in graph.outputs]


def gradient_forward(graph: Graph, point: Point, wrt: list[str], output: int = 0) -> tuple[Any, dict[str, Any]]:
    """∂f/∂x for each variable in `wrt` by forward mode: one sweep per input entry."""
    values = evaluate(graph, point)
    root = graph.outputs[output]
    needed = graph.ancestors([root])
    result: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        for name in wrt:
            node = graph.variables.get(name)
            x = np.asarray(point[name], dtype=np.float64)
            entries = np.zeros(x.shape)
            if node is not None and needed[node]:
                flat = entries.reshape(-1)
                for index in range(x.size):
                    tangent = jvp_sweep(graph, values, {node: unit(x.shape, index)}, needed)[root]
                    flat[index] = 0.0 if tangent is None else float(np.sum(tangent))
            result[name] = as_value(entries)
    return values[root], result
