"""`diffcli numeric`: finite differences, and with --sweep their error over h = 10⁻¹ … 10⁻¹⁶."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from diffcli.errors import UsageError
from diffcli.ad.problem import require_scalar
from diffcli.checks.compare import compare_gradient
from diffcli.cli.commands.grad import grad_document, render_grad
from diffcli.cli.common import (AtOption, ExprArgument, JsonOption, LetOption, WrtOption, error_text, load_problem, number, out,
                     print_json, warn)
from diffcli.views.sweep import ORDER, sweep
from diffcli.views.sweep_plot import check_plot_path, plot_sweep, require_matplotlib


EXAMPLES = """
[bold]Examples[/bold]

  diffcli numeric "3*x**3 - 5*x**2" --at x=1.5

  diffcli numeric "3*x**3 - 5*x**2" --at x=1.5 --sweep

  diffcli numeric "exp(x)/sqrt(sin(x)**3 + cos(x)**3)" --at x=1.5 --sweep --plot err.png

  diffcli numeric "x*y" --at x=1,y=2 --sweep --wrt y --json | jq .best
"""


_ORDER_TEXT = {1: "O(h)", 2: "O(h²)", 4: "O(h⁴)"}


def _key(scheme: str) -> str:
    return scheme.replace(" ", "_")


def numeric_command(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    sweep_steps: Annotated[bool, typer.Option(
        "--sweep", help="Every scheme at h = 1e-1 … 1e-16 with its error against AD.")] = False,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="With --sweep: draw the error curves to FILE.png|svg|pdf (needs matplotlib).",
        dir_okay=False)] = None,
    h: Annotated[Optional[float], typer.Option("--h", help="Step for central differences (default: chosen per entry).")] = None,
    richardson: Annotated[bool, typer.Option("--richardson", help="Richardson-extrapolate the central difference.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Finite-difference derivatives beside reverse-mode AD, or (--sweep) how their error depends on the step h.

    The sweep shows truncation error (large h) against round-off (small h): the best h
    of each scheme is marked beside the textbook optimum, √ε for one-sided differences
    and ε^{1/3} for central ones (times max(1, |x|)).
    """
    if plot is not None and not sweep_steps:
        raise UsageError("--plot draws the sweep; add --sweep")
    if sweep_steps and (h is not None or richardson):
        raise UsageError(f"{'--h' if h is not None else '--richardson'}: the sweep already covers every step and scheme")
    if not sweep_steps:
        _single(expr, at, let, wrt, h, richardson, json_output)
        return
    if plot is not None:
        check_plot_path(plot)
        require_matplotlib()
    problem = load_problem(expr, at, let, wrt)
    require_scalar(problem.graph, "numeric")
    if wrt is not None and len(problem.wrt) != 1:
        raise UsageError("--wrt: the sweep differentiates along one variable; name just one")
    if not problem.wrt:
        raise UsageError("the formula has no variable to differentiate")
    result = sweep(problem.graph, problem.point, problem.wrt[0])
    if plot is not None:
        plot_sweep(result, plot)
    if json_output:
        print_json(sweep_document(problem.expr, problem.point, result))
    else:
        render_sweep(result)
    for note in result.notes:
        warn(note)


def _single(expr: str, at: Any, let: Any, wrt: Optional[str], h: Optional[float], richardson: bool,
            json_output: bool) -> None:
    """Central differences (step chosen per entry, with an error estimate) against reverse AD."""
    problem = load_problem(expr, at, let, wrt)
    comparison = compare_gradient(problem, ("central", "reverse"), h=h, richardson=richardson, explicit=True)
    if json_output:
        print_json(grad_document(problem.expr, problem.point, comparison))
    else:
        render_grad(problem.point, comparison)
    for message in comparison.warnings:
        warn(message)


def sweep_document(expr: str, point: dict[str, Any], result: Any) -> dict[str, Any]:
    """The `numeric --sweep --json` document: one row per h, the best h per scheme."""
    rows = []
    for index, step in enumerate(result.steps):
        row: dict[str, Any] = {"h": step}
        for scheme in result.values:
            row[_key(scheme)] = result.values[scheme][index]
            row[f"{_key(scheme)}_error"] = result.errors[scheme][index]
        rows.append(row)
    best = {_key(scheme): {"h": b.h, "error": b.error, "textbook_h": b.textbook_h} for scheme, b in result.best.items()}
    return {"expr": expr, "at": point, "variable": result.variable, "x": result.x, "reference": result.reference,
            "reference_method": "reverse", "rows": rows, "best": best, "warnings": result.notes}


def render_sweep(result: Any) -> None:
    console = out()
    console.print(f"∂f/∂{result.variable} at {result.variable} = {number(result.x)}: "
                  f"reverse-mode AD gives [bold]{number(result.reference)}[/bold]; "
                  "each column is |quotient − AD| (★ = smallest)")
    schemes = [s for s in result.values if s in result.best]
    table = Table(show_header=True, header_style="bold")
    table.add_column("h", justify="right")
    for scheme in schemes:
        table.add_column(scheme, justify="right")
    for index, step in enumerate(result.steps):
        cells = [f"{step:.0e}"]
        for scheme in schemes:
            error = result.errors[scheme][index]
            text = error_text(error) if error == error else "undefined"
            cells.append(text + (" ★" if result.best[scheme].h == step else "  "))
        table.add_row(*cells)
    console.print(table)
    summary = Table(show_header=True, header_style="bold", title="best step")
    for title in ("scheme", "error order", "best h", "error there", "textbook h"):
        summary.add_column(title, justify="right" if title != "scheme" else "left")
    for scheme in schemes:
        best = result.best[scheme]
        textbook = f"{best.textbook_h:.1e}" if best.textbook_h is not None else "any h ≲ 1e-8"
        summary.add_row(scheme, _ORDER_TEXT[ORDER[scheme]], f"{best.h:.0e}", error_text(best.error), textbook)
    console.print(summary)
