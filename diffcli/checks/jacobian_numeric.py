"""Jacobians by central differences: `numeric.differentiate`, one input entry at a time."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import Point, evaluate
from diffcli.ad.flat import flat_outputs, with_flat_inputs
from diffcli.ad.graph import Graph


def central_jacobian(function: Callable[[np.ndarray], np.ndarray], z0: np.ndarray, *, h: float | None = None,
                     richardson: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """The Jacobian of a vector function of a flat vector, column by column, by `numeric.differentiate`.

    Each entry gets the careful step and domain handling of the scalar case; the
    evaluations of one column are cached, so an m-output column costs what one output does.

    >>> J, _ = central_jacobian(lambda z: np.array([z[0] * z[1], z[0] + z[1]]), np.array([1.0, 2.0]))
    >>> np.round(J, 8).tolist()
    [[2.0, 1.0], [1.0, 1.0]]
    """
    from diffcli.checks.numeric import differentiate

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
    # With no inputs the Jacobian still has one (empty) row per output entry.
    if columns:
        m = columns[0].size
    else:
        with np.errstate(all="ignore"):
            m = np.asarray(function(z0), dtype=np.float64).size
    jacobian = np.array(columns).T.reshape(m, len(columns))
    return jacobian, {"step": np.array(steps), "error_estimate": np.array(estimates).T.reshape(m, len(columns)),
                      "notes": notes}


def output_function(graph: Graph, point: Point, wrt: list[str], outputs: list[int]) -> Callable[[np.ndarray], np.ndarray]:
    def function(z: np.ndarray) -> np.ndarray:
        values = evaluate(graph, with_flat_inputs(point, wrt, z), upto=outputs)
        return flat_outputs(values, outputs)

    return function


def gradient_function(graph: Graph, point: Point, wrt: list[str]) -> Callable[[np.ndarray], np.ndarray]:
    from diffcli.ad.reverse import gradient_reverse

    def function(z: np.ndarray) -> np.ndarray:
        gradient = gradient_reverse(graph, with_flat_inputs(point, wrt, z), wrt)[1]
        return np.concatenate([np.zeros(0), *(np.asarray(gradient[n], dtype=np.float64).ravel() for n in wrt)])

    return function
