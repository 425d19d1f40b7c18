"""`diffcli jacobian`: the full Jacobian by forward mode (n passes), reverse mode (m passes) and more."""

from __future__ import annotations

from typing import Annotated

import typer

from diffcli.errors import UsageError
from diffcli.checks.compare import compare_jacobian
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption, RichardsonOption,
                     TimeoutOption, WrtOption, load_problem, read_methods)
from diffcli.cli.family import finish

EXAMPLES = """
[bold]Examples[/bold]

  diffcli jacobian "\\[x*y, x+y]" --at x=1,y=2

  diffcli jacobian "sum(x**2)" --at "x=[1,2,3,4,5,6]" --mode both     # 6 forward passes, 1 reverse

  diffcli jacobian "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --json | jq .methods.reverse.jacobian
"""

MODES = {"forward": ("forward",), "reverse": ("reverse",), "both": ("forward", "reverse")}


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
) -> None:
    """The Jacobian of a vector formula (rows: output entries, columns: input entries).

    The table reports how many sweeps each AD mode took and how long: forward mode
    needs one per input entry, reverse mode one per output entry.
    """
    if mode not in MODES:
        raise UsageError(f"--mode: expected forward, reverse or both, got '{mode}'")
    methods, explicit = read_methods(method, check, symbolic_timeout)
    methods = [m for m in methods if m not in ("forward", "reverse") or m in MODES[mode]]
    problem = load_problem(expr, at, let, wrt)
    derivative = compare_jacobian(problem, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                                  explicit=explicit)
    finish(problem.expr, problem.point, derivative, json_output, check, {"mode": mode})
