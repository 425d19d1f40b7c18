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


import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import Point, check_outputs, evaluate
from diffcli.ad.forward import jvp_sweep
from diffcli.ad.graph import Graph
from diffcli.ad.problem import require_scalar
from diffcli.ad.tape import Tape
from diffcli.ad.text import number_text
from diffcli.checks.symbolic import SymbolicTimeout, SymbolicUnsupported, detached_in, time_limit, to_sympy
from diffcli.views.formula import exact_number

MAX_ORDER = 40
MAX_NODES = 2_000_000


@dataclass
class TaylorSeries:
    """f(a + t) ≈ Σ coefficients[k]·tᵏ along `variable`, with f⁽ᵏ⁾(a) and graph sizes."""

    variable: str
    center: float
    derivatives: list[float]
    coefficients: list[float]
    graph_sizes: list[int] = field(default_factory=list)


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
    check_outputs(graph, values)  # f(a) itself undefined: a MathError naming the culprit
    tape = Tape(graph.copy(), evaluate(graph, point))
    x = graph.variables[variable]
    seed = tape.constant(1.0)
    current = tape.ref(root)
    derivatives = [float(current.value)]
    sizes = [tape.graph.size([root])]
    with np.errstate(all="ignore"):
        for _ in range(order):
            if current is None:
                derivatives.append(0.0)
                sizes.append(0)
                continue
            needed = tape.graph.ancestors([current.node])
            tangents = jvp_sweep(tape.graph, tape.refs(), {x: seed}, needed)
            current = tangents[current.node]
            if current is None:
                derivatives.append(0.0)
                sizes.append(0)
                continue
            derivatives.append(float(np.asarray(current.value, dtype=np.float64)))
            sizes.append(tape.graph.size([current.node]))
            if len(tape.graph) > MAX_NODES:
                raise UsageError(f"--order {order} is too high for this formula: the derivative graphs "
                                 f"exceed {MAX_NODES:,} nodes")
    coefficients = [d / math.factorial(k) for k, d in enumerate(derivatives)]
    return TaylorSeries(variable, float(point[variable]), derivatives, coefficients, sizes)


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
        with time_limit(timeout):
            (expr,), symbols = to_sympy(graph, [root], point)
            # Exact rationals for the numbers (0.1 as 1/10, the decimal the user typed): SymPy's
            # series silently drops terms around a Float centre.
            substitutions = {stand_in: exact_number(sp, stand_in.value) for stand_in in detached_in([expr])}
            for name, symbol in symbols.items():
                if name != variable:
                    substitutions[symbol] = exact_number(sp, point[name])
            t = sp.Symbol("t", real=True)
            center = exact_number(sp, point[variable])
            shifted = expr.subs(substitutions)
            if variable in symbols:  # absent when the output does not depend on it
                shifted = shifted.subs(symbols[variable], center + t)
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
    except (SymbolicUnsupported, TypeError, ValueError, NotImplementedError) as error:
        return SymbolicSeries(status="failed", message=str(error) or type(error).__name__)
    return SymbolicSeries([number_text(float(c)) if c.is_Float else str(c) for c in exact], values)
