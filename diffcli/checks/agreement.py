"""Methods that should agree and do not are never silent.

Forward and reverse mode, the complex step and SymPy compute the same derivative; when one
of them is far from the reference, something is wrong at this point and the user must be
told which methods and by how much — a wrong number must not pass at exit 0 just because
it is small (2.8e-188 for 2.76e-190 is within any absolute tolerance).

"Far" is measured against what each method can promise:

* an AD method (and the complex step) against the size of the derivative's *terms*
  (`ad.lost.term_sizes`: the chain rule's products summed in absolute value), not the
  derivative itself, which may cancel to nearly nothing while its rounding errors stay the
  size of the terms; beyond `TERMS` of that — and beyond 100 times the first- and
  second-order rounding bound of the values it is made of (`roundoff` over the graph of each
  row's reverse sweep) — it is not rounding;
* central differences against `ESTIMATES` times their own error estimate and the rounding
  of the function values they difference (`roundoff.error_scales`), plus the same share of
  the terms.

Points with a kink or an undefined derivative already carry their own warning, and there
the methods are not expected to agree: nothing is added there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.ad.flat import flatten, result_vector, unit
from diffcli.ad.lost import term_sizes
from diffcli.ad.ops.kernels import SMALLEST_NORMAL
from diffcli.checks.methods import Task
from diffcli.checks.roundoff import UNIT_ROUNDOFF, error_scales

TERMS = 1e-6  # a difference beyond this share of the derivative's terms is not rounding
ROUNDINGS = 1e8  # … nor, in those units, 100 times the first-order rounding bound of its values (u·E)
ESTIMATES = 10.0  # central differences: beyond this many of their own error estimates
# Below the smallest normal double, numbers are multiples of 2⁻¹⁰⁷⁴: each product of a derivative
# that falls there is rounded by that much, whatever the method, and the partials after it carry
# the rounding on (∂/∂y of 3·cos(x/(1 + y²)) at x = 1e-9, y = 1.4e-305 is 17 such multiples, and
# AD's 18 is rounding). A difference that small is no disagreement — as for `ad.lost`, which
# reports no lost term below it; an underflowed term carried up to ordinary numbers still is.
UNDERFLOWED = SMALLEST_NORMAL
# The term sizes of a Jacobian or Hessian take a sweep per row: past this many rows, no check.
MAX_SWEEPS = 400
# The rounding bound of a row builds the row's graph (a reverse sweep in graph mode): past this many
# nodes of rows × graph, no rounding bound (only the terms').
MAX_ROUNDING_NODES = 1_500


def disagreements(results: dict[str, Any], reference: str | None, task: Task) -> str | None:
    """The warning for the methods that differ from the reference beyond what they can promise
    (None: they agree, or there is nothing to compare).

    `results`: {method: MethodResult}, scored against `reference` (`compare.score`).
    """
    if reference is None:
        return None
    others = [m for name, m in results.items() if name != reference and m.status == "ok" and m.error is not None]
    if not others:
        return None
    truth = _vector(results[reference], task)
    if not np.all(np.isfinite(truth)):
        return None
    scales = _scales(task)
    if scales is None:
        return None
    sizes, rounding = scales
    reference_slack = _slack(results[reference], rounding, truth.shape)
    far, largest, absolute = [], 0.0, 0.0  # the largest relative difference (absolute where the reference is 0)
    for m in others:
        slack = _slack(m, rounding, truth.shape)
        if slack is None or reference_slack is None:
            continue  # central differences whose notes already say not to trust them
        got = _vector(m, task)
        with np.errstate(all="ignore"):
            beyond = ~(np.abs(got - truth) <= TERMS * sizes + UNDERFLOWED + slack + reference_slack)
        if np.any(beyond):
            far.append(m.method)
            difference, scale = np.abs(got - truth)[beyond], np.abs(truth)[beyond]
            if np.any(scale > 0):
                largest = max(largest, float(np.max(difference[scale > 0] / scale[scale > 0])))
            else:
                absolute = max(absolute, float(np.max(difference)))
    if not far:
        return None
    names = " and ".join(far)
    verb = "differs" if len(far) == 1 else "differ"
    by = f"{largest:.1e} relative" if largest > 0 else f"{absolute:.1e} where {reference} gives 0"
    return f"{names} {verb} from {reference} by {by} at this point, far beyond rounding; one of them is wrong here"


def _derivative_rounding(task: Task, sweeps: _Sweeps) -> np.ndarray:
    """u·E of every entry of the derivative, row by row: `roundoff.error_scales` (without the
    underflow term) over the graph of each row's reverse sweep (`gradient_graph` from the row's
    seeds) — the rounding of the values the derivative is made of, which the terms' size does
    not see: log(1 + x²) is log(1) = 0 at x = 1e-10, and so is AD's derivative of
    log(1 + log(1 + x²)²) there, for SymPy's 4e-30; 1 − cos(x)² is 0 at x = 1e-9, and so is the
    Hessian of cos(x)/(1 + cos(x)²) but for the terms it multiplies. A Hessian row is the reverse
    sweep over the gradient graph (reverse over reverse: the values AD's forward over reverse
    is made of, and their derivatives). Zeros past `MAX_ROUNDING_NODES`: no bound, as before."""
    graph, seeds = sweeps.graph, sweeps.seeds
    if len(seeds) > 1 and len(seeds) * len(graph) > MAX_ROUNDING_NODES:
        return np.zeros((len(seeds), task.n))
    from diffcli.ad.reverse import gradient_graph

    rows = []
    with np.errstate(all="ignore"):
        for seed in seeds:
            row_graph, nodes = gradient_graph(graph, task.point, task.wrt, seeds=seed)
            values = evaluate(row_graph, task.point, upto=nodes)
            scales = error_scales(row_graph, values, nodes, underflow=False)
            rows.append(UNIT_ROUNDOFF * flatten([np.broadcast_to(scales[node], np.shape(task.point[name]))
                                                 for node, name in zip(nodes, task.wrt)]))
    return np.array(rows).reshape(len(seeds), task.n)


def _vector(m: Any, task: Task) -> np.ndarray:
    return np.asarray(result_vector(m.result, task.wrt), dtype=np.float64)


def _flat(extra: Any) -> np.ndarray:
    return np.asarray(result_vector(extra), dtype=np.float64)


def _slack(m: Any, rounding: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """What a method may be off beyond the terms' rounding: nothing for AD and SymPy; for central
    differences `ESTIMATES` times their error estimate plus the rounding of the function values
    they difference (u·E(f)/h: their own estimate takes |f| for it, which cancellation inside f
    makes far too small — log(1 + y²) near y = 0). None: central with notes, or no estimate."""
    if m.method != "central":
        return np.zeros(shape)
    estimate, step = m.extra.get("error_estimate"), m.extra.get("step")
    if estimate is None or step is None or m.extra.get("notes"):
        return None
    estimate, step = _flat(estimate), _flat(step)
    columns = step.size
    if estimate.shape != shape or shape[0] % max(columns, 1) or not np.all(np.isfinite(estimate)):
        return None
    if rounding.size * columns != shape[0]:
        return None
    with np.errstate(over="ignore"):  # a step below 2⁻¹⁰²² (a tiny variable): no bound, inf
        noise = np.divide.outer(rounding, step).ravel()  # not rounding · (1/step): 0 · inf is NaN
    return ESTIMATES * (estimate + noise)


@dataclass
class _Sweeps:
    """The reverse sweeps whose results are the rows of a derivative: over `graph` (f's, or for a
    Hessian its gradient graph) at `values`, one sweep per entry of `seeds`. `outputs`: the nodes
    whose values central differences difference."""

    graph: Any
    values: list[Any]
    outputs: list[int]
    seeds: list[dict[int, Any]]


def _sweeps(task: Task) -> _Sweeps | None:
    """The task's rows as sweeps (None: a kind without rows, or more rows than `MAX_SWEEPS`)."""
    graph, values = task.graph, task.values
    outputs = graph.outputs
    if task.kind == "gradient":
        return _Sweeps(graph, values, outputs, [{outputs[0]: np.float64(1.0)}])
    if task.kind == "vjp":
        from diffcli.ad.reverse import cotangent_seeds

        return _Sweeps(graph, values, outputs, [cotangent_seeds(graph, values, task.cotangent)])
    if task.kind == "hessian":
        if task.n > MAX_SWEEPS:
            return None
        from diffcli.ad.reverse import gradient_graph

        # Central differences of a Hessian difference the reverse-mode gradient: its graph is the function.
        graph, outputs = gradient_graph(graph, task.point, task.wrt)
        values = evaluate(graph, task.point, upto=outputs)
    elif task.kind not in ("jacobian", "jvp") or task.m > MAX_SWEEPS:
        return None
    # one sweep per output entry (a vector variable's gradient node is a vector): one row each
    return _Sweeps(graph, values, outputs, [{node: unit(np.shape(values[node]), k)}
                                            for node in outputs for k in range(int(np.size(values[node])))])


def _scales(task: Task) -> tuple[np.ndarray, np.ndarray] | None:
    """The scale each entry of the task's derivative (flattened like its result) may be off by
    `TERMS` of: the size of its terms (`ad.lost.term_sizes`) plus `ROUNDINGS` times the rounding
    of the values it is made of; and u·E of each output entry of the function whose differences
    central differences take."""
    sweeps = _sweeps(task)
    if sweeps is None:
        return None
    graph, values, outputs = sweeps.graph, sweeps.values, sweeps.outputs
    rows = np.array([_row(graph, values, seed, task) for seed in sweeps.seeds]).reshape(len(sweeps.seeds), task.n)
    sizes = rows + ROUNDINGS * _derivative_rounding(task, sweeps)
    if task.kind == "jvp":
        sizes = sizes @ np.abs(flatten([task.direction[n] for n in task.wrt]))
    with np.errstate(all="ignore"):
        rounding = UNIT_ROUNDOFF * flatten([np.broadcast_to(scale, np.shape(values[o]))
                                            for o, scale in zip(outputs, _output_scales(graph, values, outputs))])
    return sizes.ravel(), rounding


def _output_scales(graph: Any, values: list[Any], outputs: list[int]) -> list[Any]:
    scales = error_scales(graph, values, outputs)
    return [scales[o] for o in outputs]


def _row(graph: Any, values: list[Any], seeds: dict[int, Any], task: Task) -> np.ndarray:
    sizes = term_sizes(graph, values, seeds, task.wrt)
    return flatten([np.zeros(np.shape(task.point[name])) if sizes[name] is None
                    else np.broadcast_to(sizes[name], np.shape(task.point[name])) for name in task.wrt])
