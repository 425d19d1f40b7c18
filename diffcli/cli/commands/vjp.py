"""`diffcli vjp`: the vector-Jacobian product uᵀJ, reverse mode in one pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from diffcli.ad.inputs import read_value
from diffcli.cli.working import sympy_status
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption, RichardsonOption,
                     TimeoutOption, WrtOption, load_problem, read_methods)
from diffcli.cli.family import finish
from diffcli.cli.paste import FormatOption, check_format

EXAMPLES = """
[bold]Examples[/bold]

  diffcli vjp "x*1024" --at "x=[1,2,3]" --cotangent "[0.1,1.0,0.0001]"

  diffcli vjp "\\[x*y, x+y]" --at x=1,y=2 --cotangent "[1,0]"       # the gradient of x*y

  diffcli vjp "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --cotangent "[1,1]" --json | jq .methods.reverse.vjp
"""


def vjp(
    expr: ExprArgument,
    at: AtOption = None,
    cotangent: Annotated[Optional[str], typer.Option(
        "--cotangent", "-u", help="The cotangent u: shaped like the output, or one entry per output entry "
                                  "of a list; a number is used for every entry.")] = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    method: MethodOption = None,
    h: HOption = None,
    richardson: RichardsonOption = False,
    symbolic_timeout: TimeoutOption = 5.0,
    check: CheckOption = None,
    json_output: JsonOption = False,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE", dir_okay=False,
        help="Also write the result (the reference method's) to FILE.npy, FILE.csv or FILE.json.")] = None,
    output_format: FormatOption = "table",
) -> None:
    """uᵀJ: the gradient of u·f — reverse mode in one pass, whatever the number of inputs.

    Forward mode and SymPy get there through the whole Jacobian, central differences
    through the gradient of the scalar u·f.
    """
    from diffcli.errors import UsageError
    from diffcli import api

    if cotangent is None:
        raise UsageError("--cotangent is required: the vector u, e.g. --cotangent \"[1,0]\"")
    check_format(output_format, json_output)
    if output is not None:
        from diffcli.views.export import check_path

        check_path(output)
    methods, explicit = read_methods(method, check, symbolic_timeout)
    problem = load_problem(expr, at, let, wrt)
    u = read_value(cotangent, "--cotangent")
    with sympy_status(methods, json_output):
        derivative = api.vjp(problem, cotangent=u, method=methods if explicit else None, h=h, richardson=richardson,
                             symbolic_timeout=symbolic_timeout, quiet=True).derivative
    finish(problem.expr, problem.point, derivative, json_output, check, {"cotangent": u}, fmt=output_format, output=output)
