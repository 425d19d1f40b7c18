"""Compute one derivative several independent ways and measure how far each is off.

This is the heart of `diffcli grad`: forward-mode AD, reverse-mode AD, central
differences and SymPy each produce {variable: value}; the reference is SymPy when it
finishes with finite numbers, else reverse mode; every method gets the max-norm of its
difference from the reference, absolute and relative, and its wall time. The result
is plain data — rendering is the CLI's job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from diffcli.checks.diagnose import Kink, derivative_trouble, find_kinks
from diffcli.errors import UsageError
from diffcli.ad.evaluate import check_outputs, evaluate, is_finite
from diffcli.ad.problem import Problem

METHODS = ("forward", "reverse", "central", "symbolic")
REFERENCE_ORDER = ("symbolic", "reverse", "forward", "central")
MAX_DEFAULT_CENTRAL_ENTRIES = 200  # 4 evaluations per entry; beyond this, ask explicitly


@dataclass
class MethodResult:
    """What one method returned: the result (or why there is none), its error and time."""

    method: str
    result: Any = None
    seconds: float = 0.0
    status: str = "ok"  # ok | timed out | failed | skipped
    message: str = ""
    error: float | None = None
    rel_error: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    """All methods side by side, the reference they are measured against, and warnings."""

    value: Any
    wrt: list[str]
    methods: dict[str, MethodResult]
    reference: str | None
    warnings: list[str] = field(default_factory=list)
    kinks: list[Kink] = field(default_factory=list)

    def check(self, tolerance: float) -> str | None:
        """Why the methods disagree beyond tolerance·max(1, |reference|), or None if they agree."""
        if self.reference is None:
            return "no method produced a gradient"
        truth = flatten(self.methods[self.reference].result, self.wrt)
        if not np.isfinite(truth).all():
            return f"the gradient is not finite ({self.reference})"
        limit = tolerance * max(1.0, float(np.abs(truth).max(initial=0.0)))
        for m in self.methods.values():
            if m.status != "ok":
                continue
            if m.error is None:
                return f"{m.method} is not finite where {self.reference} is"
            if m.error > limit:
                return f"{m.method} differs from {self.reference} by {m.error:.3g} (allowed {limit:.3g})"
        return None


def flatten(result: Any, order: list[str] | None = None) -> np.ndarray:
    """Every number of a result ({name: array}, list or array) in one flat vector."""
    if isinstance(result, dict):
        keys = order if order is not None else list(result)
        parts = [np.asarray(result[k], dtype=np.float64).ravel() for k in keys]
    elif isinstance(result, (list, tuple)):
        parts = [np.asarray(r, dtype=np.float64).ravel() for r in result]
    else:
        parts = [np.asarray(result, dtype=np.float64).ravel()]
    return np.concatenate(parts) if parts else np.zeros(0)


def _distance(a: np.ndarray, b: np.ndarray) -> tuple[float | None, float | None]:
    if a.shape != b.shape:
        return None, None
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(all="ignore"):
        difference = np.where(same, 0.0, np.abs(a - b))
    if not np.isfinite(difference).all():
        return None, None
    error = float(difference.max(initial=0.0))
    scale = float(np.abs(b[np.isfinite(b)]).max(initial=0.0))
    return error, (error / scale if scale > 0 else (0.0 if error == 0 else None))


def score(methods: dict[str, MethodResult], order: list[str] | None = None) -> str | None:
    """Pick the reference and fill in every method's error against it."""
    reference = None
    symbolic = methods.get("symbolic")
    if symbolic is not None and symbolic.status == "ok" and np.isfinite(flatten(symbolic.result, order)).all():
        reference = "symbolic"
    else:
        # AD is exact where the derivative exists; an infinite AD value is the truth, not noise.
        for name in REFERENCE_ORDER[1:]:
            if name in methods and methods[name].status == "ok":
                reference = name
                break
    if reference is None:
        return None
    truth = flatten(methods[reference].result, order)
    for m in methods.values():
        if m.status == "ok":
            m.error, m.rel_error = _distance(flatten(m.result, order), truth)
    return reference


def run_method(name: str, work: Callable[[], tuple[Any, dict[str, Any]]]) -> MethodResult:
    """Run one method, timing it; a symbolic time-out or failure becomes a status, not a crash."""
    from diffcli.checks.symbolic import SymbolicTimeout, SymbolicUnsupported

    start = time.perf_counter()
    try:
        result, extra = work()
    except SymbolicTimeout:
        return MethodResult(name, status="timed out", seconds=time.perf_counter() - start,
                            message="SymPy did not finish in time")
    except SymbolicUnsupported as error:
        return MethodResult(name, status="skipped", message=str(error))
    except (RecursionError, MemoryError):
        return MethodResult(name, status="failed", seconds=time.perf_counter() - start,
                            message="too large for this method")
    return MethodResult(name, result=result, seconds=time.perf_counter() - start, extra=extra)


def compare_gradient(problem: Problem, methods: tuple[str, ...] | list[str] = METHODS, *,
                     h: float | None = None, richardson: bool = False,
                     symbolic_timeout: float | None = 5.0, explicit: bool = False) -> Comparison:
    """∇f at the problem's point by each method in `methods`, compared.

    >>> from diffcli.ad.problem import make_problem
    >>> c = compare_gradient(make_problem("3*x**3 - 5*x**2", {"x": 1.5}), ("forward", "reverse"))
    >>> float(c.value), float(c.methods["forward"].result["x"]), c.reference
    (-1.125, 5.25, 'reverse')
    """
    from diffcli.ad import forward, reverse
    from diffcli.checks import numeric

    graph, point, wrt = problem.graph, problem.point, problem.wrt
    if len(graph.outputs) != 1:
        raise UsageError("grad needs a scalar function; for a list of outputs use jacobian")
    root = graph.outputs[0]
    values = evaluate(graph, point, upto=[root])
    if not is_finite(values[root]):
        check_outputs(graph, values)
    if np.ndim(values[root]) != 0:
        raise UsageError(f"grad needs a scalar function, but the formula has shape {np.shape(values[root])}; "
                         "wrap it in sum(...) or mean(...), or use jacobian")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"--method: unknown method '{unknown[0]}' (choose from {', '.join(METHODS)})")
    entries = sum(int(np.size(point[name])) for name in wrt)
    results: dict[str, MethodResult] = {}
    adjoints_holder: dict[str, Any] = {}
    for method in methods:
        if method == "forward":
            results[method] = run_method(method, lambda: (forward.gradient_forward(graph, point, wrt)[1],
                                                          {"passes": entries}))
        elif method == "reverse":
            def reverse_work() -> tuple[Any, dict[str, Any]]:
                # Keep every node's adjoint: diagnose.derivative_trouble reads them.
                all_values, adjoints = reverse.adjoint_sweep(graph, point, {root: np.float64(1.0)}, wrt)
                adjoints_holder["values"], adjoints_holder["adjoints"] = all_values, adjoints
                return reverse.variable_adjoints(graph, point, adjoints, wrt), {"passes": 1}
            results[method] = run_method(method, reverse_work)
        elif method == "central":
            if entries > MAX_DEFAULT_CENTRAL_ENTRIES and not explicit:
                results[method] = MethodResult(method, status="skipped",
                                               message=f"{entries} entries would need {4 * entries} evaluations; "
                                                       "ask for it with --method central")
                continue
            results[method] = run_method(method, lambda: numeric.gradient_central(
                graph, point, wrt, h=h, richardson=richardson))
        elif method == "symbolic":
            from diffcli.checks import symbolic
            results[method] = run_method(method, lambda: (symbolic.gradient_symbolic(
                graph, point, wrt, timeout=symbolic_timeout)[1], {}))
    reference = score(results, wrt)
    comparison = Comparison(values[root], wrt, results, reference)
    _collect_warnings(comparison, problem, adjoints_holder)
    return comparison


def _collect_warnings(comparison: Comparison, problem: Problem, held: dict[str, Any]) -> None:
    graph = problem.graph
    warnings = comparison.warnings
    for name in problem.unused:
        warnings.append(f"'{name}' has a value but does not appear in the formula")
    for m in comparison.methods.values():
        if m.status == "ok" and m.method == "central":
            warnings.extend(f"central: {note}" for note in m.extra.get("notes", []))
    if "adjoints" in held:
        root = graph.outputs[0]
        trouble = derivative_trouble(graph, held["values"], held["adjoints"], root)
        warnings.extend(trouble)
    comparison.kinks = find_kinks(graph, problem.point, problem.wrt)
    warnings.extend(k.message() for k in comparison.kinks)
