"""What every command shares: option types, reading input, printing, exit codes."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import numpy as np
import typer

from diffcli.errors import UsageError
from diffcli.ad.problem import Problem, make_problem
from diffcli.ad.inputs import read_assignments
from diffcli.ad.text import number_text

if TYPE_CHECKING:
    from rich.console import Console

AtOption = Annotated[Optional[list[str]], typer.Option(
    "--at", help="The point: NAME=VALUE[,NAME=VALUE...]; VALUE may be a number, pi/4, [1,2], [[1,2],[3,4]] or @file.npy|.csv|.txt.")]
LetOption = Annotated[Optional[list[str]], typer.Option(
    "--let", help="Constants (not differentiated): NAME=VALUE[,...].")]
WrtOption = Annotated[Optional[str], typer.Option(
    "--wrt", help="Differentiate with respect to these variables only (comma-separated).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]
ExprArgument = Annotated[str, typer.Argument(
    help="The formula, e.g. \"3*x**3 - 5*x**2\" or a program \"c = a + b; d = a*c\"; - reads it from stdin.",
    show_default=False)]


def apply_check(comparison: Any, check: float | None) -> None:
    """--check TOL: exit 1 (MathError) when the methods disagree beyond the tolerance."""
    from diffcli.checks.options import apply_check as check_agreement

    check_agreement(comparison, check)


_stdout: "Console | None" = None
_stderr: "Console | None" = None


def out() -> "Console":
    """The stdout console (colour only on a terminal and without NO_COLOR)."""
    global _stdout
    from rich.console import Console  # not needed, so not imported, on the --json path

    if _stdout is None:
        # A pipe or a file has no width; don't squeeze tables to 80 columns there.
        wide = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
        _stdout = Console(highlight=False, soft_wrap=False, width=wide)
    return _stdout


def reset_consoles() -> None:
    """Forget the consoles: the next run makes new ones for the streams it is given."""
    global _stdout, _stderr
    _stdout = _stderr = None


def err() -> "Console":
    global _stderr
    from rich.console import Console

    if _stderr is None:
        _stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    return _stderr


def read_expression(expr: str) -> str:
    """The formula argument, or standard input for '-'."""
    if expr == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise UsageError("EXPR is '-' but there is no standard input")
        text = sys.stdin.read()
        if not text.strip():
            raise UsageError("EXPR is '-' but standard input is empty")
        return text
    return expr


def split_names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError(f"{option}: give at least one name")
    return names


def load_problem(expr: str, at: list[str] | None, let: list[str] | None, wrt: str | None = None) -> Problem:
    """Parse the formula and the point from the command line."""
    return make_problem(read_expression(expr), read_assignments(at, "--at"), read_assignments(let, "--let"),
                        split_names(wrt, "--wrt"))


def warn(message: str) -> None:
    err().print(f"warning: {message}", markup=False, highlight=False)


def jsonable(value: Any) -> Any:
    """Numbers and nested lists for JSON; non-finite numbers become null, explained under
    "nonfinite" in a document (`views.document`, shared with the API's to_dict())."""
    from diffcli.views.document import plain, plain_value

    return plain(value) if isinstance(value, dict) else plain_value(value)


def json_text(document: Any, indent: int | None = None) -> str:
    """The JSON text of a document: numbers and lists only, null for what is not finite."""
    return json.dumps(jsonable(document), allow_nan=False, indent=indent) + "\n"


def print_json(document: dict[str, Any]) -> None:
    """The document as one line of JSON on stdout, written as it goes (`views.document.write_json`:
    a 10⁷-entry tensor in blocks, not as one 200 MB string)."""
    from diffcli.views.document import write_json

    write_json(document, sys.stdout.write)
    sys.stdout.write("\n")


def status_text(status: str, message: str | None) -> str:
    """'timed out', or 'failed: reason' when there is a reason."""
    return status + (f": {message}" if message else "")


def number(value: Any, digits: int = 15) -> str:
    """A number the way a person reads it: 5.25, not 5.250000000000000; arrays as arrays."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return np.array2string(array, precision=min(digits, 8), separator=", ", suppress_small=False,
                               max_line_width=60)
    return number_text(array, digits, nan="undefined")


def error_text(value: float | None) -> str:
    """An error as every table shows it (views.tables, also the tables people paste)."""
    from diffcli.views.tables import error_cell

    return error_cell(value)


def seconds_text(seconds: float) -> str:
    from diffcli.views.tables import seconds_cell

    return seconds_cell(seconds)
