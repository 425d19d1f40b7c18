"""Derivative formulas from SymPy, next to the size of the AD derivative graph.

A symbolic derivative is a tree: every repeated subterm is written out again, so the
formula for an unrolled recurrence (the logistic map xₖ₊₁ = r·xₖ(1 − xₖ)) swells
exponentially. Common-subexpression elimination (CSE) wins much of that back; AD never
loses it, because its derivative is a graph built by the reverse sweep
(`reverse.gradient_graph`) that shares every node it can. This module measures all
three in the same unit — nodes (operations, variables and constants).

The graph is converted through `symbolic.to_sympy` (never through text), and every
SymPy step runs under `symbolic.time_limit`, so a formula that swells past the limit
is reported as such instead of hanging.

>>> from diffcli.ad.parse import parse
>>> [f] = derivative_formulas(parse("3*x**3 - 5*x**2"), {"x": 1.0}, ["x"])
>>> f.text, f.ad_size
('x*(9*x - 10)', 8)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.graph import Graph
from diffcli.ad.problem import require_scalar
from diffcli.views.naming import program_text
from diffcli.ad.transforms import derivative_graph
from diffcli.checks.symbolic import (SymbolicFailed, SymbolicTimeout, SymbolicUnsupported, exact_number,
                                     failures_as_status, time_limit, to_sympy)

MAX_ORDER = 10


@dataclass
class Formula:
    """∂ⁿf/∂xⁿ for one variable: the formula (when SymPy finished) and the three sizes."""

    variable: str
    order: int
    ad_size: int
    ad_program: str
    text: str | None = None
    latex: str | None = None
    simplified: bool = False
    sympy_size: int | None = None
    sympy_cse_size: int | None = None
    simplified_size: int | None = None
    status: str = "ok"  # ok | timed out | failed
    message: str = ""


def _readable(sp: Any, number: Any) -> Any:
    """A decimal of the formula as the user wrote it: 0.1 -> 1/10 (exact); a long one that
    SymPy folded (3.7 + π) as 15 significant digits rather than 30 digits of binary noise."""
    if not math.isfinite(float(number)):  # SymPy folded 1e308*1e308 beyond a double: keep its big float
        return number
    exact = exact_number(sp, number)
    if not exact.is_Rational or exact.q <= 10**8:  # π, e, or a short decimal
        return exact
    return sp.Float(repr(float(number)), 15)


def tree_size(expr: Any) -> int:
    """Nodes of a SymPy expression written out as a tree (shared subterms counted each time).

    Counted with memoisation over the (internally shared) expression, so an exponentially
    large tree is measured in time proportional to its distinct subterms.
    """
    sizes: dict[Any, int] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in sizes:
            continue
        if ready or not node.args:
            sizes[node] = 1 + sum(sizes[arg] for arg in node.args)
            continue
        stack.append((node, True))
        stack.extend((arg, False) for arg in node.args if arg not in sizes)
    return sizes[expr]


def cse_size(expr: Any) -> int:
    """Nodes after common-subexpression elimination: each shared term once, plus its name."""
    import sympy as sp

    replacements, reduced = sp.cse(expr)
    return sum(1 + tree_size(value) for _, value in replacements) + sum(tree_size(e) for e in reduced)


def derivative_formulas(graph: Graph, point: Point, wrt: list[str], order: int = 1, *,
                        constants: dict[str, Any] | None = None, timeout: float | None = 10.0,
                        simplify: bool = True) -> list[Formula]:
    """For each variable in `wrt`: ∂ⁿf/∂xⁿ from SymPy (simplified) and the AD graph's size.

    `point` fixes shapes for the AD graph; `constants` are substituted into the formula.
    `timeout` is SymPy's time for all the variables together.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    require_scalar(graph, "diff", evaluate(graph, point, upto=graph.outputs[:1]), 0)
    formulas = []
    for variable in wrt:
        ad_graph, node = derivative_graph(graph, point, variable, order)
        label = f"d{order if order > 1 else ''}f_d{variable}{order if order > 1 else ''}"
        formula = Formula(variable, order, ad_graph.size([node]), program_text(ad_graph, [node], [label]))
        _symbolic(formula, graph, point, constants or {}, deadline, simplify)
        formulas.append(formula)
    return formulas


def function_sizes(graph: Graph, timeout: float | None = 10.0) -> tuple[int, int | None]:
    """Nodes of f itself: in the graph, and in SymPy's tree (None if SymPy times out or fails)."""
    try:
        with time_limit(timeout), failures_as_status("convert the formula"):
            (expr,), _ = to_sympy(graph, graph.outputs[:1])
            return graph.size(graph.outputs[:1]), tree_size(expr)
    except (SymbolicTimeout, SymbolicUnsupported, SymbolicFailed):
        return graph.size(graph.outputs[:1]), None


def _symbolic(formula: Formula, graph: Graph, point: Point, constants: dict[str, Any], deadline: float | None,
              simplify: bool = True) -> None:
    """Fill in the SymPy side of `formula` before `deadline` (time.monotonic()): the derivative
    and its tree size first, then its size after CSE, then the simplified formula (each optional)."""
    import sympy as sp


    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.monotonic(), 1e-3)

    try:
        with time_limit(remaining()), failures_as_status("differentiate the formula"):
            (expr,), symbols = to_sympy(graph, graph.outputs[:1], point)
            substitutions = {symbols[name]: exact_number(sp, value) for name, value in constants.items()
                             if name in symbols}
            substitutions.update({number: _readable(sp, number) for number in expr.atoms(sp.Float)})
            # A variable that the output does not depend on (`a = x; a = y; a`) has no symbol.
            symbol = symbols.get(formula.variable, sp.Dummy(formula.variable))
            derivative = sp.diff(expr.xreplace(substitutions), symbol, formula.order)
            formula.sympy_size = tree_size(derivative)
            formula.text, formula.latex = str(derivative), sp.latex(derivative)
    except SymbolicTimeout:
        formula.status, formula.message = "timed out", "SymPy did not finish in the time allowed (--symbolic-timeout)"
        return
    except (SymbolicUnsupported, SymbolicFailed) as error:
        formula.status, formula.message = "failed", str(error)
        return
    try:
        with time_limit(remaining()), failures_as_status("simplify the formula"):
            formula.sympy_cse_size = cse_size(derivative)
            if not simplify:
                return
            simpler = sp.simplify(derivative)
    except (SymbolicTimeout, SymbolicFailed) as error:
        reason = "SymPy did not finish in the time allowed" if isinstance(error, SymbolicTimeout) else str(error)
        formula.message = f"not {'simplified' if formula.sympy_cse_size is not None else 'CSE-reduced'}: {reason}"
        return
    formula.simplified_size = tree_size(simpler)
    # simplify() may return a longer form (a Piecewise, say); show the shorter of the two.
    if formula.simplified_size <= formula.sympy_size:
        formula.text, formula.latex = str(simpler), sp.latex(simpler)
        formula.simplified = True
