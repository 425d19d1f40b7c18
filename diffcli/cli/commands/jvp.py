"""`diffcli jvp`: the Jacobian-vector product J·v, forward mode in one pass."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.errors import UsageError
from diffcli.ad.inputs import read_assignments
from diffcli.checks.compare import compare_jvp
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption, RichardsonOption,
                     TimeoutOption, WrtOption, load_problem, read_methods)
from diffcli.cli.family import finish

EXAMPLES = """
[bold]Examples[/bold]

  diffcli jvp "\\[x*y, x+y, sin(x)]" --at x=1,y=2 --dir x=1,y=0

  diffcli jvp "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --dir "x=[1,0]"     # first column of A

  diffcli jvp "x**2" --at "x=[1,2,3]" --dir "x=[1,1,1]" --json | jq .methods.forward.jvp
"""


def jvp(
    expr: ExprArgument,
    at: AtOption = None,
    direction: Annotated[Optional[list[str]], typer.Option(
        "--dir", help="The tangent v: NAME=VALUE[,...], shaped like each variable; unnamed variables get 0.")] = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    method: MethodOption = None,
    h: HOption = None,
    richardson: RichardsonOption = False,
    symbolic_timeout: TimeoutOption = 5.0,
    check: CheckOption = None,
    json_output: JsonOption = False,
) -> None:
    """J·v: how every output moves along the direction v — forward mode in one pass.

    Reverse mode and SymPy get there through the whole Jacobian; central differences
    through one directional difference.
    """
    if not direction:
        raise UsageError("--dir is required: the direction v, e.g. --dir x=1,y=0")
    methods, explicit = read_methods(method, check, symbolic_timeout)
    problem = load_problem(expr, at, let, wrt)
    v = read_assignments(direction, "--dir")
    derivative = compare_jvp(problem, v, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                             explicit=explicit)
    finish(problem.expr, problem.point, derivative, json_output, check, {"dir": v})
