"""`diffcli taylor`: Taylor coefficients by higher-order forward mode, beside SymPy's series."""

from __future__ import annotations

from typing import Annotated

import typer

from diffcli.cli.working import sympy_status
from diffcli.cli.options import TimeoutOption
from diffcli.cli.paste import FormatOption, check_format
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, out, print_json, read_expression, warn

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
    symbolic_timeout: TimeoutOption = 10.0,
    json_output: JsonOption = False,
    output_format: FormatOption = "table",
) -> None:
    """Taylor coefficients f⁽ᵏ⁾(a)/k!, k = 0…n, by forward mode applied n times (forward over forward).

    The expansion is in one variable (--wrt, default the first); the others stay at their
    --at values. SymPy's series gives the exact coefficients to compare with.
    """
    from diffcli import api
    from diffcli.cli.paste import rich_table, write
    from diffcli.views.tables import taylor_grid

    check_format(output_format, json_output)
    with sympy_status(None if symbolic else (), json_output):
        result = api.taylor(read_expression(expr), at, let=let, wrt=wrt, order=order, symbolic=symbolic,
                            symbolic_timeout=symbolic_timeout, quiet=True)
    if json_output:
        print_json(result.to_dict())
    else:
        grid = taylor_grid(result.series, result.symbolic, order, result.expr)
        if output_format != "table":
            write(grid.render(output_format))
        else:
            out().print(grid.title, markup=False)
            out().print(rich_table(grid))
    for message in result.warnings:
        warn(message)
