"""The evaluation trace (Wengert list) with tangents or adjoints, as the AD literature prints it.

One step per node the output depends on: its name, op, inputs and primal value, then
the tangent v̇ᵢ along a direction (forward mode) or the adjoint v̄ᵢ = ∂f/∂vᵢ (reverse
mode, steps listed from the output back to the inputs, the order the sweep runs), and
the rule applied there (`rule_text`).
The numbers come from the same sweeps `grad` uses (`forward.jvp_sweep`,
`reverse.vjp_sweep`), so the trace is what AD does, not a re-enactment.

>>> from diffcli.ad.parse import parse
>>> t = trace(parse("c = a + b; d = a*c"), {"a": 2.0, "b": 3.0}, "reverse", ["a", "b"])
>>> [(s.name, float(s.derivative)) for s in t.steps]
[('d', 1.0), ('c', 2.0), ('b', 2.0), ('a', 7.0)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import Point, evaluate, hidden_undefined, is_finite, nonfinite_reason
from diffcli.ad.forward import jvp_sweep
from diffcli.ad.graph import Graph
from diffcli.ad.problem import read_direction
from diffcli.views.naming import node_expression, node_names, operand_text, public_op
from diffcli.ad.flat import ones_like, zeros_like
from diffcli.ad.reverse import vjp_sweep
from diffcli.views.rule_text import adjoint_rule, tangent_rule

MODES = ("forward", "reverse")


@dataclass
class Step:
    """One line of the trace: vᵢ = op(inputs), its value and its tangent or adjoint."""

    node: int
    name: str
    op: str
    inputs: list[str]
    expression: str
    value: Any
    derivative: Any
    rule: str | None = None  # the derivative rule applied at this step, e.g. 'ḋ = c·ȧ + a·ċ'


@dataclass
class Trace:
    """The steps in the order the sweep visits them, and what was seeded."""

    mode: str
    steps: list[Step]
    output: str
    direction: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    path: list["PathStep"] = field(default_factory=list)


@dataclass
class PathStep:
    """A run of equal decisions of a program at one place: `while y.norm() < 1000` true 9 times."""

    kind: str
    line: int
    column: int
    condition: str
    outcome: bool | int
    times: int = 1

    def place(self) -> tuple[int, int, str, bool | int]:
        """Where and what was decided: equal places in a row are one step of the path."""
        return self.line, self.column, self.kind, self.outcome

    def text(self) -> str:
        shown = ("true" if self.outcome else "false") if isinstance(self.outcome, bool) else str(self.outcome)
        repeat = f" ×{self.times}" if self.times > 1 else ""
        return f"line {self.line}, column {self.column}: {self.kind} `{self.condition}` → {shown}{repeat}"


def path_taken(graph: Graph) -> list[PathStep]:
    """The decisions that chose a program's path, equal ones in a row counted once.

    >>> from diffcli.ad.parse import parse_at
    >>> g = parse_at("y = x\\nwhile y < 10:\\n    y = y*2\\ny", {"x": 1.5})
    >>> [step.text() for step in path_taken(g)]
    ['line 2, column 7: while `y < 10` → true ×3', 'line 2, column 7: while `y < 10` → false']
    """
    steps: list[PathStep] = []
    for d in graph.decisions:
        if steps and steps[-1].place() == (d.line, d.column, d.kind, d.outcome):
            steps[-1].times += 1
        else:
            steps.append(PathStep(d.kind, d.line, d.column, d.text, d.outcome))
    return steps


def default_direction(point: Point, wrt: list[str]) -> dict[str, Any]:
    """Forward mode's default seed: ẋ = 1 (every entry) for the first variable, 0 elsewhere."""
    if not wrt:
        raise UsageError("the formula has no variable to differentiate")
    return {wrt[0]: ones_like(point[wrt[0]])}


def trace(graph: Graph, point: Point, mode: str, wrt: list[str], direction: Mapping[str, Any] | None = None,
          output: int = 0) -> Trace:
    """The evaluation trace of output `output` at `point`, with tangents or adjoints."""
    if mode not in MODES:
        raise UsageError(f"--mode: unknown mode '{mode}' (choose forward or reverse)")
    if not wrt:
        raise UsageError("the formula has no variable to differentiate")
    root = graph.outputs[output]
    values = evaluate(graph, point, upto=[root])
    nodes = [graph.variables[name] for name in wrt if name in graph.variables]
    with np.errstate(all="ignore"):
        if mode == "forward":
            direction = dict(direction) if direction is not None else default_direction(point, wrt)
            seeds = {graph.variables[name]: t for name, t in read_direction(point, wrt, direction).items()
                     if name in graph.variables}
            derivatives = jvp_sweep(graph, values, seeds, graph.ancestors([root]))
        else:
            direction = {}
            derivatives = vjp_sweep(graph, values, {root: ones_like(values[root])}, nodes)
    names = node_names(graph, [root])
    needed = graph.ancestors([root])
    order = [n for n in range(len(graph)) if needed[n] and graph.ops[n] != "const"]
    if mode == "reverse":
        order.reverse()
    steps = []
    for node in order:
        derivative = derivatives[node]
        steps.append(Step(
            node=node,
            name=names[node],
            op="input" if graph.ops[node] == "var" else public_op(graph.ops[node]),
            inputs=[operand_text(graph, j, names) for j in graph.inputs[node]],
            expression=node_expression(graph, node, names),
            value=values[node],
            derivative=zeros_like(values[node]) if derivative is None else derivative,
            rule=(tangent_rule if mode == "forward" else adjoint_rule)(graph, node, names, values),
        ))
    # A trace that goes wrong is worth seeing: show it, and say where the trouble starts.
    if not is_finite(values[root]):
        warnings = [nonfinite_reason(graph, values, root)]
    else:
        hidden = hidden_undefined(graph, values, [root])
        warnings = [f"undefined inside the formula (a later operation hides it): {hidden}"] if hidden else []
    return Trace(mode, steps, names.get(root, "f"), direction, warnings, path_taken(graph))

