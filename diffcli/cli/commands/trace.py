"""`diffcli trace`: the evaluation trace (Wengert list) with tangents or adjoints."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from diffcli.cli.paste import FormatOption, check_format
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, out, print_json, read_expression, warn

TABLE_STEPS = 2_000  # rows of the table; longer traces show their first and last 1,000

EXAMPLES = """
[bold]Examples[/bold]

  diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --mode reverse

  diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --mode forward --dir a=1

  diffcli trace "sin(x)*exp(y)" --at x=1,y=0 --mode forward --dir x=0,y=1 --json

  diffcli trace "c = a + b; d = a*c" --at a=2,b=3 --format latex      # a tabular for the notes
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
    output_format: FormatOption = "table",
) -> None:
    """The evaluation trace of a formula: one row per intermediate vᵢ with its value and its tangent or adjoint.

    Forward mode lists the steps in evaluation order with v̇ᵢ = ∂vᵢ/∂x · ẋ; reverse mode
    lists them in the order the adjoint sweep visits them, with v̄ᵢ = ∂f/∂vᵢ.
    """
    from diffcli import api

    check_format(output_format, json_output)
    traced = api.trace(read_expression(expr), at, let=let, wrt=wrt, mode=mode, direction=direction, quiet=True)
    for message in traced.warnings:
        warn(message)
    if json_output:
        print_json(traced.to_dict())
        return
    render_trace(traced.trace, output_format)


def render_trace(result: Any, fmt: str = "table") -> None:
    from diffcli.cli.paste import rich_table, write
    from diffcli.views.tables import trace_grid

    if fmt != "table":
        write(trace_grid(result).render(fmt))
        return
    console = out()
    grid = trace_grid(result, TABLE_STEPS)
    console.print(grid.title, markup=False)
    console.print(rich_table(grid))
    if result.path:
        console.print("path taken by the program at this point (its decisions, in order):", markup=False)
        for step in result.path[:TABLE_STEPS // 20]:
            console.print(f"  {step.text()}", markup=False, highlight=False)
        if len(result.path) > TABLE_STEPS // 20:
            console.print(f"  … {len(result.path) - TABLE_STEPS // 20:,} more (all of them with --json)", markup=False)
