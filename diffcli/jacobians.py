"""The Jacobian family — J·v, uᵀJ, J and ∇²f — each computed several independent ways.

Like `compare.compare_gradient` for `grad`: every method returns plain numbers, the
reference is SymPy when it finishes with finite numbers (else reverse-mode AD), and
each method gets its error against the reference, its time and how many sweeps
("passes") it needed — the numbers that make the cost argument of forward vs reverse
mode visible: a full Jacobian costs n forward passes (one per input entry) or m reverse
passes (one per output entry); J·v is one forward pass, uᵀJ one reverse pass.

Inputs and outputs are flattened in a fixed order (variables in `wrt` order, each in
C order; outputs in order), so a Jacobian is a plain m×n matrix whose rows and columns
`output_labels` and `input_labels` name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .compare import METHODS, Comparison, MethodResult, run_method, score
from .diagnose import find_kinks
from .errors import UsageError
from .evaluate import Point, check_outputs, evaluate, is_finite
from .graph import Graph
from .problem import Problem
from .transforms import entry_labels

MAX_DEFAULT_CENTRAL_ENTRIES = 2_000  # input entries × output entries differentiated by default
MAX_DEFAULT_SYMBOLIC_ENTRIES = 400


@dataclass
class Derivative:
    """One command's comparison, with the labels of its input and output entries."""

    kind: str  # "jvp" | "vjp" | "jacobian" | "hessian"
    comparison: Comparison
    inputs: list[str]
    outputs: list[str]


# ----------------------------------------------------------------------- flat vectors


def input_labels(point: Point, wrt: list[str]) -> list[str]:
    """'x[0]', 'x[1]', 'y' — one label per input entry, in Jacobian column order."""
    return [label for name in wrt for label in entry_labels(name, np.shape(point[name]))]


def output_labels(graph: Graph, values: list[Any]) -> list[str]:
    """'f' for one scalar output, 'f[0]', … for a tensor, 'f1', 'f2', … for a list."""
    outputs = graph.outputs
    if len(outputs) == 1:
        return entry_labels("f", np.shape(values[outputs[0]]))
    return [label for k, node in enumerate(outputs) for label in entry_labels(f"f{k + 1}", np.shape(values[node]))]


def flat_inputs(point: Point, wrt: list[str]) -> np.ndarray:
    parts = [np.asarray(point[name], dtype=np.float64).ravel() for name in wrt]
    return np.concatenate(parts) if parts else np.zeros(0)


def with_flat_inputs(point: Point, wrt: list[str], z: np.ndarray) -> dict[str, Any]:
    """`point` with the variables in `wrt` replaced by the entries of the flat vector `z`."""
    moved = dict(point)
    start = 0
    for name in wrt:
        shape = np.shape(point[name])
        size = int(np.prod(shape)) if shape else 1
        chunk = z[start:start + size]
        moved[name] = chunk.reshape(shape) if shape else np.float64(chunk[0])
        start += size
    return moved


def _flat_outputs(values: list[Any], outputs: list[int]) -> np.ndarray:
    return np.concatenate([np.asarray(values[o], dtype=np.float64).ravel() for o in outputs])


def _split_like(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[Any]:
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape)) if shape else 1
        chunk = flat[start:start + size]
        parts.append(chunk.reshape(shape) if shape else np.float64(chunk[0]))
        start += size
    return parts


def _as_dict(flat: np.ndarray, point: Point, wrt: list[str]) -> dict[str, Any]:
    return {name: value for name, value in zip(wrt, _split_like(flat, [np.shape(point[n]) for n in wrt]))}


# ------------------------------------------------------------------ central differences


def central_jacobian(function: Callable[[np.ndarray], np.ndarray], z0: np.ndarray, *, h: float | None = None,
                     richardson: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """The Jacobian of a vector function of a flat vector, column by column, by `numeric.differentiate`.

    Each entry gets the careful step and domain handling of the scalar case; the
    evaluations of one column are cached, so an m-output column costs what one output does.

    >>> J, _ = central_jacobian(lambda z: np.array([z[0] * z[1], z[0] + z[1]]), np.array([1.0, 2.0]))
    >>> np.round(J, 8).tolist()
    [[2.0, 1.0], [1.0, 1.0]]
    """
    from .numeric import differentiate

    if h is not None and not (h > 0 and math.isfinite(h)):
        raise UsageError("--h must be a positive number")
    columns, steps, estimates, notes = [], [], [], []
    for j in range(z0.size):
        cache: dict[float, np.ndarray] = {}

        def column_at(t: float, j: int = j, cache: dict[float, np.ndarray] = cache) -> np.ndarray:
            if t not in cache:
                z = z0.copy()
                z[j] = t
                with np.errstate(all="ignore"):
                    cache[t] = np.asarray(function(z), dtype=np.float64)
            return cache[t]

        rows = column_at(float(z0[j])).size
        column, column_estimates, step = np.zeros(rows), np.zeros(rows), math.nan
        for i in range(rows):
            result = differentiate(lambda t, i=i: float(column_at(t)[i]), float(z0[j]), h=h, richardson=richardson)
            column[i], column_estimates[i], step = result.value, result.error_estimate, result.step
            if result.note and result.note not in notes:
                notes.append(result.note)
        columns.append(column)
        estimates.append(column_estimates)
        steps.append(step)
    m = columns[0].size if columns else 0
    jacobian = np.array(columns).T.reshape(m, len(columns))
    return jacobian, {"step": np.array(steps), "error_estimate": np.array(estimates).T.reshape(m, len(columns)),
                      "notes": notes}


def _output_function(graph: Graph, point: Point, wrt: list[str], outputs: list[int]) -> Callable[[np.ndarray], np.ndarray]:
    def function(z: np.ndarray) -> np.ndarray:
        values = evaluate(graph, with_flat_inputs(point, wrt, z), upto=outputs)
        return _flat_outputs(values, outputs)

    return function


def _gradient_function(graph: Graph, point: Point, wrt: list[str]) -> Callable[[np.ndarray], np.ndarray]:
    from .reverse import gradient_reverse

    def function(z: np.ndarray) -> np.ndarray:
        gradient = gradient_reverse(graph, with_flat_inputs(point, wrt, z), wrt)[1]
        return np.concatenate([np.asarray(gradient[n], dtype=np.float64).ravel() for n in wrt])

    return function


# ---------------------------------------------------------------------------- symbolic


def _symbolic_setup(graph: Graph, point: Point, roots: list[int]) -> tuple[Any, list[Any], dict[str, Any], dict[Any, Any]]:
    """SymPy, the flat list of output expressions, the symbols, and the point as substitutions."""
    import sympy as sp

    from .symbolic import DIGITS, to_sympy

    exprs, symbols = to_sympy(graph, roots, point)
    flat = [e for expr in exprs for e in np.asarray(expr, dtype=object).ravel()]
    substitutions: dict[Any, Any] = {}
    for name, symbol in symbols.items():
        if name == "__detached__":
            for stand_in, value in symbol.items():
                substitutions[stand_in] = sp.Float(float(value), DIGITS)
            continue
        values = np.asarray(point[name], dtype=np.float64)
        for index in np.ndindex(np.shape(symbol)):
            substitutions[np.asarray(symbol, dtype=object)[index]] = sp.Float(float(values[index]), DIGITS)
    return sp, flat, symbols, substitutions


def _value_at(sp: Any, expr: Any, substitutions: dict[Any, Any]) -> float:
    """A SymPy derivative at the point; NaN where SymPy leaves it unevaluated (DiracDelta(0), …)."""
    from .symbolic import _to_float

    try:
        return _to_float(sp, expr, substitutions)
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
    from .symbolic import time_limit

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
    from .symbolic import time_limit

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


# ------------------------------------------------------------------------- the checks


def _output_values(problem: Problem) -> list[Any]:
    graph = problem.graph
    values = evaluate(graph, problem.point)
    if not all(is_finite(values[o]) for o in graph.outputs):
        check_outputs(graph, values)
    return values


def _check_methods(methods: list[str] | tuple[str, ...]) -> None:
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"--method: unknown method '{unknown[0]}' (choose from {', '.join(METHODS)})")


def _warnings(problem: Problem, results: dict[str, MethodResult], scalar_outputs: bool) -> list[str]:
    warnings = [f"'{name}' has a value but does not appear in the formula" for name in problem.unused]
    for m in results.values():
        if m.status == "ok" and m.method == "central":
            warnings.extend(f"central: {note}" for note in m.extra.get("notes", []))
    if scalar_outputs:
        for k in range(len(problem.graph.outputs)):
            warnings.extend(kink.message() for kink in find_kinks(problem.graph, problem.point, problem.wrt, k))
    return warnings


def _finish(kind: str, problem: Problem, values: list[Any], results: dict[str, MethodResult],
            inputs: list[str], outputs: list[str]) -> Derivative:
    graph = problem.graph
    # score() knows AD by the names forward/reverse; the Hessian's AD result goes by its own name.
    renamed = {("reverse" if k == "forward-over-reverse" else k): r for k, r in results.items()}
    reference = score(renamed, problem.wrt)
    if reference == "reverse" and "forward-over-reverse" in results:
        reference = "forward-over-reverse"
    scalar_outputs = all(np.ndim(values[o]) == 0 for o in graph.outputs)
    value = [values[o] for o in graph.outputs]
    comparison = Comparison(value[0] if len(value) == 1 else value, problem.wrt, results, reference,
                            _warnings(problem, results, scalar_outputs))
    return Derivative(kind, comparison, inputs, outputs)


def _central_allowed(entries: int, explicit: bool) -> MethodResult | None:
    if entries > MAX_DEFAULT_CENTRAL_ENTRIES and not explicit:
        return MethodResult("central", status="skipped",
                            message=f"{entries} derivative entries by differences; ask for it with --method central")
    return None


def _symbolic_allowed(entries: int, explicit: bool) -> MethodResult | None:
    if entries > MAX_DEFAULT_SYMBOLIC_ENTRIES and not explicit:
        return MethodResult("symbolic", status="skipped",
                            message=f"{entries} symbolic derivatives; ask for it with --method symbolic")
    return None


def compare_jacobian(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, *, h: float | None = None,
                     richardson: bool = False, symbolic_timeout: float | None = 5.0,
                     explicit: bool = False) -> Derivative:
    """The Jacobian (rows: output entries, columns: input entries) by each method.

    >>> from diffcli.problem import make_problem
    >>> d = compare_jacobian(make_problem("[x*y, x+y]", {"x": 1, "y": 2}), ("forward", "reverse"))
    >>> d.comparison.methods["forward"].result.tolist(), d.comparison.methods["reverse"].extra["passes"]
    ([[2.0, 1.0], [1.0, 1.0]], 2)
    """
    from .transforms import jacobian_forward, jacobian_reverse

    _check_methods(methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    values = _output_values(problem)
    inputs, outputs = input_labels(point, wrt), output_labels(graph, values)
    n, m = len(inputs), len(outputs)
    results: dict[str, MethodResult] = {}
    for method in methods:
        if method == "forward":
            results[method] = run_method(method, lambda: (jacobian_forward(graph, point, wrt, values=values),
                                                          {"passes": n}))
        elif method == "reverse":
            results[method] = run_method(method, lambda: (jacobian_reverse(graph, point, wrt, values=values),
                                                          {"passes": m}))
        elif method == "central":
            results[method] = _central_allowed(n * m, explicit) or run_method(method, lambda: central_jacobian(
                _output_function(graph, point, wrt, graph.outputs), flat_inputs(point, wrt), h=h,
                richardson=richardson))
        elif method == "symbolic":
            results[method] = _symbolic_allowed(n * m, explicit) or run_method(method, lambda: (
                jacobian_symbolic(graph, point, wrt, timeout=symbolic_timeout), {}))
    return _finish("jacobian", problem, values, results, inputs, outputs)


def read_direction(problem: Problem, direction: Mapping[str, Any]) -> dict[str, Any]:
    """The tangent v of each variable in `wrt` (zero where not given), shape-checked."""
    unknown = [name for name in direction if name not in problem.wrt]
    if unknown:
        raise UsageError(f"--dir: '{unknown[0]}' is not a differentiated variable "
                         f"(variables: {', '.join(problem.wrt) or 'none'})")
    tangent: dict[str, Any] = {}
    for name in problem.wrt:
        shape = np.shape(problem.point[name])
        given = np.asarray(direction.get(name, 0.0), dtype=np.float64)
        try:
            value = np.broadcast_to(given, shape)
        except ValueError:
            raise UsageError(f"--dir: {name} has shape {shape} but its direction has shape {given.shape}") from None
        tangent[name] = np.array(value) if shape else np.float64(value)
    return tangent


def compare_jvp(problem: Problem, direction: Mapping[str, Any], methods: list[str] | tuple[str, ...] = METHODS, *,
                h: float | None = None, richardson: bool = False, symbolic_timeout: float | None = 5.0,
                explicit: bool = False) -> Derivative:
    """J·v by each method: forward mode in one pass; the others via J (or a directional difference).

    >>> from diffcli.problem import make_problem
    >>> d = compare_jvp(make_problem("[x*y, x+y, sin(x)]", {"x": 1, "y": 2}), {"x": 1, "y": 0}, ("forward",))
    >>> [round(float(t), 6) for t in d.comparison.methods["forward"].result]
    [2.0, 1.0, 0.540302]
    """
    from .forward import jvp
    from .transforms import jacobian_reverse

    _check_methods(methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    values = _output_values(problem)
    v = read_direction(problem, direction)
    flat_v = flat_inputs(v, wrt)
    shapes = [np.shape(values[o]) for o in graph.outputs]
    inputs, outputs = input_labels(point, wrt), output_labels(graph, values)
    results: dict[str, MethodResult] = {}

    def directional(z0: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        along = _output_function(graph, point, wrt, graph.outputs)
        return lambda t: along(z0 + t[0] * flat_v)

    for method in methods:
        if method == "forward":
            results[method] = run_method(method, lambda: (jvp(graph, point, v)[1], {"passes": 1}))
        elif method == "reverse":
            results[method] = run_method(method, lambda: (
                _split_like(jacobian_reverse(graph, point, wrt, values=values) @ flat_v, shapes),
                {"passes": len(outputs)}))
        elif method == "central":
            def central_work() -> tuple[Any, dict[str, Any]]:
                column, details = central_jacobian(directional(flat_inputs(point, wrt)), np.zeros(1), h=h,
                                                   richardson=richardson)
                return _split_like(column[:, 0], shapes), {"step": details["step"][0], "notes": details["notes"]}
            results[method] = run_method(method, central_work)
        elif method == "symbolic":
            results[method] = _symbolic_allowed(len(inputs) * len(outputs), explicit) or run_method(method, lambda: (
                _split_like(jacobian_symbolic(graph, point, wrt, timeout=symbolic_timeout) @ flat_v, shapes), {}))
    return _finish("jvp", problem, values, results, inputs, outputs)


def read_cotangent(problem: Problem, values: list[Any], cotangent: Any) -> list[Any]:
    """One cotangent per output from a scalar (broadcast) or the outputs' entries in order."""
    shapes = [np.shape(values[o]) for o in problem.graph.outputs]
    total = sum(int(np.prod(s)) if s else 1 for s in shapes)
    u = np.asarray(cotangent, dtype=np.float64)
    if u.ndim == 0:
        return [np.broadcast_to(u, s).copy()[()] if not s else np.full(s, float(u)) for s in shapes]
    if len(shapes) == 1 and u.shape == shapes[0]:
        return [u]
    if u.size == total and (len(shapes) > 1 or u.ndim == 1):
        return _split_like(u.ravel(), shapes)
    wanted = str(shapes[0]) if len(shapes) == 1 else f"{total} entries (one per output entry)"
    raise UsageError(f"--cotangent has shape {u.shape} but the formula's output has shape {wanted}")


def compare_vjp(problem: Problem, cotangent: Any, methods: list[str] | tuple[str, ...] = METHODS, *,
                h: float | None = None, richardson: bool = False, symbolic_timeout: float | None = 5.0,
                explicit: bool = False) -> Derivative:
    """uᵀJ by each method: reverse mode in one pass; the others via J.

    >>> from diffcli.problem import make_problem
    >>> d = compare_vjp(make_problem("x*1024", {"x": [1, 2, 3]}), [0.1, 1.0, 0.0001], ("reverse",))
    >>> d.comparison.methods["reverse"].result["x"].tolist()
    [102.4, 1024.0, 0.1024]
    """
    from .reverse import vjp
    from .transforms import jacobian_forward

    _check_methods(methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    values = _output_values(problem)
    u = read_cotangent(problem, values, cotangent)
    flat_u = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in u])
    inputs, outputs = input_labels(point, wrt), output_labels(graph, values)
    results: dict[str, MethodResult] = {}
    for method in methods:
        if method == "reverse":
            results[method] = run_method(method, lambda: (vjp(graph, point, u, wrt)[1], {"passes": 1}))
        elif method == "forward":
            results[method] = run_method(method, lambda: (
                _as_dict(flat_u @ jacobian_forward(graph, point, wrt, values=values), point, wrt),
                {"passes": len(inputs)}))
        elif method == "central":
            def central_work() -> tuple[Any, dict[str, Any]]:
                along = _output_function(graph, point, wrt, graph.outputs)
                row, details = central_jacobian(lambda z: np.array([flat_u @ along(z)]), flat_inputs(point, wrt),
                                                h=h, richardson=richardson)
                return _as_dict(row[0], point, wrt), {"step": _as_dict(details["step"], point, wrt),
                                                      "notes": details["notes"]}
            results[method] = _central_allowed(len(inputs), explicit) or run_method(method, central_work)
        elif method == "symbolic":
            results[method] = _symbolic_allowed(len(inputs) * len(outputs), explicit) or run_method(method, lambda: (
                _as_dict(flat_u @ jacobian_symbolic(graph, point, wrt, timeout=symbolic_timeout), point, wrt), {}))
    return _finish("vjp", problem, values, results, inputs, outputs)


def compare_hessian(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, *, h: float | None = None,
                    richardson: bool = False, symbolic_timeout: float | None = 5.0,
                    explicit: bool = False) -> Derivative:
    """∇²f by AD (forward over the reverse gradient graph), central differences of the
    reverse gradient, and SymPy. `forward` and `reverse` both name the AD result.

    >>> from diffcli.problem import make_problem
    >>> d = compare_hessian(make_problem("x**2*y", {"x": 1, "y": 2}), ("reverse",))
    >>> d.comparison.methods["forward-over-reverse"].result.tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    from .transforms import hessian

    _check_methods(methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    if len(graph.outputs) != 1:
        raise UsageError("hessian needs a scalar function; for a list of outputs use jacobian")
    values = _output_values(problem)
    root = graph.outputs[0]
    if np.ndim(values[root]) != 0:
        raise UsageError(f"hessian needs a scalar function, but the formula has shape {np.shape(values[root])}; "
                         "wrap it in sum(...) or mean(...)")
    inputs = input_labels(point, wrt)
    n = len(inputs)
    results: dict[str, MethodResult] = {}
    ad_done = False
    for method in methods:
        if method in ("forward", "reverse"):
            if ad_done:
                continue
            # One AD method: the reverse sweep builds ∇f as a graph, n forward passes differentiate it.
            ad_done = True
            results["forward-over-reverse"] = run_method("forward-over-reverse", lambda: (
                hessian(graph, point, wrt), {"passes": n}))
        elif method == "central":
            results[method] = _central_allowed(n * n, explicit) or run_method(method, lambda: central_jacobian(
                _gradient_function(graph, point, wrt), flat_inputs(point, wrt), h=h, richardson=richardson))
        elif method == "symbolic":
            results[method] = _symbolic_allowed(n * n, explicit) or run_method(method, lambda: (
                hessian_symbolic(graph, point, wrt, timeout=symbolic_timeout), {}))
    return _finish("hessian", problem, values, results, inputs, inputs)
