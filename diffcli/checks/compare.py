"""Compute one derivative several independent ways and measure how far each is off.

The heart of `grad`, `jvp`, `vjp`, `jacobian` and `hessian`: each method of the table
(`methods.TABLE`) asked for produces the result; the reference is SymPy when it
finishes with finite numbers, else reverse-mode AD (then forward mode, the complex
step, central differences); every method gets the max-norm of its difference from the
reference, absolute and relative, its wall time and its passes. The result is plain
data — rendering is the CLI's job.

Inputs and outputs are flattened in the order of `ad.flat` (variables in `wrt` order,
each in C order; outputs in order), so a Jacobian is a plain m×n matrix whose rows and
columns `Derivative.outputs` and `Derivative.inputs` name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from diffcli.ad.evaluate import MAX_TENSOR_ENTRIES, check_outputs, evaluate, is_finite
from diffcli.ad.flat import flatten, input_labels, output_labels, result_vector, zeros_like
from diffcli.ad.lost import NEGLIGIBLE
from diffcli.ad.lost import messages as lost_messages
from diffcli.ad.problem import Problem, read_cotangent, read_direction, require_scalar, scalar_output, with_graph
from diffcli.checks.agreement import disagreements
from diffcli.checks.diagnose import Kink, every_kink
from diffcli.checks.methods import DEFAULT, METHOD, NAMES, Method, Task, matrix_limit, method_for, ways, work_limit
from diffcli.errors import UsageError

METHODS = DEFAULT  # the methods run when none are named
_TITLE = {"gradient": "gradient", "jvp": "J·v", "vjp": "uᵀJ", "jacobian": "Jacobian", "hessian": "Hessian"}


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
    disagreement: str | None = None  # methods that differ beyond what they can promise (`agreement`)

    def check(self, tolerance: float) -> str | None:
        """Why the methods disagree beyond tolerance·max(1, |reference|) — or beyond what they
        can promise at this point, whatever the tolerance — or None if they agree."""
        if self.reference is None:
            return "no method produced a gradient"
        if self.disagreement is not None:
            return self.disagreement
        truth = result_vector(self.methods[self.reference].result, self.wrt)
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


@dataclass
class Derivative:
    """One command's comparison, with the labels of its input and output entries."""

    kind: str  # "gradient" | "jvp" | "vjp" | "jacobian" | "hessian"
    comparison: Comparison
    inputs: list[str]
    outputs: list[str]


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


def score(results: dict[str, MethodResult], order: list[str] | None = None,
          avoid: frozenset[str] = frozenset()) -> str | None:
    """Pick the reference (the successful method of lowest rank, one in `avoid` — known to have
    lost digits here — only if nothing else succeeded) and fill in every method's error."""
    candidates = [name for name, m in results.items() if m.status == "ok" and (
        not METHOD[name].finite_reference or np.isfinite(result_vector(m.result, order)).all())]
    if not candidates:
        return None
    reference = min([name for name in candidates if name not in avoid] or candidates,
                    key=lambda name: METHOD[name].rank)
    truth = result_vector(results[reference].result, order)
    for m in results.values():
        if m.status == "ok":
            m.error, m.rel_error = _distance(result_vector(m.result, order), truth)
    return reference


def run_method(name: str, work: Callable[[], tuple[Any, dict[str, Any]]]) -> MethodResult:
    """Run one method, timing it; a time-out, refusal or failure becomes a status, not a crash."""
    from diffcli.checks.complex_step import Refused
    from diffcli.checks.symbolic import SymbolicFailed, SymbolicTimeout, SymbolicUnsupported

    start = time.perf_counter()
    try:
        result, extra = work()
    except SymbolicTimeout:
        return MethodResult(name, status="timed out", seconds=time.perf_counter() - start,
                            message="SymPy did not finish in time")
    except (SymbolicUnsupported, Refused) as error:
        return MethodResult(name, status="skipped", message=str(error))
    except SymbolicFailed as error:
        return MethodResult(name, status="failed", seconds=time.perf_counter() - start, message=str(error))
    except (RecursionError, MemoryError):
        return MethodResult(name, status="failed", seconds=time.perf_counter() - start,
                            message="too large for this method")
    return MethodResult(name, result=result, seconds=time.perf_counter() - start, extra=extra)


def _rows(kind: str, names: list[str] | tuple[str, ...]) -> list[Method]:
    """The table's rows for the method names asked for (each once, in the order asked)."""
    unknown = [name for name in names if name not in NAMES]
    if unknown:
        raise UsageError(f"--method: unknown method '{unknown[0]}' (choose from {', '.join(NAMES)})")
    rows: list[Method] = []
    for name in names:
        method = method_for(name, kind)
        if method is None:
            able = [n for n in NAMES if method_for(n, kind) is not None]
            raise UsageError(f"--method: {name} does not compute the {_TITLE[kind]} (choose from {', '.join(able)})")
        if method not in rows:
            rows.append(method)
    return rows


def _run(method: Method, task: Task, explicit: bool) -> MethodResult:
    way = ways(method)[task.kind]
    why_not = (matrix_limit(method, task) or work_limit(method, task, explicit)
               or (method.limit(task) if method.limit and not explicit else None))
    if why_not:
        return MethodResult(method.name, status="skipped", message=why_not)
    result = run_method(method.name, lambda: way(task))
    if result.status == "ok" and method.passes is not None:
        result.extra = {"passes": method.passes(task), **result.extra}
    return result


def compare(kind: str, problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, *,
            direction: Mapping[str, Any] | None = None, cotangent: Any = None, h: float | None = None,
            richardson: bool = False, symbolic_timeout: float | None = 5.0, explicit: bool = False) -> Derivative:
    """The `kind` of derivative ("gradient", "jvp", "vjp", "jacobian", "hessian") by each of
    `methods`, compared. `explicit` (the methods were named) lifts the default size limits.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare("jvp", make_problem("[x*y, sin(x)]", {"x": 1, "y": 2}), ["forward", "complex"], direction={"x": 1})
    >>> d.comparison.reference, [round(float(t), 12) for t in d.comparison.methods["complex"].result]
    ('forward', [2.0, 0.540302305868])
    """
    rows = _rows(kind, methods)
    graph, point, wrt = problem.graph, problem.point, problem.wrt
    who = {"gradient": "grad", "hessian": "hessian"}.get(kind)
    if who is not None:
        require_scalar(graph, who)
    values = evaluate(graph, point)
    check_outputs(graph, values)  # undefined at the point, or inside the formula: exit 1
    if who is not None:
        scalar = scalar_output(graph, point, who)  # a (1, 1) output is a number, as for backward()
        if scalar is not graph:
            graph, problem = scalar, with_graph(problem, scalar)
            values = evaluate(graph, point)
    inputs = input_labels(point, wrt)
    outputs = inputs if kind == "hessian" else output_labels(graph, values)
    task = Task(kind, problem, values, inputs, outputs, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout)
    if kind == "jvp":
        given = read_direction(point, wrt, direction or {})
        task.direction = {name: given.get(name, zeros_like(point[name])) for name in wrt}
    elif kind == "vjp":
        task.cotangent = read_cotangent(graph, values, cotangent)
    elif kind in ("jacobian", "hessian") and task.n * task.m > MAX_TENSOR_ENTRIES:
        raise UsageError(f"the {_TITLE[kind]} would have {task.m:,} × {task.n:,} = {task.n * task.m:,} entries "
                         f"(at most {MAX_TENSOR_ENTRIES:,})")
    results = {method.name: _run(method, task, explicit) for method in rows}
    reference = score(results, wrt, avoid=frozenset({"reverse"}) if task.held.get("lost") else frozenset())
    value = [values[o] for o in graph.outputs]
    comparison = Comparison(value[0] if len(value) == 1 else value, wrt, results, reference)
    _diagnose(comparison, task)
    return Derivative(kind, comparison, inputs, outputs)


def _diagnose(comparison: Comparison, task: Task) -> None:
    """The warnings: unused values, central differences' notes, singular derivatives, kinks."""
    graph, values = task.graph, task.values
    warnings = comparison.warnings
    warnings.extend(task.problem.unused_warnings())
    for m in comparison.methods.values():
        if m.status == "ok" and m.method == "central":
            warnings.extend(f"central: {note}" for note in m.extra.get("notes", []))
    trouble = task.held.get("trouble", [])
    warnings.extend(trouble)
    if task.held.get("lost"):
        warnings.extend(lost_messages(graph, task.held["lost"], _TITLE[task.kind], forward_keeps=_differs(
            comparison, "forward", "reverse")))
    order = 2 if task.kind == "hessian" else 1  # a Hessian needs second derivatives that exist too
    comparison.kinks = every_kink(graph, task.point, task.wrt, values, order)
    warnings.extend(kink.message() for kink in comparison.kinks)
    if not comparison.kinks and not trouble:  # those points have their own warning
        comparison.disagreement = disagreements(comparison.methods, comparison.reference, task)
        if comparison.disagreement is not None:
            warnings.append(comparison.disagreement)


def _differs(comparison: Comparison, a: str, b: str) -> bool | None:
    """Whether methods a and b both succeeded and differ beyond rounding (None: one did not run)."""
    first, second = comparison.methods.get(a), comparison.methods.get(b)
    if first is None or second is None or first.status != "ok" or second.status != "ok":
        return None
    x, y = result_vector(first.result, comparison.wrt), result_vector(second.result, comparison.wrt)
    with np.errstate(all="ignore"):
        close = (x == y) | (np.abs(x - y) <= NEGLIGIBLE * np.fmax(np.abs(x), np.abs(y)))
    return bool(np.any(~close))


def compare_gradient(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, **options: Any) -> Comparison:
    """∇f at the problem's point by each method in `methods`, compared.

    >>> from diffcli.ad.problem import make_problem
    >>> c = compare_gradient(make_problem("3*x**3 - 5*x**2", {"x": 1.5}), ("forward", "reverse"))
    >>> float(c.value), float(c.methods["forward"].result["x"]), c.reference
    (-1.125, 5.25, 'reverse')
    """
    return compare("gradient", problem, methods, **options).comparison


def compare_jacobian(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, **options: Any) -> Derivative:
    """J by each method: forward mode in n passes, reverse mode in m.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_jacobian(make_problem("[x*y, x+y]", {"x": 1, "y": 2}), ("forward", "reverse"))
    >>> d.comparison.methods["forward"].result.tolist(), d.comparison.methods["reverse"].extra["passes"]
    ([[2.0, 1.0], [1.0, 1.0]], 2)
    """
    return compare("jacobian", problem, methods, **options)


def compare_jvp(problem: Problem, direction: Mapping[str, Any], methods: list[str] | tuple[str, ...] = METHODS,
                **options: Any) -> Derivative:
    """J·v by each method: forward mode in one pass; the others via J (or a directional difference).

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_jvp(make_problem("[x*y, x+y, sin(x)]", {"x": 1, "y": 2}), {"x": 1, "y": 0}, ("forward",))
    >>> [round(float(t), 6) for t in d.comparison.methods["forward"].result]
    [2.0, 1.0, 0.540302]
    """
    return compare("jvp", problem, methods, direction=direction, **options)


def compare_vjp(problem: Problem, cotangent: Any, methods: list[str] | tuple[str, ...] = METHODS,
                **options: Any) -> Derivative:
    """uᵀJ by each method: reverse mode in one pass; the others via J.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_vjp(make_problem("x*1024", {"x": [1, 2, 3]}), [0.1, 1.0, 0.0001], ("reverse",))
    >>> d.comparison.methods["reverse"].result["x"].tolist()
    [102.4, 1024.0, 0.1024]
    """
    return compare("vjp", problem, methods, cotangent=cotangent, **options)


def compare_hessian(problem: Problem, methods: list[str] | tuple[str, ...] = METHODS, **options: Any) -> Derivative:
    """∇²f by AD (forward over the reverse gradient graph), central differences of the
    reverse gradient, and SymPy. `forward` and `reverse` both name the AD result.

    >>> from diffcli.ad.problem import make_problem
    >>> d = compare_hessian(make_problem("x**2*y", {"x": 1, "y": 2}), ("reverse",))
    >>> d.comparison.methods["forward-over-reverse"].result.tolist()
    [[4.0, 2.0], [2.0, 0.0]]
    """
    return compare("hessian", problem, methods, **options)
