"""`diffcli diff`: the derivative formula from SymPy, and how big it is next to AD's graph."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from diffcli.errors import UsageError
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, out, print_json, warn
from diffcli.cli.structure import load_structure
from diffcli.views.formula import MAX_ORDER, derivative_formulas, function_sizes

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
    symbolic_timeout: Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take per variable.")] = 10.0,
    json_output: JsonOption = False,
) -> None:
    """The derivative formula (SymPy, simplified) beside the size of the AD derivative graph.

    Sizes are in nodes (operations, variables, constants): the AD graph shares every
    subexpression; SymPy's tree writes shared terms out each time (expression swell),
    CSE shares them again. --let constants are substituted into the formula.
    """
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}")
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    problem, _ = load_structure(expr, at, let, wrt)
    graph = problem.graph
    if len(graph.outputs) != 1:
        raise UsageError("diff needs a single formula; differentiate one entry of the list at a time")
    tensors = [name for name in problem.point if np.ndim(problem.point[name]) != 0 and name in graph.variables]
    if tensors:
        raise UsageError(f"diff prints formulas for scalar variables, but '{tensors[0]}' is a tensor; use grad")
    if not problem.wrt:
        raise UsageError("the formula has no variable to differentiate")
    constants = {name: problem.point[name] for name in problem.constants}
    formulas = derivative_formulas(graph, problem.point, problem.wrt, order, constants=constants,
                                   timeout=symbolic_timeout, simplify=simplify)
    f_graph, f_tree = function_sizes(graph, symbolic_timeout)
    # A program's graph is the path it takes at --at: say so, its formula holds only there.
    count = len(graph.decisions)
    path = [f"the program's path at this point ({count} decision{'s' if count > 1 else ''} of its if/while/range): "
            "the formulas hold where it takes the same path"] if graph.decisions else []
    if json_output:
        print_json({
            "expr": problem.expr, "order": order, "wrt": problem.wrt,
            "derivatives": {f.variable: f.text for f in formulas},
            "latex": {f.variable: f.latex for f in formulas},
            "simplified": {f.variable: f.simplified for f in formulas},
            "sizes": {"function": {"ad_graph": f_graph, "sympy": f_tree},
                      **{f.variable: {"ad_graph": f.ad_size, "sympy": f.sympy_size, "sympy_cse": f.sympy_cse_size,
                                      "simplified": f.simplified_size} for f in formulas}},
            "ad_programs": {f.variable: f.ad_program for f in formulas},
            "status": {f.variable: f.status for f in formulas},
            "warnings": path + [f"{f.variable}: {f.message}" for f in formulas if f.message],
        })
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
    for message in path:
        warn(message)
    for f in formulas:
        if f.message:
            warn(f"{f.variable}: {f.message}")


def _count(size: int | None) -> str:
    return "—" if size is None else f"{size:,}"
