"""`diffcli trace`: the evaluation trace (Wengert list) with tangents or adjoints."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from diffcli.errors import UsageError
from diffcli.ad.inputs import read_assignments
from diffcli.cli.common import (AtOption, ExprArgument, JsonOption, LetOption, WrtOption, load_problem, number, out, print_json,
                     warn)
from diffcli.ad.problem import require_scalar
from diffcli.views.trace import MODES, trace


TABLE_STEPS = 2_000  # rows of the table; longer traces show their first and last 1,000

EXAMPLES = """
[bold]Examples[/bold]

  diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --mode reverse

  diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --mode forward --dir a=1

  diffcli trace "sin(x)*exp(y)" --at x=1,y=0 --mode forward --dir x=0,y=1 --json
"""


def trace_command(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    mode: Annotated[str, typer.Option("--mode", help="forward (tangents v̇ᵢ) or reverse (adjoints v̄ᵢ).")] = "reverse",
    direction: Annotated[Optional[str], typer.Option(
        "--dir", help="Forward mode's direction ẋ: NAME=VALUE[,...] (default: 1 for the first variable).")] = None,
    json_output: JsonOption = False,
) -> None:
    """The evaluation trace of a formula: one row per intermediate vᵢ with its value and its tangent or adjoint.

    Forward mode lists the steps in evaluation order with v̇ᵢ = ∂vᵢ/∂x · ẋ; reverse mode
    lists them in the order the adjoint sweep visits them, with v̄ᵢ = ∂f/∂vᵢ.
    """
    if mode not in MODES:
        raise UsageError(f"--mode: unknown mode '{mode}' (choose forward or reverse)")
    if direction is not None and mode != "forward":
        raise UsageError("--dir: a direction is only used with --mode forward")
    problem = load_problem(expr, at, let, wrt)
    require_scalar(problem.graph, "trace")
    seeds = read_assignments(direction, "--dir") if direction is not None else None
    result = trace(problem.graph, problem.point, mode, problem.wrt, seeds)
    key = "tangent" if mode == "forward" else "adjoint"
    for message in result.warnings:
        warn(message)
    if json_output:
        print_json({
            "expr": problem.expr, "at": problem.point, "mode": mode, "output": result.output,
            "direction": result.direction, "warnings": result.warnings,
            "path": [{"kind": p.kind, "line": p.line, "column": p.column, "condition": p.condition,
                      "outcome": p.outcome, "times": p.times} for p in result.path],
            "steps": [{"name": s.name, "op": s.op, "inputs": s.inputs, "expr": s.expression,
                       "value": s.value, key: s.derivative, "rule": s.rule} for s in result.steps],
        })
        return
    render_trace(result)


def render_trace(result: Any) -> None:
    console = out()
    if result.mode == "forward":
        seed = ", ".join(f"{name}̇ = {number(v, 10)}" for name, v in result.direction.items())
        console.print(f"forward mode, tangents along {seed}")
        header = "tangent v̇ᵢ"
    else:
        console.print(f"reverse mode, adjoints v̄ᵢ = ∂{result.output}/∂vᵢ, seeded with {result.output}̄ = 1")
        header = "adjoint v̄ᵢ"
    table = Table(show_header=True, header_style="bold")
    table.add_column("vᵢ")
    table.add_column("definition")
    table.add_column("value", justify="right")
    table.add_column(header, justify="right")
    table.add_column("rule applied")
    steps = result.steps
    # A long trace (a loop run 10,000 times) is not read row by row, and Rich takes seconds per
    # thousand rows: show its two ends; --json has every step.
    hidden = len(steps) - TABLE_STEPS
    shown = steps if hidden <= 0 else steps[:TABLE_STEPS // 2] + [None] + steps[-TABLE_STEPS // 2:]
    for step in shown:
        if step is None:
            table.add_row("…", f"{hidden:,} more steps (all of them with --json)", "", "", "")
            continue
        definition = "input" if step.op == "input" else f"{step.name} = {step.expression}"
        # Formula text like [a, b] must not be read as Rich markup.
        table.add_row(escape(step.name), escape(definition), number(step.value), number(step.derivative),
                      escape(step.rule or ""))
    console.print(table)
    if result.path:
        console.print("path taken by the program at this point (its decisions, in order):", markup=False)
        for step in result.path[:TABLE_STEPS // 20]:
            console.print(f"  {step.text()}", markup=False, highlight=False)
        if len(result.path) > TABLE_STEPS // 20:
            console.print(f"  … {len(result.path) - TABLE_STEPS // 20:,} more (all of them with --json)", markup=False)
