"""`--format table|markdown|latex`: one option, and text grids shown as a terminal table or pasted."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from diffcli.errors import UsageError

if TYPE_CHECKING:
    from rich.table import Table

    from diffcli.views.paste import Grid

FORMATS = ("table", "markdown", "latex")
FormatOption = Annotated[str, typer.Option(
    "--format", metavar="table|markdown|latex",
    help="table (the terminal), markdown (a pipe table) or latex (a tabular; a matrix as a bmatrix).")]


def check_format(fmt: str, json_output: bool, allowed: tuple[str, ...] = FORMATS) -> None:
    if fmt not in allowed:
        raise UsageError(f"--format: unknown format '{fmt}' (choose from {', '.join(allowed)})")
    if json_output and fmt != "table":
        raise UsageError(f"--json and --format {fmt} ask for two different outputs; choose one")


def rich_table(grid: "Grid") -> "Table":
    """The grid as the terminal shows it (Rich), cells taken as text, never as markup."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", caption=grid.caption)
    for k, header in enumerate(grid.headers):
        table.add_column(header, justify="right" if grid._right(k) else "left", no_wrap=True)
    for row in grid.rows:
        table.add_row(*[Text(c) for c in row])
    return table


def write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
