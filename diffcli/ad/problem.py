"""A formula together with the point it is looked at: what every command starts from,
and the checks every command shares: one scalar output, a direction, a cotangent.

The point comes first: a program (loops, branches, functions) runs at it, and its graph
is the path taken there (`parse.parse_at`); a formula's graph is the same at every point.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import checked_value, evaluate
from diffcli.ad.flat import as_value, split_like
from diffcli.ad.graph import Graph
from diffcli.ad.language import CONSTANTS
from diffcli.ad.parse import parse, parse_at


@dataclass
class Problem:
    """The parsed formula, the values of its variables, and which ones to differentiate."""

    expr: str
    graph: Graph
    point: dict[str, Any]
    wrt: list[str]
    constants: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def unused_warnings(self) -> list[str]:
        """A warning for each value given that the formula never reads (a typo, most likely)."""
        return [f"'{name}' has a value but does not appear in the formula" for name in self.unused]


def make_problem(expr: str | Graph, at: Mapping[str, Any] | None = None, let: Mapping[str, Any] | None = None,
                 wrt: list[str] | None = None) -> Problem:
    """Parse `expr` at the point and check it: every variable has a value, `wrt` names variables.

    `let` values are constants: present in the point but never differentiated.

    >>> p = make_problem("x*y + a", {"x": 1, "y": 2}, {"a": 5})
    >>> p.wrt, sorted(p.point)
    (['x', 'y'], ['a', 'x', 'y'])
    """
    at = dict(at or {})
    let = dict(let or {})
    both = sorted(set(at) & set(let))
    if both:
        raise UsageError(f"'{both[0]}' is given both in --at and in --let")
    point = {name: checked_value(name, value) for name, value in {**at, **let}.items()}
    named = [name for name in point if name in CONSTANTS]
    if named:
        option = "--at" if named[0] in at else "--let"
        raise UsageError(f"{option}: '{named[0]}' cannot be given a value: in a formula {named[0]} is the constant "
                         f"{CONSTANTS[named[0]]:.10g}; call the variable something else")
    graph = expr if isinstance(expr, Graph) else parse_at(expr, point)
    missing = [name for name in graph.variables if name not in point]
    if missing:
        raise UsageError(f"no value given for the variable '{missing[0]}' (add it to --at, e.g. --at {missing[0]}=1)")
    unused = [name for name in point if name not in graph.variables]
    variables = [name for name in graph.variables if name not in let]
    if wrt:
        unknown = [name for name in wrt if name not in graph.variables]
        if unknown:
            raise UsageError(f"--wrt: '{unknown[0]}' is not a variable of the formula "
                             f"(variables: {', '.join(graph.variables) or 'none'})")
        constant = [name for name in wrt if name in let]
        if constant:
            raise UsageError(f"--wrt: '{constant[0]}' is a --let constant and is not differentiated")
        variables = list(dict.fromkeys(wrt))
    text = expr.source if isinstance(expr, Graph) else expr
    return Problem(text, graph, point, variables, list(let), unused)


def require_scalar(graph: Graph, who: str, values: list[Any] | None = None, output: int | None = None) -> int:
    """The node of the one scalar output that `who` (a command or option) differentiates.

    Without `output` the formula must have a single output; with `values` (the graph
    evaluated at the point) that output must also be a number, not a tensor.

    >>> require_scalar(parse("[x, y]"), "grad")
    Traceback (most recent call last):
    ...
    diffcli.errors.UsageError: grad needs a scalar function (a single output), but the formula is a list of 2; take one entry at a time, or use jacobian
    """
    if output is None:
        if len(graph.outputs) != 1:
            raise UsageError(f"{who} needs a scalar function (a single output), but the formula is a list of "
                             f"{len(graph.outputs)}; take one entry at a time, or use jacobian")
        output = 0
    root = graph.outputs[output]
    if values is not None and np.ndim(values[root]) != 0:
        raise UsageError(f"{who} needs a scalar function, but this one has shape {np.shape(values[root])}; "
                         "wrap it in sum(...) or mean(...), or use jacobian")
    return root


def scalar_output(graph: Graph, point: Mapping[str, Any], who: str) -> Graph:
    """The graph of the one number `who` (grad, hessian) differentiates: a one-element output —
    shape (1,) or (1, 1), like `x.T @ x` for a column x — reshaped to a number, as PyTorch's
    backward() accepts it; a list or a bigger tensor is refused (`require_scalar`).

    >>> x = {"x": np.array([[1.0], [2.0]])}
    >>> g = scalar_output(make_problem("x.T @ x", x).graph, x, "grad")
    >>> g.ops[g.outputs[0]], float(evaluate(g, x)[g.outputs[0]])
    ('reshape', 5.0)
    """
    root = require_scalar(graph, who)
    values = evaluate(graph, point, upto=[root])
    shape = np.shape(values[root])
    if shape == () or int(np.prod(shape)) != 1:
        require_scalar(graph, who, values)
        return graph
    scalar = graph.copy()
    scalar.outputs = [scalar.add("reshape", (root,), (("shape", ()),))]
    scalar.columns.setdefault(scalar.outputs[0], graph.columns.get(root, (1, 1)))
    if graph.rerun is not None:
        rerun = graph.rerun
        scalar.rerun = lambda other: scalar_output(rerun(other), other, who)
    return scalar


def with_graph(problem: Problem, graph: Graph) -> Problem:
    """The same problem over another graph (e.g. its output made a number)."""
    return replace(problem, graph=graph)


def read_direction(point: Mapping[str, Any], wrt: list[str], direction: Mapping[str, Any]) -> dict[str, Any]:
    """The tangents given with --dir, each checked against `wrt` and shaped like its variable.

    >>> read_direction({"x": np.zeros(2), "y": 1.0}, ["x", "y"], {"x": 1})
    {'x': array([1., 1.])}
    """
    tangents: dict[str, Any] = {}
    for name, given in direction.items():
        if name not in wrt:
            raise UsageError(f"--dir: '{name}' is not a differentiated variable (variables: {', '.join(wrt) or 'none'})")
        shape = np.shape(point[name])
        try:
            tangent = np.broadcast_to(np.asarray(given, dtype=np.float64), shape)
        except ValueError:
            raise UsageError(f"--dir: '{name}' has shape {shape} but its direction has shape {np.shape(given)}") from None
        tangents[name] = as_value(np.array(tangent))
    return tangents


def read_cotangent(graph: Graph, values: list[Any], cotangent: Any) -> list[Any]:
    """One cotangent per output, from a number (broadcast) or the outputs' entries in order.

    >>> read_cotangent(parse("[x, 2*x]"), [1.0, 1.0, 2.0, 2.0], [0.5, 1])
    [np.float64(0.5), np.float64(1.0)]
    """
    shapes = [np.shape(values[o]) for o in graph.outputs]
    total = sum(int(np.prod(s)) for s in shapes)
    u = np.asarray(cotangent, dtype=np.float64)
    if u.ndim == 0:
        return [as_value(np.full(s, float(u))) for s in shapes]
    if len(shapes) == 1 and u.shape == shapes[0]:
        return [u]
    if u.size == total and (len(shapes) > 1 or u.ndim == 1):
        return split_like(u.ravel(), shapes)
    wanted = str(shapes[0]) if len(shapes) == 1 else f"{total} entries (one per output entry)"
    raise UsageError(f"--cotangent has shape {u.shape} but the formula's output has shape {wanted}")
