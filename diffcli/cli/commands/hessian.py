"""`diffcli hessian`: ∇²f by forward-over-reverse AD, checked by differences and SymPy."""

from __future__ import annotations

from diffcli.cli.working import sympy_status
from diffcli.cli.common import AtOption, ExprArgument, LetOption, WrtOption, load_problem
from diffcli.cli.family import finish, start
from diffcli.cli.options import METHOD_OPTIONS, MethodOptions, with_option_groups
from diffcli.cli.paste import FormatOption

EXAMPLES = """
[bold]Examples[/bold]

  diffcli hessian "x**2*y + exp(x*y)" --at x=0.5,y=1

  diffcli hessian "x.T @ A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]"      # A + Aᵀ

  diffcli hessian "logdet(A)" --at "A=[[2,1],[1,3]]" --json | jq '.methods["forward-over-reverse"].hessian'
"""


@with_option_groups
def hessian(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    options: MethodOptions = METHOD_OPTIONS,
    output_format: FormatOption = "table",
) -> None:
    """The Hessian of a scalar formula: forward mode over the reverse-mode gradient graph.

    Checked against central differences of the reverse-mode gradient and against SymPy.
    `forward` or `reverse` in --method selects the AD result (forward-over-reverse).
    """
    from diffcli import api

    methods, explicit = start(options, output_format)
    problem = load_problem(expr, at, let, wrt)
    with sympy_status(methods, options.json_output):
        derivative = api.hessian(problem, **options.settings(methods, explicit)).derivative
    finish(problem.expr, problem.point, derivative, options, fmt=output_format)
