"""`diffcli hessian`: ∇²f by forward-over-reverse AD, checked by differences and SymPy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from diffcli.cli.working import sympy_status
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption, RichardsonOption,
                     TimeoutOption, WrtOption, load_problem, read_methods)
from diffcli.cli.family import finish
from diffcli.cli.paste import FormatOption, check_format

EXAMPLES = """
[bold]Examples[/bold]

  diffcli hessian "x**2*y + exp(x*y)" --at x=0.5,y=1

  diffcli hessian "x.T @ A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]"      # A + Aᵀ

  diffcli hessian "logdet(A)" --at "A=[[2,1],[1,3]]" --json | jq '.methods["forward-over-reverse"].hessian'
"""


def hessian(
    expr: ExprArgument,
    at: AtOption = None,
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
    """The Hessian of a scalar formula: forward mode over the reverse-mode gradient graph.

    Checked against central differences of the reverse-mode gradient and against SymPy.
    `forward` or `reverse` in --method selects the AD result (forward-over-reverse).
    """
    from diffcli import api

    check_format(output_format, json_output)
    if output is not None:
        from diffcli.views.export import check_path

        check_path(output)
    methods, explicit = read_methods(method, check, symbolic_timeout)
    problem = load_problem(expr, at, let, wrt)
    with sympy_status(methods, json_output):
        derivative = api.hessian(problem, method=methods if explicit else None, h=h, richardson=richardson,
                                 symbolic_timeout=symbolic_timeout, quiet=True).derivative
    finish(problem.expr, problem.point, derivative, json_output, check, fmt=output_format, output=output)
