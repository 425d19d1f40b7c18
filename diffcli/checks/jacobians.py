"""The Jacobian family — J·v, uᵀJ, J and ∇²f — each computed several independent ways.

Like `compare.compare_gradient` for `grad`: every method returns plain numbers, the
reference is SymPy when it finishes with finite numbers (else reverse-mode AD), and
each method gets its error against the reference, its time and how many sweeps
("passes") it needed — the numbers that make the cost argument of forward vs reverse
mode visible: a full Jacobian costs n forward passes (one per input entry) or m reverse
passes (one per output entry); J·v is one forward pass, uᵀJ one reverse pass.

Inputs and outputs are flattened in the order of `flat` (variables in `wrt` order, each
in C order; outputs in order), so a Jacobian is a plain m×n matrix whose rows and
columns `flat.output_labels` and `flat.input_labels` name. Central differences live in
`jacobian_numeric`, SymPy's Jacobians in `jacobian_symbolic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from diffcli.checks.compare import METHODS, Comparison, MethodResult, run_method, score
from diffcli.checks.diagnose import find_kinks
from diffcli.errors import UsageError
from diffcli.ad.evaluate import MAX_TENSOR_ENTRIES, check_outputs, evaluate, is_finite
from diffcli.ad.flat import as_dict, flat_inputs, input_labels, output_labels, split_like
from diffcli.checks.jacobian_numeric import central_jacobian, gradient_function, output_function
from diffcli.checks.jacobian_symbolic import hessian_symbolic, jacobian_symbolic
from diffcli.ad.problem import Problem

MAX_DEFAULT_CENTRAL_ENTRIES = 2_000  # input entries × output entries differentiated by default
MAX_DEFAULT_SYMBOLIC_ENTRIES = 400


@dataclass
class Derivative:
    """One command's comparison, with the labels of its input and output entries."""

    kind: str  # "jvp" | "vjp" | "jacobian" | "hessian"
    comparison: Comparison
    inputs: list[str]
    outputs: list[str]


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


def _matrix_allowed(method: str, entries: int) -> MethodResult | None:
    """Methods that build the whole Jacobian are skipped when it would exceed the tensor limit."""
    if entries > MAX_TENSOR_ENTRIES:
        return MethodResult(method, status="skipped",
                            message=f"needs the whole {entries:,}-entry Jacobian (at most {MAX_TENSOR_ENTRIES:,})")
    return None


def _check_matrix_size(kind: str, n: int, m: int) -> None:
    if n * m > MAX_TENSOR_ENTRIES:
        raise UsageError(f"the {kind} would have {m:,} × {n:,} = {n * m:,} entries (at most {MAX_TENSOR_ENTRIES:,})")


def _symbolic_allowed(entries: int, explicit: bool) -> MethodResult | None:
    if entries > MAX_DEFAULT_SYMBOLIC_ENTRIES and not explicit:
        return MethodResult("symbolic", status="skipped",
                            message=f"{entries} symbolic derivatives; ask for it with --method symbolic")
    return None


def compare_jacobian(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, *, h: float | None = None,
                     richardson: bool = False, symbolic_timeout: float | None = 5.0,
                     explicit: bool = False) -> Derivative:
    """The Jacobian (rows: output entries, columns: input entries) by each method.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_jacobian(make_problem("[x*y, x+y]", {"x": 1, "y": 2}), ("forward", "reverse"))
    >>> d.comparison.methods["forward"].result.tolist(), d.comparison.methods["reverse"].extra["passes"]
    ([[2.0, 1.0], [1.0, 1.0]], 2)
    """
    from diffcli.ad.transforms import jacobian_forward, jacobian_reverse

    _check_methods(methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    values = _output_values(problem)
    inputs, outputs = input_labels(point, wrt), output_labels(graph, values)
    n, m = len(inputs), len(outputs)
    _check_matrix_size("Jacobian", n, m)
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
                output_function(graph, point, wrt, graph.outputs), flat_inputs(point, wrt), h=h,
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

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_jvp(make_problem("[x*y, x+y, sin(x)]", {"x": 1, "y": 2}), {"x": 1, "y": 0}, ("forward",))
    >>> [round(float(t), 6) for t in d.comparison.methods["forward"].result]
    [2.0, 1.0, 0.540302]
    """
    from diffcli.ad.forward import jvp
    from diffcli.ad.transforms import jacobian_reverse

    _check_methods(methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    values = _output_values(problem)
    v = read_direction(problem, direction)
    flat_v = flat_inputs(v, wrt)
    shapes = [np.shape(values[o]) for o in graph.outputs]
    inputs, outputs = input_labels(point, wrt), output_labels(graph, values)
    results: dict[str, MethodResult] = {}

    def directional(z0: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        along = output_function(graph, point, wrt, graph.outputs)
        return lambda t: along(z0 + t[0] * flat_v)

    for method in methods:
        if method == "forward":
            results[method] = run_method(method, lambda: (jvp(graph, point, v)[1], {"passes": 1}))
        elif method == "reverse":
            results[method] = _matrix_allowed(method, len(inputs) * len(outputs)) or run_method(method, lambda: (
                split_like(jacobian_reverse(graph, point, wrt, values=values) @ flat_v, shapes),
                {"passes": len(outputs)}))
        elif method == "central":
            def central_work() -> tuple[Any, dict[str, Any]]:
                column, details = central_jacobian(directional(flat_inputs(point, wrt)), np.zeros(1), h=h,
                                                   richardson=richardson)
                return split_like(column[:, 0], shapes), {"step": details["step"][0], "notes": details["notes"]}
            results[method] = run_method(method, central_work)
        elif method == "symbolic":
            results[method] = _symbolic_allowed(len(inputs) * len(outputs), explicit) or run_method(method, lambda: (
                split_like(jacobian_symbolic(graph, point, wrt, timeout=symbolic_timeout) @ flat_v, shapes), {}))
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
        return split_like(u.ravel(), shapes)
    wanted = str(shapes[0]) if len(shapes) == 1 else f"{total} entries (one per output entry)"
    raise UsageError(f"--cotangent has shape {u.shape} but the formula's output has shape {wanted}")


def compare_vjp(problem: Problem, cotangent: Any, methods: list[str] | tuple[str, ...] = METHODS, *,
                h: float | None = None, richardson: bool = False, symbolic_timeout: float | None = 5.0,
                explicit: bool = False) -> Derivative:
    """uᵀJ by each method: reverse mode in one pass; the others via J.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_vjp(make_problem("x*1024", {"x": [1, 2, 3]}), [0.1, 1.0, 0.0001], ("reverse",))
    >>> d.comparison.methods["reverse"].result["x"].tolist()
    [102.4, 1024.0, 0.1024]
    """
    from diffcli.ad.reverse import vjp
    from diffcli.ad.transforms import jacobian_forward

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
            results[method] = _matrix_allowed(method, len(inputs) * len(outputs)) or run_method(method, lambda: (
                as_dict(flat_u @ jacobian_forward(graph, point, wrt, values=values), point, wrt),
                {"passes": len(inputs)}))
        elif method == "central":
            def central_work() -> tuple[Any, dict[str, Any]]:
                along = output_function(graph, point, wrt, graph.outputs)
                row, details = central_jacobian(lambda z: np.array([flat_u @ along(z)]), flat_inputs(point, wrt),
                                                h=h, richardson=richardson)
                return as_dict(row[0], point, wrt), {"step": as_dict(details["step"], point, wrt),
                                                      "notes": details["notes"]}
            results[method] = _central_allowed(len(inputs), explicit) or run_method(method, central_work)
        elif method == "symbolic":
            results[method] = _symbolic_allowed(len(inputs) * len(outputs), explicit) or run_method(method, lambda: (
                as_dict(flat_u @ jacobian_symbolic(graph, point, wrt, timeout=symbolic_timeout), point, wrt), {}))
    return _finish("vjp", problem, values, results, inputs, outputs)


def compare_hessian(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, *, h: float | None = None,
                    richardson: bool = False, symbolic_timeout: float | None = 5.0,
                    explicit: bool = False) -> Derivative:
    """∇²f by AD (forward over the reverse gradient graph), central differences of the
    reverse gradient, and SymPy. `forward` and `reverse` both name the AD result.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_hessian(make_problem("x**2*y", {"x": 1, "y": 2}), ("reverse",))
    >>> d.comparison.methods["forward-over-reverse"].result.tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    from diffcli.ad.transforms import hessian

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
    _check_matrix_size("Hessian", n, n)
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
                gradient_function(graph, point, wrt), flat_inputs(point, wrt), h=h, richardson=richardson))
        elif method == "symbolic":
            results[method] = _symbolic_allowed(n * n, explicit) or run_method(method, lambda: (
                hessian_symbolic(graph, point, wrt, timeout=symbolic_timeout), {}))
    return _finish("hessian", problem, values, results, inputs, inputs)
