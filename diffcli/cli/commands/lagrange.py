"""`diffcli lagrange`: every critical point of f (on the constraint set), classified."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Annotated, Any, Callable, Iterator, Optional

import typer
from rich import box
from rich.table import Table

from diffcli.ad.inputs import read_assignments
from diffcli.cli.common import (ExprArgument, JsonOption, LetOption, err, number, out, print_json, read_expression,
                                seconds_text, warn)
from diffcli.errors import UsageError
from diffcli.extrema import solver as core
from diffcli.extrema.check import compare_exact, exact_solutions, matches, scipy_compare
from diffcli.extrema.plot import check_plottable
from diffcli.extrema.plot import plot as draw
from diffcli.extrema.problem import read_shapes

EXAMPLES = """
[bold]Examples[/bold]

  diffcli lagrange "x*y" --subject-to "x**2 + y**2 = 1"

  diffcli lagrange "x**2 + y**2" -s "x*y = 1" --min --json | jq .points[0].f

  diffcli lagrange "x + y + z" -s "x**2 + y**2 = 2" -s "x + z = 1" --exact

  diffcli lagrange "x*y*z" -s "x**2 + 2*y**2 + 3*z**2 = 6" --compare

  diffcli lagrange "x + y" -s "x**2 + y**2 = r**2" --let r=2

  diffcli lagrange "x @ A @ x" -s "x @ x = 1" --let "A=[[2,1],[1,3]]" --shape x=2

  diffcli lagrange "x*y" -s "x**2 + y**2 = 1" --start x=1,y=0.2 --starts 0 --verbose

  diffcli lagrange "x*y" -s "x**2 + y**2 = 1" --plot fig.png

  diffcli lagrange "x**4 + y**4 - 4*x*y + 1"

  diffcli lagrange "x**2 - 2*x*y + 2*y" -s "0 <= x <= 3" -s "0 <= y <= 2"

  diffcli lagrange "(x - 2)**2 + (y - 1)**2" -s "x**2 + y**2 <= 1" --sensitivity
"""

KIND_LABELS = {"min": "local min", "max": "local max", "saddle": "saddle", "degenerate": "degenerate",
               "irregular": "irregular"}
DIMENSION_WORDS = {1: "a curve", 2: "a surface"}


def lagrange(
    objective: ExprArgument,
    subject_to: Annotated[Optional[list[str]], typer.Option(
        "--subject-to", "-s", help="A constraint: 'g = c' or 'g == c' (or 'g', meaning = 0), 'g <= c', 'g >= c', "
        "'a <= g <= b' (< and > read as closed); repeat for several. Without any: the critical points of f.")] = None,
    let: LetOption = None,
    shape: Annotated[Optional[str], typer.Option(
        "--shape", help="Vector or matrix variables: NAME=N or NAME=NxM[,...] (or give them a --start).")] = None,
    minimum: Annotated[bool, typer.Option("--min", help="Report only the critical point with the smallest f.")] = False,
    maximum: Annotated[bool, typer.Option("--max", help="Report only the critical point with the largest f.")] = False,
    start: Annotated[Optional[list[str]], typer.Option(
        "--start", help="A starting point NAME=VALUE[,...] (repeatable; missing variables are drawn from --box).")] = None,
    starts: Annotated[int, typer.Option("--starts", help="Random starts of the first round (besides --start).")] = 20,
    max_starts: Annotated[int, typer.Option(
        "--max-starts", help="Stop the rounds of further starts here even if they still find new points.")] = 400,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random starts (same seed, same starts).")] = 0,
    box_text: Annotated[Optional[str], typer.Option(
        "--box", help="Where random starts are drawn: LO:HI for all variables, or NAME=LO:HI[,...]. Default -10:10.")] = None,
    tol: Annotated[float, typer.Option(
        "--tol", help="Converged when every equation of ∇L = 0 is within TOL of the size of its terms.")] = 1e-10,
    max_iter: Annotated[int, typer.Option("--max-iter", help="Newton iterations per start.")] = 100,
    certify: Annotated[bool, typer.Option(
        "--certify/--no-certify", help="Count the real critical points exactly with SymPy (small polynomial "
        "problems, at most --certify-timeout seconds).")] = True,
    certify_timeout: Annotated[float, typer.Option("--certify-timeout", help="Seconds SymPy may take to count.")] = 2.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print the Newton log of each point found.")] = False,
    exact: Annotated[bool, typer.Option("--exact", help="Also solve ∇L = 0 exactly with SymPy (polynomial systems).")] = False,
    exact_timeout: Annotated[float, typer.Option("--exact-timeout", help="Seconds SymPy may take for --exact.")] = 10.0,
    compare: Annotated[bool, typer.Option("--compare", help="Also run SciPy's SLSQP and trust-constr from the same starts.")] = False,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Draw contours, constraint and points (two variables) to FILE.png|svg|pdf|jpg.", metavar="FILE")] = None,
    sensitivity: Annotated[bool, typer.Option(
        "--sensitivity", help="At the optimum (--max: the largest f), λ of each active constraint beside the "
        "change of the optimal value when its right-hand side c moves (re-solved at c ± δ).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Every critical point of OBJECTIVE (on the constraint set), by Newton's method on ∇L = 0.

    L = f − Σ λᵢ (gᵢ − cᵢ); F = ∇L and its Jacobian come from automatic differentiation.
    Rounds of random starts go on until a round finds nothing new, each later round
    steered away from the points already found (deflation); for small polynomial
    problems SymPy counts the critical points exactly. Each point is classified on the
    constraint's tangent space (local min, local max, saddle), degenerate ones by a
    higher-order test; a curve of critical points is one row.
    """

    if minimum and maximum:
        raise UsageError("--min and --max exclude each other (without either, all points are shown)")
    for name, value in (("--exact-timeout", exact_timeout), ("--certify-timeout", certify_timeout)):
        if not value > 0:
            raise UsageError(f"{name} must be a positive number of seconds")
    given = core.read_starts(start)
    shapes = {name: tuple(getattr(value, "shape", ())) for values in given for name, value in values.items()
              if getattr(value, "shape", ())}
    shapes.update(read_shapes(shape))
    problem = core.build_problem(read_expression(objective), subject_to or [], shapes=shapes,
                                 constants=read_assignments(let, "--let"))
    core.read_starts(start, problem.variables)   # every --start name is a variable
    if plot is not None:
        from pathlib import Path

        from diffcli.views.plots import files

        files.check_path(Path(plot), "--plot")  # the file types and the missing-matplotlib message of every picture
        files.require_matplotlib("--plot")
        check_plottable(problem)
    bounds = core.read_box(box_text, problem.variables)
    sense = "max" if maximum else "min" if minimum else None
    failure = None
    with _progress("Newton from each start") as tick:
        try:
            result = core.solve(problem, starts=starts, start=given, seed=seed, box=bounds, tol=tol,
                                max_iter=max_iter, progress=tick, sense=sense, max_starts=max_starts,
                                certify=certify, certify_timeout=certify_timeout)
        except core.NoCandidate as error:
            result, failure = error.result, error
    exact_result = summaries = None
    if exact:

        exact_result = exact_solutions(problem, exact_timeout)
        # with --min/--max only one point is shown, but every point was searched for
        result.warnings.extend(compare_exact(problem, result.points, exact_result)[0])
    if compare:
        with _progress("SciPy from the same starts") as tick:
            summaries = scipy_compare(problem, result.first_starts, sense or "min", tick)
    prices = None
    if sensitivity and failure is None:
        from diffcli.extrema.sensitivity import shadow_prices

        optimum = result.max if maximum else result.min
        prices = (optimum, shadow_prices(problem, result.points[optimum], tol=tol))
    shown = ([result.max] if maximum else [result.min] if minimum else list(range(len(result.points))))
    if failure is None and plot is not None:
        draw(result, plot)
    if json_output:
        document = lagrange_document(result, shown, exact_result, summaries, sense or "min", verbose, sense)
        if prices is not None:
            document["sensitivity"] = {"point": shown.index(prices[0]) if prices[0] in shown else None,
                                       "rows": [price.__dict__ for price in prices[1]]}
        print_json(document)
    else:
        if failure is None:
            render(result, shown, exact_result, summaries, sense or "min", verbose)
            if prices is not None:
                _render_prices(*prices)
            if plot is not None:
                out().print(f"figure written to {plot}", markup=False, soft_wrap=True)
        else:
            render_second_opinions(result, exact_result, summaries, sense or "min")
    if failure is not None:
        raise failure      # one line on stderr: the reason (warnings about a run that found nothing would bury it)
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


def _exact_for(point: Any, exact: Any, problem: Any) -> dict[str, Any] | None:

    if exact is None or exact.status not in ("ok", "partial") or point.kind == "irregular":
        return None
    return next((s for s in exact.solutions if matches(s["x"], point.x, problem.variables, problem.labels())), None)


def kind_text(point: Any) -> str:
    """'local min', 'saddle (higher order)', 'local min: a curve of critical points', 'irregular' ..."""
    text = KIND_LABELS[point.kind]
    if point.kind == "saddle" and point.location:
        text = "neither"   # on the boundary: not a local extremum of f on the feasible set
    if point.kind == "degenerate" and not point.dimension and point.test != "second order":
        text = "degenerate: undecided" if "inconclusive" in point.test else text
    elif point.test == "higher order":
        text += " (higher order)"
    if point.dimension:
        text += f": {DIMENSION_WORDS.get(point.dimension, f'a {point.dimension}-dimensional set')} of critical points"
    if not point.licq and point.kind != "irregular":
        text += " (LICQ fails)"
    return text


def completeness_text(result: Any) -> str:
    """How complete the list is, in words."""
    c = result.completeness
    regular = sum(p.kind != "irregular" for p in result.points)
    if c.certified:
        return f"all {c.count} real critical point{'s' if c.count != 1 else ''} found (counted exactly by SymPy)"
    if c.certified is False and c.count is not None:
        return (f"SymPy counts {c.count} real critical point{'s' if c.count != 1 else ''}, {regular} found: "
                "some are missing (try --max-starts or a wider --box)")
    starts = f"{result.starts} start{'s' if result.starts != 1 else ''}"
    if c.saturated:
        return f"from {starts}; the last {c.new_in_last} found nothing new"
    return f"from {starts} (the search stopped at --max-starts while still finding points: some may be missing)"


def _point_document(problem: Any, p: Any, exact: Any, verbose: bool) -> dict[str, Any]:
    owner = problem.constraint_of_entry()
    entry: dict[str, Any] = {
        "x": problem.x_dict(p.x), "multipliers": problem.multiplier_values(p.multipliers), "f": p.f + 0.0,
        "kind": p.kind, "test": p.test, "eigenvalues": p.eigenvalues, "iterations": p.iterations,
        "residual": p.residual, "licq": p.licq, "found_by": p.found_by, "isolated": p.isolated,
        "active": [bool(any(p.active[k] for k in range(len(owner)) if owner[k] == i))
                   for i in range(len(problem.constraints))],
    }
    if problem.has_inequalities:
        entry["where"] = p.where
    if p.discriminant is not None:
        entry["D"] = p.discriminant
    if not p.isolated:
        entry["dimension"] = p.dimension
        entry["samples"] = [problem.x_dict(x) for x in p.samples]
    solution = _exact_for(p, exact, problem)
    if solution is not None:
        entry["exact"] = {"x": solution["text"], "f": solution["f_text"]}
    if verbose:
        entry["log"] = [{"iteration": s.iteration, "residual": s.residual, "step": s.step, "f": s.f,
                         "kind": s.kind} for s in p.log]
        if p.active.any() and p.kind != "irregular":
            from diffcli.extrema.classify import bordered_hessian

            bordered, minors = bordered_hessian(p.hessian, p.jacobian[p.active])
            entry["bordered_hessian"] = bordered
            entry["minors"] = [{"order": k, "value": v} for k, v in minors]
    return entry


def lagrange_document(result: Any, shown: list[int], exact: Any, summaries: Any, sense: str,
                      verbose: bool, choice: str | None = None) -> dict[str, Any]:
    """The `--json` document of DESIGN §4."""
    from diffcli.extrema.solver import extremes

    problem = result.problem
    shown = [i for i in shown if i is not None]
    values = [result.points[i].f for i in shown]
    largest, smallest = extremes(values)
    c = result.completeness
    document: dict[str, Any] = {
        "objective": problem.objective,
        "constraints": problem.texts,
        "variables": problem.labels(),
        "points": [_point_document(problem, result.points[i], exact, verbose) for i in shown],
        "max": largest[0] if largest else None,
        "min": smallest[0] if smallest else None,
        "ties": {"max": largest, "min": smallest},
        "starts": result.starts,
        "failed": result.failed,
        "failures": result.failures,
        "licq_failures": [{"x": problem.x_dict(p.x)} for p in result.points if p.kind == "irregular"],
        "completeness": {"certified": c.certified, "count": c.count, "message": c.message,
                         "starts_without_new": c.new_in_last, "saturated": c.saturated, "rounds": c.rounds,
                         "summary": completeness_text(result)},
        "seconds": result.seconds,
        "bounded": result.bounded,
        "absolute": bool(result.bounded) and not choice,
    }
    if problem.has_inequalities:
        from diffcli.extrema.inequality import CONVENTION

        document["convention"] = CONVENTION
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


def _newton_summary(result: Any, sense: str) -> dict[str, Any]:
    values = [p.f for p in result.points]
    return {"starts": result.starts, "succeeded": result.starts - result.failed,
            "answers": [{"x": result.problem.x_dict(p.x), "f": p.f} for p in result.points],
            "best": (max(values) if sense == "max" else min(values)) if values else None,
            "iterations": sum(r.iterations for r in result.runs),
            "evaluations": result.evaluations, "seconds": result.seconds}


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


def _header(problem: Any) -> str:
    if not problem.constraints:
        return f"f = {problem.objective}  (no constraint: the critical points of f)"
    return f"f = {problem.objective}  subject to  " + ";  ".join(problem.texts)


def render(result: Any, shown: list[int], exact: Any, summaries: Any, sense: str, verbose: bool) -> None:
    from diffcli.extrema.solver import extremes

    problem = result.problem
    console = out()
    console.print(_header(problem), markup=False)
    table = Table(show_header=True, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    for label in problem.labels():
        table.add_column(label, justify="right")
    for i in range(problem.m):
        table.add_column(f"λ{i + 1}", justify="right")
    table.add_column("f", justify="right")
    with_d = any(result.points[i].discriminant is not None for i in shown) and not problem.m
    if with_d:
        table.add_column("D", justify="right")
    if problem.has_inequalities:
        table.add_column("where")
    table.add_column("kind")
    table.add_column("best")
    with_exact = exact is not None and exact.status in ("ok", "partial")
    if with_exact:
        table.add_column("exact f (SymPy)")
    table.add_column("iter", justify="right")
    table.add_column("residual", justify="right")
    table.add_column("found by", justify="right")
    largest, smallest = extremes([result.points[i].f for i in shown])
    rows: list[list[str]] = []
    for position, index in enumerate(shown):
        p = result.points[index]
        mark = []
        if len(shown) > 1 and position in largest:
            mark.append("max f")
        if len(shown) > 1 and position in smallest:
            mark.append("min f")
        multipliers = ["—" if p.kind == "irregular" else number(v + 0.0, 8) for v in p.multipliers]
        row = [str(index + 1), *[number(v + 0.0, 8) for v in p.x], *multipliers, number(p.f + 0.0, 10)]
        if with_d:
            row.append(number(p.discriminant, 8) if p.discriminant is not None else "—")
        if problem.has_inequalities:
            row.append(p.where)
        row += [kind_text(p), ", ".join(mark)]
        if with_exact:
            solution = _exact_for(p, exact, problem)
            row.append(solution["f_text"] if solution else "—")
        row += [str(p.iterations), f"{p.residual:.1e}", f"{p.found_by}/{result.starts}"]
        rows.append(row)
    _print_table(table, rows)
    regular = sum(p.kind != "irregular" for p in result.points)
    irregular = len(result.points) - regular
    counted = f"{regular} critical point{'s' if regular != 1 else ''}"
    if irregular:
        counted += f" and {irregular} irregular point{'s' if irregular != 1 else ''}"
    console.print(f"{counted}; {completeness_text(result)}; {seconds_text(result.seconds)}", markup=False,
                  soft_wrap=True)
    if len(shown) > 1:
        for line in verdict_lines(result, shown):
            console.print(line, markup=False, soft_wrap=True)
    if problem.has_inequalities:
        from diffcli.extrema.inequality import CONVENTION

        console.print(CONVENTION, markup=False, soft_wrap=True, style="dim")
    if verbose:
        _render_logs(result, shown)
    render_second_opinions(result, exact, summaries, sense, table_shown=True)


def verdict_lines(result: Any, shown: list[int]) -> list[str]:
    """The absolute max and min over a bounded feasible set (every location of a tie), or the
    largest and smallest f found."""
    from diffcli.extrema.solver import extremes, format_point

    values = [result.points[i].f for i in shown]
    largest, smallest = extremes(values)
    if not result.bounded:
        return [f"largest f = {number(max(values) + 0.0, 12)}   smallest f = {number(min(values) + 0.0, 12)}"]
    lines = []
    for word, chosen in (("max", largest), ("min", smallest)):
        where = " and ".join(f"({format_point(result.problem, result.points[shown[k]].x)})" for k in chosen)
        lines.append(f"absolute {word} f = {number(values[chosen[0]] + 0.0, 12)} at {where}")
    if not result.completeness.certified and not result.completeness.saturated:
        lines.append("(among the candidates found: the search stopped before it saturated)")
    return lines


def render_second_opinions(result: Any, exact: Any, summaries: Any, sense: str, table_shown: bool = False) -> None:
    """SymPy's exact solutions (when no table shows them) and SciPy's runs."""
    if exact is not None and not table_shown and exact.status in ("ok", "partial"):
        console = out()
        console.print(f"SymPy: {len(exact.solutions)} real solution{'s' if len(exact.solutions) != 1 else ''} "
                      f"of ∇L = 0" + (f" ({exact.message})" if exact.message else ""), markup=False)
        for s in exact.solutions:
            console.print("  " + ", ".join(f"{k} = {v}" for k, v in s["text"].items()) + f"   f = {s['f_text']}",
                          markup=False)
    if summaries is not None:
        _render_compare(result, summaries, sense)


def _render_prices(index: int, prices: list[Any]) -> None:
    table = Table(title=f"shadow prices at point {index + 1}: λ = ∂f*/∂c", show_header=True, header_style="bold",
                  box=box.SIMPLE_HEAD)
    for name in ("active constraint", "λ", "Δf*/Δc (re-solved at c ± δ)", "δ"):
        table.add_column(name, justify="left" if name == "active constraint" else "right")
    _print_table(table, [[p.constraint, number(p.multiplier, 10), number(p.rate, 10), f"{p.delta:.1e}"]
                         for p in prices])


def _render_second_order(p: Any, index: int) -> None:
    """The bordered Hessian with its leading principal minors, beside the reduced Hessian's eigenvalues."""
    from diffcli.extrema.classify import bordered_hessian

    m = int(p.active.sum())
    bordered, minors = bordered_hessian(p.hessian, p.jacobian[p.active])
    console = out()
    console.print(f"point {index + 1}: bordered Hessian [[0, J], [Jᵀ, ∇²ₓL]] ({m} active constraint"
                  f"{'s' if m != 1 else ''}); a min needs every minor of sign (−1)^{m}, a max alternating signs "
                  f"starting with (−1)^{m + 1}", markup=False, soft_wrap=True)
    console.print(number(bordered, 8), markup=False)
    console.print("  leading principal minors: " + ", ".join(f"order {k}: {number(v, 6)}" for k, v in minors)
                  + "   reduced Hessian eigenvalues: " + (number(p.eigenvalues, 6) if p.eigenvalues.size else "none"),
                  markup=False, soft_wrap=True)


def _render_logs(result: Any, shown: list[int]) -> None:
    for index in shown:
        p = result.points[index]
        if p.active.any() and p.kind != "irregular":
            _render_second_order(p, index)
        if not p.log:
            continue
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
