"""A formula together with the point it is looked at: what every command starts from,
and the checks every command shares: one scalar output, a direction, a cotangent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.flat import as_value, split_like
from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse


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
    """Parse `expr` and check the point: every variable has a value, `wrt` names variables.

    `let` values are constants: present in the point but never differentiated.

    >>> p = make_problem("x*y + a", {"x": 1, "y": 2}, {"a": 5})
    >>> p.wrt, sorted(p.point)
    (['x', 'y'], ['a', 'x', 'y'])
    """
    graph = expr if isinstance(expr, Graph) else parse(expr)
    at = dict(at or {})
    let = dict(let or {})
    both = sorted(set(at) & set(let))
    if both:
        raise UsageError(f"'{both[0]}' is given both in --at and in --let")
    point = {name: as_value(value) for name, value in {**at, **let}.items()}
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
