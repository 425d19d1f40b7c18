"""Every result's table as text cells (`paste.Grid`): what `--format markdown|latex` writes
and what the API's `to_markdown()`/`to_latex()` return.

One builder per kind of result; the cells are the numbers as a person reads them
(5.25, not 5.250000000000000; 2.7e-10 for an error). The terminal tables show the
same cells.

>>> from diffcli.ad.parse import parse
>>> from diffcli.views.trace import trace
>>> grid = trace_grid(trace(parse("c = a + b; d = a*c"), {"a": 2.0, "b": 3.0}, "reverse", ["a", "b"]))
>>> grid.headers, grid.rows[1]
(['vᵢ', 'definition', 'value', 'adjoint v̄ᵢ', 'rule applied'], ['c', 'c = a + b', '5', '2', 'ā += c̄; b̄ += c̄'])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.ad.text import number_text, value_text
from diffcli.views.paste import Grid, latex_matrix

ORDER_TEXT = {1: "O(h)", 2: "O(h²)", 4: "O(h⁴)"}


def cell(value: Any, digits: int = 15) -> str:
    """5.25, -inf, 'undefined' for NaN; a small tensor as [1, 2] / [[1, 2], [3, 4]] on one line."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return value_text(array, digits, entry_digits=min(digits, 8), most_entries=60)
    return number_text(array, digits, nan="undefined")


def error_cell(value: float | None) -> str:
    if value is None:
        return "—"
    return "0" if value == 0 else f"{value:.1e}"


def seconds_cell(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def point_text(point: dict[str, Any]) -> str:
    return ", ".join(f"{name}={cell(value, 10)}" for name, value in point.items())


def _status(m: Any) -> str:
    return m.status + (f": {m.message}" if m.message else "")


def gradient_grid(point: dict[str, Any], comparison: Any) -> Grid:
    """`grad`: one row per method, one column per variable, then errors, step and time."""
    with_steps = any("step" in m.extra for m in comparison.methods.values())
    headers = ["method", *[f"∂f/∂{name}" for name in comparison.wrt], "abs error", "rel error"]
    headers += ["step h"] if with_steps else []
    headers += ["time"]
    rows = []
    for name, m in comparison.methods.items():
        label = f"{name} *" if name == comparison.reference else name
        if m.status != "ok":
            blanks = [""] * (len(comparison.wrt) - 1 + with_steps)
            rows.append([label, _status(m), *blanks, "—", "—", seconds_cell(m.seconds)])
            continue
        steps = []
        if with_steps:
            step = m.extra.get("step")
            steps = [", ".join(cell(step[n], 3) for n in comparison.wrt) if step is not None else ""]
        rows.append([label, *[cell(m.result[n]) for n in comparison.wrt], error_cell(m.error),
                     error_cell(m.rel_error), *steps, seconds_cell(m.seconds)])
    caption = f"errors against {comparison.reference} (*)" if comparison.reference else None
    return Grid(headers, rows, title=f"f({point_text(point)}) = {cell(comparison.value)}", caption=caption)


def summary_grid(derivative: Any) -> Grid:
    """`jvp`/`vjp`/`jacobian`/`hessian`: passes, error norms and time of each method."""
    comparison = derivative.comparison
    rows = []
    for name, m in comparison.methods.items():
        label = f"{name} (reference)" if name == comparison.reference else name
        if m.status != "ok":
            rows.append([label, _status(m), "—", "—", seconds_cell(m.seconds)])
            continue
        passes = m.extra.get("passes")
        rows.append([label, "" if passes is None else str(passes), error_cell(m.error), error_cell(m.rel_error),
                     seconds_cell(m.seconds)])
    return Grid(["method", "passes", "‖error‖∞", "rel error", "time"], rows)


def matrix_grid(matrix: Any, rows: list[str], columns: list[str], title: str | None = None) -> Grid:
    """A labelled matrix (Jacobian: outputs × inputs; Hessian: inputs × inputs)."""
    return Grid(["", *columns], [[label, *[cell(v, 10) for v in row]] for label, row in zip(rows, np.asarray(matrix))],
                title=title)


def matrix_latex(symbol: str, matrix: Any) -> str:
    """'J = \\begin{bmatrix}…\\end{bmatrix}' in display math."""
    return f"\\[\n{symbol} = {latex_matrix(matrix)}\n\\]"


def trace_grid(result: Any, limit: int | None = None) -> Grid:
    """`trace`: the Wengert list, one row per vᵢ; with `limit`, a longer trace shows its two ends."""
    header = "tangent v̇ᵢ" if result.mode == "forward" else "adjoint v̄ᵢ"
    steps = result.steps
    hidden = len(steps) - limit if limit is not None else 0
    # A long trace (a loop run 10,000 times) is not read row by row: its two ends; --json has every step.
    shown = steps if hidden <= 0 else steps[:limit // 2] + [None] + steps[-(limit // 2):]
    rows = [["…", f"{hidden:,} more steps (all of them with --json)", "", "", ""] if step is None else
            [step.name, "input" if step.op == "input" else f"{step.name} = {step.expression}", cell(step.value),
             cell(step.derivative), step.rule or ""] for step in shown]
    if result.mode == "forward":
        seed = ", ".join(f"{name}̇ = {cell(v, 10)}" for name, v in result.direction.items())
        title = f"forward mode, tangents along {seed}"
    else:
        title = f"reverse mode, adjoints v̄ᵢ = ∂{result.output}/∂vᵢ, seeded with {result.output}̄ = 1"
    return Grid(["vᵢ", "definition", "value", header, "rule applied"], rows, title=title,
                right=[False, False, True, True, False])


def sweep_grids(result: Any) -> list[Grid]:
    """`numeric --sweep`: |quotient − AD| per step and scheme (★ = smallest), then the best steps."""
    from diffcli.views.sweep import ORDER

    schemes = [s for s in result.values if s in result.best]
    rows = []
    for index, step in enumerate(result.steps):
        cells = [f"{step:.0e}"]
        for scheme in schemes:
            error = result.errors[scheme][index]
            text = error_cell(error) if error == error else "undefined"
            cells.append(text + (" ★" if result.best[scheme].h == step else "  "))
        rows.append(cells)
    title = (f"∂f/∂{result.variable} at {result.variable} = {cell(result.x)}: reverse-mode AD gives "
             f"{cell(result.reference)}; each column is |quotient − AD| (★ = smallest)")
    errors = Grid(["h", *schemes], rows, title=title)
    best_rows = []
    for scheme in schemes:
        best = result.best[scheme]
        textbook = f"{best.textbook_h:.1e}" if best.textbook_h is not None else "any h ≲ 1e-8"
        best_rows.append([scheme, ORDER_TEXT[ORDER[scheme]], f"{best.h:.0e}", error_cell(best.error), textbook])
    summary = Grid(["scheme", "error order", "best h", "error there", "textbook h"], best_rows, title="best step")
    return [errors, summary]


def taylor_grid(series: Any, reference: Any, order: int, expr: str) -> Grid:
    """`taylor`: k, f⁽ᵏ⁾(a), cₖ by AD, SymPy's cₖ and the error, graph size."""
    headers = ["k", f"f⁽ᵏ⁾({cell(series.center, 6)})", "coefficient cₖ (AD)"]
    compared = reference is not None and reference.status == "ok"
    if compared:
        headers += ["SymPy series", "error"]
    headers += ["graph nodes"]
    rows = []
    for k, (derivative, coefficient, size) in enumerate(zip(series.derivatives, series.coefficients,
                                                            series.graph_sizes)):
        cells = [str(k), cell(derivative), cell(coefficient)]
        if compared:
            cells += [reference.exact[k], error_cell(abs(coefficient - reference.values[k]))]
        rows.append(cells + [str(size)])
    title = (f"Taylor series of {expr} in {series.variable} at {series.variable} = {cell(series.center)}, "
             f"by forward mode applied {order} time{'s' if order != 1 else ''}")
    return Grid(headers, rows, title=title)


_MATRIX_TITLE = {"jacobian": ("Jacobian ∂fᵢ/∂xⱼ", "J"), "hessian": ("Hessian ∂²f/∂xᵢ∂xⱼ", "H")}


def result_lines(derivative: Any) -> list[tuple[str, Any]]:
    """J·v per output, or uᵀJ per variable, from the reference method: (label, value)."""
    comparison = derivative.comparison
    result = comparison.methods[comparison.reference].result
    if derivative.kind == "jvp":
        value = comparison.value
        names = [f"f{k + 1}" for k in range(len(value))] if isinstance(value, list) else ["f"]
        return [(f"J·v for {name}" if len(names) > 1 else "J·v", t) for name, t in zip(names, result)]
    return [(f"uᵀJ for {name}", result[name]) for name in comparison.wrt]


def derivative_text(point: dict[str, Any], derivative: Any, fmt: str) -> str:
    """`jvp`/`vjp`/`jacobian`/`hessian` as Markdown or LaTeX: the reference result, then the methods."""
    comparison, kind = derivative.comparison, derivative.kind
    value = comparison.value
    shown = "[" + ", ".join(cell(v, 10) for v in value) + "]" if isinstance(value, list) else cell(value, 10)
    heading = f"f({point_text(point)}) = {shown}"
    parts = [heading if fmt == "markdown" else f"% {heading}"]
    if comparison.reference is not None:
        result = comparison.methods[comparison.reference].result
        if kind in _MATRIX_TITLE:
            title, symbol = _MATRIX_TITLE[kind]
            if fmt == "latex":
                parts.append(f"% {title}, from {comparison.reference}\n" + matrix_latex(symbol, result))
            else:
                parts.append(matrix_grid(result, derivative.outputs, derivative.inputs,
                                         title=f"{title}, from {comparison.reference}:").markdown())
        else:
            lines = result_lines(derivative)
            if fmt == "latex":
                symbols = {"J·v": "J v", "uᵀJ": "u^{T} J"}
                parts.append("\n".join(
                    matrix_latex(next(v for k, v in symbols.items() if label.startswith(k))
                                 + (f" \\text{{ for }} {label.split(' for ')[1]}" if " for " in label else ""), t)
                    for label, t in lines))
            else:
                parts.append(f"from {comparison.reference}:\n\n" + "\n".join(f"- {label} = {cell(t, 10)}"
                                                                           for label, t in lines))
    parts.append(summary_grid(derivative).render(fmt))
    return "\n\n".join(parts)
