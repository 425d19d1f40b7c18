"""`diffcli grad`: the gradient four ways, side by side, each with its error."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from diffcli.ad.inputs import read_assignments
from diffcli.ad.program import retained_gradients
from diffcli.errors import UsageError
from diffcli.checks.compare import Comparison, compare_gradient
from diffcli.cli.common import (AtOption, CheckOption, ExprArgument, HOption, JsonOption, LetOption, MethodOption,
                                RichardsonOption, TimeoutOption, WrtOption, apply_check, error_text, load_problem,
                                method_entries, number, out, print_json, read_methods, seconds_text, status_text, warn)

EXAMPLES = """
[bold]Examples[/bold]

  diffcli grad "3*x**3 - 5*x**2" --at x=1.5

  diffcli grad "x*y + sin(x)" --at x=1,y=2 --json | jq .methods.reverse.grad

  diffcli grad "x if x >= 0 else sqrt(-x)" --at x=1 --method forward,reverse

  echo "a*(a+b)" | diffcli grad - --at a=2,b=3 --check 1e-6

  diffcli grad "mean(3*(x+2)**2)" --at "x=[[1,1],[1,1]]"

  diffcli grad "x*y + sin(x)" --at-file points.csv --format csv
"""


def grad(
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
    at_file: Annotated[Optional[str], typer.Option("--at-file", metavar="POINTS.csv", help="A CSV of points (header: variable names, one point per row; or .npy/.parquet with named columns): f and ∇f at each, by reverse mode: ∇f traced once as a graph, then evaluated over all points in vectorised chunks.")] = None,
    backend: Annotated[str, typer.Option("--backend", metavar="auto|numpy|jit", help="With --at-file: NumPy ufuncs over chunks, or one loop compiled by Numba (pip install \"diffcli[jit]\"); auto compiles for very large batches.")] = "auto",
    output_format: Annotated[str, typer.Option("--format", metavar="table|csv|npy|parquet", help="With --at-file: a table, CSV, or binary .npy/.parquet (for large batches; parquet needs pyarrow).")] = "table",
    retain: Annotated[bool, typer.Option("--retain", help="Also the gradient with respect to every variable the program assigns (its last assignment), like PyTorch's retain_grad; JSON: \"retained\".")] = False,
) -> None:
    """The gradient of a scalar formula at a point, by forward AD, reverse AD, central differences and SymPy.

    Each row is one method; each column one variable; the errors are measured against
    the reference (SymPy when it finishes, else reverse-mode AD).
    """
    methods, explicit = read_methods(method, check, symbolic_timeout)
    if retain and (at_file is not None or output_format != "table"):
        raise UsageError("--retain works at one point (--at), not with --at-file")
    if at_file is not None or output_format != "table" or backend != "auto":
        from diffcli.cli.batch_view import run_batch  # Rich's tables and the batch core: not on the --json path

        return run_batch(expr, at_file, at, read_assignments(let, "--let"), wrt, methods, output_format, json_output, backend)
    problem = load_problem(expr, at, let, wrt)
    comparison = compare_gradient(problem, methods, h=h, richardson=richardson,
                                  symbolic_timeout=symbolic_timeout, explicit=explicit)
    retained = retained_gradients(problem.expr, problem.point) if retain else None
    if json_output:
        document = grad_document(problem.expr, problem.point, comparison)
        if retained is not None:
            document["retained"] = retained
        print_json(document)
        shown: set[str] = set()
    else:
        render_grad(problem.point, comparison)
        if retained is not None:
            render_retained(retained)
        shown = {kink.message() for kink in comparison.kinks}  # already under the table
    for message in comparison.warnings:
        if message not in shown:
            warn(message)
    apply_check(comparison, check)


def grad_document(expr: str, point: dict[str, Any], comparison: Comparison) -> dict[str, Any]:
    """The `--json` document of DESIGN §4."""
    methods, nonfinite = method_entries(comparison, "grad", ("step", "error_estimate", "passes"))
    return {
        "expr": expr,
        "at": point,
        "wrt": comparison.wrt,
        "value": comparison.value,
        "methods": methods,
        "reference": comparison.reference,
        "kinks": [{"where": k.where, "left": k.left, "right": k.right} for k in comparison.kinks],
        "warnings": comparison.warnings + nonfinite,
    }


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


def render_grad(point: dict[str, Any], comparison: Comparison) -> None:
    from rich.table import Table  # the table's modules stay off the --json path

    from diffcli.cli.tensor_view import has_tensor, render_tensor_grad

    from diffcli.cli.gradient_rows import BY_VARIABLE_FROM, render_by_variable

    if has_tensor(point, comparison.wrt) or len(comparison.wrt) >= BY_VARIABLE_FROM:
        (render_tensor_grad if has_tensor(point, comparison.wrt) else render_by_variable)(point, comparison)
        return print_kinks(comparison)
    console = out()
    shown_point = ", ".join(f"{name}={number(value, 10)}" for name, value in point.items())
    console.print(f"f({shown_point}) = [bold]{number(comparison.value)}[/bold]")
    with_steps = any("step" in m.extra for m in comparison.methods.values())
    table = Table(show_header=True, header_style="bold",
                  caption=f"errors against {comparison.reference} (*)" if comparison.reference else None)
    table.add_column("method", no_wrap=True)
    for name in comparison.wrt:
        table.add_column(f"∂f/∂{name}", justify="right", no_wrap=True)
    table.add_column("abs error", justify="right", no_wrap=True)
    table.add_column("rel error", justify="right", no_wrap=True)
    if with_steps:
        table.add_column("step h", justify="right", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    for name, m in comparison.methods.items():
        label = f"{name} *" if name == comparison.reference else name
        if m.status != "ok":
            reason = status_text(m.status, m.message)
            blanks = [""] * (len(comparison.wrt) - 1 + with_steps)
            table.add_row(label, reason, *blanks, "—", "—", seconds_text(m.seconds))
            continue
        steps = []
        if with_steps:
            step = m.extra.get("step")
            steps = [", ".join(number(step[n], 3) for n in comparison.wrt) if step is not None else ""]
        table.add_row(label, *[number(m.result[n]) for n in comparison.wrt], error_text(m.error),
                      error_text(m.rel_error), *steps, seconds_text(m.seconds))
    console.print(table)
    print_kinks(comparison)


def print_kinks(comparison: Comparison) -> None:
    """Under the table: where the function is not differentiable, with its one-sided slopes."""
    for kink in comparison.kinks:
        out().print(f"[bold red]✗[/bold red] {kink.message()}", markup=True, highlight=False)
