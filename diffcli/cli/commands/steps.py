"""`diffcli steps`: the derivation as a calculus course writes it, one named rule per line."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.errors import UsageError
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, out, print_json

EXAMPLES = """
[bold]Examples[/bold]

  diffcli steps "3*x**3 - 5*x**2"                     # ... ends in 9x² − 10x

  diffcli steps "sin(x**2)" --format latex             # an align* block for a worksheet

  diffcli steps "x**2*y + exp(x*y)" --wrt y --format markdown

  diffcli steps "c = a + b; d = a*c" --wrt a --json    # a program, statement by statement
"""


def steps_command(
    expr: ExprArgument,
    wrt: WrtOption = None,
    let: LetOption = None,
    at: AtOption = None,
    output_format: Annotated[str, typer.Option("--format", help="text, latex (an align* block) or markdown.")] = "text",
    max_steps: Annotated[int, typer.Option("--max-steps", help="Show at most this many steps (the result is always complete).")] = 100,
    symbolic_timeout: Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take to confirm the result.")] = 5.0,
    json_output: JsonOption = False,
) -> None:
    """d/dx of a formula step by step: sum, constant multiple, power, product, quotient and chain rules,
    and each elementary function's derivative, until no derivative remains; then the simplified result.

    The rules are the op table's own (the ones forward and reverse mode run). Every line is
    checked against forward-mode AD at a point of the domain, and the result against AD at
    many points and against SymPy. --at gives that point (and the point a program with
    loops or branches runs at).
    """
    from diffcli.ad.inputs import read_assignments
    from diffcli.cli.common import read_expression, split_names
    from diffcli.views.steps import derive
    from diffcli.views.steps_text import FORMATS, document, render

    if output_format not in FORMATS:
        raise UsageError(f"--format: unknown format '{output_format}' (choose {', '.join(FORMATS)})")
    if max_steps < 1:
        raise UsageError("--max-steps must be at least 1")
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    names = split_names(wrt, "--wrt")
    if names is not None and len(names) != 1:
        raise UsageError("--wrt: steps derives with respect to one variable at a time")
    point = read_assignments(at, "--at") if at else None
    derivation = derive(read_expression(expr), names[0] if names else None, let=read_assignments(let, "--let"),
                        at=point, symbolic_timeout=symbolic_timeout)
    if json_output:
        print_json(document(derivation, max_steps))
        return
    out().print(render(derivation, output_format, max_steps), markup=False, highlight=False, soft_wrap=True)
