"""`diffcli diff`: the derivative formula from SymPy, and how big it is next to AD's graph."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from diffcli.cli.working import sympy_status
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, out, print_json, read_expression, warn

EXAMPLES = """
[bold]Examples[/bold]

  diffcli diff "3*x**3 - 5*x**2"

  diffcli diff "x**2*y + exp(x*y)" --order 2 --latex

  diffcli diff "x1 = r*x*(1-x); x2 = r*x1*(1-x1); x3 = r*x2*(1-x2); x4 = r*x3*(1-x3)" --wrt x --let r=3.7

  diffcli diff "sin(x)*exp(x)" --show-ad        # the AD derivative as a program, sharing kept
"""

MAX_SHOWN_CHARACTERS = 2000


def diff_command(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    order: Annotated[int, typer.Option("--order", "-n", help="Which derivative: ∂ⁿf/∂xⁿ for each variable.")] = 1,
    latex: Annotated[bool, typer.Option("--latex", help="Print the formulas as LaTeX.")] = False,
    simplify: Annotated[bool, typer.Option("--simplify/--no-simplify", help="Simplify the formula with SymPy.")] = True,
    show_ad: Annotated[bool, typer.Option("--show-ad", help="Also print the AD derivative graph as a program.")] = False,
    full: Annotated[bool, typer.Option("--full", help=f"Print formulas longer than {MAX_SHOWN_CHARACTERS} characters in full.")] = False,
    symbolic_timeout: Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take (in all).")] = 10.0,
    json_output: JsonOption = False,
) -> None:
    """The derivative formula (SymPy, simplified) beside the size of the AD derivative graph.

    Sizes are in nodes (operations, variables, constants): the AD graph shares every
    subexpression; SymPy's tree writes shared terms out each time (expression swell),
    CSE shares them again. --let constants are substituted into the formula.
    """
    from diffcli import api

    with sympy_status(None, json_output):
        result = api.diff(read_expression(expr), at, let=let, wrt=wrt, order=order, simplify=simplify,
                          symbolic_timeout=symbolic_timeout, quiet=True)
    formulas, (f_graph, f_tree) = result.formulas, result.sizes
    if json_output:
        print_json(result.to_dict())
        return
    console = out()
    mark = "" if order == 1 else ("²" if order == 2 else f"^{order}")
    for f in formulas:
        name = f"∂{mark}f/∂{f.variable}{mark}"
        text = f.latex if latex else f.text
        if text is None:
            console.print(f"{name}: —  ({f.status})", markup=False)
        elif len(text) > MAX_SHOWN_CHARACTERS and not full:
            console.print(f"{name} = {text[:MAX_SHOWN_CHARACTERS]}… ({len(text):,} characters; --full shows all)",
                          markup=False)
        else:
            console.print(f"{name} = {text}", markup=False)
        if show_ad:
            console.print(f"AD derivative graph of {name}, as a program:", markup=False)
            console.print(f.ad_program, markup=False)
    table = Table(show_header=True, header_style="bold", title="size in nodes")
    for title in ("", "AD graph", "SymPy tree", "SymPy + CSE", "simplified"):
        table.add_column(title, justify="right" if title else "left")
    table.add_row("f", str(f_graph), _count(f_tree), "", "")
    for f in formulas:
        table.add_row(f"∂{mark}f/∂{f.variable}{mark}", str(f.ad_size), _count(f.sympy_size), _count(f.sympy_cse_size),
                      _count(f.simplified_size))
    console.print(table)
    for message in result.warnings:
        warn(message)


def _count(size: int | None) -> str:
    return "—" if size is None else f"{size:,}"
