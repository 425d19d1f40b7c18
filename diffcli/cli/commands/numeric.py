"""`diffcli numeric`: finite differences, and with --sweep their error over h = 10⁻¹ … 10⁻¹⁶."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from diffcli.errors import UsageError
from diffcli.ad.problem import require_scalar
from diffcli.cli.paste import FormatOption, check_format
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, load_problem, out, print_json, warn
from diffcli.cli.options import HOption, RichardsonOption

EXAMPLES = """
[bold]Examples[/bold]

  diffcli numeric "3*x**3 - 5*x**2" --at x=1.5

  diffcli numeric "3*x**3 - 5*x**2" --at x=1.5 --sweep

  diffcli numeric "exp(x)/sqrt(sin(x)**3 + cos(x)**3)" --at x=1.5 --sweep --plot err.png

  diffcli numeric "x*y" --at x=1,y=2 --sweep --wrt y --json | jq .best

  diffcli numeric "3*x**3 - 5*x**2" --at x=1.5 --plot-secants limit.png    # or limit.gif, animated
"""


def numeric_command(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    sweep_steps: Annotated[bool, typer.Option(
        "--sweep", help="Every scheme at h = 1e-1 … 1e-16 with its error against AD.")] = False,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="With --sweep: draw the error curves to FILE.png|svg|pdf|jpg (needs matplotlib).",
        dir_okay=False)] = None,
    plot_secants: Annotated[Optional[Path], typer.Option(
        "--plot-secants", help="Draw f, its tangent at the point and secants through x₀ ± h, each with its slope, "
                               "to FILE.png|svg|pdf|jpg; FILE.gif animates h shrinking (needs matplotlib).",
        dir_okay=False, metavar="FILE")] = None,
    h: HOption = None,
    richardson: RichardsonOption = False,
    json_output: JsonOption = False,
    output_format: FormatOption = "table",
) -> None:
    """Finite-difference derivatives beside reverse-mode AD, or (--sweep) how their error depends on the step h.

    The sweep shows truncation error (large h) against round-off (small h): the best h
    of each scheme is marked beside the textbook optimum, √ε for one-sided differences
    and ε^{1/3} for central ones (times max(1, |x|)).
    """
    check_format(output_format, json_output)
    if plot is not None and not sweep_steps:
        raise UsageError("--plot draws the sweep; add --sweep")
    if plot_secants is not None:
        from diffcli.views.plots import files

        files.check_path(plot_secants, "--plot-secants", animated=True)
        files.require_matplotlib("--plot-secants")
    if not sweep_steps:
        _single(expr, at, let, wrt, h, richardson, json_output, plot_secants, output_format)
        return
    from diffcli import api

    if plot is not None:
        from diffcli.views.plots import files

        files.check_path(plot, "--plot")
        files.require_matplotlib("--plot")
    problem = load_problem(expr, at, let, wrt)
    swept = api.numeric(problem, wrt=wrt, sweep=True, h=h, richardson=richardson, quiet=True)
    result = swept.sweep
    if plot is not None:
        from diffcli.views.plots.sweep import plot_sweep

        plot_sweep(result, plot)
    if plot_secants is not None:
        _draw_secants(problem, plot_secants)
    if json_output:
        print_json(swept.to_dict())
    else:
        render_sweep(result, output_format)
    for note in result.notes:
        warn(note)


def _draw_secants(problem: Any, path: Path) -> None:
    """The limit picture, along the one variable (--wrt names it when there are several)."""
    from diffcli.views.plots import secants

    if len(problem.wrt) != 1:
        raise UsageError("--plot-secants draws f along one variable; "
                         + ("name it with --wrt" if problem.wrt else "the formula has none"))
    for note in secants.draw(problem.graph, problem.point, problem.wrt[0], path).notes:
        warn(note)


def _single(expr: str, at: Any, let: Any, wrt: Optional[str], h: Optional[float], richardson: bool,
            json_output: bool, plot_secants: Optional[Path] = None, fmt: str = "table") -> None:
    """Central differences (step chosen per entry, with an error estimate) against reverse AD."""
    from diffcli import api
    from diffcli.cli.commands.grad import render_grad
    from diffcli.views.reports import grad_document

    problem = load_problem(expr, at, let, wrt)
    if plot_secants is not None:
        require_scalar(problem.graph, "--plot-secants")
        _draw_secants(problem, plot_secants)
    comparison = api.numeric(problem, h=h, richardson=richardson, quiet=True).comparison
    if json_output:
        print_json(grad_document(problem.expr, problem.point, comparison))
    else:
        render_grad(problem.point, comparison, fmt)
    for message in comparison.warnings:
        warn(message)


def render_sweep(result: Any, fmt: str = "table") -> None:
    from diffcli.cli.paste import rich_table, write
    from diffcli.views.tables import sweep_grids

    errors, best = sweep_grids(result)
    if fmt != "table":
        write(errors.render(fmt) + "\n\n" + best.render(fmt))
        return
    console = out()
    console.print(errors.title, markup=False)
    console.print(rich_table(errors))
    summary = rich_table(best)
    summary.title = best.title
    console.print(summary)
