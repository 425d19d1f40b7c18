"""The exact reference: a graph turned into SymPy expressions, differentiated by SymPy.

The graph is converted node by node through each primitive's `to_sympy` (text is
never handed to SymPy), so sharing is kept while building. Tensor variables become
object arrays of symbols, one per entry. SymPy can be very slow on expressions that
swell (the logistic map unrolled 14 times takes it over 20 s), so every call runs under
a time limit and reports "timed out" instead of hanging.
"""

from __future__ import annotations

import functools
import math
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import as_dict, as_value
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.problem import require_scalar

DIGITS = 30


class SymbolicTimeout(BaseException):
    """Raised inside SymPy when the time limit passes (BaseException so SymPy's own
    `except Exception` clauses cannot swallow it)."""


class SymbolicUnsupported(Exception):
    """The graph uses an op SymPy cannot represent here."""


_REPEAT_SECONDS = 0.05


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread only; elsewhere, no limit)."""
    usable = seconds is not None and seconds > 0 and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise SymbolicTimeout()

    previous = signal.signal(signal.SIGALRM, interrupt)
    previous_hook = sys.unraisablehook

    def unraisable(report: Any) -> None:
        if not isinstance(report.exc_value, SymbolicTimeout):
            previous_hook(report)

    # An interrupt that lands in a __del__ or weakref callback (SymPy's caches have many)
    # cannot propagate: Python would print it as "Exception ignored" and SymPy would run on.
    # So it is not printed, and the alarm repeats until one gets through.
    sys.unraisablehook = unraisable
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    try:
        yield
    finally:
        while True:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                break
            except SymbolicTimeout:  # a repeat that came while the first one unwound
                continue
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = previous_hook


def sympy_within(timeout: float | None) -> tuple[Any, float | None]:
    """SymPy, and what is left of `timeout` after importing it.

    The import (0.3 s, over 1 s under load) is part of what the user waits for, so it
    counts against the limit; it runs outside the alarm, as an interrupted import would
    leave SymPy half-loaded for the rest of the process.
    """
    start = time.perf_counter()
    import sympy as sp

    if timeout is None or timeout <= 0:
        return sp, timeout
    remaining = timeout - (time.perf_counter() - start)
    if remaining <= 0:
        raise SymbolicTimeout()
    return sp, remaining


def exact_number(sp: Any, value: Any) -> Any:
    """A float as the rational its shortest decimal spells: 3.7 -> 37/10, 2.0 -> 2 (π and e by name).

    The number the user typed, exactly — not the binary neighbour of 3.7, whose 30
    digits (3.70000000000000017763568394002504646778106689453125…) would fill a formula.
    """
    number = float(value)
    if number in (math.pi, math.e):  # the language's constants `pi` and `e`
        return sp.pi if number == math.pi else sp.E
    return sp.Rational(repr(number))


def _elementwise(sp: Any, convert: Any, args: list[Any], attrs: dict[str, Any]) -> Any:
    if any(isinstance(a, np.ndarray) for a in args):
        arrays = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
        out = np.empty(arrays[0].shape, dtype=object)
        for index in np.ndindex(out.shape):
            out[index] = convert(sp, *[a[index] for a in arrays], **attrs)
        return out
    return convert(sp, *args, **attrs)


def to_sympy(graph: Graph, roots: list[int], point: Point | None = None, *,
             exact: bool = False) -> tuple[list[Any], dict[str, Any]]:
    """SymPy expressions for `roots`, and the symbols made for each variable.

    `detach(u)` becomes a fresh symbol standing for u's value at `point` (its
    `.value`; None without a point), so its derivative is zero, as in AD. With `exact`,
    each constant is the decimal it spells (0.1 is 1/10; see `exact_number`) — before
    SymPy folds any arithmetic on it.
    """
    number = (lambda sp, v: exact_number(sp, v)) if exact else _number
    import sympy as sp

    needed = graph.ancestors(roots)
    values = evaluate(graph, point, upto=roots) if point is not None else None
    exprs: list[Any] = [None] * len(graph)
    symbols: dict[str, Any] = {}
    for node in range(len(graph)):
        if not needed[node]:
            continue
        op = graph.ops[node]
        attrs = graph.attr_dict(node)
        if op == "var":
            name = attrs["name"]
            shape = np.shape(point[name]) if point is not None else ()
            if shape:
                array = np.empty(shape, dtype=object)
                for index in np.ndindex(shape):
                    array[index] = sp.Symbol(f"{name}_{'_'.join(map(str, index))}", real=True)
                symbols[name] = array
            else:
                symbols[name] = sp.Symbol(name, real=True)
            exprs[node] = symbols[name]
        elif op == "const":
            value = np.asarray(attrs["value"])
            exprs[node] = number(sp, float(value)) if value.ndim == 0 else np.vectorize(
                lambda v: number(sp, float(v)), otypes=[object])(value)
        elif op == "detach":
            # One stand-in per entry: a detached tensor is a tensor of constants.
            value = values[node] if values is not None else None
            shape = np.shape(exprs[graph.inputs[node][0]])
            stand_ins = np.empty(shape, dtype=object)
            for index in np.ndindex(shape):
                stand_ins[index] = _detached_type(sp)("detached", None if value is None else np.asarray(value)[index])
            exprs[node] = as_value(stand_ins, object)
        else:
            primitive = PRIMITIVES[op]
            if primitive.to_sympy is None:
                raise SymbolicUnsupported(f"no symbolic form for '{op}'")
            args = _truth_or_number(sp, op, [exprs[j] for j in graph.inputs[node]])
            if "elementwise" in primitive.tags:
                exprs[node] = _elementwise(sp, primitive.to_sympy, args, attrs)
            else:
                exprs[node] = primitive.to_sympy(sp, *args, **attrs)
    return [_as_number(sp, exprs[r]) for r in roots], symbols


@functools.cache
def _detached_type(sp: Any) -> type:
    """The SymPy symbol class of `detach` stand-ins (made once, when SymPy is first needed)."""

    class Detached(sp.Dummy):
        """detach(u): a symbol, so its derivative is zero, that knows u's value at the point."""

        def __new__(cls, name: str, value: Any) -> Any:
            symbol = super().__new__(cls, name, real=True)
            symbol.value = value
            return symbol

    return Detached


def detached_in(exprs: list[Any]) -> set[Any]:
    """The `detach` stand-ins occurring in `exprs` (SymPy expressions or object arrays of them)."""
    import sympy as sp

    kind = _detached_type(sp)
    return {atom for expr in exprs for entry in np.asarray(expr, dtype=object).ravel()
            if isinstance(entry, sp.Basic) for atom in entry.atoms(kind)}


def _truth_or_number(sp: Any, op: str, args: list[Any]) -> list[Any]:
    """NumPy mixes truth values and numbers freely ((x > 0)*y, x and y); SymPy does not."""
    truth = PRIMITIVES[op].truth_args  # where's condition, the logical operators' operands
    return [_as_truth(sp, a) if k in truth else _as_number(sp, a) for k, a in enumerate(args)]


def _as_number(sp: Any, value: Any) -> Any:
    """A SymPy truth value as 1 or 0, as NumPy counts it; anything else unchanged."""
    if isinstance(value, np.ndarray):
        return np.vectorize(lambda v: _as_number(sp, v), otypes=[object])(value) if value.size else value
    if isinstance(value, sp.logic.boolalg.Boolean) and not isinstance(value, sp.Expr):
        return sp.Piecewise((sp.Integer(1), value), (sp.Integer(0), True))
    return value


def _as_truth(sp: Any, value: Any) -> Any:
    """A SymPy number as a truth value (nonzero is true, as in NumPy); truth values unchanged."""
    if isinstance(value, np.ndarray):
        return np.vectorize(lambda v: _as_truth(sp, v), otypes=[object])(value) if value.size else value
    if isinstance(value, sp.Expr):
        return sp.Ne(value, 0)
    return value


def _number(sp: Any, value: float) -> Any:
    """Integers stay exact (so 3*x**3 differentiates to 9*x**2, not 9.0*x**2.0)."""
    if value.is_integer() and abs(value) < 2**53:
        return sp.Integer(int(value))
    return sp.Float(value, DIGITS)


def _to_float(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    value = sp.N(expr.subs(substitutions), DIGITS) if substitutions else sp.N(expr, DIGITS)
    if value.has(sp.zoo, sp.oo, -sp.oo):
        # zoo (complex infinity) is what SymPy makes of 1/0: for a real function, infinite.
        return float("-inf") if value == -sp.oo else float("inf") if value in (sp.oo, sp.zoo) else float("nan")
    try:
        return float(value)
    except TypeError:
        complex_value = complex(value)
        return complex_value.real if abs(complex_value.imag) < 1e-25 else float("nan")


def point_substitutions(sp: Any, symbols: dict[str, Any], point: Point, exprs: list[Any] = ()) -> dict[Any, Any]:
    """{symbol: value} for every variable entry at `point`, and for every `detach` stand-in in `exprs`."""
    substitutions: dict[Any, Any] = {stand_in: _number(sp, float(stand_in.value)) for stand_in in detached_in(exprs)}
    for name, symbol in symbols.items():
        values = np.asarray(point[name], dtype=np.float64)
        for index in np.ndindex(np.shape(symbol)):
            substitutions[np.asarray(symbol, dtype=object)[index]] = sp.Float(float(values[index]), DIGITS)
    return substitutions


def value_at(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    """A SymPy expression at the point, as a float (30 digits of work, then rounded)."""
    return _to_float(sp, expr, substitutions)


def _derivative_at(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    """A SymPy derivative at the point; NaN where SymPy leaves it unevaluated (DiracDelta(0), …)."""
    try:
        return _to_float(sp, expr, substitutions)
    except (TypeError, ValueError):
        return math.nan


def _setup(graph: Graph, point: Point, roots: list[int], wrt: list[str]) -> tuple[Any, list[Any], list[Any], dict[Any, Any]]:
    """SymPy, the outputs' entries as one flat list of expressions, one symbol per input entry
    (None where the formula does not use the variable), and the point as substitutions."""
    import sympy as sp

    exprs, symbols = to_sympy(graph, roots, point)
    flat = [e for expr in exprs for e in np.asarray(expr, dtype=object).ravel()]
    inputs: list[Any] = []
    for name in wrt:
        symbol = symbols.get(name)
        inputs.extend([None] * int(np.size(point[name])) if symbol is None
                      else list(np.asarray(symbol, dtype=object).ravel()))
    return sp, flat, inputs, point_substitutions(sp, symbols, point, exprs)


def _jacobian_at(sp: Any, exprs: list[Any], inputs: list[Any], substitutions: dict[Any, Any]) -> np.ndarray:
    jacobian = np.zeros((len(exprs), len(inputs)))
    for i, expr in enumerate(exprs):
        for j, symbol in enumerate(inputs):
            if symbol is not None and expr is not None:
                jacobian[i, j] = _derivative_at(sp, sp.diff(expr, symbol), substitutions)
    return jacobian


def jacobian_symbolic(graph: Graph, point: Point, wrt: list[str], outputs: list[int] | None = None,
                      timeout: float | None = 5.0) -> np.ndarray:
    """The Jacobian from SymPy's derivatives, evaluated to 30 digits; raises SymbolicTimeout.

    >>> from diffcli.ad.parse import parse
    >>> jacobian_symbolic(parse("[x*y, x+y]"), {"x": 1.0, "y": 2.0}, ["x", "y"]).tolist()
    [[2.0, 1.0], [1.0, 1.0]]
    """
    _, timeout = sympy_within(timeout)
    with time_limit(timeout):
        sp, exprs, inputs, substitutions = _setup(graph, point, graph.outputs if outputs is None else outputs, wrt)
        return _jacobian_at(sp, exprs, inputs, substitutions)


def hessian_symbolic(graph: Graph, point: Point, wrt: list[str], timeout: float | None = 5.0) -> np.ndarray:
    """∇²f from SymPy's second derivatives, evaluated to 30 digits."""
    _, timeout = sympy_within(timeout)
    with time_limit(timeout):
        sp, (expr,), inputs, substitutions = _setup(graph, point, graph.outputs[:1], wrt)
        first = [None if s is None else sp.diff(expr, s) for s in inputs]
        return _jacobian_at(sp, first, inputs, substitutions)


def gradient_symbolic(graph: Graph, point: Point, wrt: list[str], *, output: int = 0,
                      timeout: float | None = 5.0) -> tuple[Any, dict[str, Any]]:
    """f and ∇f at `point` from SymPy, evaluated to 30 digits; raises SymbolicTimeout.

    >>> from diffcli.ad.parse import parse
    >>> value, grad = gradient_symbolic(parse("3*x**3 - 5*x**2"), {"x": 1.5}, ["x"])
    >>> value, float(grad["x"])
    (-1.125, 5.25)
    """
    root = require_scalar(graph, "the symbolic gradient", evaluate(graph, point, upto=graph.outputs), output)
    _, timeout = sympy_within(timeout)
    with time_limit(timeout):
        sp, (expr,), inputs, substitutions = _setup(graph, point, [root], wrt)
        value = _to_float(sp, expr, substitutions)
        row = _jacobian_at(sp, [expr], inputs, substitutions)[0]
    return value, as_dict(row, point, wrt)
