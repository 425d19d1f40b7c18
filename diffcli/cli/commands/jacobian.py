"""`diffcli jacobian`: the full Jacobian by forward mode (n passes), reverse mode (m passes) and more."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from diffcli.errors import UsageError
from diffcli.cli.working import sympy_status
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption, RichardsonOption,
                     TimeoutOption, WrtOption, load_problem, read_methods)
from diffcli.cli.family import finish
from diffcli.cli.paste import FormatOption, check_format

EXAMPLES = """
[bold]Examples[/bold]

  diffcli jacobian "\\[x*y, x+y]" --at x=1,y=2

  diffcli jacobian "sum(x**2)" --at "x=[1,2,3,4,5,6]" --mode both     # 6 forward passes, 1 reverse

  diffcli jacobian "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --json | jq .methods.reverse.jacobian
"""

def jacobian(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    mode: Annotated[str, typer.Option("--mode", help="AD mode: forward (one pass per input entry), "
                                                     "reverse (one pass per output entry) or both.")] = "both",
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
    """The Jacobian of a vector formula (rows: output entries, columns: input entries).

    The table reports how many sweeps each AD mode took and how long: forward mode
    needs one per input entry, reverse mode one per output entry.
    """
    from diffcli import api

    if mode not in api.JACOBIAN_MODES:
        raise UsageError(f"--mode: expected forward, reverse or both, got '{mode}'")
    check_format(output_format, json_output)
    if output is not None:
        from diffcli.views.export import check_path

        check_path(output)
    methods, explicit = read_methods(method, check, symbolic_timeout)
    problem = load_problem(expr, at, let, wrt)
    with sympy_status(methods, json_output):
        derivative = api.jacobian(problem, mode=mode, method=methods if explicit else None, h=h, richardson=richardson,
                                  symbolic_timeout=symbolic_timeout, quiet=True).derivative
    finish(problem.expr, problem.point, derivative, json_output, check, {"mode": mode}, fmt=output_format, output=output)
