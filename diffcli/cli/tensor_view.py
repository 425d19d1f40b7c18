"""Showing tensors and the Jacobian family on a terminal.

A gradient of a matrix variable is shown as a matrix (one text line per row, never
wrapped), a Jacobian or Hessian as a table labelled by its input and output entries,
and every method gets one summary row: passes, error norms against the reference, time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.table import Table

from diffcli.checks.compare import Comparison, Derivative
from diffcli.cli.common import error_text, number, out, seconds_text, status_text

MAX_TABLE_COLUMNS = 12
MAX_TABLE_ROWS = 40


def array_text(value: Any, digits: int = 6, aligned: bool = True) -> str:
    """A tensor as aligned rows ('[[ 0.6, -0.2],\\n [-0.2,  0.4]]'); a number as `number`."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return number(array)
    # Vectors compactly ([102.4, 1024, 0.1024]); matrices aligned, one row per line.
    formatter = {"float_kind": lambda v: number(v, digits)} if array.ndim == 1 or not aligned else None
    return np.array2string(array, precision=digits, separator=", ", suppress_small=True, floatmode="maxprec",
                           max_line_width=10_000, threshold=60, edgeitems=3, formatter=formatter)


def compact(value: Any) -> str:
    """A value on one line: 1.5, [1, 2], [[1, 2], [3, 4]] (long tensors summarised)."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return number(array, 10)
    return " ".join(array_text(array, 6, aligned=False).split())


def point_text(point: dict[str, Any]) -> str:
    return ", ".join(f"{name}={compact(value)}" for name, value in point.items())


def has_tensor(point: dict[str, Any], names: list[str]) -> bool:
    return any(np.ndim(point[name]) > 0 for name in names)


def _step_text(step: Any) -> str:
    if step is None:
        return ""
    values = np.concatenate([np.ravel(np.asarray(s, dtype=np.float64)) for s in
                             (step.values() if isinstance(step, dict) else [step])])
    if values.size == 0:
        return ""
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    return number(low, 3) if low == high else f"{number(low, 3)}…{number(high, 3)}"


def _label(name: str, reference: str | None) -> str:
    return f"{name} (reference)" if name == reference else name


def _hanging(label: str, value: Any) -> str:
    """'  label = [[1, 2],\n            [3, 4]]': a tensor under its label, rows aligned."""
    indent = " " * (len(label) + 5)
    return f"  {label} = " + array_text(value).replace("\n", "\n" + indent)


def render_tensor_grad(point: dict[str, Any], comparison: Comparison) -> None:
    """`grad` when some variable is a tensor: per method, its error norms, then the gradient as vectors/matrices."""
    console = out()
    console.print(f"f({point_text(point)}) = {number(comparison.value)}", markup=False)
    for name, m in comparison.methods.items():
        label = _label(name, comparison.reference)
        if m.status != "ok":
            console.print(f"{label}: {status_text(m.status, m.message)} ({seconds_text(m.seconds)})", markup=False)
            continue
        step = _step_text(m.extra.get("step"))
        console.print(f"{label}: ‖error‖∞ {error_text(m.error)}, rel error {error_text(m.rel_error)}, "
                      f"{seconds_text(m.seconds)}" + (f", step h {step}" if step else ""), markup=False)
        for variable in comparison.wrt:
            console.print(_hanging(f"∂f/∂{variable}", m.result[variable]), markup=False)


def _matrix_table(matrix: np.ndarray, rows: list[str], columns: list[str]) -> Table | None:
    if len(columns) > MAX_TABLE_COLUMNS or len(rows) > MAX_TABLE_ROWS:
        return None
    table = Table(show_header=True, header_style="bold")
    table.add_column("", style="bold", no_wrap=True)
    for label in columns:
        table.add_column(label, justify="right", no_wrap=True)
    for label, row in zip(rows, matrix):
        table.add_row(label, *[number(v, 10) for v in row])
    return table


def render_derivative(point: dict[str, Any], derivative: Derivative) -> None:
    """A jvp / vjp / jacobian / hessian comparison: the reference result, then one row per method."""
    console = out()
    comparison, kind = derivative.comparison, derivative.kind
    value = comparison.value
    shown = "[" + ", ".join(compact(v) for v in value) + "]" if isinstance(value, list) else compact(value)
    console.print(f"f({point_text(point)}) = {shown}", markup=False)
    reference = comparison.methods.get(comparison.reference) if comparison.reference else None
    if reference is not None:
        _render_result(kind, reference.result, derivative)
    from diffcli.cli.paste import rich_table
    from diffcli.views.tables import summary_grid

    summary = rich_table(summary_grid(derivative))
    summary.columns[1].no_wrap = False  # 'skipped: needs the whole …-entry Jacobian' may wrap
    console.print(summary)


def _render_result(kind: str, result: Any, derivative: Derivative) -> None:
    console = out()
    reference = derivative.comparison.reference
    if kind in ("jacobian", "hessian"):
        title = "Jacobian ∂fᵢ/∂xⱼ" if kind == "jacobian" else "Hessian ∂²f/∂xᵢ∂xⱼ"
        console.print(f"{title}, from {reference}:", markup=False)
        table = _matrix_table(np.asarray(result), derivative.outputs, derivative.inputs)
        if table is None:
            console.print(f"  {len(derivative.outputs)}×{len(derivative.inputs)}: too large to show; use --json",
                          markup=False)
        else:
            console.print(table)
        return
    from diffcli.views.tables import result_lines

    console.print(f"from {reference}:", markup=False)
    for label, value in result_lines(derivative):
        console.print(_hanging(label, value), markup=False)
