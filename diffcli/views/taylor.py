"""Taylor coefficients by higher-order forward mode, checked against SymPy's series.

Forward mode run on graph references (`tape.Ref`) does not compute the number f'(a):
it builds the graph of f' (the dual-number rules of the op table, recorded). Sweeping
that graph forward again gives the graph of f'', and so on — forward over forward,
with no second table of rules. Hash-consing keeps the shared terms of the higher
derivatives shared. The k-th coefficient is f⁽ᵏ⁾(a)/k!.

>>> from diffcli.ad.parse import parse
>>> [round(c, 12) for c in taylor_coefficients(parse("exp(x)*sin(x)"), {"x": 0.0}, "x", 4).coefficients]
[0.0, 1.0, 1.0, 0.333333333333, 0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable


import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import Point, check_outputs, evaluate
from diffcli.ad.forward import jvp_sweep
from diffcli.ad.graph import Graph
from diffcli.ad.problem import require_scalar
from diffcli.ad.tape import DerivativeTooLarge, Tape
from diffcli.ad.text import number_text
from diffcli.checks.diagnose import kinks_along
from diffcli.checks.symbolic import (SymbolicFailed, SymbolicTimeout, SymbolicUnsupported, detach_function,
                                     failures_as_status, time_limit, to_sympy)
from diffcli.views.formula import exact_number

MAX_ORDER = 40
# Each order sweeps the graph of the last derivative to build the next one, and some
# formulas swell fast (for x**x**x**… the derivative graphs grow like a high power of the
# order). The sweeps together may visit this many nodes, or 8 per node of the formula if
# that is more: a few seconds of work. An order that would pass it is refused up front.
MAX_SWEPT_NODES = 150_000


@dataclass
class TaylorSeries:
    """f(a + t) ≈ Σ coefficients[k]·tᵏ along `variable`, with f⁽ᵏ⁾(a) and graph sizes."""

    variable: str
    center: float
    derivatives: list[float]
    coefficients: list[float]
    graph_sizes: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def taylor_coefficients(graph: Graph, point: Point, variable: str, order: int, output: int = 0) -> TaylorSeries:
    """Coefficients c₀…c_order of f's Taylor series in `variable` at the point (others fixed)."""
    if not 0 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 0 and {MAX_ORDER}")
    if variable not in graph.variables:
        raise UsageError(f"--wrt: '{variable}' is not a variable of the formula")
    if np.ndim(point[variable]) != 0:
        raise UsageError(f"taylor needs a scalar variable, but '{variable}' has shape {np.shape(point[variable])}")
    values = evaluate(graph, point, upto=[graph.outputs[output]])
    root = require_scalar(graph, "taylor", values, output)
    check_outputs(graph, values, [root])  # f(a) undefined: a MathError naming the culprit
    budget = max(MAX_SWEPT_NODES, 8 * len(graph))
    tape = Tape(graph.copy(), evaluate(graph, point), max_nodes=len(graph) + 4 * budget)
    swept = 0
    x = graph.variables[variable]
    seed = tape.constant(1.0)
    current = tape.ref(root)
    derivatives = [float(current.value)]
    sizes = [tape.graph.size([root])]
    nodes: list[int | None] = [root]  # the graph node of each derivative (None: identically zero)
    with np.errstate(all="ignore"):
        for k in range(1, order + 1):
            if current is None:
                derivatives.append(0.0)
                sizes.append(0)
                nodes.append(None)
                continue
            needed = tape.graph.ancestors([current.node])
            swept += sum(needed)
            try:
                if swept > budget:
                    raise DerivativeTooLarge("")
                tangents = jvp_sweep(tape.graph, tape.refs(), {x: seed}, needed)
            except DerivativeTooLarge:
                raise UsageError(f"--order {order} is too high for this formula: its derivative graphs swell, and "
                                 f"derivative {k} would take forward mode past {budget:,} nodes swept "
                                 f"(--order {k - 1} works)") from None
            current = tangents[current.node]
            if current is None:
                derivatives.append(0.0)
                sizes.append(0)
                nodes.append(None)
                continue
            derivatives.append(float(np.asarray(current.value, dtype=np.float64)))
            sizes.append(tape.graph.size([current.node]))
            nodes.append(current.node)
    coefficients = [d / math.factorial(k) for k, d in enumerate(derivatives)]
    # At a kink AD follows one side: say so, with both one-sided values of the first
    # derivative that jumps (each derivative graph, evaluated just left and right).
    kinks = kinks_along(graph, point, variable, root, [_along(tape.graph, point, variable, node)
                                                      for node in nodes[:order]])
    return TaylorSeries(variable, float(point[variable]), derivatives, coefficients, sizes,
                        [kink.message() for kink in kinks])


def _along(graph: Graph, point: Point, variable: str, node: int | None) -> Callable[[float], float]:
    """t ↦ the value of `node` with `variable` = t (0 for an identically zero derivative)."""
    def value(t: float) -> float:
        if node is None:
            return 0.0
        return float(np.asarray(evaluate(graph, {**point, variable: np.float64(t)}, upto=[node])[node]))

    return value


@dataclass
class SymbolicSeries:
    """SymPy's coefficients (exact text and float), or why there are none."""

    exact: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    status: str = "ok"
    message: str = ""


def symbolic_coefficients(graph: Graph, point: Point, variable: str, order: int, output: int = 0,
                          timeout: float | None = 10.0) -> SymbolicSeries:
    """The same coefficients from `sympy.series` (other variables substituted by their values)."""
    import sympy as sp

    root = graph.outputs[output]
    try:
        with time_limit(timeout), failures_as_status("expand the series"):
            (expr,), symbols = to_sympy(graph, [root], point)
            # Exact rationals for the numbers (0.1 as 1/10, the decimal the user typed): SymPy's
            # series silently drops terms around a Float centre.
            substitutions = {symbol: exact_number(sp, point[name]) for name, symbol in symbols.items()
                             if name != variable}
            t = sp.Symbol("t", real=True)
            center = exact_number(sp, point[variable])
            shifted = expr.subs(substitutions)
            if variable in symbols:  # absent when the output does not depend on it
                shifted = shifted.subs(symbols[variable], center + t)
            # detach(u) is u's value at the centre, held fixed (as forward mode holds it).
            shifted = shifted.replace(lambda e: isinstance(e, detach_function(sp)), lambda e: e.args[0].subs(t, 0))
            if shifted.has(sp.Piecewise):
                # sympy.series mishandles Piecewise (it expands the wrong branch, or none):
                # Taylor's formula cₖ = f⁽ᵏ⁾(a)/k! picks the branch at the centre.
                exact, term = [], shifted
                for k in range(order + 1):
                    exact.append(sp.simplify(term.subs(t, 0) / sp.factorial(k)))
                    term = sp.diff(term, t)
            else:
                series = sp.expand(sp.series(shifted, t, 0, order + 1).removeO())
                exact = [series.coeff(t, k) for k in range(order + 1)]
            values = [float(sp.N(c, 30)) for c in exact]
    except SymbolicTimeout:
        return SymbolicSeries(status="timed out", message="SymPy did not finish in time")
    except (SymbolicUnsupported, SymbolicFailed) as error:
        return SymbolicSeries(status="failed", message=str(error))
    return SymbolicSeries([number_text(float(c)) if c.is_Float else str(c) for c in exact], values)
