"""`diffcli taylor`: Taylor coefficients by higher-order forward mode, beside SymPy's series."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from diffcli.errors import UsageError
from diffcli.ad.problem import require_scalar
from diffcli.cli.common import (AtOption, ExprArgument, JsonOption, LetOption, WrtOption, error_text, load_problem, number,
                                out, print_json, warn)
from diffcli.views.taylor import symbolic_coefficients, taylor_coefficients

EXAMPLES = """
[bold]Examples[/bold]

  diffcli taylor "exp(x)*sin(x)" --at x=0 --order 4

  diffcli taylor "log(x)" --at x=1 --order 6 --json | jq .coefficients

  diffcli taylor "x*y**2 + sin(x*y)" --at x=1,y=2 --wrt x --order 5     # y held at 2
"""


def taylor_command(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    order: Annotated[int, typer.Option("--order", "-n", help="Highest power of the Taylor polynomial.")] = 4,
    symbolic: Annotated[bool, typer.Option("--symbolic/--no-symbolic", help="Compare with SymPy's series.")] = True,
    symbolic_timeout: Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take.")] = 10.0,
    json_output: JsonOption = False,
) -> None:
    """Taylor coefficients f⁽ᵏ⁾(a)/k!, k = 0…n, by forward mode applied n times (forward over forward).

    The expansion is in one variable (--wrt, default the first); the others stay at their
    --at values. SymPy's series gives the exact coefficients to compare with.
    """
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    problem = load_problem(expr, at, let, wrt)
    require_scalar(problem.graph, "taylor")
    if len(problem.wrt) != 1 and wrt is not None:
        raise UsageError("--wrt: taylor expands in one variable; name just one")
    if not problem.wrt:
        raise UsageError("the formula has no variable to expand in")
    variable = problem.wrt[0]
    series = taylor_coefficients(problem.graph, problem.point, variable, order)
    reference = symbolic_coefficients(problem.graph, problem.point, variable, order,
                                      timeout=symbolic_timeout) if symbolic else None
    errors = ([abs(a - b) for a, b in zip(series.coefficients, reference.values)]
              if reference is not None and reference.status == "ok" else None)
    if json_output:
        _warn_nonfinite(series.coefficients)
        document = {"expr": problem.expr, "at": problem.point, "variable": variable, "center": series.center,
                    "order": order, "coefficients": series.coefficients, "derivatives": series.derivatives,
                    "graph_sizes": series.graph_sizes}
        if reference is not None:
            document["symbolic"] = {"status": reference.status, "message": reference.message,
                                    "coefficients": reference.exact, "values": reference.values,
                                    "max_error": max(errors) if errors else None}
        print_json(document)
        return
    console = out()
    console.print(f"Taylor series of {escape(problem.expr)} in {variable} at {variable} = {number(series.center)}, "
                  f"by forward mode applied {order} time{'s' if order != 1 else ''}")
    table = Table(show_header=True, header_style="bold")
    for title in ("k", f"f⁽ᵏ⁾({number(series.center, 6)})", "coefficient cₖ (AD)"):
        table.add_column(title, justify="right")
    if reference is not None and reference.status == "ok":
        table.add_column("SymPy series", justify="right")
        table.add_column("error", justify="right")
    table.add_column("graph nodes", justify="right")
    for k, (derivative, coefficient, size) in enumerate(zip(series.derivatives, series.coefficients,
                                                            series.graph_sizes)):
        cells = [str(k), number(derivative), number(coefficient)]
        if errors is not None:
            cells += [escape(reference.exact[k]), error_text(errors[k])]
        table.add_row(*cells, str(size))
    console.print(table)
    _warn_nonfinite(series.coefficients)
    if reference is not None and reference.status != "ok":
        warn(f"SymPy series: {reference.status}" + (f" ({reference.message})" if reference.message else ""))


def _warn_nonfinite(coefficients: list[float]) -> None:
    bad = [k for k, c in enumerate(coefficients) if not math.isfinite(c)]
    if bad:
        warn(f"coefficients from k = {bad[0]} on are not finite (the derivatives overflow or are undefined here)")
