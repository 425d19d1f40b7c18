"""`diffcli check`: is a claimed derivative right? A verdict, a counterexample, an exit code."""

from __future__ import annotations

import csv
import sys
from typing import Annotated, Any, Optional

import typer

from diffcli.errors import UsageError
from diffcli.cli.common import ExprArgument, JsonOption, LetOption, WrtOption, err, number, out, print_json

EXAMPLES = """
[bold]Examples[/bold]

  diffcli check "x**2*sin(x)" --claim "2*x*sin(x) + x**2*cos(x)"

  diffcli check "sin(x)**2" --claim "sin(2*x)"                    # equivalent forms pass

  diffcli check "x**2*y" --claim "x: 2*x*y" --claim "y: x**2"      # a gradient, part by part

  diffcli check "x**2*y" --claim "\\[2*x*y, x**2]" --json          # a gradient as a list, in --wrt order

  diffcli check "exp(x)*sin(x)" --order 2 --claim "2*exp(x)*cos(x)"

  diffcli check "x**2*y" --hessian --claim "\\[\\[2*y, 2*x], \\[2*x, 0]]"

  diffcli check "x**3" --claims-file answers.csv --format csv      # one verdict per student
"""

SHOWN_SKIPPED = 5
FORMATS = ("table", "csv", "json")


def _point_text(at: dict[str, float]) -> str:
    return ", ".join(f"{name} = {number(value, 12)}" for name, value in at.items())


def check_command(
    expr: ExprArgument,
    claim: Annotated[Optional[list[str]], typer.Option(
        "--claim", "-c", help="The claimed derivative, in the formula language: EXPR, 'x: EXPR' (repeat per "
        "variable), or a list [EXPR_x, EXPR_y] in --wrt order; a list of lists with --jacobian/--hessian.")] = None,
    claims_file: Annotated[Optional[str], typer.Option(
        "--claims-file", help="A CSV of answers: an id, then the claim (one cell, or one per component); "
        "one verdict per row.")] = None,
    order: Annotated[int, typer.Option("--order", "-n", help="The claim is the n-th derivative.")] = 1,
    jacobian: Annotated[bool, typer.Option("--jacobian", help="The claim is the Jacobian of a list [f1, f2, ...].")] = False,
    hessian: Annotated[bool, typer.Option("--hessian", help="The claim is the Hessian.")] = False,
    wrt: WrtOption = None,
    let: LetOption = None,
    at: Annotated[Optional[list[str]], typer.Option(
        "--at", help="Check only at this point (NAME=VALUE,...); repeat for more points.")] = None,
    samples: Annotated[Optional[int], typer.Option(
        "--samples", help="Random points drawn from the domain of f [default: 400], besides special values, "
        "points near edges and kinks.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample (the same seed, the same points).")] = 0,
    symbolic: Annotated[bool, typer.Option("--symbolic/--no-symbolic", help="Confirm with SymPy.")] = True,
    symbolic_timeout: Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take per claim.")] = 5.0,
    output_format: Annotated[Optional[str], typer.Option(
        "--format", help="With --claims-file: table, csv or json [default: table].")] = None,
    json_output: JsonOption = False,
) -> None:
    """Check a claimed derivative of F: exit 0 if correct, 1 if wrong (with a counterexample), 2 for usage errors.

    The claim is right when it equals the derivative wherever F is differentiable on
    its real domain. It is compared with reverse-mode AD at points sampled inside F's
    domain (seeded; across scales and signs; near the domain's edges and kinks), with a
    tolerance relative to the size of the derivative's terms, then confirmed by SymPy.
    Points where F is not differentiable are skipped and listed.
    """
    from diffcli.ad.inputs import read_assignments
    from diffcli.checks.domain import DEFAULT_SAMPLES
    from diffcli.checks.verdict import judge, prepare
    from diffcli.cli.common import read_expression, split_names

    if (claim is None) == (claims_file is None):
        raise UsageError("give either --claim or --claims-file")
    if jacobian and hessian:
        raise UsageError("--jacobian and --hessian: choose one")
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    if output_format is not None and output_format not in FORMATS:
        raise UsageError(f"--format: unknown format '{output_format}' (choose {', '.join(FORMATS)})")
    if output_format is not None and claims_file is None:
        raise UsageError("--format is for --claims-file; use --json for one claim")
    kind = "jacobian" if jacobian else "hessian" if hessian else "derivative"
    points = [read_assignments(text, "--at") for text in at] if at else None
    reference = prepare(read_expression(expr), wrt=split_names(wrt, "--wrt"), let=read_assignments(let, "--let"),
                        kind=kind, order=order, at=points,
                        samples=DEFAULT_SAMPLES if samples is None else samples, seed=seed)
    options = dict(explicit_wrt=wrt is not None, symbolic=symbolic, symbolic_timeout=symbolic_timeout)
    if claims_file is not None:
        _check_file(reference, claims_file, "json" if json_output else output_format or "table", options)
        return
    result = judge(reference, claim, **options)
    if json_output:
        print_json(result.document())
    else:
        _render(result)
    if result.verdict != "correct":
        raise typer.Exit(1)


def _render(result: Any) -> None:
    console = out()
    show = lambda text: console.print(text, markup=False, highlight=False)  # noqa: E731
    if result.parts is not None:
        claimed = ", ".join(f"{label} = {part}" for label, part in zip(result.components, result.parts))
    else:
        claimed = f"{'gradient' if result.kind == 'derivative' else result.kind} = {result.claim}"
    if result.verdict == "correct":
        show(f"correct: {claimed}")
        show(f"  equal to reverse-mode AD at {_count(result.checked_points, 'point')} of the domain of f "
             "(tolerance relative to the size of the terms)")
        show(f"  SymPy: {_symbolic_text(result.symbolic)}")
    elif result.verdict == "wrong":
        example = result.counterexample
        show(f"wrong: {example.component} at {_point_text(example.at)}: claimed {number(example.claimed)}, "
             f"actual {number(example.actual)}")
        if example.source == "SymPy":
            show(f"  ({result.message}; values from SymPy to 30 digits)")
        show(f"  claim: {claimed}")
    else:
        show(f"undecided: {result.message}")
    if result.skipped:
        show(f"  skipped {_count(len(result.skipped), 'point')}:")
        for skipped in result.skipped[:SHOWN_SKIPPED]:
            show(f"    {_point_text(skipped.at)}: {skipped.reason}")
        if len(result.skipped) > SHOWN_SKIPPED:
            show(f"    … and {len(result.skipped) - SHOWN_SKIPPED} more (--json lists them all)")


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _symbolic_text(status: str) -> str:
    return {
        "equivalent": "equivalent",
        "not shown": "could not show the two equal (the numeric check stands alone)",
        "timed out": "did not finish in time (the numeric check stands alone)",
        "unsupported": "cannot represent this formula (the numeric check stands alone)",
        "not run": "not run",
    }.get(status, status)


def _check_file(reference: Any, path: str, output_format: str, options: dict[str, Any]) -> None:
    """One verdict per row; a row whose claim is malformed gets the verdict 'invalid' and the reason."""
    from diffcli.checks.claims import read_claims_file
    from diffcli.checks.verdict import judge

    rows = read_claims_file(path)
    results: list[tuple[str, Any, str]] = []
    with _progress(len(rows)) as advance:
        for identifier, claims in rows:
            try:
                results.append((identifier, judge(reference, claims, **options), ""))
            except UsageError as error:
                results.append((identifier, None, str(error)))
            advance()
    if output_format == "json":
        print_json({"expr": reference.expr, "checked_points": reference.checked_points,
                    "skipped": [{"at": s.at, "reason": s.reason} for s in reference.skipped],
                    "rows": [{"id": identifier, **(result.document() if result else
                                                   {"verdict": "invalid", "message": message})}
                             for identifier, result, message in results]})
        return
    header = ["id", "verdict", "component", "at", "claimed", "actual", "symbolic", "note"]
    table = [[identifier, *_row(result, message)] for identifier, result, message in results]
    if output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
        return
    from rich.markup import escape
    from rich.table import Table

    view = Table(show_header=True, header_style="bold",
                 caption=f"checked at {reference.checked_points} points of the domain of {reference.expr}")
    for title in header:
        view.add_column(title, justify="right" if title in ("claimed", "actual") else "left")
    for row in table:
        view.add_row(*(escape(cell) for cell in row))
    out().print(view)


def _row(result: Any, message: str) -> list[str]:
    if result is None:
        return ["invalid", "", "", "", "", "", message]
    example = result.counterexample
    if example is None:
        return [result.verdict, "", "", "", "", result.symbolic, result.message]
    return [result.verdict, example.component, _point_text(example.at), number(example.claimed),
            number(example.actual), result.symbolic, result.message]


class _progress:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, total: int):
        self.total = total
        self.bar: Any = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return lambda: None
        from rich.progress import Progress

        self.bar = Progress(console=err(), transient=True)
        self.bar.start()
        task = self.bar.add_task("checking answers", total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()
