"""`diffcli vjp`: the vector-Jacobian product uᵀJ, reverse mode in one pass."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.ad.inputs import read_value
from diffcli.cli.working import sympy_status
from diffcli.cli.common import AtOption, ExprArgument, LetOption, WrtOption, load_problem
from diffcli.cli.family import finish, start
from diffcli.cli.options import METHOD_OPTIONS, MethodOptions, with_option_groups
from diffcli.cli.paste import FormatOption

EXAMPLES = """
[bold]Examples[/bold]

  diffcli vjp "x*1024" --at "x=[1,2,3]" --cotangent "[0.1,1.0,0.0001]"

  diffcli vjp "\\[x*y, x+y]" --at x=1,y=2 --cotangent "[1,0]"       # the gradient of x*y

  diffcli vjp "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --cotangent "[1,1]" --json | jq .methods.reverse.vjp
"""


@with_option_groups
def vjp(
    expr: ExprArgument,
    at: AtOption = None,
    cotangent: Annotated[Optional[str], typer.Option(
        "--cotangent", "-u", help="The cotangent u: shaped like the output, or one entry per output entry "
                                  "of a list; a number is used for every entry.")] = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    options: MethodOptions = METHOD_OPTIONS,
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
    methods, explicit = start(options, output_format)
    problem = load_problem(expr, at, let, wrt)
    u = read_value(cotangent, "--cotangent")
    with sympy_status(methods, options.json_output):
        derivative = api.vjp(problem, cotangent=u, **options.settings(methods, explicit)).derivative
    finish(problem.expr, problem.point, derivative, options, {"cotangent": u}, fmt=output_format)
