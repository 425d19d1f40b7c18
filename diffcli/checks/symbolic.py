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

from diffcli.errors import UsageError
from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import as_dict
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.problem import require_scalar

DIGITS = 30
# The point's values enter with this many digits, and SymPy's arithmetic on them keeps the most
# precise operand's: enough to hold the sum of any two doubles exactly (2⁻¹⁰⁷⁴ against 2¹⁰²⁴,
# 2100 bits), so no cancellation inside the formula loses the 30 digits reported — at 30,
# x³ − (x − y) at x = y = 2⁻⁵² lost its 1.1e-47 against x. Cheap: 650-digit Floats, not rationals
# (an exact x**1000000 takes seconds).
WORKING_DIGITS = 650


class SymbolicTimeout(BaseException):
    """Raised inside SymPy when the time limit passes (BaseException so SymPy's own
    `except Exception` clauses cannot swallow it)."""


class SymbolicUnsupported(Exception):
    """The graph uses an op SymPy cannot represent here."""


_REPEAT_SECONDS = 0.05
# setitimer takes a C time_t: beyond this (about four months) "no limit" is what the user means.
MAX_TIMER_SECONDS = 1e7


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread only; elsewhere, no limit).

    Any positive number is accepted, `inf` too (it is capped at MAX_TIMER_SECONDS). Limits
    nest: an enclosing limit that ends sooner still fires on time, and it is restored
    (less the time spent here) when the block ends, so one budget can cover a whole path.

    >>> with time_limit(float("inf")):
    ...     pass
    """
    usable = seconds is not None and seconds > 0 and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise SymbolicTimeout()

    seconds = min(float(seconds), MAX_TIMER_SECONDS)
    previous = signal.signal(signal.SIGALRM, interrupt)
    previous_hook = sys.unraisablehook

    def unraisable(report: Any) -> None:
        if not isinstance(report.exc_value, SymbolicTimeout):
            previous_hook(report)

    # An interrupt that lands in a __del__ or weakref callback (SymPy's caches have many)
    # cannot propagate: Python would print it as "Exception ignored" and SymPy would run on.
    # So it is not printed, and the alarm repeats until one gets through.
    sys.unraisablehook = unraisable
    outer, outer_repeat = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    if 0 < outer < seconds:
        signal.setitimer(signal.ITIMER_REAL, outer, _REPEAT_SECONDS)  # the enclosing budget ends first
    began = time.monotonic()
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
        if outer > 0:  # the enclosing limit goes on, less the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - began), 1e-6), outer_repeat)


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
             local: bool = False, exact: bool = False) -> tuple[list[Any], dict[str, Any]]:
    """SymPy expressions for `roots`, and the symbols made for each variable.

    `point` fixes the shapes of tensor variables. `detach(u)` becomes `detach(u)`, a SymPy
    function whose derivative is zero (so `diff` prints it as written).

    `local=True` gives an expression that agrees with the formula *near the point* — all
    that derivatives at the point need, and far easier for SymPy: each variable's symbol
    carries the sign of its value (so log(exp(sqrt(x))) is sqrt(x) for x > 0); a branch
    `a if c else b` is the branch the point takes, and the other one is never built or
    evaluated; comparisons, logical operators and `detach` are their values at the point
    (their derivative is zero wherever it exists, as in AD).

    With `exact`, each constant is the decimal it spells (0.1 is 1/10; see `exact_number`) —
    before SymPy folds any arithmetic on it.
    """
    import sympy as sp

    values = evaluate(graph, point, upto=roots) if point is not None else None
    needed = _needed_locally(graph, roots, values) if local and values is not None else graph.ancestors(roots)
    exprs: list[Any] = [None] * len(graph)
    symbols: dict[str, Any] = {}
    for node in range(len(graph)):
        if not needed[node]:
            continue
        op = graph.ops[node]
        attrs = graph.attr_dict(node)
        primitive = PRIMITIVES.get(op)
        if op == "var":
            name = attrs["name"]
            value = np.asarray(point[name], dtype=np.float64) if point is not None else np.zeros(())
            if value.ndim:
                array = np.empty(value.shape, dtype=object)
                for index in np.ndindex(value.shape):
                    array[index] = _symbol(sp, f"{name}_{'_'.join(map(str, index))}", value[index], local)
                symbols[name] = array
            else:
                symbols[name] = _symbol(sp, name, float(value), local)
            exprs[node] = symbols[name]
        elif op == "const":
            exprs[node] = _numbers(sp, attrs["value"], exact)
        elif local and values is not None and primitive is not None and not primitive.differentiable:
            exprs[node] = _numbers(sp, values[node], exact)  # constant near the point, as AD sees it
        elif op == "detach":
            exprs[node] = _map(lambda u: detach_function(sp)(u), exprs[graph.inputs[node][0]])
        elif local and values is not None and op == "where":
            exprs[node] = _taken_branches(values[graph.inputs[node][0]], *(exprs[j] for j in graph.inputs[node][1:]))
        else:
            if primitive is None or primitive.to_sympy is None:
                raise SymbolicUnsupported(f"no symbolic form for '{op}'")
            args = _truth_or_number(sp, op, [exprs[j] for j in graph.inputs[node]])
            if "elementwise" in primitive.tags:
                exprs[node] = _elementwise(sp, primitive.to_sympy, args, attrs)
            else:
                exprs[node] = primitive.to_sympy(sp, *args, **attrs)
    return [_as_number(sp, exprs[r]) for r in roots], symbols


def _symbol(sp: Any, name: str, value: float, local: bool) -> Any:
    """A real symbol; near a nonzero value, also positive or negative (only when `local`)."""
    if local and value > 0:
        return sp.Symbol(name, positive=True)
    if local and value < 0:
        return sp.Symbol(name, negative=True)
    return sp.Symbol(name, real=True)


def _numbers(sp: Any, value: Any, exact: bool = False) -> Any:
    """A number or tensor of numbers as SymPy numbers (object array for a tensor)."""
    number = exact_number if exact else _number
    array = np.asarray(value, dtype=np.float64)
    return number(sp, float(array)) if array.ndim == 0 else np.vectorize(
        lambda v: number(sp, float(v)), otypes=[object])(array)


def _map(function: Any, value: Any) -> Any:
    """`function` applied to a SymPy expression, or to each entry of an object array."""
    if isinstance(value, np.ndarray):
        return np.vectorize(function, otypes=[object])(value) if value.size else value
    return function(value)


def _needed_locally(graph: Graph, roots: list[int], values: list[Any]) -> list[bool]:
    """The nodes a local expression needs: through `where`, only the branch(es) taken; below
    an op of zero derivative (replaced by its value), nothing."""
    needed = [False] * len(graph)
    for root in roots:
        needed[root] = True
    for node in range(len(graph) - 1, -1, -1):
        if not needed[node]:
            continue
        op = graph.ops[node]
        primitive = PRIMITIVES.get(op)
        if primitive is not None and not primitive.differentiable:
            continue
        parents = graph.inputs[node]
        if op == "where":
            taken = np.asarray(values[parents[0]]) != 0
            parents = parents[1:] if taken.any() and not taken.all() else (parents[1] if taken.all() else parents[2],)
        for parent in parents:
            needed[parent] = True
    return needed


def _taken_branches(condition: Any, a: Any, b: Any) -> Any:
    """The entries of a where a condition (known at the point) holds, of b elsewhere."""
    taken = np.asarray(condition) != 0
    if taken.ndim == 0:
        return a if taken else b
    shape = np.broadcast_shapes(taken.shape, np.shape(a) if a is not None else (), np.shape(b) if b is not None else ())
    out = np.empty(shape, dtype=object)
    pick = np.broadcast_to(taken, shape)
    first = np.broadcast_to(np.asarray(a, dtype=object), shape) if a is not None else None
    second = np.broadcast_to(np.asarray(b, dtype=object), shape) if b is not None else None
    for index in np.ndindex(shape):
        out[index] = first[index] if pick[index] else second[index]
    return out[()] if out.ndim == 0 else out


@functools.cache
def detach_function(sp: Any) -> Any:
    """SymPy's counterpart of `detach`: detach(u) is u's value, and its derivative is zero."""

    class detach(sp.Function):  # noqa: N801 - the name SymPy prints
        @classmethod
        def eval(cls, argument: Any) -> Any:
            return argument if argument.is_number else None

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

        def _eval_is_real(self) -> Any:
            return self.args[0].is_real

    return detach


def detached_in(exprs: list[Any]) -> set[Any]:
    """The `detach(...)` terms occurring in `exprs` (SymPy expressions or object arrays of them)."""
    import sympy as sp

    kind = detach_function(sp)
    return {term for expr in exprs for entry in np.asarray(expr, dtype=object).ravel()
            if isinstance(entry, sp.Basic) for term in entry.atoms(kind)}


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


class SymbolicFailed(Exception):
    """SymPy could not give a number here (an expression it cannot evaluate, a comparison of
    non-real numbers, …): the symbolic method fails with this message; the command goes on."""


@contextmanager
def failures_as_status(what: str) -> Iterator[None]:
    """Turn whatever SymPy raises into `SymbolicFailed` (time-outs, unsupported ops and the
    user's own mistakes pass through): a symbolic failure is a method's status, not a crash."""
    try:
        yield
    except (SymbolicFailed, SymbolicUnsupported, UsageError):
        raise
    except Exception as error:  # SymPy raises TypeError, ValueError, NotImplementedError, RecursionError …
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise SymbolicFailed(f"SymPy could not {what}: {reason}") from None


def differentiate(sp: Any, expr: Any, symbol: Any, order: int = 1) -> Any:
    """∂ⁿexpr/∂symbolⁿ, with the derivative of sign() zero wherever it exists (as in AD).

    SymPy leaves d/dx sign(u) unevaluated when it cannot tell that u is real (log(x),
    x**0.5, …), and such a term has no numeric value at any point.
    """
    derivative = sp.diff(expr, symbol, order)
    return derivative.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign),
                              lambda e: sp.S.Zero)


def _to_float(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    """The value at the point: a real number; NaN where SymPy says it is undefined (nan, a
    complex value, DiracDelta(0)); ±inf for its infinities. `SymbolicFailed` otherwise."""
    value = sp.N(expr.subs(substitutions), DIGITS) if substitutions else sp.N(expr, DIGITS)
    if value.has(sp.zoo, sp.oo, -sp.oo):
        # zoo (complex infinity) is what SymPy makes of 1/0: for a real function, infinite.
        return float("-inf") if value == -sp.oo else float("inf") if value in (sp.oo, sp.zoo) else float("nan")
    if value.has(sp.nan, sp.DiracDelta, sp.AccumBounds):
        return float("nan")  # undefined: 0/0, the derivative of a jump at the jump, a limit that oscillates
    if not value.is_number:
        shown = str(value)
        raise SymbolicFailed(f"SymPy cannot evaluate this at the point: {shown[:120]}{'…' if len(shown) > 120 else ''}")
    real, imaginary = value.as_real_imag()
    real, imaginary = float(sp.N(real, DIGITS)), float(sp.N(imaginary, DIGITS))
    # Complex intermediate results (log of a negative, roots) cancel to a real value up to
    # rounding at 30 digits; a genuinely complex result means the real function is undefined.
    return real if abs(imaginary) <= 1e-20 * max(1.0, abs(real)) else float("nan")


def point_substitutions(sp: Any, symbols: dict[str, Any], point: Point) -> dict[Any, Any]:
    """{symbol: value} for every variable entry at `point`."""
    substitutions: dict[Any, Any] = {}
    for name, symbol in symbols.items():
        values = np.asarray(point[name], dtype=np.float64)
        for index in np.ndindex(np.shape(symbol)):
            substitutions[np.asarray(symbol, dtype=object)[index]] = sp.Float(float(values[index]), WORKING_DIGITS)
    return substitutions


def value_at(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    """A SymPy expression at the point, as a float (30 digits of work, then rounded)."""
    return _to_float(sp, expr, substitutions)


def _setup(graph: Graph, point: Point, roots: list[int], wrt: list[str]) -> tuple[Any, list[Any], list[Any], dict[Any, Any]]:
    """SymPy, the outputs' entries as one flat list of local expressions (see `to_sympy`), one
    symbol per input entry (None where the formula does not use the variable), and the point
    as substitutions."""
    import sympy as sp

    exprs, symbols = to_sympy(graph, roots, point, local=True)
    flat = [e for expr in exprs for e in np.asarray(expr, dtype=object).ravel()]
    inputs: list[Any] = []
    for name in wrt:
        symbol = symbols.get(name)
        inputs.extend([None] * int(np.size(point[name])) if symbol is None
                      else list(np.asarray(symbol, dtype=object).ravel()))
    return sp, flat, inputs, point_substitutions(sp, symbols, point)


def _jacobian_at(sp: Any, exprs: list[Any], inputs: list[Any], substitutions: dict[Any, Any]) -> np.ndarray:
    jacobian = np.zeros((len(exprs), len(inputs)))
    for i, expr in enumerate(exprs):
        for j, symbol in enumerate(inputs):
            if symbol is not None and expr is not None:
                jacobian[i, j] = _to_float(sp, differentiate(sp, expr, symbol), substitutions)
    return jacobian


def jacobian_symbolic(graph: Graph, point: Point, wrt: list[str], outputs: list[int] | None = None,
                      timeout: float | None = 5.0) -> np.ndarray:
    """The Jacobian from SymPy's derivatives, evaluated to 30 digits; raises SymbolicTimeout,
    and SymbolicFailed where SymPy cannot give a number.

    >>> from diffcli.ad.parse import parse
    >>> jacobian_symbolic(parse("[x*y, x+y]"), {"x": 1.0, "y": 2.0}, ["x", "y"]).tolist()
    [[2.0, 1.0], [1.0, 1.0]]
    """
    _, timeout = sympy_within(timeout)
    with time_limit(timeout), failures_as_status("evaluate the Jacobian"):
        sp, exprs, inputs, substitutions = _setup(graph, point, graph.outputs if outputs is None else outputs, wrt)
        return _jacobian_at(sp, exprs, inputs, substitutions)


def hessian_symbolic(graph: Graph, point: Point, wrt: list[str], timeout: float | None = 5.0) -> np.ndarray:
    """∇²f from SymPy's second derivatives, evaluated to 30 digits."""
    _, timeout = sympy_within(timeout)
    with time_limit(timeout), failures_as_status("evaluate the Hessian"):
        sp, (expr,), inputs, substitutions = _setup(graph, point, graph.outputs[:1], wrt)
        first = [None if s is None else differentiate(sp, expr, s) for s in inputs]
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
    with time_limit(timeout), failures_as_status("evaluate the gradient"):
        sp, (expr,), inputs, substitutions = _setup(graph, point, [root], wrt)
        value = _to_float(sp, expr, substitutions)
        row = _jacobian_at(sp, [expr], inputs, substitutions)[0]
    return value, as_dict(row, point, wrt)
