"""Jacobians and Hessians from SymPy: the graph converted by `symbolic.to_sympy`, then
differentiated entry by entry and evaluated at the point to 30 digits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffcli.ad.evaluate import Point
from diffcli.ad.graph import Graph


def _symbolic_setup(graph: Graph, point: Point, roots: list[int]) -> tuple[Any, list[Any], dict[str, Any], dict[Any, Any]]:
    """SymPy, the flat list of output expressions, the symbols, and the point as substitutions."""
    import sympy as sp

    from diffcli.checks.symbolic import point_substitutions, to_sympy

    exprs, symbols = to_sympy(graph, roots, point)
    flat = [e for expr in exprs for e in np.asarray(expr, dtype=object).ravel()]
    substitutions = point_substitutions(sp, symbols, point)
    return sp, flat, symbols, substitutions


def _value_at(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    """A SymPy derivative at the point; NaN where SymPy leaves it unevaluated (DiracDelta(0), …)."""
    from diffcli.checks.symbolic import value_at

    try:
        return value_at(sp, expr, substitutions)
    except (TypeError, ValueError):
        return math.nan


def _flat_symbols(symbols: dict[str, Any], point: Point, wrt: list[str]) -> list[Any]:
    """One SymPy symbol per input entry (None where the formula does not use the variable)."""
    flat: list[Any] = []
    for name in wrt:
        size = int(np.size(point[name]))
        symbol = symbols.get(name)
        flat.extend([None] * size if symbol is None else list(np.asarray(symbol, dtype=object).ravel()))
    return flat


def jacobian_symbolic(graph: Graph, point: Point, wrt: list[str], outputs: list[int] | None = None,
                      timeout: float | None = 5.0) -> np.ndarray:
    """The Jacobian from SymPy's derivatives, evaluated to 30 digits; raises SymbolicTimeout."""
    from diffcli.checks.symbolic import time_limit

    outputs = graph.outputs if outputs is None else outputs
    with time_limit(timeout):
        sp, exprs, symbols, substitutions = _symbolic_setup(graph, point, outputs)
        inputs = _flat_symbols(symbols, point, wrt)
        jacobian = np.zeros((len(exprs), len(inputs)))
        for i, expr in enumerate(exprs):
            for j, symbol in enumerate(inputs):
                if symbol is not None:
                    jacobian[i, j] = _value_at(sp, sp.diff(expr, symbol), substitutions)
    return jacobian


def hessian_symbolic(graph: Graph, point: Point, wrt: list[str], timeout: float | None = 5.0) -> np.ndarray:
    """∇²f from SymPy's second derivatives, evaluated to 30 digits."""
    from diffcli.checks.symbolic import time_limit

    with time_limit(timeout):
        sp, (expr,), symbols, substitutions = _symbolic_setup(graph, point, graph.outputs[:1])
        inputs = _flat_symbols(symbols, point, wrt)
        first = [None if s is None else sp.diff(expr, s) for s in inputs]
        hessian = np.zeros((len(inputs), len(inputs)))
        for i, d in enumerate(first):
            for j, symbol in enumerate(inputs):
                if d is not None and symbol is not None:
                    hessian[i, j] = _value_at(sp, sp.diff(d, symbol), substitutions)
    return hessian
