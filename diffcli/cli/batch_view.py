"""`diffcli grad --at-file points.csv`: value and gradient at every row, as a table, JSON or CSV."""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
from rich.table import Table

from diffcli.batch import files
from diffcli.batch.gradient import BatchResult, batch_gradient
from diffcli.errors import UsageError
from diffcli.cli.common import err, number, out, print_json, read_expression, seconds_text, split_names, warn


FORMATS = ("table", *files.FORMATS)
TABLE_ROWS = 20
PROGRESS_AFTER_SECONDS = 0.5


class _LazyProgress:
    """A progress bar on stderr, shown only on a terminal and only once the work has taken a moment."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.start < PROGRESS_AFTER_SECONDS or done >= total:
                return
            from rich.progress import Progress

            self.bar = Progress(console=err(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("points", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_batch(expr: str, at_file: str | None, at: list[str] | None, let: dict[str, Any], wrt: str | None,
              methods: list[str], output_format: str, json_output: bool, backend: str = "auto") -> None:
    """Everything `grad --at-file` does: read, compute, print."""
    if output_format not in FORMATS:
        raise UsageError(f"--format: expected one of {', '.join(FORMATS)}, got '{output_format}'")
    if at_file is None:
        option = f"--format {output_format}" if output_format != "table" else f"--backend {backend}"
        raise UsageError(f"{option} needs --at-file (a table of points)")
    if at:
        raise UsageError("give the points either with --at or with --at-file, not both")
    if json_output and output_format != "table":
        raise UsageError(f"--json and --format {output_format} exclude each other")
    if output_format in files.WRITERS and sys.stdout.isatty():
        raise UsageError(f"--format {output_format} writes binary data: send it to a file (> points.{output_format})")
    if [m for m in methods if m != "reverse"] and "reverse" not in methods:
        raise UsageError("--at-file computes gradients by reverse mode only (--method reverse)")
    progress = _LazyProgress()
    try:
        result = batch_gradient(read_expression(expr), files.read_points(at_file), let, split_names(wrt, "--wrt"),
                                progress=progress, backend=backend)
    finally:
        progress.close()
    if json_output:
        print_json(batch_document(at_file, result))
    elif output_format == "csv":
        files.write_csv(*_columns(result), sys.stdout)
    elif output_format in files.WRITERS:
        sys.stdout.flush()
        files.WRITERS[output_format](*_columns(result), sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        render_batch(result)
    for message in result.warnings:
        warn(message)


def batch_document(at_file: str, result: BatchResult) -> dict[str, Any]:
    """`--json`: arrays with one entry per point."""
    return {"expr": result.expr, "at_file": at_file, "points": result.rows, "wrt": result.wrt,
            "at": result.points, "value": result.value, "method": "reverse", "backend": result.backend,
            "grad": result.grad, "seconds": result.seconds, "warnings": result.warnings}


def _columns(result: BatchResult) -> tuple[list[str], list[np.ndarray]]:
    """Column names and columns: the variables, f, then ∂f/∂ each."""
    names = list(result.points) + ["f"] + [f"df/d{name}" for name in result.wrt]
    return names, [*result.points.values(), result.value, *(result.grad[n] for n in result.wrt)]


def render_batch(result: BatchResult) -> None:
    console = out()
    how = "evaluated in one compiled loop" if result.backend == "jit" else "evaluated in vectorised chunks"
    console.print(f"{result.rows} points, f and ∇f by reverse mode (∇f traced once, {how}): "
                  f"{seconds_text(result.seconds)}", markup=False)
    names, columns = _columns(result)
    data = np.column_stack([column[:TABLE_ROWS] for column in columns])
    table = Table(show_header=True, header_style="bold")
    table.add_column("point", justify="right")
    for name in names:
        table.add_column(name.replace("df/d", "∂f/∂"), justify="right", no_wrap=True)
    for row in range(min(result.rows, TABLE_ROWS)):
        table.add_row(str(row + 1), *[number(v, 10) for v in data[row]])
    console.print(table)
    if result.rows > TABLE_ROWS:
        console.print(f"… {result.rows - TABLE_ROWS} more points (all of them with --format csv or --json)",
                      markup=False)



