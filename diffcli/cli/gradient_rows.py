"""A gradient of many variables as one row per variable, for `diffcli grad`.

One column per variable (the usual table) stops being readable beyond a handful of
variables: through a pipe Rich squeezes every column to nothing. Here each variable is a
row and each method a column, the first `MAX_ROWS` variables are shown (all of them are
in `--json`), and a second small table gives each method's error, time and status.
"""

from __future__ import annotations

from typing import Any

from diffcli.checks.compare import Comparison
from diffcli.cli.common import error_text, number, out, seconds_text

BY_VARIABLE_FROM = 7  # variables from which the table turns
MAX_ROWS = 50


def render_by_variable(point: dict[str, Any], comparison: Comparison) -> None:
    from rich.table import Table

    console = out()
    wrt = comparison.wrt
    console.print(f"f at the point ({len(point)} values) = [bold]{number(comparison.value)}[/bold]")
    shown = [name for name, m in comparison.methods.items() if m.status == "ok"]
    values = Table(show_header=True, header_style="bold", title="∂f/∂variable by each method")
    values.add_column("variable", no_wrap=True)
    values.add_column("value", justify="right", no_wrap=True)
    for name in shown:
        values.add_column(name + (" *" if name == comparison.reference else ""), justify="right", no_wrap=True)
    for variable in wrt[:MAX_ROWS]:
        values.add_row(variable, number(point[variable], 10),
                       *[number(comparison.methods[name].result[variable]) for name in shown])
    console.print(values)
    if len(wrt) > MAX_ROWS:
        console.print(f"… {len(wrt) - MAX_ROWS} more variables (all of them with --json)", markup=False)
    summary = Table(show_header=True, header_style="bold",
                    caption=f"errors against {comparison.reference} (*), over all {len(wrt)} entries"
                    if comparison.reference else None)
    for title in ("method", "abs error", "rel error", "time", "status"):
        summary.add_column(title, justify="left" if title in ("method", "status") else "right", no_wrap=title != "status")
    for name, m in comparison.methods.items():
        status = "ok" if m.status == "ok" else m.status + (f": {m.message}" if m.message else "")
        summary.add_row(f"{name} *" if name == comparison.reference else name, error_text(m.error),
                        error_text(m.rel_error), seconds_text(m.seconds), status)
    console.print(summary)
