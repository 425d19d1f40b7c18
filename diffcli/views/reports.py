"""The JSON document of each command (DESIGN §4), built once from its result.

The CLI's `--json` prints these; the Python API's results return them from
`to_dict()` (through `views.document.plain`, so non-finite numbers are null and
explained under "nonfinite" in both).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from diffcli.checks.compare import Comparison, Derivative


def has_nonfinite(value: Any) -> bool:
    """Whether a number of `value` (a number, an array, a list or {name: value}) is inf or nan."""
    if isinstance(value, dict):
        return any(has_nonfinite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_nonfinite(v) for v in value)
    try:
        return not bool(np.isfinite(np.asarray(value, dtype=np.float64)).all())
    except (TypeError, ValueError):
        return False


def method_entries(comparison: Comparison, key: str, extras: tuple[str, ...],
                   shape: Callable[[Any], Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The `methods` of a --json document, and a warning for each result with numbers that are null there.

    A method that ran gives its result under `key` (through `shape`, the table's shape),
    its errors and the `extras` it has (step, passes, …); one that did not gives its
    status and message.
    """
    methods: dict[str, Any] = {}
    for name, m in comparison.methods.items():
        entry: dict[str, Any] = {"status": m.status, "seconds": m.seconds}
        if m.status == "ok":
            entry.update({key: shape(m.result) if shape is not None else m.result, "error": m.error,
                          "rel_error": m.rel_error})
            entry.update({extra: m.extra[extra] for extra in extras if extra in m.extra})
        else:
            entry["message"] = m.message
        methods[name] = entry
    nonfinite = [f"{name}: some values are not finite (null in JSON)" for name, m in comparison.methods.items()
                 if m.status == "ok" and has_nonfinite(m.result)]
    return methods, nonfinite


def grad_document(expr: str, point: dict[str, Any], comparison: Comparison) -> dict[str, Any]:
    """`grad --json`: {"expr", "at", "wrt", "value", "methods": {m: {"grad": {var: value}, …}},
    "reference", "kinks", "warnings"}."""
    methods, nonfinite = method_entries(comparison, "grad", ("step", "error_estimate", "passes"))
    return {
        "expr": expr,
        "at": point,
        "wrt": comparison.wrt,
        "value": comparison.value,
        "methods": methods,
        "reference": comparison.reference,
        "kinks": [{"where": k.where, "left": k.left, "right": k.right} for k in comparison.kinks],
        "warnings": comparison.warnings + nonfinite,
    }


def shown_result(derivative: Derivative, result: Any) -> Any:
    """The result in the shape the table shows: a J·v of a single-output formula is one value
    (2, or [2, 4, 6] for a vector output), not a list of one; a list formula keeps one entry per output."""
    if derivative.kind == "jvp" and not isinstance(derivative.comparison.value, list) and isinstance(result, list):
        return result[0]
    return result


def derivative_document(expr: str, point: dict[str, Any], derivative: Derivative,
                        extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """`jvp`/`vjp`/`jacobian`/`hessian --json`: the result under the command's name."""
    comparison, kind = derivative.comparison, derivative.kind
    methods, nonfinite = method_entries(comparison, kind, ("passes", "step"),
                                        lambda result: shown_result(derivative, result))
    document: dict[str, Any] = {"expr": expr, "at": point, "wrt": comparison.wrt, **(extra or {}),
                                "value": comparison.value, "inputs": derivative.inputs}
    if kind != "hessian":
        document["outputs"] = derivative.outputs
    document.update({"methods": methods, "reference": comparison.reference,
                     "warnings": comparison.warnings + nonfinite})
    return document


def _key(scheme: str) -> str:
    return scheme.replace(" ", "_")


def sweep_document(expr: str, point: dict[str, Any], result: Any) -> dict[str, Any]:
    """`numeric --sweep --json`: one row per h, the best h per scheme."""
    rows = []
    for index, step in enumerate(result.steps):
        row: dict[str, Any] = {"h": step}
        for scheme in result.values:
            row[_key(scheme)] = result.values[scheme][index]
            row[f"{_key(scheme)}_error"] = result.errors[scheme][index]
        rows.append(row)
    best = {_key(scheme): {"h": b.h, "error": b.error, "textbook_h": b.textbook_h} for scheme, b in result.best.items()}
    return {"expr": expr, "at": point, "variable": result.variable, "x": result.x, "reference": result.reference,
            "reference_method": "reverse", "rows": rows, "best": best, "warnings": result.notes}


def trace_document(expr: str, point: dict[str, Any], result: Any) -> dict[str, Any]:
    """`trace --json`: the steps in sweep order with value and tangent or adjoint."""
    from diffcli.views.summary import summarised  # a 10⁷-entry value is summarised, not listed

    key = "tangent" if result.mode == "forward" else "adjoint"
    return {
        "expr": expr, "at": {name: summarised(value) for name, value in point.items()}, "mode": result.mode,
        "output": result.output,
        "direction": result.direction, "warnings": result.warnings,
        "path": [{"kind": p.kind, "line": p.line, "column": p.column, "condition": p.condition,
                  "outcome": p.outcome, "times": p.times} for p in result.path],
        "steps": [{"name": s.name, "op": s.op, "inputs": s.inputs, "expr": s.expression,
                   "value": summarised(s.value), key: summarised(s.derivative), "rule": s.rule}
                  for s in result.steps],
    }


def taylor_document(expr: str, point: dict[str, Any], series: Any, reference: Any, order: int) -> dict[str, Any]:
    """`taylor --json`: AD's coefficients and derivatives, SymPy's beside them."""
    document = {"expr": expr, "at": point, "variable": series.variable, "center": series.center,
                "order": order, "coefficients": series.coefficients, "derivatives": series.derivatives,
                "graph_sizes": series.graph_sizes, "warnings": series.warnings}
    if reference is not None:
        errors = ([abs(a - b) for a, b in zip(series.coefficients, reference.values)]
                  if reference.status == "ok" else None)
        document["symbolic"] = {"status": reference.status, "message": reference.message,
                                "coefficients": reference.exact, "values": reference.values,
                                "max_error": max(errors) if errors else None}
    return document


def diff_warnings(formulas: list[Any], decisions: int = 0) -> list[str]:
    """A program's graph is the path it takes at --at: say so, its formula holds only there; then SymPy's troubles."""
    path = [f"the program's path at this point ({decisions} decision{'s' if decisions > 1 else ''} of its "
            "if/while/range): the formulas hold where it takes the same path"] if decisions else []
    return path + [f"{f.variable}: {f.message}" for f in formulas if f.message]


def diff_document(expr: str, order: int, wrt: list[str], formulas: list[Any], f_graph: int,
                  f_tree: int | None, decisions: int = 0) -> dict[str, Any]:
    """`diff --json`: SymPy's formulas, their sizes beside the AD graph's."""
    return {
        "expr": expr, "order": order, "wrt": wrt,
        "derivatives": {f.variable: f.text for f in formulas},
        "latex": {f.variable: f.latex for f in formulas},
        "simplified": {f.variable: f.simplified for f in formulas},
        "sizes": {"function": {"ad_graph": f_graph, "sympy": f_tree},
                  **{f.variable: {"ad_graph": f.ad_size, "sympy": f.sympy_size, "sympy_cse": f.sympy_cse_size,
                                  "simplified": f.simplified_size} for f in formulas}},
        "ad_programs": {f.variable: f.ad_program for f in formulas},
        "status": {f.variable: f.status for f in formulas},
        "warnings": diff_warnings(formulas, decisions),
    }
