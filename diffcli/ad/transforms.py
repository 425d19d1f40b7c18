"""Derivatives built from the two sweeps, JAX style: Jacobians both ways, and the
Hessian as forward mode over the reverse-mode gradient graph (`jacfwd(grad)`).

Inputs and outputs are flattened in a fixed order so a Jacobian is a plain matrix:
rows are output entries, columns input entries (`flat.entry_labels` names them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import unit
from diffcli.ad.forward import jacobian_forward
from diffcli.ad.graph import Graph
from diffcli.ad.reverse import gradient_graph, vjp_sweep
from diffcli.ad.tape import DerivativeTooLarge
from diffcli.errors import UsageError


def jacobian_reverse(graph: Graph, point: Point, wrt: list[str], outputs: list[int] | None = None,
                     values: list[Any] | None = None) -> np.ndarray:
    """The Jacobian by reverse mode: one adjoint sweep per output entry (rows)."""
    outputs = graph.outputs if outputs is None else outputs
    values = evaluate(graph, point, upto=outputs) if values is None else values
    nodes = [graph.variables[name] for name in wrt if name in graph.variables]
    relevant = graph.descendants(nodes, blocked=frozenset({"detach"}))
    rows = []
    with np.errstate(all="ignore"):
        for output in outputs:
            shape = np.shape(values[output])
            visit = _ancestors_descending(graph, output)
            for k in range(int(np.size(values[output]))):
                adjoints = vjp_sweep(graph, values, {output: unit(shape, k)}, nodes, relevant=relevant, visit=visit)
                row = []
                for name in wrt:
                    node = graph.variables.get(name)
                    adjoint = adjoints[node] if node is not None else None
                    row.append(np.zeros(np.size(point[name])) if adjoint is None
                               else np.broadcast_to(adjoint, np.shape(point[name])).ravel())
                rows.append(np.concatenate(row) if row else np.zeros(0))
    width = sum(int(np.size(point[name])) for name in wrt)
    return np.array(rows).reshape(len(rows), width)


def _ancestors_descending(graph: Graph, root: int) -> list[int]:
    """The nodes `root` depends on (itself included), latest first, found from the root down:
    the cost is the size of that subgraph, not of the whole graph."""
    seen = {root}
    stack = [root]
    while stack:
        for parent in graph.inputs[stack.pop()]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(seen, reverse=True)


def hessian(graph: Graph, point: Point, wrt: list[str], output: int = 0) -> np.ndarray:
    """∇²f as forward mode over the reverse-mode gradient graph (an n×n matrix).

    >>> from diffcli.ad.parse import parse
    >>> hessian(parse("x**2*y"), {"x": 1.0, "y": 2.0}, ["x", "y"]).tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    grad_graph, grad_nodes = gradient_graph(graph, point, wrt, output)
    return jacobian_forward(grad_graph, point, wrt, outputs=grad_nodes)


# Each order can multiply the graph (a tower x**x**…**x more than doubles it per order): the
# derivative graph may add this many nodes, or 8 per node of f if that is more.
MAX_DERIVATIVE_NODES = 150_000


def derivative_graph(graph: Graph, point: Point, variable: str, order: int = 1, output: int = 0) -> tuple[Graph, int]:
    """The graph of ∂ⁿf/∂xⁿ (f: output number `output`), by the reverse sweep in graph mode n times.

    >>> from diffcli.ad.parse import parse
    >>> g, node = derivative_graph(parse("x**3"), {"x": 1.0}, "x", 2)
    >>> float(evaluate(g, {"x": 2.0}, upto=[node])[node])
    12.0
    """
    budget = max(MAX_DERIVATIVE_NODES, 8 * len(graph))
    current, node = graph, graph.outputs[output]
    for k in range(1, order + 1):
        source = current.copy()
        source.outputs = [node]
        try:
            current, (node,) = gradient_graph(source, point, [variable], max_nodes=len(graph) + budget)
        except DerivativeTooLarge:
            raise UsageError(f"--order {order} is too high for this formula: the AD graph of derivative {k} "
                             f"would exceed {budget:,} nodes (--order {k - 1} works)") from None
    return current, node
