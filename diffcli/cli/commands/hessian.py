"""`diffcli hessian`: ∇²f by forward-over-reverse AD, checked by differences and SymPy."""

from __future__ import annotations

from diffcli.checks.compare import compare_hessian
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption, RichardsonOption,
                     TimeoutOption, WrtOption, load_problem, read_methods)
from diffcli.cli.family import finish

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
) -> None:
    """The Hessian of a scalar formula: forward mode over the reverse-mode gradient graph.

    Checked against central differences of the reverse-mode gradient and against SymPy.
    `forward` or `reverse` in --method selects the AD result (forward-over-reverse).
    """
    methods, explicit = read_methods(method, check, symbolic_timeout)
    problem = load_problem(expr, at, let, wrt)
    derivative = compare_hessian(problem, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                                 explicit=explicit)
    finish(problem.expr, problem.point, derivative, json_output, check)
