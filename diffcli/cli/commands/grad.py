"""`diffcli grad`: the gradient four ways, side by side, each with its error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from diffcli.checks.compare import Comparison
from diffcli.errors import UsageError
from diffcli.cli.working import sympy_status
from diffcli.cli.common import (AtOption, ExprArgument, LetOption, WrtOption, apply_check, load_problem, number, out,
                                print_json, warn)
from diffcli.cli.options import METHOD_OPTIONS, MethodOptions, with_option_groups

EXAMPLES = """
[bold]Examples[/bold]

  diffcli grad "3*x**3 - 5*x**2" --at x=1.5

  diffcli grad "x*y + sin(x)" --at x=1,y=2 --json | jq .methods.reverse.grad

  diffcli grad "x if x >= 0 else sqrt(-x)" --at x=1 --method forward,reverse

  echo "a*(a+b)" | diffcli grad - --at a=2,b=3 --check 1e-6

  diffcli grad "mean(3*(x+2)**2)" --at "x=[[1,1],[1,1]]"

  diffcli grad "x*y + sin(x)" --at-file points.csv --format csv

  diffcli grad "x**2 + 3*y**2" --at x=1,y=0.5 --plot grad.png      # contours, ∇f, steepest ascent
"""


@with_option_groups
def grad(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    options: MethodOptions = METHOD_OPTIONS,
    at_file: Annotated[Optional[str], typer.Option("--at-file", metavar="POINTS.csv", help="A CSV of points (header: variable names, one point per row; or .npy/.parquet with named columns): f and ∇f at each, by reverse mode: ∇f traced once as a graph, then evaluated over all points in vectorised chunks.")] = None,
    backend: Annotated[str, typer.Option("--backend", metavar="auto|numpy|jit", help="With --at-file: NumPy ufuncs over chunks, or one loop compiled by Numba (pip install \"diffcli[jit]\"); auto compiles for very large batches.")] = "auto",
    output_format: Annotated[str, typer.Option(
        "--format", metavar="table|markdown|latex|csv|npy|parquet",
        help="At one point: table (the terminal), markdown or latex (to paste). With --at-file: a table, CSV, or "
             "binary .npy/.parquet (for large batches; parquet needs pyarrow).")] = "table",
    retain: Annotated[bool, typer.Option("--retain", help="Also the gradient with respect to every variable the program assigns (its last assignment), like PyTorch's retain_grad; JSON: \"retained\".")] = False,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", metavar="FILE", dir_okay=False,
        help="Draw the picture to FILE.png|svg|pdf|jpg (needs matplotlib): two variables, contours of f with ∇f "
             "and the steepest ascent; one variable, f with its tangent and secants.")] = None,
) -> None:
    """The gradient of a scalar formula at a point, by forward AD, reverse AD, central differences and SymPy.

    Each row is one method; each column one variable; the errors are measured against
    the reference (SymPy when it finishes, else reverse-mode AD).
    """
    from diffcli import api
    from diffcli.ad.retain import retained_gradients
    from diffcli.cli.paste import FORMATS, check_format

    methods, explicit = options.methods()
    if retain and (at_file is not None or output_format not in FORMATS):
        raise UsageError("--retain works at one point (--at), not with --at-file")
    if at_file is not None or output_format not in FORMATS or backend != "auto":
        from diffcli.ad.inputs import read_assignments
        from diffcli.cli.batch_view import run_batch

        return run_batch(expr, at_file, at, read_assignments(let, "--let"), wrt, methods, output_format,
                         options.json_output, backend)
    if plot is not None:
        from diffcli.views.plots import files

        files.check_path(plot, "--plot")
        files.require_matplotlib("--plot")
    check_format(output_format, options.json_output)
    if options.output is not None:
        from diffcli.views import export

        export.check_path(options.output)
    problem = load_problem(expr, at, let, wrt)
    if plot is not None:
        from diffcli.ad.problem import require_scalar
        from diffcli.views.plots import gradient

        require_scalar(problem.graph, "--plot")
        gradient.check_plottable(problem.point, problem.wrt, "--plot", one=True)
    with sympy_status(methods, options.json_output):
        comparison = api.grad(problem, **options.settings(methods, explicit)).comparison
    if options.output is not None:
        export.write(export.gradient_tensor(problem.point, comparison), options.output)
    retained = retained_gradients(problem.expr, problem.point) if retain else None
    if options.json_output:
        from diffcli.views.reports import grad_document

        document = grad_document(problem.expr, problem.point, comparison)
        if retained is not None:
            document["retained"] = retained
        print_json(document)
        shown: set[str] = set()
    else:
        render_grad(problem.point, comparison, output_format)
        if retained is not None and output_format == "table":
            render_retained(retained)
        shown = {kink.message() for kink in comparison.kinks} if output_format == "table" else set()
    for message in comparison.warnings:
        if message not in shown:
            warn(message)
    if plot is not None:
        gradient.draw(problem.graph, problem.point, problem.wrt, plot)
    apply_check(comparison, options.check)


def render_retained(retained: dict[str, Any]) -> None:
    """∂f/∂name for the program's assigned names (reverse mode), one line each."""
    console = out()
    if not retained:
        console.print("retained: the program assigns no intermediate variable", markup=False)
        return
    console.print("retained gradients (reverse mode), ∂f/∂name at each name's last assignment:", markup=False)
    for name, value in retained.items():
        label = f"  ∂f/∂{name} = "
        text = number(value).replace("\n", "\n" + " " * len(label))
        console.print(label + text, markup=False, highlight=False)


def render_grad(point: dict[str, Any], comparison: Comparison, fmt: str = "table") -> None:
    from diffcli.cli.paste import rich_table, write
    from diffcli.cli.tensor_view import has_tensor, render_tensor_grad
    from diffcli.views.tables import gradient_grid

    from diffcli.cli.gradient_rows import BY_VARIABLE_FROM, render_by_variable

    if fmt == "table" and (has_tensor(point, comparison.wrt) or len(comparison.wrt) >= BY_VARIABLE_FROM):
        (render_tensor_grad if has_tensor(point, comparison.wrt) else render_by_variable)(point, comparison)
        return print_kinks(comparison)
    grid = gradient_grid(point, comparison)
    if fmt != "table":
        write(grid.render(fmt))
        return
    console = out()
    console.print(grid.title, markup=False)
    console.print(rich_table(grid))
    print_kinks(comparison)


def print_kinks(comparison: Comparison) -> None:
    """Under the table: where the function is not differentiable, with its one-sided slopes."""
    for kink in comparison.kinks:
        out().print(f"[bold red]✗[/bold red] {kink.message()}", markup=True, highlight=False)
