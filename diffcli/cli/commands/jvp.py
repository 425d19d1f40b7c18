"""`diffcli jvp`: the Jacobian-vector product J·v, forward mode in one pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from diffcli.ad.inputs import read_assignments
from diffcli.cli.working import sympy_status
from diffcli.cli.common import AtOption, ExprArgument, LetOption, WrtOption, load_problem
from diffcli.cli.family import finish, start
from diffcli.cli.options import METHOD_OPTIONS, MethodOptions, with_option_groups
from diffcli.cli.paste import FormatOption

def _unit_note(extra: dict) -> str | None:
    """The line under the table when --dir is not a unit vector: J·v along v/‖v‖ too."""
    from diffcli.cli.tensor_view import compact
    from diffcli.views.directional import UNIT_TOLERANCE

    if extra.get("unit_jvp") is None or abs(extra["dir_norm"] - 1) <= UNIT_TOLERANCE:
        return None
    unit = ", ".join(f"{name}={compact(value)}" for name, value in extra["unit_dir"].items())
    return (f"--dir is not a unit vector (‖v‖ = {extra['dir_norm']:.6g}): J·v above is along v itself; along the "
            f"unit direction v/‖v‖ ({unit}) the directional derivative is {compact(extra['unit_jvp'])}")


EXAMPLES = """
[bold]Examples[/bold]

  diffcli jvp "\\[x*y, x+y, sin(x)]" --at x=1,y=2 --dir x=1,y=0

  diffcli jvp "A @ x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --dir "x=[1,0]"     # first column of A

  diffcli jvp "x**2" --at "x=[1,2,3]" --dir "x=[1,1,1]" --json | jq .methods.forward.jvp

  diffcli jvp "x**2 + 3*y**2" --at x=1,y=0.5 --dir x=1,y=1 --plot dir.png
"""


@with_option_groups
def jvp(
    expr: ExprArgument,
    at: AtOption = None,
    direction: Annotated[Optional[list[str]], typer.Option(
        "--dir", help="The tangent v: NAME=VALUE[,...], shaped like each variable; unnamed variables get 0.")] = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    options: MethodOptions = METHOD_OPTIONS,
    output_format: FormatOption = "table",
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", metavar="FILE", dir_okay=False,
        help="Draw contours of f, ∇f and the direction v/‖v‖ to FILE.png|svg|pdf|jpg (two variables, one output; "
             "needs matplotlib).")] = None,
) -> None:
    """J·v: how every output moves along the direction v — forward mode in one pass.

    Reverse mode and SymPy get there through the whole Jacobian; central differences
    through one directional difference.
    """
    from diffcli.errors import UsageError
    from diffcli import api

    if not direction:
        raise UsageError("--dir is required: the direction v, e.g. --dir x=1,y=0")
    methods, explicit = start(options, output_format)
    if plot is not None:
        from diffcli.views.plots import files

        files.check_path(plot, "--plot")
        files.require_matplotlib("--plot")
    problem = load_problem(expr, at, let, wrt)
    v = read_assignments(direction, "--dir")
    if plot is not None:
        from diffcli.ad.problem import require_scalar
        from diffcli.views.plots import gradient

        require_scalar(problem.graph, "--plot")
        gradient.check_plottable(problem.point, problem.wrt, "--plot")
    with sympy_status(methods, options.json_output):
        result = api.jvp(problem, direction=v, **options.settings(methods, explicit))
    finish(problem.expr, problem.point, result.derivative, options, result.extra, fmt=output_format,
           note=_unit_note(result.extra))
    if plot is not None:
        gradient.draw(problem.graph, problem.point, problem.wrt, plot, direction=v)
