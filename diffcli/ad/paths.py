"""Following a program to another point: same path, or run it again.

The graph of a program is the path its decisions took at one point. Finite differences
and one-sided slopes look at nearby points, where the program may decide differently:
there the graph of the first path would compute the wrong function. `outputs_at`
evaluates the graph together with its decisions and, if one comes out differently,
runs the program again (`Graph.rerun`) and says which decision changed — a step that
crosses a branch boundary is then flagged, not silently averaged over two paths.

>>> from diffcli.ad.parse import parse_at
>>> g = parse_at("if x > 0:\\n    y = x\\nelse:\\n    y = -x\\ny", {"x": 1.0})
>>> outputs_at(g, {"x": -3.0})[0], outputs_at(g, {"x": -3.0})[1].text
([np.float64(3.0)], 'x > 0')
"""

from __future__ import annotations

import math
from typing import Any

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.graph import Decision, Graph
from diffcli.errors import DiffcliError


def changed_decision(graph: Graph, values: list[Any]) -> Decision | None:
    """The first decision whose value (in `values`) would choose differently, or None."""
    for decision in graph.decisions:
        if not decision.holds(values[decision.node]):
            return decision
    return None


def outputs_at(graph: Graph, point: Point, outputs: list[int] | None = None) -> tuple[list[Any], Decision | None]:
    """The values of outputs number `outputs` (default all) at `point`, following the program's
    path there; and the decision that made the path differ from the graph's (None: same path).

    A program that cannot run at `point` (a limit, a failing condition) is undefined there: NaN.
    """
    indices = list(range(len(graph.outputs))) if outputs is None else outputs
    roots = [graph.outputs[k] for k in indices]
    if not graph.decisions:
        values = evaluate(graph, point, upto=roots)
        return [values[r] for r in roots], None
    values = evaluate(graph, point, upto=roots + [d.node for d in graph.decisions])
    changed = changed_decision(graph, values)
    if changed is None:
        return [values[r] for r in roots], None
    if graph.rerun is None:  # a graph derived from one path (a gradient graph): it knows no other path
        return [math.nan for _ in indices], changed
    try:
        other = graph.rerun(point)
        other_values = evaluate(other, point, upto=[other.outputs[k] for k in indices])
        return [other_values[other.outputs[k]] for k in indices], changed
    except DiffcliError:
        return [math.nan for _ in indices], changed


def graph_at(graph: Graph, point: Point) -> tuple[Graph, Decision | None]:
    """The graph of the path the program takes at `point` (the same graph if no decision changes)."""
    if not graph.decisions or graph.rerun is None:
        return graph, None
    values = evaluate(graph, point, upto=[d.node for d in graph.decisions])
    changed = changed_decision(graph, values)
    return (graph, None) if changed is None else (graph.rerun(point), changed)


def crossing_note(decision: Decision) -> str:
    """What to tell a user whose finite difference straddled a branch of the program."""
    return (f"a step crosses a branch boundary of the program (the {decision.kind} at {decision.where()}: "
            f"`{decision.text}` decides differently there): the difference mixes two paths; do not trust this entry")
