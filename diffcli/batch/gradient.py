"""Value and gradient at many points at once: ∇f built once as a graph, then run on columns.

A formula that acts on each point separately (only elementwise ops, scalar constants)
can be evaluated with every variable bound to a column of N values: entry i of the
result is f at point i. The same holds for its gradient: reverse mode, run once in graph
mode, turns f into a graph that computes f and ∂f/∂x for each variable (JAX would call
this tracing `value_and_grad` once and running it many times), and each of its nodes
again acts on each point alone. Formulas that mix points (sum, @, indexing, stacking)
would make that wrong, so they are refused up front, naming the op.

`chunked.ChunkedProgram` then evaluates that graph chunk by chunk with a few reused
buffers, and a progress callback is told how far it got.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from diffcli.batch import fused
from diffcli.batch.chunked import CHUNK, ChunkedProgram, Progress
from diffcli.errors import UsageError
from diffcli.ad.evaluate import describe_node, evaluate, mixing_node, nonfinite_reason
from diffcli.ad.graph import Graph
from diffcli.ad.lost import Loss, Watch, losses
from diffcli.ad.lost import messages as lost_messages
from diffcli.ad.ops import all_finite
from diffcli.ad.paths import changed_decision
from diffcli.ad.problem import Problem, make_problem, require_scalar
from diffcli.ad.reverse import gradient_graph, gradient_reverse

BACKENDS = ("auto", "numpy", "jit")


@dataclass
class BatchResult:
    """f and ∇f (reverse mode) at every row of a table of points."""

    expr: str
    points: dict[str, np.ndarray]
    wrt: list[str]
    value: np.ndarray
    grad: dict[str, np.ndarray]
    seconds: float
    warnings: list[str] = field(default_factory=list)
    backend: str = "numpy"

    @property
    def rows(self) -> int:
        return int(self.value.shape[0])


def check_pointwise(graph: Graph, roots: list[int]) -> None:
    """Refuse formulas in which one point's output could depend on another point's input."""
    node = mixing_node(graph, roots)
    if node is None:
        return
    if graph.ops[node] == "const":
        raise UsageError(f"--at-file needs a formula that acts on each point separately; "
                         f"the constant tensor at {describe_node(graph, node)} does not")
    raise UsageError(f"--at-file needs a formula that acts on each point separately; "
                     f"{describe_node(graph, node)} combines entries (use --at for one tensor point)")


def batch_gradient(expr: str | Graph, points: Mapping[str, np.ndarray], let: Mapping[str, Any] | None = None,
                   wrt: list[str] | None = None, *, progress: Progress | None = None,
                   chunk: int = CHUNK, backend: str = "auto") -> BatchResult:
    """f and ∇f at every point (row) of `points`, by chunked vectorised reverse mode.

    `backend`: "numpy" (ufuncs over chunks), "jit" (one loop compiled by Numba, see
    `fused`), or "auto": the compiled loop from `fused.AUTO_FROM_ROWS` points when Numba
    is installed. Both give the same numbers to rounding.

    >>> r = batch_gradient("x*y + x**2", {"x": np.array([1.0, 2.0]), "y": np.array([3.0, 5.0])})
    >>> r.value.tolist(), r.grad["x"].tolist(), r.grad["y"].tolist()
    ([4.0, 14.0], [5.0, 9.0], [1.0, 2.0])
    """
    let = dict(let or {})
    tensors = [name for name, value in let.items() if np.ndim(value) != 0]
    if tensors:
        raise UsageError(f"--let: '{tensors[0]}' is a tensor; with --at-file constants must be numbers")
    points = {name: np.asarray(column, dtype=np.float64) for name, column in points.items()}
    rows = int(next(iter(points.values())).shape[0]) if points else 0
    if rows == 0:
        raise UsageError("--at-file: no points")
    if backend not in BACKENDS:
        raise UsageError(f"--backend: expected one of {', '.join(BACKENDS)}, got '{backend}'")
    if backend == "jit" and not fused.available():
        raise UsageError("--backend jit needs Numba: pip install \"diffcli[jit]\"")
    first = {name: column[0] for name, column in points.items()}
    problem = make_problem(expr, first, let, wrt)
    graph = problem.graph
    root = require_scalar(graph, "grad")
    constants = {name: problem.point[name] for name in let}
    if graph.rerun is not None:  # a program whose path depends on the point: each point its own path
        return _batch_by_path(problem, points, constants, progress)
    check_pointwise(graph, [root])
    start = time.perf_counter()
    # Reverse mode run once in graph mode gives ∇f as a graph (as for the Hessian); the
    # first point only fixes shapes, which are scalar per point, so the same graph holds
    # at every point. f and ∇f are then evaluated together, chunk by chunk.
    gradient, gradient_nodes = gradient_graph(graph, problem.point, problem.wrt)
    roots = [root, *gradient_nodes]
    program: ChunkedProgram | fused.FusedProgram | None = None
    notes = []
    if backend == "jit" or (backend == "auto" and rows >= fused.AUTO_FROM_ROWS and fused.available()):
        program = fused.fused_program(gradient, roots, list(points), constants)
        if program is None and backend == "jit":
            notes.append("--backend jit: this formula uses an op the compiled loop does not cover; NumPy was used")
    used = "numpy" if program is None else "jit"
    # NumPy reports under- and overflow in the gradient's nodes to the watch (free when there are
    # none); the compiled loop cannot, so only the NumPy path says where reverse mode lost a term.
    watch = Watch()
    finite: bool | None = None  # every value and partial finite; None: not known yet
    if program is None:
        program = ChunkedProgram(gradient, roots, list(points), constants)
        # The gradient's own nodes (after f's) are watched for under- and overflow.
        value, *columns = program.run(points, chunk=chunk, progress=progress, watch=watch, watched_from=len(graph))
    else:
        (value, *columns), finite = program.run_checked(points, progress=progress)
    grad = dict(zip(problem.wrt, columns))
    seconds = time.perf_counter() - start
    if finite is None:
        finite = all_finite(value) and all(all_finite(column) for column in columns)
    if not finite and not all_finite(value):
        undefined = ~np.isfinite(value)
        for column in grad.values():
            column[undefined] = np.nan  # no derivative where the function itself is undefined
    result = BatchResult(problem.expr, dict(points), problem.wrt, value, grad, seconds, backend=used)
    result.warnings = problem.unused_warnings()
    result.warnings.extend(notes)
    if not finite:
        result.warnings.extend(_nonfinite_warnings(graph, root, points, constants, result))
    result.warnings.extend(_lost_warnings(graph, root, points, constants, result, watch.regions))
    return result


def _lost_warnings(graph: Graph, root: int, points: Mapping[str, np.ndarray], constants: dict[str, Any],
                   result: BatchResult, regions: list[tuple[int, int]]) -> list[str]:
    """One warning per node where reverse mode lost a term of the derivative to under- or overflow,
    with the number of points affected (`ad.lost`; only the chunks where the watch saw an event)."""
    found: dict[int, Loss] = {}
    for begin, end in regions:
        columns = {name: column[begin:end] for name, column in points.items()}
        values = evaluate(graph, {**constants, **columns}, upto=[root])
        gradient = {name: column[begin:end] for name, column in result.grad.items()}
        seed = {root: np.ones(end - begin)}
        for loss in losses(graph, values, seed, result.wrt, gradient, pointwise=True):
            into = found.setdefault(loss.node, Loss(loss.node, loss.kind, [], np.zeros(result.rows, dtype=bool)))
            into.variables.extend(name for name in loss.variables if name not in into.variables)
            into.rows[begin:end] |= loss.rows
    return lost_messages(graph, list(found.values()), "gradient", rows=result.rows)


def _batch_by_path(problem: Problem, points: Mapping[str, np.ndarray], constants: dict[str, Any],
                   progress: Progress | None) -> BatchResult:
    """f and ∇f of a program at every row, each row on the path its own decisions take.

    Rows are grouped by path: the program runs at the first row not yet done, every
    remaining row whose decisions come out the same joins that path (checked on all of
    them at once when the decisions act on each point separately), and the group is
    computed together — vectorised if the path is, else row by row.
    """
    start = time.perf_counter()
    rows = int(next(iter(points.values())).shape[0])
    value = np.full(rows, np.nan)
    grad = {name: np.full(rows, np.nan) for name in problem.wrt}
    remaining = np.arange(rows)
    graph = problem.graph
    paths = 0
    while remaining.size:
        if paths:
            row = int(remaining[0])
            graph = make_problem(problem.expr, {**{n: c[row] for n, c in points.items()}},
                                 constants, problem.wrt).graph
        paths += 1
        columns = {name: column[remaining] for name, column in points.items()}
        members = remaining[_on_path(graph, columns, constants)]
        if members.size == 0:  # cannot happen (the first row made this path), but never loop forever
            members = remaining[:1]
        group = {name: column[members] for name, column in points.items()}
        root = graph.outputs[0]
        try:
            check_pointwise(graph, [root])
            gradient, nodes = gradient_graph(graph, {**constants, **{n: c[0] for n, c in group.items()}}, problem.wrt)
            found = ChunkedProgram(gradient, [root, *nodes], list(group), constants).run(group)
        except UsageError:
            found = _row_by_row(graph, group, constants, problem.wrt)
        value[members] = found[0]
        for name, column in zip(problem.wrt, found[1:]):
            grad[name][members] = column
        remaining = np.setdiff1d(remaining, members, assume_unique=True)
        if progress is not None:
            progress(rows - remaining.size, rows)
    result = BatchResult(problem.expr, dict(points), problem.wrt, value, grad, time.perf_counter() - start)
    result.warnings = [f"'{name}' has a value but does not appear in the formula" for name in problem.unused]
    if paths > 1:
        result.warnings.append(f"the program took {paths} different paths through its branches and loops "
                               "over these points; each point's gradient is that of its own path")
    return result


def _on_path(graph: Graph, columns: Mapping[str, np.ndarray], constants: Mapping[str, Any]) -> np.ndarray:
    """Which rows make every decision of `graph` the same way (a boolean mask)."""
    nodes = [d.node for d in graph.decisions]
    rows = int(next(iter(columns.values())).shape[0])
    try:
        check_pointwise(graph, nodes)
        values = evaluate(graph, {**constants, **columns}, upto=nodes)
        mask = np.ones(rows, dtype=bool)
        with np.errstate(all="ignore"):
            for decision in graph.decisions:
                taken = np.broadcast_to(np.asarray(values[decision.node], dtype=np.float64), (rows,))
                same = (taken != 0) == decision.outcome if isinstance(decision.outcome, bool) \
                    else taken == decision.outcome
                mask &= same & np.isfinite(taken)
        return mask
    except UsageError:  # decisions that mix entries (norm, sum): ask each row
        return np.array([changed_decision(graph, evaluate(graph, {**constants, **{n: c[r] for n, c in columns.items()}},
                                                           upto=nodes)) is None for r in range(rows)], dtype=bool)


def _row_by_row(graph: Graph, group: Mapping[str, np.ndarray], constants: Mapping[str, Any],
                wrt: list[str]) -> list[np.ndarray]:
    """f and ∇f one row at a time, by reverse mode, when the path mixes entries."""
    rows = int(next(iter(group.values())).shape[0])
    found = [np.full(rows, np.nan) for _ in range(1 + len(wrt))]
    for r in range(rows):
        point = {**constants, **{n: np.float64(c[r]) for n, c in group.items()}}
        f, gradient = gradient_reverse(graph, point, wrt)
        found[0][r] = float(np.reshape(f, ())) if np.size(f) == 1 else np.nan
        for k, name in enumerate(wrt):
            found[k + 1][r] = float(np.reshape(gradient[name], ()))
    return found


def _nonfinite_warnings(graph: Graph, root: int, points: Mapping[str, np.ndarray], constants: dict[str, Any],
                        result: BatchResult) -> list[str]:
    """One warning for rows where f is not finite (with the reason at the first), one for ∇f."""
    messages = []
    if not all_finite(result.value):
        bad = ~np.isfinite(result.value)
        row = int(np.argmax(bad))
        point = {**constants, **{name: column[row] for name, column in points.items()}}
        reason = nonfinite_reason(graph, evaluate(graph, point, upto=[root]), root)
        messages.append(f"f is not finite at {int(bad.sum())} of {result.rows} points "
                        f"(first at point {row + 1}: {reason})")
    if not all(all_finite(column) for column in result.grad.values()):
        bad_grad = np.zeros(result.rows, dtype=bool)
        for column in result.grad.values():
            bad_grad |= ~np.isfinite(column)
        bad_grad &= np.isfinite(result.value)
        if bad_grad.any():
            messages.append(f"the gradient is not finite at {int(bad_grad.sum())} points where f is "
                            f"(first at point {int(np.argmax(bad_grad)) + 1})")
    return messages
