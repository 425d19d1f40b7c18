"""A formula together with the point it is looked at: what every command starts from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from diffcli.errors import UsageError
from diffcli.ad.evaluate import as_value
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
