"""`diffcli lagrange`: every critical point of f subject to g = 0, classified."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Callable, Iterator, Optional
from contextlib import contextmanager

import numpy as np
import typer
from rich import box
from rich.table import Table

from diffcli.errors import UsageError
from diffcli.ad.flat import split_like
from diffcli.cli.common import (ExprArgument, JsonOption, err, number, out, print_json, read_expression, seconds_text,
                                status_text, warn)
from diffcli.extrema import solver as core
from diffcli.extrema.check import exact_solutions, scipy_compare
from diffcli.extrema.plot import check_plottable
from diffcli.extrema.plot import plot as draw

EXAMPLES = """
[bold]Examples[/bold]

  diffcli lagrange "x*y" --subject-to "x**2 + y**2 = 1"

  diffcli lagrange "x**2 + y**2" -s "x*y = 1" --min --json | jq .points[0].f

  diffcli lagrange "x + y + z" -s "x**2 + y**2 = 2" -s "x + z = 1" --exact

  diffcli lagrange "x*y*z" -s "x**2 + 2*y**2 + 3*z**2 = 6" --starts 60 --compare

  diffcli lagrange "x*y" -s "x**2 + y**2 = 1" --start x=1,y=0.2 --starts 0 --verbose

  diffcli lagrange "x*y" -s "x**2 + y**2 = 1" --plot fig.png
"""

KIND_LABELS = {"min": "local min", "max": "local max", "saddle": "saddle", "degenerate": "degenerate"}


def lagrange(
    objective: ExprArgument,
    subject_to: Annotated[Optional[list[str]], typer.Option(
        "--subject-to", "-s", help="A constraint 'g(x) = c' or 'g(x)' (meaning = 0); repeat for several.")] = None,
    minimum: Annotated[bool, typer.Option("--min", help="Report only the critical point with the smallest f.")] = False,
    maximum: Annotated[bool, typer.Option("--max", help="Report only the critical point with the largest f.")] = False,
    start: Annotated[Optional[list[str]], typer.Option(
        "--start", help="A starting point NAME=VALUE[,...] (repeatable; missing variables are drawn from --box).")] = None,
    starts: Annotated[int, typer.Option("--starts", help="How many random starts in the box (besides --start).")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random starts (same seed, same starts).")] = 0,
    box: Annotated[Optional[str], typer.Option(
        "--box", help="Where random starts are drawn: LO:HI for all variables, or NAME=LO:HI[,...]. Default -10:10.")] = None,
    tol: Annotated[float, typer.Option("--tol", help="Converged when ‖∇L‖∞ ≤ TOL·max(1, ‖∇f‖∞).")] = 1e-10,
    max_iter: Annotated[int, typer.Option("--max-iter", help="Newton iterations per start.")] = 100,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print the Newton log of each point found.")] = False,
    exact: Annotated[bool, typer.Option("--exact", help="Also solve ∇L = 0 exactly with SymPy (polynomial systems).")] = False,
    exact_timeout: Annotated[float, typer.Option("--exact-timeout", help="Seconds SymPy may take for --exact.")] = 10.0,
    compare: Annotated[bool, typer.Option("--compare", help="Also run SciPy's SLSQP and trust-constr from the same starts.")] = False,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Draw contours, constraint and points (two variables) to FILE.png|svg|pdf|jpg.", metavar="FILE")] = None,
    json_output: JsonOption = False,
) -> None:
    """Every critical point of OBJECTIVE on the constraint set, by Newton's method on ∇L = 0.

    L = f − Σ λᵢ gᵢ; the KKT matrix comes from automatic differentiation. Random
    starts find the different critical points; each is classified by the reduced
    Hessian on the constraint's tangent space: local min, local max, saddle or degenerate.
    """
    if minimum and maximum:
        raise UsageError("--min and --max exclude each other (without either, all points are shown)")
    if not subject_to:
        raise UsageError("give at least one constraint with --subject-to (for no constraint, use grad)")
    if not exact_timeout > 0:
        raise UsageError("--exact-timeout must be a positive number of seconds")
    problem = core.build_problem(read_expression(objective), subject_to)
    if plot is not None:
        from pathlib import Path

        from diffcli.views.plots import files

        files.check_path(Path(plot), "--plot")  # the file types and the missing-matplotlib message of every picture
        files.require_matplotlib("--plot")
        check_plottable(problem)
    box_bounds = core.read_box(box, problem.variables)
    given = core.read_starts(start, problem.variables)
    with _progress("Newton from each start") as tick:
        result = core.solve(problem, starts=starts, start=given, seed=seed, box=box_bounds, tol=tol,
                            max_iter=max_iter, progress=tick,
                            sense="max" if maximum else "min" if minimum else None)
    sense = "max" if maximum else "min"
    shown = [result.max] if maximum else [result.min] if minimum else list(range(len(result.points)))
    exact_result = None
    if exact:
        exact_result = exact_solutions(problem, exact_timeout)
        # with --min/--max the runs aim at one kind of point: the others are not missed
        result.warnings.extend(_exact_warnings(result, exact_result, report_missed=not (minimum or maximum)))
    summaries = None
    if compare:
        with _progress("SciPy from the same starts") as tick:
            summaries = scipy_compare(problem, [run.start for run in result.runs], sense, tick)
    if plot is not None:
        draw(result, plot)
    if json_output:
        choice = "max" if maximum else "min" if minimum else None
        print_json(lagrange_document(result, shown, exact_result, summaries, sense, verbose, choice))
    else:
        render(result, shown, exact_result, summaries, sense, verbose)
        if plot is not None:
            out().print(f"figure written to {plot}")
    for message in result.warnings:
        warn(message)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err(), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


def _matches(x: dict[str, float], point: Any, variables: list[str]) -> bool:
    scale = 1e-6 * max(1.0, max(abs(v) for v in x.values()))
    return all(abs(x[name] - float(value)) <= scale for name, value in zip(variables, point.x))


def _exact_warnings(result: Any, exact: Any, report_missed: bool) -> list[str]:
    if exact.status != "ok":
        return [f"--exact: {status_text(exact.status, exact.message)}"]
    if not report_missed:
        return []
    problem = result.problem
    missed = [s for s in exact.solutions if not any(_matches(s["x"], p, problem.variables) for p in result.points)]
    return [f"--exact: SymPy finds a critical point the multistart missed: "
            f"{core.format_point(problem, np.array([s['x'][v] for v in problem.variables]))} (f = {s['f_text']}); "
            "try more --starts or a wider --box" for s in missed]


def _exact_for(point: Any, exact: Any, variables: list[str]) -> dict[str, Any] | None:
    if exact is None or exact.status != "ok":
        return None
    for solution in exact.solutions:
        if _matches(solution["x"], point, variables):
            return solution
    return None


def lagrange_document(result: Any, shown: list[int], exact: Any, summaries: Any, sense: str,
                      verbose: bool, choice: str | None = None) -> dict[str, Any]:
    """The `--json` document of DESIGN §4."""
    problem = result.problem
    points = []
    for index in shown:
        p = result.points[index]
        entry: dict[str, Any] = {
            "x": problem.x_dict(p.x), "multipliers": _multipliers(problem, p.multipliers), "f": p.f, "kind": p.kind,
            "eigenvalues": p.eigenvalues, "iterations": p.iterations, "residual": p.residual, "licq": p.licq,
            "found_by": p.found_by,
        }
        solution = _exact_for(p, exact, problem.variables)
        if solution is not None:
            entry["exact"] = {"x": solution["text"], "f": solution["f_text"]}
        if verbose:
            entry["log"] = [{"iteration": s.iteration, "residual": s.residual, "step": s.step, "f": s.f,
                             "kind": s.kind} for s in p.log]
        points.append(entry)
    values = [result.points[i].f for i in shown]
    document: dict[str, Any] = {
        "objective": problem.objective,
        "constraints": problem.constraints,
        "variables": problem.labels(),
        "points": points,
        "max": values.index(max(values)) if values else None,
        "min": values.index(min(values)) if values else None,
        "starts": result.starts,
        "failed": result.failed,
        "failures": result.failures,
        "licq_failures": [{"x": problem.x_dict(x)} for x in result.licq_failures],
        "seconds": result.seconds,
    }
    if choice is not None:  # --min or --max: the one point shown is that answer only
        document["min" if choice == "max" else "max"] = None
    if exact is not None:
        document["exact"] = {"status": exact.status, "message": exact.message, "seconds": exact.seconds,
                             "solutions": [{"x": s["x"], "exact": s["text"], "f": s["f"], "f_exact": s["f_text"]}
                                           for s in exact.solutions]}
    if summaries is not None:
        document["compare"] = _compare_document(result, summaries, sense)
    document["warnings"] = result.warnings
    return document


def _multipliers(problem: Any, values: Any) -> list[Any]:
    return split_like(values, problem.multiplier_shapes)


def _newton_summary(result: Any, sense: str) -> dict[str, Any]:
    values = [p.f for p in result.points]
    return {"starts": result.starts, "succeeded": result.starts - result.failed,
            "answers": [{"x": result.problem.x_dict(p.x), "f": p.f} for p in result.points],
            "best": (max(values) if sense == "max" else min(values)) if values else None,
            "iterations": sum(r.iterations for r in result.runs),
            "evaluations": sum(r.evaluations for r in result.runs), "seconds": result.seconds}


def _compare_document(result: Any, summaries: Any, sense: str) -> dict[str, Any]:
    problem = result.problem
    document = {"sense": sense, "diffcli": _newton_summary(result, sense)}
    for name, s in summaries.items():
        document[name] = {"starts": s.starts, "succeeded": s.succeeded,
                          "answers": [{"x": problem.x_dict(x), "f": f} for x, f in s.answers], "best": s.best,
                          "iterations": s.iterations, "evaluations": s.evaluations, "seconds": s.seconds}
    return document


def _print_table(table: Table, rows: list[list[str]]) -> None:
    """Print `rows` in `table` wide enough for every cell: numbers are never cut short."""
    for row in rows:
        table.add_row(*row)
    widths = [max([len(str(column.header))] + [len(row[i]) for row in rows]) for i, column in enumerate(table.columns)]
    console = out()
    saved = console.width
    console.width = max(saved, sum(widths) + 3 * len(widths) + 2)  # print() alone caps at the console width
    try:
        console.print(table)
    finally:
        console.width = saved


def render(result: Any, shown: list[int], exact: Any, summaries: Any, sense: str, verbose: bool) -> None:
    problem = result.problem
    console = out()
    console.print(f"f = {problem.objective}  subject to  " + ";  ".join(problem.constraints), markup=False)
    table = Table(show_header=True, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    labels = problem.labels()
    for label in labels:
        table.add_column(label, justify="right")
    for i in range(problem.m):
        table.add_column(f"λ{i + 1}", justify="right")
    table.add_column("f", justify="right")
    table.add_column("kind")
    table.add_column("best")
    if exact is not None and exact.status == "ok":
        table.add_column("exact f (SymPy)")
    table.add_column("iter", justify="right")
    table.add_column("residual", justify="right")
    table.add_column("found by", justify="right")
    values = [result.points[i].f for i in shown]
    top, bottom = max(values), min(values)
    rows: list[list[str]] = []
    for index in shown:
        p = result.points[index]
        mark = []
        if len(shown) > 1 and p.f == top:
            mark.append("max f")
        if len(shown) > 1 and p.f == bottom:
            mark.append("min f")
        kind = KIND_LABELS[p.kind] + ("" if p.licq else " (LICQ fails)")
        row = [str(index + 1), *[number(v + 0.0, 8) for v in p.x], *[number(v + 0.0, 8) for v in p.multipliers],
               number(p.f + 0.0, 10), kind, ", ".join(mark)]
        if exact is not None and exact.status == "ok":
            solution = _exact_for(p, exact, problem.variables)
            row.append(solution["f_text"] if solution else "—")
        row += [str(p.iterations), f"{p.residual:.1e}", f"{p.found_by}/{result.starts}"]
        rows.append(row)
    _print_table(table, rows)
    console.print(f"{len(result.points)} critical point{'s' if len(result.points) != 1 else ''} from "
                  f"{result.starts} start{'s' if result.starts != 1 else ''}"
                  + (f" ({result.failed} did not converge)" if result.failed else "")
                  + f" in {seconds_text(result.seconds)}")
    if len(shown) > 1:
        console.print(f"largest f = {number(top, 12)}   smallest f = {number(bottom, 12)}")
    if verbose:
        _render_logs(result, shown)
    if summaries is not None:
        _render_compare(result, summaries, sense)


def _render_logs(result: Any, shown: list[int]) -> None:
    for index in shown:
        p = result.points[index]
        table = Table(title=f"Newton log, point {index + 1}", show_header=True, header_style="bold", box=box.SIMPLE_HEAD)
        for name in ("iteration", "‖∇L‖∞", "step", "f", "step kind"):
            table.add_column(name, justify="right")
        _print_table(table, [[str(s.iteration), f"{s.residual:.3e}", f"{s.step:g}" if s.step else "—",
                              number(s.f, 12), s.kind if s.step else ""] for s in p.log])


def _render_compare(result: Any, summaries: Any, sense: str) -> None:
    rows = [("diffcli Newton", _newton_summary(result, sense))]
    for name, s in summaries.items():
        rows.append((f"SciPy {name}",
                     {"starts": s.starts, "succeeded": s.succeeded, "answers": s.answers, "best": s.best,
                      "iterations": s.iterations, "evaluations": s.evaluations, "seconds": s.seconds}))
    table = Table(title="the same starts, three solvers", show_header=True, header_style="bold", box=box.SIMPLE_HEAD)
    for name in ("method", "succeeded", "distinct answers", f"best f ({sense})", "iterations", "f evaluations", "time"):
        table.add_column(name, justify="right" if name != "method" else "left")
    _print_table(table, [[label, f"{s['succeeded']}/{s['starts']}", str(len(s["answers"])),
                          "—" if s["best"] is None else number(s["best"], 12), str(s["iterations"]),
                          str(s["evaluations"]), seconds_text(s["seconds"])] for label, s in rows])
