"""`diffcli jacobian`: the full Jacobian by forward mode (n passes), reverse mode (m passes) and more."""

from __future__ import annotations

from typing import Annotated

import typer

from diffcli.errors import UsageError
from diffcli.cli.working import sympy_status
from diffcli.cli.common import AtOption, ExprArgument, LetOption, WrtOption, load_problem
from diffcli.cli.family import finish, start
from diffcli.cli.options import METHOD_OPTIONS, MethodOptions, with_option_groups
from diffcli.cli.paste import FormatOption

EXAMPLES = """
[bold]Examples[/bold]

  diffcli jacobian "\\[x*y, x+y]" --at x=1,y=2

  diffcli jacobian "sum(x**2)" --at "x=[1,2,3,4,5,6]" --mode both     # 6 forward passes, 1 reverse

  diffcli jacobian "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --json | jq .methods.reverse.jacobian
"""

@with_option_groups
def jacobian(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    mode: Annotated[str, typer.Option("--mode", help="AD mode: forward (one pass per input entry), "
                                                     "reverse (one pass per output entry) or both.")] = "both",
    options: MethodOptions = METHOD_OPTIONS,
    output_format: FormatOption = "table",
) -> None:
    """The Jacobian of a vector formula (rows: output entries, columns: input entries).

    The table reports how many sweeps each AD mode took and how long: forward mode
    needs one per input entry, reverse mode one per output entry.
    """
    from diffcli import api

    if mode not in api.JACOBIAN_MODES:
        raise UsageError(f"--mode: expected forward, reverse or both, got '{mode}'")
    methods, explicit = start(options, output_format)
    problem = load_problem(expr, at, let, wrt)
    with sympy_status(methods, options.json_output):
        derivative = api.jacobian(problem, mode=mode, **options.settings(methods, explicit)).derivative
    finish(problem.expr, problem.point, derivative, options, {"mode": mode}, fmt=output_format)
